"""Fixtures: engine (see module owner)."""
