"""Tenant REST API."""
