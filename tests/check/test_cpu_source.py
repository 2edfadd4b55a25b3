"""torch under a cpu variant taking PyTorch's CUDA build: which source is the CPU one, the
exact `[tool.poetry]` edit, how it is worded and how `--fix` writes it (pure; the locks
are `test_fix.py`'s)."""

from __future__ import annotations

from typing import Any

import pytest

from poetry_platform import render
from poetry_platform.check.cpu_source import cpu_source
from poetry_platform.check.cpu_source import inline
from poetry_platform.check.cpu_source import suggested_url
from poetry_platform.check.cpu_source import torch_fix
from poetry_platform.check.declared import Declared
from poetry_platform.check.declared import PoetrySide
from poetry_platform.check.declared import Source
from poetry_platform.check.fix import apply_edits
from poetry_platform.lockset.problems import Edit
from poetry_platform.lockset.problems import ForbiddenPackage
from poetry_platform.model import Variant
from poetry_platform.poetry_api import toml_loads
from tests.support.layouts_check import PYPI_TORCH
from tests.support.templates import torch_default_project
from tests.support.templates import torch_main_project

CPU = Variant("cpu", extras=("cpu",))
CU130_ENTRY = {"markers": "extra == 'cu130' and extra != 'cpu'", "source": "torch-cu130"}
# The local index's shape: source URLs `<base>/torch-cpu/simple/`; PROJECT has its sources.
PROJECT = torch_default_project("http://127.0.0.1:9")
NO_CPU_SOURCE = PROJECT.replace('name = "torch-cpu"', 'name = "mirror"').replace(
    "/torch-cpu/simple/", "/mirror/simple/"
)


def declared(text: str) -> Declared:
    return Declared.of(toml_loads(text))


def source(name: str, url: str = "https://x.invalid/simple/") -> Source:
    return Source(name, url, "explicit")


@pytest.mark.parametrize(
    ("sources", "chosen"),
    [
        ([source("a", "https://pytorch-index.invalid/whl/cpu")], "a"),
        ([source("torch-cpu", "http://127.0.0.1:1/torch-cpu/simple/")], "torch-cpu"),
        ([source("pytorch_cpu")], "pytorch_cpu"),
        ([source("cpuinfo-mirror", "https://x.invalid/cpuinfo/simple/")], None),
        ([source("cpu-by-name"), source("b", "https://x.invalid/whl/cpu/")], "b"),
        ([source("one-cpu"), source("two-cpu")], "one-cpu"),
        ([], None),
    ],
)
def test_the_cpu_source_is_marked_by_its_url_first_then_its_name(
    sources: list[Source], chosen: str | None
) -> None:
    found = cpu_source(sources)
    assert (found.name if found else None) == chosen


def test_the_url_to_add_is_the_cpu_index_beside_a_configured_cuda_one() -> None:
    assert suggested_url([source("cu", "https://h.invalid/whl/cu130")]) == (
        "https://h.invalid/whl/cpu"
    )
    assert suggested_url([source("r", "http://127.0.0.1:1/whl/rocm6.4/simple/")]) == (
        "http://127.0.0.1:1/whl/cpu/simple/"
    )
    assert suggested_url([source("plain", "https://h.invalid/simple/")]) == ""


def test_an_extra_variant_gets_its_entry_beside_the_others_in_tool_poetry_dependencies() -> None:
    fix = torch_fix(CPU, "3.12", declared(PROJECT), {None, "torch-cu130"})
    assert fix is not None
    assert (fix.kind, fix.command, fix.variant) == (
        "cpu-source",
        "poetry update --lock torch",
        "cpu",
    )
    assert fix.source is not None and fix.source.name == "torch-cpu"
    ours = {"markers": "extra == 'cpu' and extra != 'cu130'", "source": "torch-cpu"}
    assert fix.edits == (
        Edit(
            "torch",
            inline([CU130_ENTRY]),
            (inline([ours, CU130_ENTRY]),),
            "tool.poetry.dependencies",
        ),
    )


