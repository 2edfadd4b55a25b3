"""The main job on the bundled example, end to end, with nothing but 127.0.0.1.

Builds a small index of wheels laid out like JAX's (jax, jaxlib, jax-cudaNN-plugin/pjrt,
nvidia-*), copies examples/jax into .demo/ with its source pointed at that index, locks it,
then shows what each kind of host gets: this machine, a CUDA 13 host, a Docker build forcing
the CUDA variant, and the offline lock check.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import layouts  # noqa: E402
from tests.support.index import IndexServer  # noqa: E402
from tests.support.project import installed  # noqa: E402
from tests.support.project import poetry_env  # noqa: E402
from tests.support.project import point_sources_at  # noqa: E402

POETRY = Path(sys.executable).parent / "poetry"
# Overrides a command below runs with: printed with their real names, as one would type them.
FAKE_H100 = {"POETRY_PLATFORM_CUDA": "13.0", "POETRY_PLATFORM_COMPUTE_CAPABILITY": "9.0"}
NO_GPU = {"POETRY_PLATFORM_CUDA": ""}


def command_line(args: list[str], overrides: dict[str, str]) -> str:
    """What a user types for this step: `VAR=value ... poetry ARGS`."""
    assigned = " ".join(f"{k}={shlex.quote(v)}" for k, v in overrides.items())
    return f"{assigned + ' ' if assigned else ''}poetry {shlex.join(args)}"


def run(
    args: list[str],
    cwd: Path,
    env: dict[str, str],
    note: str,
    overrides: dict[str, str] | None = None,
) -> None:
    overrides = overrides or {}
    print(f"\n\033[1m$ {command_line(args, overrides)}\033[0m  {note}")
    sys.stdout.flush()
    subprocess.run([str(POETRY), *args], cwd=cwd, env=env | overrides, check=True)


def by_hand(project: Path) -> list[str]:
    """Commands to repeat parts of the demo by hand: only those that need no index (the
    demo's local index stops with the demo), and no GPU (the overrides fake one)."""
    return [
        f"export PATH={shlex.quote(str(POETRY.parent))}:$PATH  # Poetry with this plugin",
        f"cd {shlex.quote(str(project))}",
        command_line(["platform-show"], FAKE_H100),
        command_line(["platform-show", "--variant", "cuda12"], NO_GPU),
        "poetry platform-check",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=ROOT / ".demo", help="(default: .demo/)")
    work = parser.parse_args(argv).work.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    # examples/jax's floors are the real index's (jax[cuda13] from 0.7.2): the jax_2026 index.
    index_root = layouts.build(work / "index", "jax_2026")
    with IndexServer(index_root) as server:
        project = work / "jax"
        shutil.copytree(ROOT / "examples" / "jax", project)
        pyproject = project / "pyproject.toml"
        primary = layouts.JAX_2026_INDEX
        pyproject.write_text(point_sources_at(pyproject.read_text(), server, primary=primary))
        env = poetry_env(work / "state")
        env.pop("POETRY_PLATFORM_CUDA", None)
        print(f"Local index of JAX-shaped wheels: {server.simple_url(primary)}")
        print(f"Demo project (a copy of examples/jax): {project}")
        print(f"poetry below: {POETRY} (the pinned Poetry with this plugin)")

        run(["lock"], project, env, "# one lock holds the cpu, cuda12 and cuda13 builds")
        run(["platform-show"], project, env, "# this machine, as detected")
        run(["platform-install"], project, env, "# installs the variant this machine needs")
        run(
            ["platform-show"],
            project,
            env,
            "# an H100 host (driver 580, CUDA 13.0), faked",
            FAKE_H100,
        )
        run(
            ["platform-install", "--variant", "cuda13"],
            project,
            env,
            "# a Docker build without a GPU forcing the CUDA 13 build",
            NO_GPU,
        )
        cuda = sorted(n for n in installed(project) if "cuda" in n or n.startswith("nvidia"))
        print(f"\nCUDA packages now in {project / '.venv'}: {', '.join(cuda)}")
        run(["platform-install", "--sync"], project, env, "# back to what this host runs", NO_GPU)
        run(["platform-check"], project, env, "# the lock proven installable, offline")
    print("\nDone. Repeat parts of it by hand (these need neither the demo's index nor a GPU):")
    for line in by_hand(project):
        print(f"  {line}")
    print("See README.md for the rest.")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    raise SystemExit(main())
