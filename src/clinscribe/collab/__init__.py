"""Live collaboration on a note: presence and change notifications."""
