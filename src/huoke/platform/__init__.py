"""Shared infrastructure: settings, store, clock, crypto, errors. Imports no bounded context."""
