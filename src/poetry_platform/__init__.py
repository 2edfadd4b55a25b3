"""poetry-platform: one lock file, the right accelerator build on every host.

Nothing is imported here on purpose: every `poetry` invocation imports the plugin's
entry point, so this package must stay free of import-time work.
"""

from __future__ import annotations

__version__ = "0.1.0"
