"""Authentication, authorization and credentials."""
