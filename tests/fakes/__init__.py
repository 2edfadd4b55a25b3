"""Stand-ins for hardware this machine lacks, built for real (libraries, tools, file trees)."""

from __future__ import annotations
