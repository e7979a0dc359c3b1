"""Consistent backups of the embedded profile (database and blobs) and restore drills."""
