"""A test-only app: a model with every encrypted field type, outside the production schema."""
