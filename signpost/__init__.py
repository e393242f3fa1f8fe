"""signpost."""
