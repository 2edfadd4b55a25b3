"""An `ExportSet` as a pip requirements file with a hash for every file the target may use.

    --index-url <first source>            sources in Poetry's priority order
    --extra-index-url <next source>       (only those the set takes packages from)
    jax==0.7.2 \\
        --hash=sha256:...                 one per usable file: pip's hash-checking mode

Explicit sources. pip has no "this package only from that index": every listed index is
asked for every package. What keeps a package on its own index is the hashes: pip installs
an archive only if its sha256 is one the lock recorded for that package and version, so a
same-named build on another index (a `torch==2.9.0` beside `torch==2.9.0+cpu`, or a name
squatted on a public index) can make the install fail but never be installed. The pins keep
their local labels (`==2.9.0+cpu`), which no other build satisfies. What remains, and is
documented: pip tells every listed index the names of all packages it looks up.

No URL is needed (pip finds the files itself), so this format is written offline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from poetry_platform.export.pylock import python_marker

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Sequence

    from poetry_platform.export.fileset import ExportPackage
    from poetry_platform.export.fileset import ExportSet
    from poetry_platform.export.urls import Source


def index_options(export: ExportSet, sources: Sequence[Source]) -> list[str]:
    """`--index-url`/`--extra-index-url`/`--find-links` for the sources the set uses.

    The first used index in Poetry's priority order replaces pip's default index, so pip
    consults no index the project did not name. Plain-HTTP sources get `--trusted-host`,
    as Poetry itself accepts them.
    """
    used = {p.source or "pypi" for p in export.packages if p.kind == "index"}
    lines: list[str] = []
    trusted: list[str] = []
    first = True
    for source in sources:
        if source.name.lower() not in {u.lower() for u in used}:
            continue
        if source.kind == "find-links":
            lines.append(f"--find-links {source.url}")
        elif first:
            lines.append(f"--index-url {source.url}")
            first = False
        else:
            lines.append(f"--extra-index-url {source.url}")
        parts = urlsplit(source.url)
        host = parts.netloc.rsplit("@", 1)[-1]
        if parts.scheme == "http" and host not in trusted:
            trusted.append(host)
    if first:
        # No index named (every package from find-links pages): pip must not fall back
        # to its default index.
        lines.insert(0, "--no-index")
    lines += [f"--trusted-host {host}" for host in trusted]
    return lines


def render(
    export: ExportSet,
    sources: Sequence[Source],
    *,
    root_path: str | None = None,
    path_for: Callable[[str], str] = str,
    header: Sequence[str] = (),
) -> str:
    """The requirements text; `root_path` adds the project itself as `-e PATH`."""
    lines = [f"# {h}" for h in header]
    lines += index_options(export, sources)
    if lines:
        lines.append("")
    for package in export.packages:
        lines.extend(_requirement(export, package, path_for))
    if root_path is not None:
        lines.append(f"-e {root_path}")
    return "\n".join(lines) + "\n"


def _requirement(
    export: ExportSet, package: ExportPackage, path_for: Callable[[str], str]
) -> list[str]:
    if package.kind == "url":
        spec = f"{package.name} @ {package.location}"
    elif package.kind == "file":
        spec = f"{package.name} @ {_file_url(path_for(package.location or ''))}"
    else:
        spec = f"{package.name}=={package.version}"
    if pythons := export.conditional(package):
        spec += f" ; {python_marker(pythons)}"
    hashes = [f"--hash={a}:{d}" for f in package.files for a, d in f.hashes]
    if not hashes:  # cannot come from a passing check; written plainly rather than broken
        return [spec]
    return [spec + " \\", *(f"    {h} \\" for h in hashes[:-1]), f"    {hashes[-1]}"]


def _file_url(path: str) -> str:
    from pathlib import Path

    return Path(path).absolute().as_uri()
