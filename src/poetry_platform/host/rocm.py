"""AMD ROCm facts: GPU targets from the kernel driver's topology, ROCm's installed version.

Both are plain file reads (no library, no process): the amdgpu driver publishes one
topology node per CPU and GPU agent under /sys/class/kfd, and a ROCm install records its
version in `.info/version`. Parsers are pure; probes raise `ProbeError` (see `probing.py`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from poetry_platform.host.probing import ProbeError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

KFD_NODES = "sys/class/kfd/kfd/topology/nodes"


def gfx_target(version: int) -> str:
    """kfd's `gfx_target_version` as the LLVM target name: 90010 -> "gfx90a", 110000 -> "gfx1100".

    The number is major * 10000 + minor * 100 + stepping; minor and stepping are written
    as one hex digit each in the name.
    """
    major, minor, stepping = version // 10000, version // 100 % 100, version % 100
    if not (major and minor < 16 and stepping < 16):
        raise ValueError(f"not a gfx target version: {version}")
    return f"gfx{major}{minor:x}{stepping:x}"


def parse_kfd_properties(text: str) -> str | None:
    """The GPU target of one topology node, or None for a CPU node. Sample (abridged):

    cpu_cores_count 0
    simd_count 304
    gfx_target_version 90402
    vendor_id 4098
    device_id 29857
    """
    for line in text.splitlines():
        key, _, value = line.strip().partition(" ")
        if key == "gfx_target_version":
            number = value.strip()
            if not number.isdigit():
                raise ValueError(f"gfx_target_version {number!r} is not a number")
            return gfx_target(int(number)) if int(number) else None
    return None


def probe_kfd(root: Path) -> tuple[str, ...]:
    """Distinct GPU targets of all nodes, in node order; empty when only CPUs are there."""
    nodes = root / KFD_NODES
    if not nodes.is_dir():
        raise ProbeError(f"no {nodes}")
    targets: dict[str, None] = {}
    for node in sorted(nodes.iterdir(), key=_node_number):
        try:
            text = (node / "properties").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue  # a node that vanished or cannot be read has nothing to add
        try:
            gfx = parse_kfd_properties(text)
        except ValueError as e:
            raise ProbeError(f"garbled {node / 'properties'} ignored: {e}") from None
        if gfx is not None:
            targets[gfx] = None
    return tuple(targets)


def _node_number(path: Path) -> tuple[int, str]:
    return (int(path.name), "") if path.name.isdigit() else (1 << 30, path.name)


_VERSION = re.compile(r"(\d+\.\d+(?:\.\d+)?)(?:[-~+.].*)?")


def parse_rocm_version(text: str) -> str:
    """ "6.2.1-112" (ROCm's .info/version) -> "6.2.1"."""
    match = _VERSION.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a ROCm version: {text.strip()[:40]!r}")
    return match.group(1)


def probe_rocm_version(root: Path, environ: Mapping[str, str]) -> tuple[str, Path]:
    """The installed ROCm version and the file it came from ($ROCM_PATH, then /opt/rocm)."""
    candidates = [root / "opt/rocm/.info/version"]
    if environ.get("ROCM_PATH"):
        candidates.insert(0, root / environ["ROCM_PATH"].lstrip("/") / ".info/version")
    for path in candidates:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        try:
            return parse_rocm_version(text), path
        except ValueError as e:
            raise ProbeError(f"garbled {path} ignored: {e}") from None
    raise ProbeError(f"no {candidates[-1]}")