def test_an_entry_for_the_same_extra_is_replaced_and_keeps_its_other_keys() -> None:
    text = PROJECT.replace(
        "torch = [\n",
        'torch = [\n    { markers = "extra == \'cpu\'", source = "pypi", python = ">=3.10" },\n',
    )
    fix = torch_fix(CPU, "3.12", declared(text), {None})
    assert fix is not None
    new = toml_loads(f"v = {fix.edits[0].new[0]}")["v"]
    assert new == [
        {
            "markers": "extra == 'cpu' and extra != 'cu130'",
            "source": "torch-cpu",
            "python": ">=3.10",
        },
        CU130_ENTRY,
    ]


def test_a_group_variant_takes_the_source_on_its_own_group_entry() -> None:
    text = (
        """[tool.poetry]
package-mode = false
[tool.poetry.group.cpu.dependencies]
torch = ">=2.9"
"""
        + 'tool.poetry.source = [{ name = "torch-cpu", url = "https://h.invalid/whl/cpu" }]\n'
    )
    variant = Variant("cpu", groups=("cpu",))
    fix = torch_fix(variant, "3.12", declared(text), {None})
    assert fix is not None
    assert fix.edits == (
        Edit(
            "torch",
            '">=2.9"',
            ('{ version = ">=2.9", source = "torch-cpu" }',),
            "tool.poetry.group.cpu.dependencies",
        ),
    )


UNMARKED = PROJECT.replace("{ markers = \"extra == 'cu130' and extra != 'cpu'\", ", "{ ")


@pytest.mark.parametrize(
    ("text", "sources", "why"),
    [
        (PROJECT, {"torch-cpu"}, "torch already comes from the CPU source"),
        (PROJECT.replace("torch = [", 'torch = ">=2"\nx = ['), {None}, "a bare version"),
        (
            PROJECT.replace(f'cpu = ["torch>={PYPI_TORCH}"]', 'cpu = ["numpy"]'),
            {None},
            "no extra asks",
        ),
        (UNMARKED, {None}, "an unmarked entry would enrich the cpu torch too"),
    ],
)
def test_no_exact_fix_where_the_tables_do_not_say_where_torch_goes(
    text: str, sources: set[str | None], why: str
) -> None:
    assert text != PROJECT or sources == {"torch-cpu"}, why  # each case changes something
    assert torch_fix(CPU, "3.12", declared(text), sources) is None, why


def test_without_a_cpu_source_the_fix_declares_one_derived_from_the_cuda_source() -> None:
    cuda = NO_CPU_SOURCE.replace("/torch-cu130/simple/", "/whl/cu130")
    fix = torch_fix(CPU, "3.12", declared(cuda), {None})
    assert fix is not None and fix.kind == "add-cpu-source"
    assert fix.source is not None
    assert (fix.source.name, fix.source.url) == ("torch-cpu", "http://127.0.0.1:9/whl/cpu")
    lines = render.remedy_lines(fix)
    assert lines[:5] == [
        "add to pyproject.toml:",
        "  [[tool.poetry.source]]",
        '  name = "torch-cpu"',
        '  url = "http://127.0.0.1:9/whl/cpu"',
        '  priority = "explicit"',
    ]
    assert lines[5] == "in pyproject.toml [tool.poetry.dependencies]:"
    none = torch_fix(CPU, "3.12", declared(NO_CPU_SOURCE), {None})
    assert none is not None and none.source is not None and none.source.url == ""
    assert "<PyTorch's CPU wheel index URL, ending in /whl/cpu>" in "\n".join(
        render.remedy_lines(none)
    )


def forbidden(fix: Any) -> ForbiddenPackage:
    return ForbiddenPackage(
        "cpu",
        "nvidia-cublas-cu12",
        "12.8.4.1",
        "nvidia-*",
        ("torch 2.9.0",),
        "torch-cpu-index",
        fix,
    )


