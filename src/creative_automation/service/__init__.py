"""The service: job queue, workers and the HTTP API over the one pipeline."""
