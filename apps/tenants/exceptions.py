"""Errors of tenant provisioning, each with a message a partner admin can act on."""


class ProvisioningError(RuntimeError):
    """The platform is not ready to create tenants (for example, no template schema yet)."""
