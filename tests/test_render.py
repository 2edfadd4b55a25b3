"""render/: the words of host facts, verdicts and problems, and which stream they go to."""

from __future__ import annotations

from dataclasses import replace

from poetry_platform import render
from poetry_platform.accelerators import infer_variants
from poetry_platform.context import Decision
from poetry_platform.host.profile import HostProfile
from poetry_platform.host.profile import NvidiaInfo
from poetry_platform.lockset.problems import Duplicate
from poetry_platform.lockset.problems import DuplicateAdvice
from poetry_platform.lockset.problems import DuplicateEntry
from poetry_platform.lockset.problems import ExtraNotLocked
from poetry_platform.lockset.problems import FromSource
from poetry_platform.lockset.problems import LockUnfit
from poetry_platform.lockset.problems import NoFiles
from poetry_platform.lockset.problems import NoWheel
from poetry_platform.lockset.problems import Problem
from poetry_platform.lockset.problems import PythonOutside
from poetry_platform.model import PlatformConfig
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
    target = "manylinux_2_28_x86_64 / cp312"
    wheel = "numpy-2.2.6-cp311-cp311-manylinux_2_17_x86_64.whl"
    no_wheel = NoWheel(target, no_binary=False, offered="cp311-cp311", files=(wheel,))
    error = Problem("no-wheel", no_wheel, "numpy", "2.2.6", needed=target)
    warning = Problem("builds-from-source", FromSource("directory ../pkg"), "pkg", "1.0", "warning")
    lock_wide = Problem("stale-lock", LockUnfit("stale-lock"))
    no_wheel_text = (
        "numpy 2.2.6: no wheel for manylinux_2_28_x86_64 / cp312; files have cp311-cp311"
    )
    assert render.problem(error) == no_wheel_text
    assert render.problem(lock_wide) == (
        "pyproject.toml changed significantly since poetry.lock was last generated; "
        "run `poetry lock` to fix the lock file"
    )
    assert render.problem_lines([error, warning]) == [
        f"  <error>- {no_wheel_text}</error>",
        "  <warning>- pkg 1.0: builds from source (directory ../pkg)</warning>",
    ]
    assert render.problem_json(error)["message"] == no_wheel_text
    assert render.unfit_lock([warning]) is None
    assert render.unfit_lock([warning], strict=True) == (
        "poetry.lock cannot be installed on this machine:\n"
        "  - pkg 1.0: builds from source (directory ../pkg)\n"
        "Nothing was installed. Fix what each line says, or see every target with "
        "`poetry platform-check`."
    )


def test_lock_wide_problems_worded_from_their_facts() -> None:
    assert render.problem(Problem("no-lock", LockUnfit("no-lock"))) == (
        "poetry.lock not found; run `poetry lock` to create it"
    )
    unreadable = LockUnfit("unreadable-lock", error="Unable to read the lock file (bad key).")
    assert render.problem(Problem("unreadable-lock", unreadable)) == (
        "poetry.lock cannot be read: Unable to read the lock file (bad key)."
    )
    old = LockUnfit("old-lock", lock_version="2.0")
    assert render.problem(Problem("old-lock", old)) == (
        "poetry.lock has lock-version 2.0; checking needs the per-group markers of "
        "lock-version 2.1; run `poetry lock` to upgrade it"
    )
    tail = "declare the extra and run `poetry lock`"
    assert render.facts(ExtraNotLocked("cuda13", ("cpu",), "install")) == (
        f"the install needs extra 'cuda13', which poetry.lock does not have (it has: cpu); {tail}"
    )
    assert render.facts(ExtraNotLocked("gpu", (), "variant", "gpu")) == (
        f"variant gpu needs extra 'gpu', which poetry.lock does not have (it has: none); {tail}"
    )
    assert render.facts(ExtraNotLocked("y", ("w", "x"), "target")) == (
        f"the target needs extra 'y', which poetry.lock does not have (it has: w, x); {tail}"
    )


