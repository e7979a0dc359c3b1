"""HTTP and WebSocket layer: thin routers over the services."""
