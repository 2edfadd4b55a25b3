"""The lock model every feature stands on: poetry.lock read once, the set an install takes,
the file each package installs on a target, and what a check found, as data. Offline."""
