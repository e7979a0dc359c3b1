"""Durable job rows. Services create jobs here; the `jobs` package sends them after commit."""
