"""huoke demo context."""
