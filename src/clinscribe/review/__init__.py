"""Clinician review: immutable note versions and the draft → signed state machine."""
