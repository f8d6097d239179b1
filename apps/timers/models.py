"""Durable timers."""
