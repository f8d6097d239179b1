"""django-tenants PostgreSQL backend that starts the embedded server on demand."""
