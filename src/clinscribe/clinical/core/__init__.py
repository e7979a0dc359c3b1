"""Pure clinical-record logic (validation vocabularies, merging, alert keys): no database."""