def test_the_finding_carries_the_edit_and_the_command_in_words_and_json() -> None:
    fix = torch_fix(CPU, "3.12", declared(PROJECT), {None})
    text = render.forbidden(forbidden(fix))
    first, fix_line, *rest = text.split("\n")
    assert first.endswith("(required by torch 2.9.0).")  # the fix on lines of its own
    assert fix_line == (
        "PyTorch from PyPI is the CUDA build on Linux. Fix: take torch from the CPU source "
        "torch-cpu for variant cpu (platform-check --fix applies it):"
    )
    assert rest[0] == "  in pyproject.toml [tool.poetry.dependencies]:"
    assert rest[1].startswith(
        "    set torch = [{ markers = \"extra == 'cpu' and extra != 'cu130'\""
    )
    assert rest[2] == "  then run: poetry update --lock torch"
    data = render.forbidden_json(forbidden(fix))
    assert data["fix"]["edits"][0]["table"] == "tool.poetry.dependencies"
    assert data["fix"]["command"] == "poetry update --lock torch"
    assert render.forbidden(forbidden(None)).endswith(render.FORBID_REMEDIES["torch-cpu-index"])


def test_the_edit_written_by_fix_changes_that_key_alone() -> None:
    fix = torch_fix(CPU, "3.12", declared(PROJECT), {None})
    assert fix is not None
    text = PROJECT
    after = apply_edits(text, fix.edits)
    head, tail = text.split("torch = [\n    { markers = \"extra == 'cu130'", 1)
    assert after.startswith(head) and after.endswith(tail.split("]\n", 1)[1])
    assert toml_loads(after)["tool"]["poetry"]["dependencies"]["torch"][0]["source"] == "torch-cpu"
    with pytest.raises(ValueError, match="no longer"):
        apply_edits(after, fix.edits)  # the key moved on: the edit is not made over it


def test_the_table_is_made_when_pyproject_has_none() -> None:
    text = torch_default_project("http://127.0.0.1:9", cu130=False)
    fix = torch_fix(CPU, "3.12", declared(text), {None})
    assert fix is not None and fix.edits[0].old == ""
    after = apply_edits(text, fix.edits)
    assert after.startswith(text.split("[[tool.poetry.source]]")[0])
    assert toml_loads(after)["tool"]["poetry"]["dependencies"]["torch"] == [
        {"markers": "extra == 'cpu'", "source": "torch-cpu"}
    ]


def test_poetry_side_reads_sources_and_tables_as_written() -> None:
    side = PoetrySide.of(toml_loads(PROJECT))
    assert [s.name for s in side.sources] == ["local", "torch-cpu", "torch-cu130"]
    assert side.entry("tool.poetry.dependencies", "torch") == ("torch", [CU130_ENTRY])
    assert PoetrySide.of({}) == PoetrySide()


def test_fix_tries_the_cpu_source_and_never_pins_a_package_the_variant_forbids() -> None:
    """PyPI torch under cpu locks two nvidia-cublas entries: pinning one would make the
    project require it; the CPU source takes both away. Under a CUDA variant the pin stays."""
    from poetry_platform.check.fidelity import Fidelity
    from poetry_platform.check.fix import candidates
    from poetry_platform.check.targets import TargetResult
    from poetry_platform.lockset.problems import Duplicate
    from poetry_platform.lockset.problems import PlanCheck
    from poetry_platform.lockset.problems import Problem
    from poetry_platform.lockset.problems import Remedy

    pin = Remedy(
        "pin-version",
        "3.12",
        package="nvidia-cublas",
        version="13.4.1.3",
        edits=(Edit("dependencies", "", ("nvidia-cublas==13.4.1.3 ; sys_platform == 'linux'",)),),
        command="poetry update --lock nvidia-cublas",
    )
    duplicate = PlanCheck(
        (), (Problem("duplicate", Duplicate("nvidia-cublas", (), "constrain", remedy=pin)),)
    )
    torch = torch_fix(CPU, "3.12", declared(PROJECT), {None})
    taken = ForbiddenPackage(
        "cpu", "nvidia-cublas", "13.4.1.3", "nvidia-*", ("torch 2.15.0",), "torch-cpu-index", torch
    )
    plan: Any = None  # candidates() reads the check and the verdict only
    cpu = TargetResult(plan, duplicate, Fidelity("cpu", forbidden=(taken,)))
    assert candidates([cpu]) == [torch]
    assert candidates([TargetResult(plan, duplicate, Fidelity("cu130"))]) == [pin]