def test_file_and_python_problems_worded_from_their_facts() -> None:
    assert render.problem(Problem("no-files", NoFiles(), "empty", "1.0")) == (
        "empty 1.0: the lock records no files for it"
    )
    sdist = NoWheel("win_amd64 / cp312", True, "py3-none", ("m-1-py3-none-any.whl", "m-1.zip"))
    assert (
        render.facts(sdist)
        == "no wheel for win_amd64 / cp312 (installer.no-binary); files have py3-none"
    )
    only_sdist = NoWheel("win_amd64 / cp312", False, "", ("m-1.zip",), sdist_refused=True)
    assert render.facts(only_sdist) == (
        "no wheel for win_amd64 / cp312; files are m-1.zip; installer.only-binary refuses the sdist"
    )
    assert render.facts(PythonOutside("3.8", "", "target")) == (
        "the project does not support Python 3.8 (requires-python ?)"
    )
    assert render.facts(PythonOutside("3.9.1", ">=3.10", "environment")) == (
        "this environment's Python 3.9.1 is outside the project's requires-python (>=3.10): "
        "the lock holds nothing for it; use a Python the project supports (`poetry env use "
        "3.X`), or widen requires-python and `poetry lock`"
    )


def test_another_python_names_the_ones_the_lock_serves() -> None:
    """platform-install's last fix for a forced variant: which Pythons to use instead (the
    lock's own answer), or the general words where nobody asked."""
    from poetry_platform.lockset.problems import Remedy

    general = Remedy("other-python", "3.11")
    assert render.remedy(general) == (
        "install into an environment with a Python the release supports (`poetry env use`)"
    )
    assert render.remedy_json(general)["pythons_served"] is None
    served = replace(general, served=("3.12", "3.13", "3.14"), variant="cuda13")
    assert render.remedy(served) == (
        "install with Python 3.12, 3.13 or 3.14 instead, which poetry.lock serves with cuda13 "
        "(`poetry env use 3.12`)"
    )
    assert render.remedy_json(served)["pythons_served"] == ["3.12", "3.13", "3.14"]
    one = replace(served, served=("3.13",))
    assert render.remedy(one).startswith("install with Python 3.13 instead, which")


def _duplicate(name: str, advice: DuplicateAdvice, who: str | None, *markers: str) -> Duplicate:
    brought = ((who, f"{name} >=1.0"),) if who else ()
    entries = tuple(
        DuplicateEntry(version, None, marker, brought)
        for version, marker in zip(("1.0", "2.0"), markers, strict=True)
    )
    return Duplicate(name, entries, advice, who)


def test_each_duplicate_advice_has_its_words() -> None:
    """The advices no lock test words (the others: tests/check/test_plan.py)."""
    constrain = _duplicate("numpy", "constrain", "user 1.0", "", 'sys_platform == "linux"')
    problem = Problem("duplicate", constrain, "numpy", "1.0, 2.0")
    assert render.problem(problem).split("\n") == [
        "numpy 1.0, 2.0: 2 locked entries are selected at once:",
        "  1.0, required by user 1.0 (numpy >=1.0)",
        "    lock marker: none",
        "  2.0, required by user 1.0 (numpy >=1.0)",
        '    lock marker: sys_platform == "linux"',
        "Fix: user 1.0 requires numpy and accepts every entry, and the lock's markers of the "
        "entries overlap here; constrain numpy in the project to one version for this platform "
        "(e.g. `numpy==<version> ; sys_platform == 'linux'`), then `poetry lock`",
    ]
    assert render.problem_json(problem)["needed"] == "one entry"
    assert render.problem_json(problem)["have"] == "1.0, 2.0"
    own = (
        "Fix: user 1.0 requires {0} and accepts every entry, so no marker on the project's "
        "own {0} requirement (an extra, a source) can keep one out; "
    )
    pin = _duplicate("numpy", "pin-per-platform", "user 1.0", "", "")
    assert render.duplicate_advice(pin) == own.format("numpy") + (
        "pin numpy once per platform with disjoint markers (e.g. `sys_platform == 'linux'` / "
        "`sys_platform != 'linux'`), then `poetry lock`"
    )
    jaxlib = _duplicate("jaxlib", "jaxlib-through-jax", "user 1.0", "", "")
    assert render.duplicate_advice(jaxlib) == own.format("jaxlib") + (
        "take CUDA through jax's extra (`jax[cuda12]`: the CUDA plugin, no `+cuda` jaxlib) "
        "instead, then `poetry lock`"
    )
    extras = _duplicate("torch", "request-one-extra", None, 'extra == "cpu"', 'extra == "cuda"')
    assert render.duplicate_advice(extras) == (
        "Fix: each entry belongs to an extra and both extras are requested: request one "
        "(e.g. with `--variant`), or make them exclusive (`extra == 'a' and extra != 'b'`)"
    )
    sourced = DuplicateEntry("2.9.0+cpu", "cpu", "", ())
    assert render.duplicate_entry_version(sourced) == "2.9.0+cpu from cpu"
    forbidden = replace(
        _duplicate("nvidia-cublas", "forbidden", "torch 2.9.0", "", ""),
        variant="cpu",
        forbid="torch-cpu-index",
    )
    assert render.duplicate_advice(forbidden) == (
        "Fix: no pin (it would keep nvidia-cublas, which variant cpu forbids): take torch from "
        "PyTorch's CPU wheel index, as this target's warning on what variant cpu forbids says; "
        "every entry goes with it"
    )
    for forbid, words in [
        ("jax-into-cuda-extras", "move jax[cudaNN] into the CUDA variants' extras, as"),
        ("keep-out", "keep what brings it out of this variant, as"),
    ]:
        other = render.duplicate_advice(replace(forbidden, forbid=forbid))  # type: ignore[arg-type]
        assert f"forbids): {words} this target's warning" in other


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


