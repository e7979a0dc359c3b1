"""Clinical NLP: the pure pipeline in core/, extractions per transcript, the extraction task."""
