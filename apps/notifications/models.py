"""Notifications and email links."""
