"""Transcripts: stored per recording, in the public Transcript shape."""
