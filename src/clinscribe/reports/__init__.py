"""The Client Health Report: a patient summary drafted from their records, every sentence cited."""
