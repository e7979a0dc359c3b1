"""Operator tasks over the whole store: backups and restore drills, key rotation."""
