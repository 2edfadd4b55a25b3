"""Demo package for the poetry-platform JAX example."""
