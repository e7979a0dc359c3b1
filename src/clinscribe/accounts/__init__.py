"""Tenants, users, API keys and sign-in."""
