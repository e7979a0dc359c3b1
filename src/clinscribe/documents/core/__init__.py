"""Pure document processing: page text, lab parsing, chunking. No database, broker or web."""
