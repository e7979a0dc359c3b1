"""HTTP and WebSocket layer: thin routers over the services."""

API_PREFIX = "/api/v1"
