"""Finding every constraint in a pyproject and editing only its version text."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from poetry_platform.up.declarations import Declaration
from poetry_platform.up.declarations import DeclarationError
from poetry_platform.up.declarations import lookup_dependencies
from poetry_platform.up.declarations import read
from poetry_platform.up.declarations import read_data
from poetry_platform.up.declarations import split_pep508
from poetry_platform.up.edits import apply
from poetry_platform.up.edits import parse
from poetry_platform.up.edits import rendered

if TYPE_CHECKING:
    from collections.abc import Iterator

PYPROJECT = '''\
# top comment
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = [
    "numpy>=1.26",  # keep me
    'scipy (>=1.11,<2)',
    """jax[cuda12] >= 0.4.30 ; sys_platform == 'linux'""",
    "requests",
    "attrs ; python_version < '3.11'",
    "esc\\u0041pe>=1.0",
    "torch>=2.5",
    "lib @ git+https://example.invalid/lib.git",
]

[project.optional-dependencies]
cuda13 = ["jax[cuda13]>=0.6 ; sys_platform == 'linux'"]

[dependency-groups]
test = ["pytest>=8", { include-group = "lint" }]
lint = ["ruff==0.12.1"]

[tool.poetry.dependencies]
torch = [
  { source = "torch-cpu", markers = "extra == 'cpu'" },  # cpu wheels
  {source="torch-cu130", markers = "extra == 'cuda'"},
]

[tool.poetry-platform]
linked = [["a", "b"]]

[tool.poetry.group.Cloud_Dev.dependencies]
boto3 = {version = "~=2.5", python = ">=3.11"}   # trailing
dask = "*"
local = { path = "../local" }
split = [
    {version = "^1.0", python = "<3.11"},
    {version = "^2.0", python = ">=3.11"},
]
private = { source = "private" }

[tool.poetry.group.cloud-dev]
optional = true

[tool.poetry.group.old.dependencies]
legacy = { version = "^1.0", allow-prereleases = true, markers = "sys_platform == 'darwin'" }
'''


def changed_lines(before: str, after: str) -> Iterator[tuple[str, str]]:
    """Pairs of differing lines; the edits keep the file's line count."""
    for a, b in zip(before.splitlines(), after.splitlines(), strict=False):
        if a != b:
            yield a, b


def _by_path() -> dict[str, Declaration]:
    return {d.key: d for d in read(parse(PYPROJECT)).items}


def test_finds_every_location() -> None:
    found = _by_path()
    assert {k: (d.group, d.version) for k, d in found.items()} == {
        "project/dependencies/0": ("main", ">=1.26"),
        "project/dependencies/1": ("main", ">=1.11,<2"),
        "project/dependencies/2": ("main", ">= 0.4.30"),
        "project/dependencies/3": ("main", ""),
        "project/dependencies/4": ("main", ""),
        "project/dependencies/5": ("main", ">=1.0"),
        "project/dependencies/6": ("main", ">=2.5"),
        "project/dependencies/7": ("main", ""),
        "project/optional-dependencies/cuda13/0": ("main", ">=0.6"),
        "dependency-groups/test/0": ("test", ">=8"),
        "dependency-groups/lint/0": ("lint", "==0.12.1"),
        "tool/poetry/dependencies/torch/0": ("main", ""),
        "tool/poetry/dependencies/torch/1": ("main", ""),
        "tool/poetry/group/Cloud_Dev/dependencies/boto3/version": ("cloud-dev", "~=2.5"),
        "tool/poetry/group/Cloud_Dev/dependencies/dask": ("cloud-dev", "*"),
        "tool/poetry/group/Cloud_Dev/dependencies/local": ("cloud-dev", ""),
        "tool/poetry/group/Cloud_Dev/dependencies/split/0/version": ("cloud-dev", "^1.0"),
        "tool/poetry/group/Cloud_Dev/dependencies/split/1/version": ("cloud-dev", "^2.0"),
        "tool/poetry/group/Cloud_Dev/dependencies/private": ("cloud-dev", ""),
        "tool/poetry/group/old/dependencies/legacy/version": ("old", "^1.0"),
    }
    assert found["project/dependencies/7"].kind == "vcs"
    assert found["tool/poetry/group/Cloud_Dev/dependencies/local"].kind == "path"
    assert found["tool/poetry/dependencies/torch/0"].enriches
    assert not found["project/dependencies/0"].enriches
    legacy = found["tool/poetry/group/old/dependencies/legacy/version"]
    assert legacy.allow_prereleases is True
    assert legacy.markers == "sys_platform == 'darwin'"
    assert found["tool/poetry/group/Cloud_Dev/dependencies/boto3/version"].python == ">=3.11"


def test_a_group_keeps_its_spelling_for_people_and_its_normal_form_for_matching() -> None:
    found = _by_path()
    cloud_dev = found["tool/poetry/group/Cloud_Dev/dependencies/dask"]
    assert (cloud_dev.group, cloud_dev.group_as_written) == ("cloud-dev", "Cloud_Dev")
    pep735 = found["dependency-groups/test/0"]
    assert (pep735.group, pep735.group_as_written) == ("test", "test")
    assert found["project/dependencies/0"].group_as_written == "main"
    assert found["tool/poetry/dependencies/torch/0"].group_as_written == "main"


def test_groups_are_normalized_and_include_group_is_followed() -> None:
    decls = read(parse(PYPROJECT))
    assert decls.groups == {"main", "test", "lint", "cloud-dev", "old"}
    assert {d.name for d in decls.in_groups(["test"])} == {"pytest", "ruff"}
    assert {d.name for d in decls.in_groups(["Cloud.Dev"])} == {
        "boto3",
        "dask",
        "local",
        "split",
        "private",
    }


