"""Per-patient search over document pages: chunks, embeddings, lexical and hybrid ranking."""
