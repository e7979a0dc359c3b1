"""Encounters: a patient seen by a clinician."""
