"""huoke customers context."""
