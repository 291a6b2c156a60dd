"""huoke journeys context."""
