"""Note drafting for encounters: templates (built-in and tenant-defined) and drafts."""
