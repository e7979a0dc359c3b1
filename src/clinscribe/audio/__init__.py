"""Audio decoding and probing (PyAV): pure, used by intake, ASR and live streams."""
