"""huoke events context."""
