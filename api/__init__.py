"""The caseflow HTTP API (FastAPI) and the supervisors' pages."""
