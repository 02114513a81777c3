"""The session manager: the single source of truth of the pedalboard, persisted, with events."""
