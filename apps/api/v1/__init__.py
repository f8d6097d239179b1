"""Version 1 of the tenant REST API: one module per resource, each view a small class with
nested input serializers calling the owning app's services and selectors."""
