"""huoke loyalty context."""
