"""Benchmark `poetry platform-export`: the generated lock of check_bench.py, 6 targets.

    .venv/bin/python bench/export_bench.py [--packages 320] [--runs 7]

The lock (~320 packages, 20 wheels per binary package, markers, four groups, a CUDA extra) is
the one `bench/check_bench.py` writes. Its sources point at a small page server started here,
which answers each package's simple-index page with links to the lock's files (what a real
index would serve) from its own process, so pylock.toml's URL lookups go through Poetry's
own repository code and compete with no server thread for the interpreter.

Measures, median of --runs:
  1. in process, after Poetry has loaded the project (the goal: well under a second):
     every target checked, its set built and rendered, in both formats; for pylock once
     with every URL looked up (one page per package, a few at a time, a fresh repository
     pool) and once with the URLs remembered by an earlier export (the usual case in CI);
  2. end to end: `poetry platform-export --all-targets` in both formats against
     `poetry version` (start-up and project loading only), interleaved rounds, median wall
     times and the differences (the pylock command runs once before, so it has remembered
     the URLs, as it has for users after their first export).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from check_bench import generate

GOAL_S = 1.0


class Pages:
    """Simple-index pages for the files of a lock, served on 127.0.0.1 from a child process
    (its own interpreter, as a real index is), counting requests. The lock is read on the
    first request, so the server can start before the lock is written."""

    def __init__(self, lock: Path) -> None:
        import multiprocessing

        count = multiprocessing.Value("i", 0)
        files: dict[str, list[tuple[str, str]]] = {}

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real indexes serve
            disable_nagle_algorithm = True  # headers and body are two writes

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with count.get_lock():
                    count.value += 1
                if not files:
                    files.update(lock_files(lock))
                parts = [p for p in self.path.split("/") if p]
                if len(parts) != 2 or parts[0] != "simple" or parts[1] not in files:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                anchors = "".join(
                    f'<a href="/files/{f}#{h.replace(":", "=")}">{f}</a><br>\n'
                    for f, h in files[parts[1]]
                )
                body = f"<!DOCTYPE html><html><body>\n{anchors}</body></html>".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._count = count
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._process = multiprocessing.get_context("fork").Process(
            target=self._server.serve_forever, daemon=True
        )
        self._process.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/simple"

    @property
    def requests(self) -> int:
        return int(self._count.value)

    def close(self) -> None:
        self._process.terminate()
        self._process.join()
        self._server.server_close()


def lock_files(lock: Path) -> dict[str, list[tuple[str, str]]]:
    try:
        import tomllib

        data = tomllib.loads(lock.read_text())
    except ImportError:  # Python 3.10
        import tomlkit

        data = tomlkit.parse(lock.read_text()).unwrap()
    return {p["name"]: [(f["file"], f["hash"]) for f in p["files"]] for p in data["package"]}


def export_all(poetry: Any, fmt: str, *, urls: bool, memo: Any = None) -> tuple[int, float]:
    """What `platform-export --all-targets` does after loading; (bytes rendered, lookup s)."""
    from poetry_platform.check.targets import check_plans
    from poetry_platform.check.targets import project_plans
    from poetry_platform.context import project_config
    from poetry_platform.export import pylock
    from poetry_platform.export import requirements
    from poetry_platform.export.fileset import export_set
    from poetry_platform.export.fileset import refuse_unfit_lock
    from poetry_platform.export.urls import file_urls
    from poetry_platform.export.urls import sources
    from poetry_platform.lockset.lock import binary_policy
    from poetry_platform.lockset.lock import read_lock

    config = project_config(poetry)
    lock = read_lock(poetry)
    refuse_unfit_lock(lock)
    policy = binary_policy(poetry)
    exports = []
    for target in config.targets:  # the command's path: platform-check's plans and check
        variant = config.variant(target.variant) if target.variant else None
        results = check_plans(poetry, project_plans(poetry, target, variant), lock)
        exports.append(export_set(target.name, results, lock, policy))
    known = sources(poetry.pool)
    if fmt == "requirements":
        return sum(len(requirements.render(e, known)) for e in exports), 0.0
    indexes: dict[str | None, str] = {s.name: s.url for s in known}
    t0 = time.perf_counter()
    found = (
        file_urls(poetry.pool, {p.key: p for e in exports for p in e.packages}.values(), memo=memo)
        if urls
        else {
            p.key: {f.name: f"{p.name}/{f.name}" for f in p.files}
            for e in exports
            for p in e.packages
        }
    )
    lookup = time.perf_counter() - t0
    size = sum(
        len(pylock.render(e, found, requires_python=">=3.10,<3.14", indexes=indexes))
        for e in exports
    )
    return size, lookup


def in_process(project: Path, runs: int, memo_path: Path) -> dict[str, float]:
    """Medians: requirements; pylock with every page fetched (no memo, a fresh pool), and
    pylock with the URLs remembered by an earlier export (what a second export does)."""
    from poetry.factory import Factory

    from poetry_platform.choices import ChoiceMemo

    export_all(Factory().create_poetry(project), "pylock", urls=True, memo=ChoiceMemo(memo_path))
    timings: dict[str, list[float]] = {
        "requirements": [],
        "pylock": [],
        "lookups": [],
        "pylock-warm": [],
    }
    for _ in range(runs):
        # Each measurement on a freshly loaded project (loading not timed): the lock is read
        # and every page fetched (no memo) inside the timed part, as in a new process.
        for name, fmt, urls, memo in (
            ("requirements", "requirements", False, None),
            ("pylock", "pylock", True, None),
            ("pylock-warm", "pylock", True, ChoiceMemo(memo_path)),
        ):
            poetry = Factory().create_poetry(project)
            t0 = time.perf_counter()
            _, lookup = export_all(poetry, fmt, urls=urls, memo=memo)
            timings[name].append(time.perf_counter() - t0)
            if name == "pylock":
                timings["lookups"].append(lookup)
    return {k: statistics.median(v) for k, v in timings.items()}


def walls(commands: list[list[str]], cwd: Path, env: dict[str, str], runs: int) -> list[float]:
    """Median wall time of each command, run in interleaved rounds (load drifts hit all)."""
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for i, args in enumerate(commands):
            t0 = time.perf_counter()
            subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True)
            times[i].append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=320)
    parser.add_argument("--runs", type=int, default=7)
    ns = parser.parse_args()

    poetry_bin = str(Path(sys.executable).parent / "poetry")
    tmp = Path(tempfile.mkdtemp(prefix="export-bench-"))
    project = tmp / "project"
    pages = Pages(project / "poetry.lock")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("POETRY_")},
        "POETRY_CACHE_DIR": str(tmp / "cache"),
        "POETRY_CONFIG_DIR": str(tmp / "config"),
        "POETRY_DATA_DIR": str(tmp / "data"),
        "NO_COLOR": "1",
        "POETRY_NO_INTERACTION": "1",
    }
    os.environ.update({k: v for k, v in env.items() if k.startswith("POETRY_")})
    try:
        generate(project, ns.packages, pages.url)
        got = in_process(project, ns.runs, tmp / "memo.json")
        out = tmp / "out"
        out.mkdir()
        export = [poetry_bin, "platform-export", "--all-targets", "-o", str(out)]
        subprocess.run(export, cwd=project, env=env, check=True, capture_output=True)
        req_wall, pylock_wall, base_wall = walls(
            [[*export, "-f", "requirements"], export, [poetry_bin, "version"]],
            project,
            env,
            ns.runs,
        )
        written = sorted(p.name for p in out.iterdir())
        packages = len(lock_files(project / "poetry.lock"))
    finally:
        pages.close()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"lock: {packages} packages; files written per format: {len(written) // 2}")
    extras = {
        "pylock": f" (every page fetched; of which URL lookups {got['lookups'] * 1000:.0f} ms)",
        "pylock-warm": " (file URLs remembered from an earlier export: no request)",
    }
    for fmt in ("requirements", "pylock", "pylock-warm"):
        t = got[fmt]
        extra = extras.get(fmt, "")
        print(
            f"in process, after load: {fmt} x {len(written) // 2} targets {t * 1000:.0f} ms{extra}"
            f" (goal < {GOAL_S * 1000:.0f} ms): {'OK' if t < GOAL_S else 'MISSED'}"
        )
    print(
        f"end to end: requirements {req_wall:.3f} s, pylock {pylock_wall:.3f} s, "
        f"poetry version {base_wall:.3f} s (differences {req_wall - base_wall:.3f} s, "
        f"{pylock_wall - base_wall:.3f} s)"
    )
    print(f"page requests served: {pages.requests}")


if __name__ == "__main__":
    main()
