"""Patient records: documents in, text out (text layer or OCR), lab results, retrieval, reports."""