# torch in the main dependencies, the inferred cpu variant the project's only one
MAIN = torch_main_project("http://127.0.0.1:9")
SOLE_CPU = Variant("cpu")


def test_torch_in_the_main_dependencies_of_a_cpu_only_project_takes_the_source() -> None:
    """Every install of such a project is a cpu one, so torch itself takes the CPU source:
    the key is added to `[tool.poetry.dependencies]`, or set on the entry there."""
    fix = torch_fix(SOLE_CPU, "3.12", declared(MAIN), {None})
    assert fix is not None and fix.kind == "cpu-source"
    assert fix.edits == (
        Edit("torch", "", ('{ source = "torch-cpu" }',), "tool.poetry.dependencies"),
    )
    versioned = MAIN.replace(
        "[tool.poetry]\n", '[tool.poetry.dependencies]\ntorch = ">=2.9"\n\n[tool.poetry]\n'
    )
    fix = torch_fix(SOLE_CPU, "3.12", declared(versioned), {None})
    assert fix is not None
    assert fix.edits[0].old == '">=2.9"'
    assert fix.edits[0].new == ('{ version = ">=2.9", source = "torch-cpu" }',)
    table = MAIN.replace(
        "[tool.poetry]\n",
        '[tool.poetry.dependencies]\ntorch = { version = ">=2.9", optional = false }\n\n'
        "[tool.poetry]\n",
    )
    fix = torch_fix(SOLE_CPU, "3.12", declared(table), {None})
    assert fix is not None
    assert fix.edits[0].new == ('{ version = ">=2.9", optional = false, source = "torch-cpu" }',)
    # torch only in [tool.poetry.dependencies] (no [project] requirement) is the same torch
    poetry_only = versioned.replace('dependencies = ["torch>=2.9.0"]', "dependencies = []")
    assert torch_fix(SOLE_CPU, "3.12", declared(poetry_only), {None}) is not None


@pytest.mark.parametrize(
    ("text", "variant", "why"),
    [
        (
            MAIN.replace(
                "[tool.poetry]\n",
                '[project.optional-dependencies]\ncu130 = ["cupy"]\n\n[tool.poetry]\n',
            ),
            SOLE_CPU,
            "a CUDA variant inferred from an extra would get the CPU torch too",
        ),
        (
            MAIN + '\n[[tool.poetry-platform.variant]]\nname = "gpu"\ngroups = ["gpu"]\n',
            SOLE_CPU,
            "a declared variant would get the CPU torch too",
        ),
        (MAIN, Variant("cpu", groups=("cpu",)), "the variant has its own group"),
        (MAIN, Variant("cpu", extras=("cpu",)), "the variant has its own extra"),
        (
            MAIN.replace(
                "[tool.poetry]\n",
                '[project.optional-dependencies]\ncpu = ["torch"]\n\n[tool.poetry]\n',
            ),
            SOLE_CPU,
            "an extra asks torch as well",
        ),
        (
            MAIN.replace('dependencies = ["torch>=2.9.0"]', 'dependencies = ["numpy"]'),
            SOLE_CPU,
            "no torch asked",
        ),
        (
            MAIN.replace(
                "[tool.poetry]\n",
                "[tool.poetry.dependencies]\n"
                "torch = { markers = \"sys_platform == 'linux'\" }\n\n[tool.poetry]\n",
            ),
            SOLE_CPU,
            "a marked entry",
        ),
        (
            MAIN.replace(
                "[tool.poetry]\n",
                '[tool.poetry.dependencies]\ntorch = { path = "../torch" }\n\n[tool.poetry]\n',
            ),
            SOLE_CPU,
            "a path torch",
        ),
        (
            MAIN.replace(
                "[tool.poetry]\n",
                '[tool.poetry.dependencies]\ntorch = [{ version = ">=2" }]\n\n[tool.poetry]\n',
            ),
            SOLE_CPU,
            "a list of entries",
        ),
    ],
)
def test_no_main_dependency_edit_where_another_install_would_take_it(
    text: str, variant: Variant, why: str
) -> None:
    assert text != MAIN or variant != SOLE_CPU, why
    assert torch_fix(variant, "3.12", declared(text), {None}) is None, why


