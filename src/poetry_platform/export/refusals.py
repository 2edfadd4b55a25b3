"""What platform-export refuses to write, each in one line: an exported file must never
promise an install that `platform-install` would refuse.

- a stale, missing or unreadable lock (nothing can be exported from it);
- a target one of whose plans fails `platform-check` (`strict`: warns, too);
- a file the target may use whose lock hash could not pin it (missing, empty, malformed):
  an exported file pins every archive the target may use, so one such file breaks the
  install on the machine that takes it.

`export/fileset.py` builds the data (marking such files, `ExportFile.bad`); the words are
made here through `render`, so the data modules never import the renderer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from poetry_platform.errors import LockError
from poetry_platform.lockset.problems import blocking

if TYPE_CHECKING:
    from collections.abc import Sequence

    from poetry_platform.check.targets import TargetResult
    from poetry_platform.export.fileset import ExportSet
    from poetry_platform.lockset.lock import LockState


class TargetNotExportable(LockError):
    """The target fails `platform-check`: exporting it would write a broken install."""


def refuse_unfit_lock(lock: LockState) -> None:
    """A stale, missing or unreadable lock: nothing can be exported from it (one line)."""
    if lock.problems or not lock.readable:
        from poetry_platform import render

        reasons = "; ".join(render.problem(p) for p in lock.problems) or "poetry.lock is unreadable"
        raise LockError(f"Nothing exported: {reasons}")


def refuse_failing(name: str, results: Sequence[TargetResult], *, strict: bool) -> None:
    """A target one of whose plans fails the check (`strict`: or warns): its reasons, each
    cause once, as platform-check words them."""
    from poetry_platform import render

    for result in results:
        stopping = blocking(result.check.problems, strict=strict)
        if stopping:
            raise TargetNotExportable(
                render.not_exportable(name, result.plan, stopping),
                f"See `poetry platform-check --target {name}`.",
            )


def refuse_unpinned(exported: ExportSet) -> None:
    """The first file whose lock hash could not pin it (`ExportFile.bad`)."""
    from poetry_platform.render.problems import bad_hash

    for package in exported.packages:
        for file in package.files:
            if file.bad is not None:
                raise LockError(
                    f"{package.name} {package.version}: {bad_hash(file.bad)} (an exported "
                    "file pins every archive the target may use)."
                )
