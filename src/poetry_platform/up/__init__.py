"""Bumping: read every declared constraint, look up releases, plan, re-lock atomically."""
