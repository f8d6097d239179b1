"""Payers a tenant submits prior authorizations to (Da Vinci PAS `$submit` / `$inquire`)."""
