"""The typed messages every stompbox process exchanges; pure data, no I/O."""
