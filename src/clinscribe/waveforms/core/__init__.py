"""Pure waveform code: readers, measurements, LOINC table and strip geometry (no database)."""
