"""Live events and transactions: schemas, ingestion with ONE_ID, idempotency, subscribers, lake export, timeline."""
