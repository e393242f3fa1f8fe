"""Domain services: the operations every surface (API, CLI, evals) shares."""
