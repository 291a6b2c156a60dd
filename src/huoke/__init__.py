"""huoke (活客): customer-lifecycle marketing platform for banks."""

__version__ = "0.1.0"
