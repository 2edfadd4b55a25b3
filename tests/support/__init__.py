"""Hermetic package-index infrastructure for tests, benchmarks and the demo (not shipped).

Modules (one concept each):

- `wheels`: `build_wheel(dest_dir, name, version, *, tags=("py3-none-any",), requires_dist=(),
  requires_python=None, extras=None, summary="", modules=None) -> Path` and
  `build_sdist(dest_dir, name, version, *, requires_dist=(), requires_python=None,
  extras=None) -> Path`; byte-reproducible, valid RECORD, metadata 2.1 (sdist PKG-INFO 2.2,
  static, so lockers read it without building). Also `wheel_filename`, `sdist_filename`,
  `normalize_name`, `compress_tags`, `expand_tags`, `requirement_with_extra`.
- `index`: `IndexServer(root, *, latency=0.0, auth=None, serve_json=True, serve_metadata=True,
  port=0)`, a context manager (or `.start()`/`.stop()`), with `.url`, `.port`,
  `.simple_url(index="pypi")`, `.links_url(index)`, `.requests`, `.requests_for(substr)`,
  `.errors`, and knobs `.latency`, `.serve_json`, `.serve_metadata`, `.fail_next(n, status)`,
  `.hang_paths(substr)`, `.clear_faults()`. `python -m tests.support.index ROOT [--layout NAME]
  [--port N]` (or `serve(root, layouts=..., port=...)`) builds an empty ROOT and serves it,
  printing the URL as its first line.
- `layouts`: `jax_like`, `torch_like`, `jax_findlinks`, `tagged` (each `(root) -> None`),
  `build(root, *names) -> root` (all when none named), `add_release(root, index, name, version,
  *, requires_python=None, yanked=None, deps=(), extras=None, tags=("py3-none-any",),
  sdist=False, wheel=True, upload_time=None) -> list[Path]`, `yank(root, index, name, version,
  reason=True)`, `publish(...)`, and the published versions as constants (`JAX_VERSIONS`,
  `TORCH_VERSIONS`, `OLD_JAX_VERSIONS`, `NVIDIA_CU12`, `NVIDIA_CU13`, `PURE_PACKAGES`,
  `TAGGED`, ...).
- `project`: `poetry_env(tmp, *, offline=True, extra=None) -> dict`, `run_poetry(args, cwd, env,
  check=True, *, timeout=300)`, `write_project(dir, pyproject_text) -> Path`,
  `sources_toml(server, *, primary="pypi", explicit=(), supplemental=(), find_links=None,
  primary_name="local") -> str`, `point_sources_at(pyproject_text, server, *, indexes=None)`,
  `LockCache(directory, env)` (`.locked(text)`, `.copy(text, dest)`), `installed(project)`,
  `venv_python(project)`, `copy_project(src, dest)`, `PoetryFailed`.
- `templates`: `jax_project`, `torch_project`, `findlinks_project`, `tagged_project`
  (`(server, ...) -> str`, complete pyproject texts whose sources point at the server).

Fixtures (tests/conftest.py): `index_root`, `index_server` (session, all layouts, read-only),
`make_index(*layouts, latency=, auth=, serve_json=, serve_metadata=)` (private mutable
indexes), `hermetic_env`, `lock_cache` (session), `locked_project(text, name)`, and locked
copies `jax_locked`, `torch_locked`, `findlinks_locked`, `tagged_locked`.

Deviations from notes/INDEX_API.md, and facts found on the way:

- Files are served at `/<index>/files/<project>/<file>` (not `/<index>/files/<file>`), so a
  request never has to search the whole index; pages link to them, nobody builds these URLs.
- `run_poetry` raises `PoetryFailed` (an AssertionError carrying stdout and stderr) instead of
  `CalledProcessError`, so a failing test shows Poetry's output.
- `write_project` returns the pyproject path and creates the root package when in package mode.
- The primary source is named "local" (Poetry refuses a source named "pypi" with a URL).
- Poetry prefers PEP 691 JSON (set `serve_json = False` to exercise HTML pages) and reads
  Requires-Python from the metadata (PEP 658 file or wheel), not from `data-requires-python`
  (pip and uv do read the page); `add_release` therefore writes it into the metadata. Poetry
  honours `yanked` from both page kinds. Lock files record every file with its sha256.
- `poetry lock` creates the project's virtualenv (in-project) as a side effect.
- Poetry's request timeout is `POETRY_REQUESTS_TIMEOUT` (15 s by default): lower it through
  `poetry_env(..., extra=...)` in tests that use `hang_paths`.
- With `serve_metadata = False` clients fall back to HTTP range requests (lazy wheels) or
  whole downloads; both are served.
"""
