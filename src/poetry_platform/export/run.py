"""What `platform-export` does, without the console: a request in, the files' texts out.

The command reads its options into an `ExportRequest` and calls `export`; everything a
user's options can get wrong is refused here (a `UsageError`, before anything is read),
then the targets are chosen (declared ones, or this machine's platform with the variant
`platform-install` would select), each is checked by `platform-check`'s own code, and the
chosen format is rendered for each. `write` puts them in place, all or none.

Which groups a target installs comes from the command (`groups`): Poetry's
`--with/--without/--only` apply on top of a target's own groups, and only the command can
read them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from poetry_platform.errors import UsageError
from poetry_platform.errors import did_you_mean

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Sequence

    from cleo.io.io import IO
    from poetry.poetry import Poetry

    from poetry_platform.check.targets import TargetResult
    from poetry_platform.choices import ChoiceMemo
    from poetry_platform.export.fileset import ExportSet
    from poetry_platform.lockset.files import BinaryPolicy
    from poetry_platform.lockset.lock import LockState
    from poetry_platform.model import PlatformConfig
    from poetry_platform.model import Target
    from poetry_platform.model import Variant

    # A target's own groups (None: the project's defaults) -> the groups to export, with
    # the user's --with/--without/--only applied.
    Groups = Callable[[tuple[str, ...] | None], tuple[str, ...]]

FORMATS = ("pylock", "requirements")
URL_MEMO = Path("platform-export") / "urls.json"


@dataclass(frozen=True)
class ExportRequest:
    """The command's options, as plain values."""

    format: str = "pylock"
    target: str | None = None
    variant: str | None = None
    output: str | None = None
    all_targets: bool = False
    with_credentials: bool = False
    with_root: bool = False
    lookup_timeout: float | None = None  # seconds for all page reads; None: the default
    strict: bool = False  # refuse a target platform-check warns about, as check --strict


@dataclass(frozen=True)
class Output:
    """One rendered file; `path` `None` is standard output."""

    path: Path | None
    text: str


def validate(request: ExportRequest) -> None:
    """Options that contradict each other, refused before anything is read."""
    if request.format not in FORMATS:
        raise UsageError(
            f"--format {request.format}: unknown format; use one of {', '.join(FORMATS)}."
        )
    if request.target and request.variant:
        raise UsageError("--target and --variant exclude each other: a target names its variant.")
    if request.all_targets and (request.target or request.variant):
        raise UsageError("--all-targets exports every target: drop --target/--variant.")
    if request.with_credentials and not request.output:
        raise UsageError("--with-credentials writes passwords: it needs -o FILE (never printed).")


def export_target(
    name: str,
    results: Sequence[TargetResult],
    lock: LockState,
    policy: BinaryPolicy | None = None,
    *,
    strict: bool = False,
) -> ExportSet:
    """One target's install set, or the one-line refusal (`export/refusals.py`): a plan
    fails the check (`strict`: or warns), or a file's lock hash could not pin it."""
    from poetry_platform.export.fileset import export_set
    from poetry_platform.export.refusals import refuse_failing
    from poetry_platform.export.refusals import refuse_unpinned

    refuse_failing(name, results, strict=strict)
    exported = export_set(name, results, lock, policy)
    refuse_unpinned(exported)
    return exported


