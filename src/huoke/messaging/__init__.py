"""huoke messaging context."""
