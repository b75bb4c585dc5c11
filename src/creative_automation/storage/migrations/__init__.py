"""Alembic migrations of the metadata store, shipped in the package and run by `cap db`."""
