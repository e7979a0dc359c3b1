"""Pure DICOM handling: parsing, rendering, de-identification, archive safety (no database)."""
