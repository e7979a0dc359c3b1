"""Live transcription over WebSocket: incremental decoding, partial and final results, resume."""
