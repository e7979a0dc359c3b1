"""Lifecycle: tenant retention periods and the purge that exports, then deletes, old encounters."""