def test_forbidden_packages_of_one_cause_are_one_warning_and_identical_lines_print_once() -> None:
    """PyPI's torch under `cpu`: one warning naming the packages (all of them with -v), the
    fix once; the same problem twice is printed once (issue 20)."""
    from poetry_platform.lockset.problems import ForbiddenPackage

    names = [f"nvidia-lib{i}" for i in range(7)]
    forbidden = [
        Problem(
            "forbidden-package",
            ForbiddenPackage("cpu", n, "1.0", "nvidia-*", ("torch 2.9.0",), "torch-cpu-index"),
            n,
            "1.0",
            "warning",
        )
        for n in names
    ]
    wheel = Problem("no-files", NoFiles(), "oldlib", "0.1", "warning")
    lines = render.problem_lines([*forbidden, wheel, wheel])
    assert len(lines) == 3  # the forbidden warning, its fix on a line of its own, the wheel
    # the header above them counts what it prints: "OK with 2 warnings", not 9
    from poetry_platform.render.problems import warning_count

    assert warning_count([*forbidden, wheel, wheel]) == 2
    assert lines[0].startswith(
        "  <warning>- variant cpu forbids nvidia-*, but the install takes 7 such packages, "
        "brought by torch 2.9.0: nvidia-lib0 1.0, nvidia-lib1 1.0, nvidia-lib2 1.0, "
        "nvidia-lib3 1.0, nvidia-lib4 1.0, and 2 more (-v lists them).</warning>"
    )
    assert lines[1].startswith("    PyTorch from PyPI is the CUDA build on Linux: take torch")
    assert "\n".join(lines).count("PyTorch from PyPI") == 1
    assert lines[2] == "  <warning>- oldlib 0.1: the lock records no files for it</warning>"
    verbose = render.problem_lines(forbidden, verbose=True)
    assert "nvidia-lib6 1.0" in "\n".join(verbose)  # -v: every package, on wrapped lines
    assert verbose[0].endswith("brought by torch 2.9.0:</warning>")
    assert verbose[1:3] == [  # a package and its version stay on one line
        "      nvidia-lib0 1.0, nvidia-lib1 1.0, nvidia-lib2 1.0, nvidia-lib3 1.0, nvidia-lib4"
        " 1.0,",
        "      nvidia-lib5 1.0, nvidia-lib6 1.0.",
    ]
    assert verbose[-1].startswith("    PyTorch from PyPI")
    # One package: its sentence, the fix below it.
    first, fix = render.problem(forbidden[0]).split("\n")
    assert render.problem_lines(forbidden[:1]) == [
        f"  <warning>- {first}</warning>",
        f"    {fix}",
    ]
    assert first.endswith("(required by torch 2.9.0).") and fix.startswith("PyTorch from PyPI")


