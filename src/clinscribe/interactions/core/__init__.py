"""Pure interaction checking: no database, broker, web framework or audit log."""
