"""Research code (example project for poetry-platform)."""
