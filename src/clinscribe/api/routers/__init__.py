"""Routers, one per capability."""
