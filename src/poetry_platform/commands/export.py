"""`poetry platform-export`: a target's exact install set as pylock.toml or hashed requirements.

For images and jobs without Poetry (`uv pip install -r pylock.gpu.toml`). The set is the one
`platform-check` computes for that target, by the same code; this command only chooses the
targets, reads the lock once and writes the files (all of them, or none).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from typing import ClassVar

from cleo.helpers import option
from poetry.console.commands.group_command import GroupCommand

from poetry_platform.commands.base import PlatformCommand

FORMATS = ("pylock", "requirements")
URL_MEMO = Path("platform-export") / "urls.json"

if TYPE_CHECKING:
    from cleo.io.inputs.option import Option

    from poetry_platform.check.lock import LockState
    from poetry_platform.check.targets import TargetResult
    from poetry_platform.config import PlatformConfig
    from poetry_platform.config import Target
    from poetry_platform.config import Variant
    from poetry_platform.export.fileset import ExportSet
    from poetry_platform.uv.choices import ChoiceMemo


class PlatformExportCommand(PlatformCommand, GroupCommand):
    name = "platform-export"
    description = (
        "Exports the install set of a target or variant as pylock.toml or hashed requirements."
    )

    options: ClassVar[list[Option]] = [
        option("target", None, "Export this declared target.", flag=False, value_required=True),
        option(
            "variant",
            None,
            "Export this variant for this machine's platform (default: the one it selects).",
            flag=False,
            value_required=True,
        ),
        option(
            "format",
            "f",
            "<comment>pylock</> (PEP 751, default) or <comment>requirements</>.",
            flag=False,
            default="pylock",
        ),
        option(
            "output",
            "o",
            "The file to write (default: standard output); with --all-targets, a directory.",
            flag=False,
            value_required=True,
        ),
        *GroupCommand._group_dependency_options(),
        option("all-groups", None, "Include all dependency groups."),
        option(
            "all-targets",
            None,
            "One file per declared target: pylock.<target>.toml or requirements-<target>.txt.",
        ),
        option("with-credentials", None, "Keep the sources' credentials in the URLs written."),
        option("with-root", None, "Add the project itself (editable)."),
    ]

    help = """\
