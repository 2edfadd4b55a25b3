"""Lock checking: the exact set a target installs, proven offline from poetry.lock."""
