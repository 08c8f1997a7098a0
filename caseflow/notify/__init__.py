"""Notifications: templates per channel and language, and the outbox delivery worker."""