The <info>platform-export</info> command writes the packages one target installs, exactly
the set <info>platform-check</info> verifies (lock markers evaluated for that OS, CPU and
Python, the variant's extras, the groups), with a hash for every file the target may use:

<info>poetry platform-export --target gpu -o pylock.gpu.toml</info>
<info>poetry platform-export --variant cuda13 --format requirements -o requirements.txt</info>
<info>poetry platform-export --all-targets -o dist/</info>

Without <comment>--target</comment> or <comment>--variant</comment>: the variant this machine
selects, for the project's Python, with the groups <info>platform-install</info> would
install. A target that fails <info>platform-check</info> is not exported. pylock.toml needs
each file's URL, read from the sources (as <info>poetry install</info> does); the
requirements format is written offline.
"""

    _target_groups: tuple[str, ...] | None = None

    @property
    def default_groups(self) -> set[str]:
        if self._target_groups is not None:
            return set(self._target_groups)
        return super().default_groups

    def run_command(self) -> int:
        from poetry_platform.check.lock import binary_policy
        from poetry_platform.check.lock import read_lock
        from poetry_platform.context import project_config
        from poetry_platform.export.fileset import export_set
        from poetry_platform.export.fileset import refuse_unfit_lock

        fmt = self._format()
        config = project_config(self.poetry)
        lock = read_lock(self.poetry)
        refuse_unfit_lock(lock)
        pairs = self._pairs(config, lock)
        policy = binary_policy(self.poetry)
        exports = [
            export_set(target.name, self._check(target, variant, lock), lock, policy)
            for target, variant in pairs
        ]
        outputs = self._outputs(exports, fmt)
        texts = self._render(exports, fmt, outputs)
        if not self.option("with-credentials"):
            from poetry_platform.redact import redact

            # The URLs already carry no userinfo; this is the plugin's one rule, as a
            # last guard against a secret that reached a URL some other way.
            texts = [redact(text) for text in texts]
        self._write(outputs, texts)
        return 0

    # --- which targets -------------------------------------------------------------------

    def _format(self) -> str:
        from poetry_platform.errors import UsageError

        fmt = str(self.option("format") or "pylock")
        if fmt not in FORMATS:
            raise UsageError(f"--format {fmt}: unknown format; use one of {', '.join(FORMATS)}.")
        if self.option("target") and self.option("variant"):
            raise UsageError(
                "--target and --variant exclude each other: a target names its variant."
            )
        if self.option("all-targets") and (self.option("target") or self.option("variant")):
            raise UsageError("--all-targets exports every target: drop --target/--variant.")
        if self.option("with-credentials") and not self.option("output"):
            raise UsageError(
                "--with-credentials writes passwords: it needs -o FILE (never printed)."
            )
        return fmt

    def _pairs(
        self, config: PlatformConfig, lock: LockState
    ) -> list[tuple[Target, Variant | None]]:
        """The targets to export, each with its variant; groups as the options say."""
        from poetry_platform.errors import UsageError

        wanted = self.option("target")
        if config.targets and (wanted or self.option("all-targets")):
            known = [t.name for t in config.targets]
            if wanted and wanted not in known:
                raise UsageError(
                    f"--target {wanted}: no target of that name in [tool.poetry-platform]; "
                    f"targets: {', '.join(known)}."
                )
            chosen = [t for t in config.targets if not wanted or t.name == wanted]
            return [
                (self._with_groups(t), config.variant(t.variant) if t.variant else None)
                for t in chosen
            ]
        if wanted:
            raise UsageError(
                f"--target {wanted}: [tool.poetry-platform] declares no targets; "
                "export a variant for this machine with --variant NAME."
            )
        return self._host_pairs(config, lock)

    def _with_groups(self, target: Target) -> Target:
        from dataclasses import replace

        self._target_groups = target.groups
        try:
            groups = self._groups()
        finally:
            self._target_groups = None
        return replace(target, groups=groups)

    def _groups(self) -> tuple[str, ...]:
        from poetry.console.exceptions import GroupNotFoundError

        from poetry_platform.errors import UsageError

        try:
            groups = self.activated_groups
        except GroupNotFoundError as e:
            plain = str(e).replace("<fg=yellow;options=bold>", "").replace("</>", "")
            raise UsageError(plain) from None
        return tuple(sorted(groups, key=lambda g: (g != "main", g)))

    def _host_pairs(
        self, config: PlatformConfig, lock: LockState
    ) -> list[tuple[Target, Variant | None]]:
        """This machine's platform and the project's Python: the variant it selects, as
        `platform-install` selects it (a variant the lock cannot deliver here falls through),
        or --variant; every variant with --all-targets, named after the variant."""
        from dataclasses import replace

        from poetry_platform.check.targets import host_system
        from poetry_platform.check.targets import host_target
        from poetry_platform.context import decide
        from poetry_platform.context import project_python
        from poetry_platform.errors import UsageError
        from poetry_platform.render import no_variant

        project = project_python(self.poetry, self.io)  # the Python platform-install uses
        marker_env = dict(project.marker_env)
        groups = self._groups()
        host = host_target(host_system(), groups, python=project.version)
        if self.option("all-targets"):
            return [(replace(host, name=v.name), v) for v in config.variants]
        decision = decide(
            self.poetry,
            marker_env,
            variant_option=self.option("variant"),
            lock=lock,
            groups=groups,
        )
        variant = decision.selection.chosen
        if variant is None:
            raise UsageError(no_variant(decision.selection))
        return [(replace(host, name=variant.name), variant)]

    def _check(
        self, target: Target, variant: Variant | None, lock: LockState
    ) -> list[TargetResult]:
        """platform-check's own check of each of the target's Pythons."""
        from poetry_platform.check.targets import check_plans
        from poetry_platform.check.targets import project_plans

        return check_plans(self.poetry, project_plans(self.poetry, target, variant), lock)

    # --- files ---------------------------------------------------------------------------

    def _outputs(self, exports: list[ExportSet], fmt: str) -> list[Path | None]:
        """Where each export goes; `None` is standard output."""
        from pathlib import Path

        from poetry_platform.errors import UsageError

        output = self.option("output")
        if self.option("all-targets"):
            directory = Path(output) if output else Path.cwd()
            if not directory.is_dir():
                raise UsageError(
                    f"-o {output}: with --all-targets, -o names an existing directory."
                )
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

    def _render(self, exports: list[ExportSet], fmt: str, outputs: list[Path | None]) -> list[str]:
        import os
        from pathlib import Path

        from poetry_platform.errors import UsageError

        with_credentials = bool(self.option("with-credentials"))
        project_dir = self.poetry.pyproject_path.parent
        if self.option("with-root") and not self.poetry.is_package_mode:
            raise UsageError(
                "--with-root: the project is not a package (package-mode = false): "
                "there is no root to install."
            )

        def relative(out: Path | None, path: Path) -> str:
            base = (out.parent if out is not None else Path.cwd()).absolute()
            rel = Path(os.path.relpath(path.absolute(), base)).as_posix()
            return rel if rel.startswith(".") else f"./{rel}"

        if fmt == "requirements":
            from poetry_platform.export import requirements
            from poetry_platform.export.urls import sources

            known = sources(self.poetry.pool, with_credentials=with_credentials)
            return [
                requirements.render(
                    export,
                    known,
                    root_path=relative(out, project_dir) if self.option("with-root") else None,
                    path_for=lambda p: str((project_dir / p).absolute()),
                    header=self._header(export, "pip install --no-deps --require-hashes -r"),
                )
                for export, out in zip(exports, outputs, strict=True)
            ]
        from poetry_platform.export import pylock
        from poetry_platform.export.urls import file_urls
        from poetry_platform.export.urls import sources

        known = sources(self.poetry.pool, with_credentials=with_credentials)
        indexes: dict[str | None, str] = {s.name: s.url for s in known if s.kind == "index"}
        indexes[None] = indexes.get("PyPI", "")
        everything = {p.key: p for e in exports for p in e.packages}
        urls = file_urls(
            self.poetry.pool,
            everything.values(),
            with_credentials=with_credentials,
            memo=self._memo(),
        )
        root_name = self.poetry.package.name
        return [
            pylock.render(
                export,
                urls,
                requires_python=_pep440_python(str(self.poetry.package.python_constraint)),
                indexes=indexes,
                root=pylock.Root(root_name, relative(out, project_dir))
                if self.option("with-root")
                else None,
                path_for=lambda p, out=out: relative(out, project_dir / p),  # type: ignore[misc]
            )
            for export, out in zip(exports, outputs, strict=True)
        ]

    def _memo(self) -> ChoiceMemo | None:
        """Remembered file URLs, in Poetry's cache directory; none with `--no-cache`."""
        from poetry_platform.uv.choices import ChoiceMemo

        if self.poetry.disable_cache:
            return None
        return ChoiceMemo(self.poetry.config.artifacts_cache_directory.parent / URL_MEMO)

    @staticmethod
    def _header(export: ExportSet, install: str) -> list[str]:
        return [
            f"Exported by poetry platform-export: {export.name} ({export.describe()})",
            f"Install with: {install} <this file>",
        ]

    def _write(self, outputs: list[Path | None], texts: list[str]) -> None:
        from cleo.io.outputs.output import Type as OutputType

        from poetry_platform.up.atomic import write_all_atomic

        if outputs == [None]:
            self.io.write(texts[0], type=OutputType.RAW)
            return
        files = {
            path: text.encode()
            for path, text in zip(outputs, texts, strict=True)
            if path is not None
        }
        write_all_atomic(files)
        for path in files:
            self.line_error(f"Wrote <c1>{path}</c1>")


def file_name(target: str, fmt: str) -> str:
    """`pylock.<target>.toml` (dots in a name become dashes: PEP 751 allows none) or
    `requirements-<target>.txt`."""
    if fmt == "pylock":
        return f"pylock.{target.replace('.', '-')}.toml"
    return f"requirements-{target}.txt"


def is_pylock_name(name: str) -> bool:
    import re

    return re.fullmatch(r"pylock\.toml|pylock\.[^.]+\.toml", name) is not None


def _pep440_python(constraint: str) -> str | None:
    """Poetry's Python constraint when it is a PEP 440 specifier set; unions are left out
    (the `environments` markers already pin each target's Python)."""
    if not constraint or constraint == "*" or "||" in constraint or "|" in constraint:
        return None
    return constraint