def test_declared_reads_the_variant_tables_by_name() -> None:
    text = (
        MAIN
        + '\n[[tool.poetry-platform.variant]]\nname = "gpu"\n'
        + '\n[[tool.poetry-platform.variant]]\nname = "cpu"\n'
    )
    assert declared(text).variants == ("gpu", "cpu")
    assert declared(MAIN).variants == ()
    assert declared('[tool.poetry-platform]\nvariant = "x"\n').variants == ()


GROUPS = (
    "[tool.poetry]\npackage-mode = false\n"
    + 'tool.poetry.source = [{ name = "torch-cpu", url = "https://h.invalid/whl/cpu" }]\n'
)


@pytest.mark.parametrize(
    ("entry", "written"),
    [
        (
            '{ version = ">=2.9", optional = true }',
            '{ version = ">=2.9", optional = true, source = "torch-cpu" }',
        ),
        (
            '[{ version = ">=2.9", python = "<3.13" }, { version = ">=2.10", python = ">=3.13" }]',
            '[{ version = ">=2.9", python = "<3.13", source = "torch-cpu" }, '
            '{ version = ">=2.10", python = ">=3.13", source = "torch-cpu" }]',
        ),
        ('{ path = "../torch" }', None),
        ('{ git = "https://g.invalid/torch.git" }', None),
        ('{ url = "https://f.invalid/torch-2.9.0-py3-none-any.whl" }', None),
        ('{ file = "../torch-2.9.0-py3-none-any.whl" }', None),
        ('[{ version = ">=2.9" }, ">=2.10"]', None),
        ("42", None),
    ],
)
def test_each_shape_of_a_group_torch_entry(entry: str, written: str | None) -> None:
    """A table or each table of a list takes the source, its keys kept; a path, git, URL
    or file torch, a list with a bare version in it, or a value of no known shape: none."""
    text = GROUPS + f"[tool.poetry.group.cpu.dependencies]\ntorch = {entry}\n"
    fix = torch_fix(Variant("cpu", groups=("cpu",)), "3.12", declared(text), {None})
    if written is None:
        assert fix is None
        return
    assert fix is not None
    [edit] = fix.edits
    assert (edit.where, edit.new, edit.table) == (
        "torch",
        (written,),
        "tool.poetry.group.cpu.dependencies",
    )


def test_each_of_the_variants_groups_with_torch_is_edited() -> None:
    """Groups without a torch entry, or without a table, are passed over, not the end."""
    text = (
        GROUPS
        + '[tool.poetry.group.docs.dependencies]\nsphinx = "*"\n'
        + '[tool.poetry.group.cpu.dependencies]\ntorch = ">=2.9"\n'
        + '[tool.poetry.group.cpu-extra.dependencies]\ntorch = ">=2.10"\n'
    )
    variant = Variant("cpu", groups=("missing", "docs", "cpu", "cpu-extra"))
    fix = torch_fix(variant, "3.12", declared(text), {None})
    assert fix is not None
    assert [e.table for e in fix.edits] == [
        "tool.poetry.group.cpu.dependencies",
        "tool.poetry.group.cpu-extra.dependencies",
    ]


@pytest.mark.parametrize("kind", ["path", "git", "url", "file", "markers"])
def test_a_main_torch_entry_of_another_kind_is_not_rewritten(kind: str) -> None:
    value = "sys_platform == 'linux'" if kind == "markers" else "x"
    text = MAIN.replace(
        "[tool.poetry]\n",
        f'[tool.poetry.dependencies]\ntorch = {{ {kind} = "{value}" }}\n\n[tool.poetry]\n',
    )
    assert torch_fix(SOLE_CPU, "3.12", declared(text), {None}) is None