def export(
    poetry: Poetry,
    request: ExportRequest,
    groups: Groups,
    io: IO | None = None,
    sets: list[ExportSet] | None = None,
) -> list[Output]:
    """Every file the request asks for, checked and rendered (nothing written yet);
    `sets` receives each target's `ExportSet` (its warnings are the command's to print)."""
    from poetry_platform.check.targets import check_plans
    from poetry_platform.check.targets import project_plans
    from poetry_platform.context import project_config
    from poetry_platform.export.refusals import refuse_unfit_lock
    from poetry_platform.lockset.lock import binary_policy
    from poetry_platform.lockset.lock import read_lock
    from poetry_platform.outputs import check_destinations

    validate(request)
    config = project_config(poetry)
    lock = read_lock(poetry)
    refuse_unfit_lock(lock)
    pairs = _pairs(poetry, request, config, lock, groups, io)
    policy = binary_policy(poetry)
    exports = [
        export_target(
            t.name,
            check_plans(poetry, project_plans(poetry, t, v), lock),
            lock,
            policy,
            strict=request.strict,
        )
        for t, v in pairs
    ]
    if sets is not None:
        sets += exports
    paths = _outputs(request, exports)
    check_destinations([p for p in paths if p is not None], project_files(poetry))
    texts = _render(poetry, request, exports, paths)
    if not request.with_credentials:
        from poetry_platform.redact import redact

        # The URLs already carry no userinfo; this is the plugin's one rule, as a
        # last guard against a secret that reached a URL some other way.
        texts = [redact(text) for text in texts]
    return [Output(path, text) for path, text in zip(paths, texts, strict=True)]


def write(
    outputs: list[Output], protected: list[Path], written: list[Path] | None = None
) -> list[Path]:
    """Write every file or none (`outputs.write_all_or_none`: never over `protected`, the
    project's own files, nor a directory or special file); the paths written, also put in
    `written` as they are (an interrupt after the writes still knows them). Standard output
    is the caller's."""
    from poetry_platform.outputs import write_all_or_none

    files = {o.path: o.text.encode() for o in outputs if o.path is not None}
    return write_all_or_none(files, protected, written)


def project_files(poetry: Poetry) -> list[Path]:
    """The files an export must never replace: the project's pyproject.toml and lock."""
    return [Path(poetry.pyproject_path), Path(poetry.locker.lock)]


# --- which targets -------------------------------------------------------------------------


def _pairs(
    poetry: Poetry,
    request: ExportRequest,
    config: PlatformConfig,
    lock: LockState,
    groups: Groups,
    io: IO | None,
) -> list[tuple[Target, Variant | None]]:
    """The targets to export, each with its variant; groups as the options say."""
    wanted = request.target
    if config.targets and (wanted or request.all_targets):
        known = [t.name for t in config.targets]
        if wanted and wanted not in known:
            raise UsageError(
                f"--target {wanted}: no target of that name in [tool.poetry-platform]; "
                f"targets: {', '.join(known)}{did_you_mean(wanted, known) or '.'}"
            )
        chosen = [t for t in config.targets if not wanted or t.name == wanted]
        return [
            (
                replace(t, groups=groups(t.groups)),
                config.variant(t.variant) if t.variant else None,
            )
            for t in chosen
        ]
    if wanted:
        raise UsageError(
            f"--target {wanted}: [tool.poetry-platform] declares no targets; "
            "export a variant for this machine with --variant NAME."
        )
    return _host_pairs(poetry, request, config, lock, groups, io)


def _host_pairs(
    poetry: Poetry,
    request: ExportRequest,
    config: PlatformConfig,
    lock: LockState,
    groups_for: Groups,
    io: IO | None,
) -> list[tuple[Target, Variant | None]]:
    """This machine's platform and the project's Python: the variant it selects, as
    `platform-install` selects it (a variant the lock cannot deliver here falls through),
    or --variant; every variant with --all-targets, named after the variant."""
    from poetry_platform.check.targets import host_system
    from poetry_platform.check.targets import host_target
    from poetry_platform.context import decide
    from poetry_platform.context import project_python
    from poetry_platform.render import no_variant

    project = project_python(poetry, io)  # the Python platform-install uses
    groups = groups_for(None)
    host = host_target(host_system(), groups, python=project.version)
    if request.all_targets:
        return [(replace(host, name=v.name), v) for v in config.variants]
    decision = decide(
        poetry,
        dict(project.marker_env),
        variant_option=request.variant,
        lock=lock,
        groups=groups,
    )
    variant = decision.selection.chosen
    if variant is None:
        raise UsageError(no_variant(decision.selection))
    return [(replace(host, name=variant.name), variant)]


# --- files ---------------------------------------------------------------------------------


