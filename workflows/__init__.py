"""Temporal workflows: one durable workflow per case."""
