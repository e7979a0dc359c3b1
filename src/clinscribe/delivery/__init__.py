"""EHR delivery: endpoint settings, the outbox written with the signature, dead letters."""