def _outputs(request: ExportRequest, exports: list[ExportSet]) -> list[Path | None]:
    """Where each export goes; `None` is standard output."""
    output, fmt = request.output, request.format
    if request.all_targets:
        directory = Path(output) if output else Path.cwd()
        if not directory.is_dir():
            raise UsageError(f"-o {output}: with --all-targets, -o names an existing directory.")
        return [directory / file_name(e.name, fmt) for e in exports]
    if not output:
        return [None]
    path = Path(output)
    if path.is_dir():
        return [path / file_name(exports[0].name, fmt)]
    if fmt == "pylock" and not is_pylock_name(path.name):
        raise UsageError(
            f"-o {output}: PEP 751 lock files are named pylock.toml or pylock.<name>.toml "
            "(installers recognise them by name)."
        )
    if not path.parent.is_dir():
        raise UsageError(f"-o {output}: directory {path.parent} does not exist.")
    return [path]


def _render(
    poetry: Poetry, request: ExportRequest, exports: list[ExportSet], outputs: list[Path | None]
) -> list[str]:
    import os

    from poetry_platform import render
    from poetry_platform.export.urls import sources

    with_credentials = request.with_credentials
    project_dir = poetry.pyproject_path.parent
    if request.with_root and not poetry.is_package_mode:
        raise UsageError(
            "--with-root: the project is not a package (package-mode = false): "
            "there is no root to install."
        )

    def relative(out: Path | None, path: Path) -> str:
        base = (out.parent if out is not None else Path.cwd()).absolute()
        rel = Path(os.path.relpath(path.absolute(), base)).as_posix()
        return rel if rel.startswith(".") else f"./{rel}"

    known = sources(poetry.pool, with_credentials=with_credentials)
    if request.format == "requirements":
        from poetry_platform.export import requirements

        return [
            requirements.render(
                export,
                known,
                root_path=relative(out, project_dir) if request.with_root else None,
                path_for=lambda p: str((project_dir / p).absolute()),
                header=render.export_header(
                    export.name,
                    render.export_targets(export),
                    "pip install --no-deps --require-hashes -r",
                ),
            )
            for export, out in zip(exports, outputs, strict=True)
        ]
    from poetry_platform.export import pylock
    from poetry_platform.export.urls import file_urls

    indexes: dict[str | None, str] = {s.name: s.url for s in known if s.kind == "index"}
    indexes[None] = indexes.get("PyPI", "")
    everything = {p.key: p for e in exports for p in e.packages}
    urls = file_urls(
        poetry.pool,
        everything.values(),
        with_credentials=with_credentials,
        memo=_memo(poetry),
        lookup_timeout=request.lookup_timeout,
    )
    return [
        pylock.render(
            export,
            urls,
            requires_python=_pep440_python(str(poetry.package.python_constraint)),
            indexes=indexes,
            root=pylock.Root(poetry.package.name, relative(out, project_dir))
            if request.with_root
            else None,
            path_for=lambda p, out=out: relative(out, project_dir / p),  # type: ignore[misc]
        )
        for export, out in zip(exports, outputs, strict=True)
    ]


def _memo(poetry: Poetry) -> ChoiceMemo | None:
    """Remembered file URLs, in Poetry's cache directory; none with `--no-cache`."""
    from poetry_platform.choices import ChoiceMemo

    if poetry.disable_cache:
        return None
    return ChoiceMemo(poetry.config.artifacts_cache_directory.parent / URL_MEMO)


def file_name(target: str, fmt: str) -> str:
    """`pylock.<target>.toml` (dots in a name become dashes: PEP 751 allows none) or
    `requirements-<target>.txt`."""
    if fmt == "pylock":
        return f"pylock.{target.replace('.', '-')}.toml"
    return f"requirements-{target}.txt"


def is_pylock_name(name: str) -> bool:
    return re.fullmatch(r"pylock\.toml|pylock\.[^.]+\.toml", name) is not None


def _pep440_python(constraint: str) -> str | None:
    """Poetry's Python constraint when it is a PEP 440 specifier set; unions are left out
    (the `environments` markers already pin each target's Python)."""
    if not constraint or constraint == "*" or "||" in constraint or "|" in constraint:
        return None
    return constraint
