"""Alembic migrations for the caseflow read model (see caseflow.db.migrate)."""
