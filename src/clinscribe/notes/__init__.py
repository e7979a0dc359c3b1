"""Clinical notes: drafting and templates in core/, drafts of encounters, tenant templates."""
