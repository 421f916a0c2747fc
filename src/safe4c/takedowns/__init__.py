"""Takedowns: orders to platforms with their legal deadlines, the order lifecycle and escalation,
compliance figures, and the signed webhooks that deliver order events."""
