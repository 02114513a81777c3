"""Embedded mod-host-compatible engine: a TCP server hosting each plugin in its own jalv."""
