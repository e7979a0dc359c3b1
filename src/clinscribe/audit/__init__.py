"""Tamper-evident, append-only audit log."""
