"""Speech recognition: engines in core/, transcripts per recording, the transcription task."""
