"""Print `name==version` pins from poetry.lock, so pip installs exactly the locked tools.

pip cannot read poetry.lock and Poetry is not installed yet when bootstrapping, so the
lock is read as plain TOML here. No lock yet: print nothing (pip then resolves freely).
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10: pip vendors the same parser
    from pip._vendor import tomli as tomllib

lock = Path(__file__).resolve().parent.parent / "poetry.lock"
if lock.exists():
    data = tomllib.loads(lock.read_text(encoding="utf-8"))
    for package in data.get("package", []):
        # One name may be locked twice, split by markers (e.g. by Python version): keep the
        # markers so pip applies only the pin meant for this interpreter.
        markers = package.get("markers", "")
        if isinstance(markers, dict):  # per-group markers: the package is needed if any holds
            markers = " or ".join(f"({m})" for m in markers.values())
        pin = f"{package['name']}=={package['version']}"
        sys.stdout.write(f"{pin} ; {markers}\n" if markers else f"{pin}\n")
