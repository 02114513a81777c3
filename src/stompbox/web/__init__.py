"""The web process: HTTP API, WebSocket hub and the static web client, relaying to the session."""
