"""A fuzzing pass over every reader of outside input: `[tool.poetry-platform]` tables,
poetry.lock (random mutations of a real one) and index pages (PEP 691 JSON and HTML).

The only outcomes allowed: a result, or a `PlatformError` whose message is one line. Any
other exception would reach the user as a traceback. Examples Hypothesis found are kept as
`@example`s (regression tests). Deterministic (`derandomize`), so a run in CI cannot fail
on an example no one has seen; out of the fast loop (`slow`, `fuzz`).
"""

from __future__ import annotations

import json
import string
from types import SimpleNamespace
from typing import TYPE_CHECKING
from typing import Any

import pytest
import tomlkit
from hypothesis import HealthCheck
from hypothesis import example
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from packaging.version import Version

from poetry_platform import config
from poetry_platform.config import load_config
from poetry_platform.errors import PlatformError

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.slow, pytest.mark.fuzz]


def fuzz(examples: int) -> settings:
    """Deterministic, no example database, no per-example deadline; `examples` sized so
    that the whole file stays well under 60 s on a loaded 2-core machine."""
    return settings(
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=examples,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def one_line(error: PlatformError) -> None:
    assert "\n" not in str(error), str(error)
    assert str(error).strip()


# --- values ---------------------------------------------------------------------------------

# Words a user or a typo might write: real keys and values of every kind, and noise.
WORDS = st.sampled_from(
    [
        "",
        "cpu",
        "cuda13",
        "cuda12",
        "main",
        "test",
        "linux",
        "darwin",
        "win32",
        "x86_64",
        "arm64",
        "3.12",
        "3.1x",
        ">=12.0",
        ">=",
        "12.4",
        "new",
        "nvidia-*",
        "!nvidia-nccl*",
        "[invalid",
        "!",
        "torch+cu126",
        "jax[cuda13]",
        "sys_platform == 'linux'",
        "sys_platform ==",
        "poetry",
        "uv",
        "cp",
        "pp",
        "2.28",
        "14.0",
    ]
)
TEXT = st.one_of(WORDS, st.text(max_size=12))
SCALARS = st.one_of(
    TEXT,
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
VALUES: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)

VARIANT_KEYS = sorted(config.VARIANT_KEYS)
TARGET_KEYS = sorted(config.TARGET_KEYS)
REQUIRES_KEYS = sorted(config.REQUIRES_KEYS)


def tables(keys: list[str], values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Tables of mostly known keys (a few unknown ones), each value of any shape."""
    key = st.one_of(st.sampled_from(keys), st.sampled_from(keys), TEXT)
    return st.dictionaries(key, values, max_size=len(keys))


VALUE_OR_REQUIRES = st.one_of(VALUES, tables(REQUIRES_KEYS, VALUES))
VARIANT = tables(VARIANT_KEYS, VALUE_OR_REQUIRES)
TARGET = tables(TARGET_KEYS, VALUES)
PLATFORM_TABLE = st.one_of(
    VALUES,
    st.fixed_dictionaries(
        {},
        optional={
            "variant": st.one_of(st.lists(VARIANT, max_size=3), VALUES),
            "target": st.one_of(st.lists(TARGET, max_size=3), VALUES),
            "linked": VALUES,
            "installer": VALUES,
        },
    ),
)


@fuzz(150)
@given(table=PLATFORM_TABLE, extras=st.lists(WORDS, max_size=3), groups=st.lists(WORDS, max_size=2))
@example(table={"variant": [{"name": "a", "forbids": ["[invalid", "!"]}]}, extras=[], groups=[])
@example(table={"target": [{"name": "t", "glibc": "new"}]}, extras=[], groups=[])
def test_any_platform_table_is_a_config_or_one_line(
    table: Any, extras: list[str], groups: list[str]
) -> None:
    try:
        load_config({"tool": {"poetry-platform": table}}, extras, groups)
    except PlatformError as e:
        one_line(e)


# --- poetry.lock ----------------------------------------------------------------------------

LOCK = """\
[[package]]
name = "jax"
version = "0.7.2"
description = ""
optional = false
python-versions = ">=3.11"
groups = ["main"]
files = [
    {file = "jax-0.7.2-py3-none-any.whl", hash = "sha256:%(h1)s"},
]

[package.dependencies]
jaxlib = "0.7.2"
numpy = [
    {version = ">=1.26", markers = "python_version < \\"3.13\\""},
    {version = ">=2.1", markers = "python_version >= \\"3.13\\""},
]

[package.extras]
cuda13 = ["jax-cuda13-plugin[with-cuda] (==0.7.2)", "jaxlib (==0.7.2)"]

[[package]]
name = "jax-cuda13-plugin"
version = "0.7.2"
description = ""
optional = true
python-versions = ">=3.11"
groups = ["main"]
markers = "sys_platform == \\"linux\\" and extra == \\"cuda13\\""
files = [
    {file = "jax_cuda13_plugin-0.7.2-py3-none-manylinux_2_27_x86_64.whl", hash = "sha256:%(h2)s"},
]

[[package]]
name = "jaxlib"
version = "0.7.2"
description = ""
optional = false
python-versions = ">=3.11"
groups = ["main"]
files = [
    {file = "jaxlib-0.7.2-cp312-cp312-manylinux_2_27_x86_64.whl", hash = "sha256:%(h3)s"},
    {file = "jaxlib-0.7.2-cp312-cp312-macosx_11_0_arm64.whl", hash = "sha256:%(h4)s"},
    {file = "jaxlib-0.7.2.tar.gz", hash = "sha256:%(h5)s"},
]

[package.dependencies]
numpy = ">=1.26"

[[package]]
name = "numpy"
version = "2.2.6"
description = ""
optional = false
python-versions = ">=3.10"
groups = ["main"]
files = [
    {file = "numpy-2.2.6-cp312-cp312-manylinux_2_17_x86_64.whl", hash = "sha256:%(h6)s"},
    {file = "numpy-2.2.6-cp312-cp312-macosx_14_0_arm64.whl", hash = "sha256:%(h7)s"},
]

[extras]
cuda13 = ["jax-cuda13-plugin"]

[metadata]
lock-version = "2.1"
python-versions = ">=3.11,<4.0"
content-hash = "0"
""" % {f"h{i}": f"{i:064x}" for i in range(1, 8)}

PATHS = [
    ("package",),
    ("extras",),
    ("metadata",),
    ("metadata", "lock-version"),
    ("metadata", "python-versions"),
    *[
        (("package", i, key))
        for i in range(4)
        for key in (
            "name",
            "version",
            "optional",
            "python-versions",
            "groups",
            "markers",
            "files",
            "dependencies",
            "extras",
            "source",
        )
    ],
    ("package", 0, "dependencies", "numpy"),
    ("package", 0, "dependencies", "jaxlib"),
    ("package", 0, "extras", "cuda13"),
    ("package", 2, "files", 0),
    ("package", 2, "files", 0, "hash"),
    ("package", 2, "files", 0, "file"),
]
DELETE = object()


def mutate(data: Any, path: tuple[Any, ...], value: Any) -> None:
    node = data
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return
    last = path[-1]
    try:
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
    except (KeyError, IndexError, TypeError):
        return


def lock_state(tmp_path: Path, text: str) -> Any:
    from poetry.packages.locker import Locker

    from poetry_platform.lockset.lock import read_lock

    path = tmp_path / "poetry.lock"
    path.write_text(text, encoding="utf-8")
    poetry = SimpleNamespace(locker=Locker(path, {}))
    return read_lock(poetry)  # type: ignore[arg-type]


def check_every_target(state: Any) -> None:
    """What platform-check does with a readable lock, on two targets."""
    from poetry_platform.check.plan import check_locked
    from poetry_platform.lockset.install_set import marker_environment
    from poetry_platform.lockset.tags import SupportedTags
    from poetry_platform.lockset.tags import tag_target
    from poetry_platform.render import problem

    for platform, machine, target in (
        ("linux", "x86_64", tag_target("linux", "x86_64", Version("3.12"), glibc=Version("2.28"))),
        ("darwin", "arm64", tag_target("darwin", "arm64", Version("3.12"), macos=Version("14.0"))),
    ):
        result = check_locked(
            state.locked,
            marker_env=marker_environment(platform, machine, "3.12.4"),
            supported_tags=SupportedTags.for_target(target),
            groups=("main",),
            extras=("cuda13",),
        )
        for p in result.problems:
            problem(p)


@fuzz(80)
@given(
    changes=st.lists(
        st.tuples(st.sampled_from(PATHS), st.one_of(st.just(DELETE), VALUES)),
        min_size=1,
        max_size=3,
    )
)
@example(changes=[(("package", 0, "files"), 0)])  # found: Poetry's reader raised TypeError
@example(changes=[(("package", 0, "groups"), 0)])  # found: TypeError in locked_packages
@example(changes=[(("package", 1, "markers"), {"main": 1})])
@example(changes=[(("package", 2, "version"), DELETE)])
@example(changes=[(("package",), DELETE)])  # found (by core): KeyError in Poetry's reader
def test_any_mutation_of_a_real_lock_is_read_or_refused_in_one_line(
    tmp_path: Path, changes: list[tuple[tuple[Any, ...], Any]]
) -> None:
    data = tomlkit.parse(LOCK).unwrap()
    for path, value in changes:
        mutate(data, path, value)
    try:
        text = tomlkit.dumps(data)
    except Exception:  # a value TOML cannot hold (a NaN key...): not a lock anyone has
        return
    try:
        state = lock_state(tmp_path, text)
        for p in state.problems:
            assert "\n" not in str(p.facts), p
        if state.readable:
            check_every_target(state)
    except PlatformError as e:
        one_line(e)


@fuzz(100)
@given(cut=st.integers(0, len(LOCK)), size=st.integers(0, 40), insert=st.text(max_size=8))
@example(cut=LOCK.index("[metadata]"), size=40, insert="")
def test_a_damaged_lock_text_is_read_or_refused_in_one_line(
    tmp_path: Path, cut: int, size: int, insert: str
) -> None:
    text = LOCK[:cut] + insert + LOCK[cut + size :]
    try:
        state = lock_state(tmp_path, text)
        if state.readable:
            check_every_target(state)
    except PlatformError as e:
        one_line(e)


# --- index pages ----------------------------------------------------------------------------

FILENAMES = st.one_of(
    st.sampled_from(
        [
            "jax-0.7.2-py3-none-any.whl",
            "jax-0.7.2.tar.gz",
            "jax-.tar.gz",
            "-0.7.2.tar.gz",
            "jax-0.7.2-.whl",
            "jax.whl",
            "jax-x.y-py3-none-any.whl",
            "jax-0.7.2+cuda12-py3-none-any.whl",
            "",
        ]
    ),
    st.text(alphabet=string.ascii_letters + string.digits + ".-_+!", max_size=24),
)
META = {"api-version": "1.1"}
JSON_FILE = st.fixed_dictionaries(
    {"filename": st.one_of(FILENAMES, VALUES)},
    optional={
        "requires-python": st.one_of(st.sampled_from([">=3.10", ">=3.1x", "", "<"]), VALUES),
        "yanked": VALUES,
        "url": VALUES,
        "hashes": VALUES,
    },
)
JSON_PAGE = st.one_of(
    st.fixed_dictionaries(
        {
            "files": st.one_of(st.lists(st.one_of(JSON_FILE, VALUES), max_size=5), VALUES),
            "meta": st.one_of(
                st.just(META), st.just(META), st.just({"api-version": "1.0"}), VALUES
            ),
        },
        optional={"name": VALUES, "versions": VALUES},
    ),
    VALUES,
)


def anchor(name: str, requires: str | None, yanked: bool, quote: str) -> str:
    extra = f" data-requires-python={quote}{requires}{quote}" if requires is not None else ""
    return (
        f"<a href={quote}/files/{name}#sha256=00{quote}{extra}{' data-yanked' * yanked}>{name}</a>"
    )


HTML_PAGE = st.one_of(
    st.builds(
        lambda anchors, head: head + "\n".join(anchors),
        st.lists(
            st.builds(
                anchor,
                FILENAMES,
                st.one_of(st.none(), st.sampled_from(["&gt;=3.10", ">=3.1x", "'", '"', "<"])),
                st.booleans(),
                st.sampled_from(['"', "'", ""]),
            ),
            max_size=5,
        ),
        st.sampled_from(["<html><body>", "", "<a", "<html><a href=>"]),
    ),
    st.text(max_size=80),
)


class Response:
    """What `files_of` reads of a `requests.Response`."""

    def __init__(self, status: int, kind: str, body: bytes) -> None:
        self.status_code = status
        self.headers = {"Content-Type": kind}
        self.content = body
        self.text = body.decode("utf-8", "replace")


def read_page(status: int, kind: str, body: bytes, one_project: bool) -> None:
    from poetry_platform.index.model import Unreadable
    from poetry_platform.index.pages import files_of
    from poetry_platform.index.pages import releases_from

    response: Any = Response(status, kind, body)
    files = files_of("local", "http://127.0.0.1/simple/jax/", response, project=True)
    if files is None or isinstance(files, Unreadable):
        if isinstance(files, Unreadable):
            assert "\n" not in files.detail
        return
    releases_from(files, "jax", "local", one_project=one_project)


@fuzz(120)
@given(page=JSON_PAGE, one_project=st.booleans())
@example(page={"meta": META, "files": [{"filename": 1}]}, one_project=True)  # found
@example(page={"meta": META, "files": [{"filename": "a", "requires-python": 3}]}, one_project=True)
def test_any_json_page_is_files_or_could_not_read(page: Any, one_project: bool) -> None:
    try:
        body = json.dumps(page, allow_nan=True).encode()
    except (TypeError, ValueError):
        return
    read_page(200, "application/vnd.pypi.simple.v1+json", body, one_project)


@fuzz(150)
@given(
    page=HTML_PAGE,
    kind=st.sampled_from(["text/html", "", "application/xhtml+xml", "text/plain"]),
    one_project=st.booleans(),
    status=st.sampled_from([200, 200, 200, 404, 410, 401, 500]),
)
def test_any_html_page_is_files_or_could_not_read(
    page: str, kind: str, one_project: bool, status: int
) -> None:
    read_page(status, kind, page.encode("utf-8", "surrogatepass"), one_project)


@fuzz(150)
@given(body=st.binary(max_size=64), kind=st.sampled_from(["application/json", "text/html"]))
def test_any_bytes_are_files_or_could_not_read(body: bytes, kind: str) -> None:
    read_page(200, kind, body, True)
