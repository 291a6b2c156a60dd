"""huoke segments context."""