def test_a_verdict_with_exact_fixes_puts_its_reason_and_its_fixes_on_lines_of_their_own() -> None:
    """The real index printed the promise, the reason and the extras list on one 380-character
    line, then "Fixes, the first one that locks first": the reason gets its own line, and the
    list says its order plainly."""
    from poetry_platform.lockset.problems import Cause
    from poetry_platform.lockset.problems import Edit
    from poetry_platform.lockset.problems import MissingAccelerator
    from poetry_platform.lockset.problems import Remedy

    why = Cause("jax>=0.6.2", "no-extra", "jax", "0.6.2", "cuda13", "3.11", ("cuda12", "tpu"))
    fix = Remedy(
        "raise-floor",
        "3.11",
        "jax",
        "cuda13",
        "0.7.2",
        "index",
        ">=3.11",
        edits=(Edit("dependencies", "jax>=0.6.2", ("jax>=0.7.2",)),),
        command="poetry update --lock jax",
    )
    missing = MissingAccelerator(
        "cuda13", "3.11", "family", ("jax-cuda13-plugin",), ("JAX",), ("cuda13",), (why,), (fix,)
    )
    lines = render.missing_accelerator(missing).splitlines()
    assert lines[0] == (
        "variant cuda13 delivers no accelerator on Python 3.11: it must install"
        " jax-cuda13-plugin (JAX build for its extras)"
    )
    assert lines[1] == f"  because {render.cause(why)}"
    assert lines[2] == "  Fixes, in order (platform-check --fix applies the first that locks):"
    assert lines[3].startswith("  1. raise the floor")
    assert max(len(line) for line in lines) < 200
    # without exact edits it stays one line
    short = MissingAccelerator(
        "cuda13", "3.11", "family", ("jax-cuda13-plugin",), ("JAX",), ("cuda13",), (why,), ()
    )
    assert render.missing_accelerator(short) == (f"{lines[0]}; {render.cause(why)}")


def test_the_same_exact_fixes_for_another_python_point_to_the_list_above() -> None:
    """gpu-cuda13 on Python 3.11 and 3.12 (real index: jax 0.6.2 for both) printed the same
    20 lines of fixes twice; the second points at the first, keeping its own drop-this-Python."""
    from poetry_platform.lockset.problems import Cause
    from poetry_platform.lockset.problems import Edit
    from poetry_platform.lockset.problems import MissingAccelerator
    from poetry_platform.lockset.problems import Remedy
    from poetry_platform.render.problems import problem_lines

    def problem(python: str) -> Problem:
        why = Cause("jax>=0.6.2", "no-extra", "jax", "0.6.2", "cuda13", python, ("cuda12",))
        split = Remedy(
            "raise-floor",
            python,
            "jax",
            "cuda13",
            "0.7.2",
            "index",
            ">=3.11",
            edits=(Edit("dependencies", "jax>=0.6.2", ("jax>=0.7.2",)),),
            command="poetry update --lock jax",
        )
        drop = Remedy("drop-python", python, target="gpu")
        missing = MissingAccelerator(
            "cuda13", python, "family", ("p",), ("JAX",), ("cuda13",), (why,), (split, drop)
        )
        return Problem("missing-accelerator", missing, None, None, "error")

    listed: dict[tuple[object, ...], str] = {}
    first = problem_lines([problem("3.11")], listed=listed, where="gpu on Python 3.11")
    second = problem_lines([problem("3.12")], listed=listed, where="gpu on Python 3.12")
    assert any("1. raise the floor" in line for line in first)
    assert "1. raise the floor" not in "\n".join(second)
    assert second[-1] == (
        "      Fixes: as listed for gpu on Python 3.11 above; or drop Python 3.12 from target gpu"
    )
    assert second[1].startswith("      because the locked jax 0.6.2 for Python 3.12")
    # without `listed` (install, show, JSON), every verdict lists its fixes
    assert "1. raise the floor" in "\n".join(problem_lines([problem("3.12")]))
