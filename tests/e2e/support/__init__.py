"""Helper programs and fixtures that end-to-end tests start as separate processes."""
