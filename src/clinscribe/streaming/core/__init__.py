"""Pure parts of live transcription: audio inputs, VAD, partial and final decoding, spools."""
