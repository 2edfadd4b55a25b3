"""The uv installer: Poetry decides every operation, uv installs the files."""
