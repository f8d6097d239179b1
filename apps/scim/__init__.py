"""SCIM 2.0 provisioning (RFC 7643/7644) on each tenant's host at /scim/v2/: a directory
(Entra ID, Okta) creates, updates and deactivates people and pushes groups that map to roles."""
