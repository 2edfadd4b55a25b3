"""The main job on the bundled example, end to end, with nothing but 127.0.0.1.

Builds a small index of wheels laid out like JAX's (jax, jaxlib, jax-cudaNN-plugin/pjrt,
nvidia-*), copies examples/jax into .demo/ with its source pointed at that index, locks it,
then shows what each kind of host gets: this machine, a CUDA 13 host, a Docker build forcing
the CUDA variant, and the offline lock check.
"""

from __future__ import annotations

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


def run(args: list[str], cwd: Path, env: dict[str, str], note: str = "") -> None:
    shown = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items() if k.startswith("DEMO_"))
    print(f"\n\033[1m$ {shown + ' ' if shown else ''}poetry {shlex.join(args)}\033[0m  {note}")
    sys.stdout.flush()
    visible = {k.removeprefix("DEMO_"): v for k, v in env.items()}
    visible.pop("NO_COLOR", None)
    subprocess.run([str(POETRY), *args], cwd=cwd, env=visible, check=True)


def main() -> int:
    work = ROOT / ".demo"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    index_root = layouts.build(work / "index", "jax_like")
    with IndexServer(index_root) as server:
        project = work / "jax"
        shutil.copytree(ROOT / "examples" / "jax", project)
        pyproject = project / "pyproject.toml"
        pyproject.write_text(point_sources_at(pyproject.read_text(), server))
        env = poetry_env(work / "state")
        env.pop("POETRY_PLATFORM_CUDA", None)
        print(f"Local index of JAX-shaped wheels: {server.url}/pypi/simple/")
        print(f"Demo project (a copy of examples/jax): {project}")

        run(["lock"], project, env, "# one lock holds the cpu, cuda12 and cuda13 builds")
        run(["platform-show"], project, env, "# this machine, as detected")
        run(["platform-install"], project, env, "# installs the variant this machine needs")
        gpu = env | {
            "DEMO_POETRY_PLATFORM_CUDA": "13.0",
            "DEMO_POETRY_PLATFORM_COMPUTE_CAPABILITY": "9.0",
        }
        run(["platform-show"], project, gpu, "# an H100 host (driver 580, CUDA 13.0), faked")
        docker = env | {"DEMO_POETRY_PLATFORM_CUDA": ""}
        run(
            ["platform-install", "--variant", "cuda13"],
            project,
            docker,
            "# a Docker build without a GPU forcing the CUDA 13 build",
        )
        cuda = sorted(n for n in installed(project) if "cuda" in n or n.startswith("nvidia"))
        print(f"\nCUDA packages now in {project / '.venv'}: {', '.join(cuda)}")
        run(["platform-install", "--sync"], project, docker, "# back to what this host runs")
        run(["platform-check"], project, env, "# the lock proven installable, offline")
    print(f"\nDone. Try more in {project} with {POETRY} (see README.md).")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    raise SystemExit(main())
