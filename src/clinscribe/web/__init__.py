"""The clinician web UI: a server-rendered shell plus static ES modules (no build step)."""