def test_enrichment_gives_pep621_entries_their_sources() -> None:
    decls = read(parse(PYPROJECT))
    deps = lookup_dependencies(decls.items, decls.items)
    torch = deps["project/dependencies/6"]
    assert [(d.source_name, str(d.constraint)) for d in torch] == [
        ("torch-cpu", ">=2.5"),
        ("torch-cu130", ">=2.5"),
    ]
    boto3 = deps["tool/poetry/group/Cloud_Dev/dependencies/boto3/version"][0]
    assert str(boto3.python_constraint) == ">=3.11"
    assert "project/dependencies/7" not in deps  # not from an index


def test_edits_touch_only_the_version_text() -> None:
    doc = parse(PYPROJECT)
    found = _by_path()
    apply(
        doc,
        [
            (found["project/dependencies/0"], ">=2.1"),
            (found["project/dependencies/1"], ">=1.14,<2"),
            (found["project/dependencies/2"], ">= 0.5.0"),
            (found["project/dependencies/3"], ">=2.32.3,<3.0.0"),
            (found["project/dependencies/4"], ">=25.1"),
            (found["project/dependencies/5"], ">=1.1"),
            (found["tool/poetry/group/Cloud_Dev/dependencies/boto3/version"], "~=2.19,>=2.19.3"),
            (found["tool/poetry/group/Cloud_Dev/dependencies/dask"], "^2025.1.0"),
            (found["tool/poetry/group/Cloud_Dev/dependencies/split/1/version"], "^2.4"),
        ],
    )
    after = doc.as_string()
    assert list(changed_lines(PYPROJECT, after)) == [
        ('    "numpy>=1.26",  # keep me', '    "numpy>=2.1",  # keep me'),
        ("    'scipy (>=1.11,<2)',", "    'scipy (>=1.14,<2)',"),
        (
            """    \"\"\"jax[cuda12] >= 0.4.30 ; sys_platform == 'linux'\"\"\",""",
            """    \"\"\"jax[cuda12] >= 0.5.0 ; sys_platform == 'linux'\"\"\",""",
        ),
        ('    "requests",', '    "requests>=2.32.3,<3.0.0",'),
        (
            "    \"attrs ; python_version < '3.11'\",",
            "    \"attrs>=25.1 ; python_version < '3.11'\",",
        ),
        ('    "esc\\u0041pe>=1.0",', '    "esc\\u0041pe>=1.1",'),
        (
            'boto3 = {version = "~=2.5", python = ">=3.11"}   # trailing',
            'boto3 = {version = "~=2.19,>=2.19.3", python = ">=3.11"}   # trailing',
        ),
        ('dask = "*"', 'dask = "^2025.1.0"'),
        (
            '    {version = "^2.0", python = ">=3.11"},',
            '    {version = "^2.4", python = ">=3.11"},',
        ),
    ]
    assert len(after.splitlines()) == len(PYPROJECT.splitlines())
    # and the result still reads back to the same declarations, moved
    again = {d.key: d.version for d in read(parse(after)).items}
    assert again["project/dependencies/4"] == ">=25.1"
    assert again["project/dependencies/5"] == ">=1.1"


def test_a_table_without_version_gets_one() -> None:
    doc = parse(PYPROJECT)
    private = _by_path()["tool/poetry/group/Cloud_Dev/dependencies/private"]
    assert private.insert_key
    apply(doc, [(private, "^4.0")])
    assert doc["tool"]["poetry"]["group"]["Cloud_Dev"]["dependencies"]["private"] == {
        "source": "private",
        "version": "^4.0",
    }


def test_plain_data_reads_the_same_declarations_as_the_document() -> None:
    """platform-up reads with tomllib (a 23 MB pyproject: under a second, tomlkit ~40 s)."""
    assert read(read_data(PYPROJECT)) == read(parse(PYPROJECT))


def test_rendering_changes_leaves_the_document_as_it_was() -> None:
    found = _by_path()
    changes = [
        (found["project/dependencies/1"], ">=1.14,<2"),
        (found["project/dependencies/3"], ">=2.32.3,<3.0.0"),
        (found["tool/poetry/group/Cloud_Dev/dependencies/private"], "^4.0"),  # a new key
        (found["tool/poetry/group/Cloud_Dev/dependencies/split/1/version"], "^2.4"),
    ]
    fresh = parse(PYPROJECT)
    apply(fresh, changes)
    doc = parse(PYPROJECT)
    for _ in range(2):  # one document, every attempt
        assert rendered(doc, changes) == fresh.as_string()
        assert doc.as_string() == PYPROJECT
    assert rendered(doc, changes[:1]) != fresh.as_string()


@pytest.mark.parametrize(
    ("text", "version", "markers"),
    [
        ("numpy>=1.26", ">=1.26", None),
        ("numpy >= 1.26 , < 2", ">= 1.26 , < 2", None),
        ("scipy (>=1.11,<2)", ">=1.11,<2", None),
        ("scipy ( >=1.11 )", ">=1.11", None),
        ("jax[cuda12]>=0.4 ; sys_platform == 'linux'", ">=0.4", "sys_platform == 'linux'"),
        ("jax [cuda12] ; python_version >= '3.11'", "", "python_version >= '3.11'"),
        ("requests", "", None),
    ],
)
def test_split_pep508(text: str, version: str, markers: str | None) -> None:
    req = split_pep508(text)
    assert req.version == version
    assert text[req.span[0] : req.span[1]] == version
    assert req.markers == markers


def test_bad_entries_are_reported_with_their_section() -> None:
    with pytest.raises(DeclarationError, match=r"\[dependency-groups\] dev"):
        read(parse('[dependency-groups]\ndev = [{ foo = "bar" }]\n'))
