"""Fixtures: jack (see module owner)."""
