"""Fixtures: stack (see module owner)."""
