"""Clinical facts extracted from transcripts, stored per transcript."""
