"""Notifications: templates per channel and language, the outbox delivery worker, recipient
resolution and routing, and the gateway adapters behind one port."""
