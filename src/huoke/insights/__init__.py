"""huoke insights context."""