def test_a_variant_of_two_extras_asking_torch_takes_both_beside_the_others() -> None:
    """Two of the variant's extras ask torch: either one, and no other extra (parenthesized
    so that `and` binds as written); an existing single entry becomes the list's other one."""
    text = (
        PROJECT.replace(
            f'cpu = ["torch>={PYPI_TORCH}"]',
            f'cpu = ["torch>={PYPI_TORCH}"]\ncpu-lite = ["torch>={PYPI_TORCH}"]',
        )
        .replace("torch = [\n", "torch = ")
        .replace('"torch-cu130" },\n]', '"torch-cu130" }')
    )
    two = Variant("cpu", extras=("cpu", "cpu-lite"))
    fix = torch_fix(two, "3.12", declared(text), {None})
    assert fix is not None
    ours = {
        "markers": "(extra == 'cpu' or extra == 'cpu-lite') and extra != 'cu130'",
        "source": "torch-cpu",
    }
    assert fix.edits == (
        Edit(
            "torch", inline(CU130_ENTRY), (inline([ours, CU130_ENTRY]),), "tool.poetry.dependencies"
        ),
    )
    # the variant's extras alone ask torch: no exclusion, no parentheses
    alone = text.replace(f'cu130 = ["torch=={PYPI_TORCH}+cu130"]', 'cu130 = ["cupy"]')
    fix = torch_fix(two, "3.12", declared(alone), {None})
    assert fix is not None
    [edit] = fix.edits
    assert "\"extra == 'cpu' or extra == 'cpu-lite'\"" in edit.new[0]


def test_the_source_the_fix_names_is_the_configured_one_as_written() -> None:
    from poetry_platform.lockset.problems import IndexSource

    fix = torch_fix(CPU, "3.12", declared(PROJECT), {None})
    assert fix is not None and fix.source is not None
    [cpu] = [s for s in declared(PROJECT).poetry.sources if s.name == "torch-cpu"]
    assert fix.source == IndexSource("torch-cpu", cpu.url, "explicit")
    # a source without a priority is Poetry's default, primary
    unset = PROJECT.replace('name = "torch-cpu"\nurl', 'name = "torch-cpu"\nurl').replace(
        'priority = "explicit"\n\n[[tool.poetry.source]]\nname = "torch-cu130"',
        '\n[[tool.poetry.source]]\nname = "torch-cu130"',
    )
    fix = torch_fix(CPU, "3.12", declared(unset), {None})
    assert fix is not None and fix.source is not None
    assert (fix.source.name, fix.source.priority) == ("torch-cpu", "primary")


def test_the_words_and_values_an_edit_writes() -> None:
    assert inline("ü") == '"ü"'  # TOML is UTF-8: no \\u escapes
    assert (inline(2), inline(2.5), inline(True)) == ("2", "2.5", "true")
    assert inline({"a b": 1, "c": [1, "x"]}) == '{ "a b" = 1, c = [1, "x"] }'
    with pytest.raises(ValueError, match="no inline TOML for NoneType"):
        inline(None)
    assert suggested_url([source("cu", "https://h.invalid/cu130/whl/cu130")]) == (
        "https://h.invalid/cu130/whl/cpu"  # the last segment, not the first match
    )
    from poetry_platform.check.cpu_source import last_segment

    assert last_segment("https://h.invalid") == ""
    assert last_segment("https://h.invalid/simple/") == ""
    # a requirement that does not parse asks for nothing
    bad = PROJECT.replace(f'cpu = ["torch>={PYPI_TORCH}"]', 'cpu = ["torch>>2"]')
    assert torch_fix(CPU, "3.12", declared(bad), {None}) is None


def test_a_group_of_unknown_shape_is_passed_over_not_the_end() -> None:
    text = (
        GROUPS
        + "[tool.poetry.group.odd.dependencies]\ntorch = 42\n"
        + '[tool.poetry.group.cpu.dependencies]\ntorch = ">=2.9"\n'
    )
    fix = torch_fix(Variant("cpu", groups=("odd", "cpu")), "3.12", declared(text), {None})
    assert fix is not None
    assert [e.table for e in fix.edits] == ["tool.poetry.group.cpu.dependencies"]
