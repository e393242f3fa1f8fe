"""api/controllers."""
