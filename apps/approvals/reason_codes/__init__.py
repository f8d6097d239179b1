"""Reason codes for denials: the tenant's list, its services and its administration pages.

Codes are never deleted (decisions point at them); retired codes are deactivated instead.
"""
