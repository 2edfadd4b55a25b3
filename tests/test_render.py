"""render.py: the words of host facts, verdicts and problems, and which stream they go to."""

from __future__ import annotations

from poetry_platform import render
from poetry_platform.check.problems import Problem
from poetry_platform.config import PlatformConfig
from poetry_platform.config import infer_variants
from poetry_platform.context import Decision
from poetry_platform.host.profile import HostProfile
from poetry_platform.host.profile import NvidiaInfo
from poetry_platform.variants import select

LINUX = {"sys_platform": "linux", "platform_machine": "x86_64", "python_version": "3.12"}
NO_GPU = HostProfile("linux", "x86_64", "3.12.0", libc="glibc", libc_version="2.36")
H100 = HostProfile(
    "linux",
    "x86_64",
    "3.12.0",
    nvidia=NvidiaInfo("nvml", "580.65.06", "13.0", ("9.0",), ("H100",), 1),
    log=("nvml: CUDA 13.0",),
)
JAX = infer_variants(["cuda12", "cuda13"])


def decision(host: HostProfile, forced: str | None = None) -> Decision:
    selection = select(JAX, host, LINUX, forced=forced, forced_by="--variant" if forced else None)
    return Decision(PlatformConfig(JAX, variants_inferred=True), host, selection)


def test_host_rows_and_accelerator() -> None:
    assert render.host_rows(H100) == [
        ("platform", "linux x86_64"),
        ("python", "3.12.0"),
        ("nvidia", "driver 580.65.06, CUDA 13.0, 1 GPU, compute capability 9.0 (from nvml)"),
        ("rocm", "not detected"),
    ]
    assert render.accelerator(H100) == (
        "CUDA 13.0 (driver 580.65.06), compute capability 9.0 from nvml"
    )
    assert render.accelerator(NO_GPU) == "no GPU detected"


def test_install_line_and_the_forced_warning_on_stderr() -> None:
    lines = render.install(decision(NO_GPU, forced="cuda13"))
    assert [(line.error, line.text) for line in lines] == [
        (
            False,
            "<b>Platform variant</b>: <c1>cuda13</c1> (forced by --variant; this host does not "
            "meet it: cuda >=13.0: host has no CUDA driver)",
        ),
        (
            True,
            "<warning>Installing variant cuda13 although this host does not run it: fine for "
            "an image built without a GPU; it needs a matching host at run time.</warning>",
        ),
        (False, ""),
    ]


def test_probe_log_only_when_verbose() -> None:
    quiet = [line.text for line in render.show(decision(H100))]
    verbose = [line.text for line in render.show(decision(H100), verbose=True)]
    assert "  <debug>probe: nvml: CUDA 13.0</debug>" in verbose
    assert [t for t in verbose if "probe:" not in t] == quiet
    assert quiet[-1].startswith("<b>Selected</b>: <c1>cuda13</c1> (CUDA 13.0")


def test_show_json_reasons_are_the_rendered_unmet_requirements() -> None:
    data = render.show_json(decision(NO_GPU))
    assert data["chosen"] == "cpu"
    assert data["variants"][0]["reasons"] == [
        "cuda >=13.0: host has no CUDA driver",
        "compute-capability >=7.5: host has no NVIDIA GPU detected",
    ]
    assert data["host"]["nvidia"] is None


def test_problem_text_lines_and_json() -> None:
    error = Problem("no-file", "no wheel for this target", "numpy", "2.2.6", needed="cp312")
    warning = Problem("sdist", "builds from source", "pkg", "1.0", severity="warning")
    lock_wide = Problem("stale-lock", "pyproject.toml changed")
    assert render.problem(error) == "numpy 2.2.6: no wheel for this target"
    assert render.problem(lock_wide) == "pyproject.toml changed"
    assert render.problem_lines([error, warning]) == [
        "  <error>- numpy 2.2.6: no wheel for this target</error>",
        "  <warning>- pkg 1.0: builds from source</warning>",
    ]
    assert render.problem_json(error)["message"] == "numpy 2.2.6: no wheel for this target"
    assert render.unfit_lock([warning]) is None
    assert render.unfit_lock([warning], strict=True) == (
        "poetry.lock cannot be installed on this machine:\n"
        "  - pkg 1.0: builds from source\n"
        "Nothing was installed. Fix what each line says, or see every target with "
        "`poetry platform-check`."
    )


def test_the_project_python_named_by_where_it_comes_from() -> None:
    from poetry_platform.context import ProjectPython

    env = {"python_full_version": "3.11.7"}
    assert render.project_python(ProjectPython(env, "venv", "/p/.venv")) == (
        "Python 3.11.7 (the project's environment /p/.venv)"
    )
    assert render.project_python(ProjectPython(env, "system", "/usr")) == (
        "Python 3.11.7 (the system environment /usr)"
    )
    assert render.project_python(ProjectPython(env, "to-create", "/usr/bin/python3.11")) == (
        "Python 3.11.7 (/usr/bin/python3.11, which `poetry install` would create the "
        "environment with)"
    )
