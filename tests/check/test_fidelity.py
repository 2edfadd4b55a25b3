"""The fidelity rule on hand-written locks read by Poetry's own `Locker` (the lock shapes
`poetry lock` cannot be made to write on the local index: a lock split by Python, old
`+cuda` jaxlib labels, PyTorch's CUDA builds)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

import pytest
import tomlkit
from poetry.core.packages.dependency import Dependency
from poetry.core.packages.package import Package
from poetry.packages.locker import Locker

from poetry_platform import render
from poetry_platform.accelerators import infer_variants
from poetry_platform.check.fidelity import Fidelity
from poetry_platform.check.fidelity import judge
from poetry_platform.check.fidelity import matches
from poetry_platform.config import load_config
from poetry_platform.lockset.install_set import marker_environment
from poetry_platform.lockset.install_set import select_locked
from poetry_platform.lockset.lock import Relations
from poetry_platform.lockset.lock import read_relations

if TYPE_CHECKING:
    from pathlib import Path

    from poetry_platform.check.fidelity import FirstRelease
    from poetry_platform.model import Variant


def entry(
    name: str,
    version: str,
    *,
    markers: str | None = None,
    python: str = ">=3.10",
    deps: dict[str, str] | None = None,
    extras: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "version": version,
        "description": "",
        "optional": False,
        "python-versions": python,
        "groups": ["main"],
        "files": [{"file": f"{name}-{version}-py3-none-any.whl", "hash": "sha256:00"}],
    }
    if markers:
        out["markers"] = markers
    if deps:
        out["dependencies"] = deps
    if extras:
        out["extras"] = extras
    return out


class Lock:
    def __init__(self, tmp_path: Path, packages: list[dict[str, Any]]) -> None:
        doc: dict[str, Any] = {"package": packages}
        doc["metadata"] = {"lock-version": "2.1", "python-versions": ">=3.10", "content-hash": "0"}
        path = tmp_path / "poetry.lock"
        path.write_text(tomlkit.dumps(doc), encoding="utf-8")
        locker = Locker(path, {})
        self.locked = locker.locked_packages()
        self.relations = read_relations(locker.lock_data)

    def relations_of(self, package: Package) -> Relations:
        return self.relations.get((package.name, package.pretty_version), Relations())

    def judge(
        self,
        variant: Variant,
        requirements: list[Dependency],
        *,
        python: str = "3.11.4",
        platform: str = "linux",
        first_release: FirstRelease | None = None,
    ) -> Fidelity:
        env = marker_environment(platform, "x86_64", python)
        selected = select_locked(self.locked, env, ["main"], variant.extras)
        without = select_locked(self.locked, env, ["main"], [])
        return judge(
            variant,
            python=python.rsplit(".", 1)[0],
            selected=selected,
            without_extras=lambda: without,
            locked=self.locked,
            relations=self.relations_of,
            requirements=requirements,
            marker_env=env,
            target="gpu",
            first_release=first_release,
        )


def requirement(text: str, extra: str | None = None) -> Dependency:
    """A project requirement as Poetry reads it; `extra`: one of its optional extras."""
    if extra is not None:
        joiner = " and " if ";" in text else " ; "
        text += f"{joiner}extra == '{extra}'"
    return Dependency.create_from_pep_508(text)


def variants(*extras: str) -> dict[str, Variant]:
    return {v.name: v for v in infer_variants(list(extras))}


@pytest.mark.parametrize(
    ("pattern", "name", "version", "expected"),
    [
        ("jax-cuda13-plugin", "jax-cuda13-plugin", "0.7.2", True),
        ("jax-cuda*-plugin", "jax_cuda12_plugin", "0.7.2", True),
        ("nvidia-*-cu12", "nvidia-cublas-cu12", "12.8.4.1", True),
        ("nvidia-*-cu12", "nvidia-cublas", "13.0.0.19", False),
        ("torch+cu126", "torch", "2.9.0+cu126", True),
        ("torch+cu126", "torch", "2.9.0", False),
        ("torch+cu*", "torch", "2.9.0+cpu", False),
        ("jaxlib+cuda12*", "jaxlib", "0.4.30+cuda12.cudnn89", True),
        ("torch", "torch", "2.9.0+cpu", True),
    ],
)
def test_patterns_match_names_and_local_labels(
    pattern: str, name: str, version: str, expected: bool
) -> None:
    assert matches(pattern, Package(name, version)) is expected


SPLIT = [
    entry(
        "jax",
        "0.6.2",
        markers='python_version < "3.12"',
        deps={"jaxlib": "0.6.2"},
        extras={"cuda12": ['jax-cuda12-plugin (==0.6.2) ; sys_platform == "linux"']},
    ),
    entry(
        "jax",
        "0.7.2",
        markers='python_version >= "3.12"',
        python=">=3.12",
        deps={"jaxlib": "0.7.2"},
        extras={
            "cuda12": ['jax-cuda12-plugin (==0.7.2) ; sys_platform == "linux"'],
            "cuda13": ['jax-cuda13-plugin (==0.7.2) ; sys_platform == "linux"'],
        },
    ),
    entry("jaxlib", "0.6.2", markers='python_version < "3.12"'),
    entry("jaxlib", "0.7.2", markers='python_version >= "3.12"', python=">=3.12"),
    entry(
        "jax-cuda13-plugin",
        "0.7.2",
        python=">=3.12",
        markers='python_version >= "3.12" and sys_platform == "linux" and extra == "cuda13"',
    ),
    entry(
        "jax-cuda12-plugin",
        "0.6.2",
        markers='python_version < "3.12" and sys_platform == "linux" and extra == "cuda12"',
    ),
]
JAX_REQUIREMENTS = [
    requirement("jax>=0.6.2"),
    requirement("jax[cuda13]>=0.6.2 ; sys_platform == 'linux'", "cuda13"),
    requirement("jax[cuda12]>=0.6.2 ; sys_platform == 'linux'", "cuda12"),
]


def test_a_lock_split_by_python_names_the_locked_release_with_the_extra(tmp_path: Path) -> None:
    lock = Lock(tmp_path, SPLIT)
    cuda13 = variants("cuda12", "cuda13")["cuda13"]

    broken = lock.judge(cuda13, JAX_REQUIREMENTS, python="3.11.4")
    assert broken.missing is not None
    [cause] = broken.missing.causes
    assert (cause.kind, cause.package, cause.version) == ("no-extra", "jax", "0.6.2")
    assert (cause.first_with_extra, cause.first_with_extra_python) == ("0.7.2", ">=3.12")
    assert render.remedy(broken.missing.remedies[0]) == (
        "raise the floor to jax[cuda13]>=0.7.2 (the oldest locked release with the extra, "
        "which needs Python >=3.12, not 3.11) and re-lock"
    )
    assert [p.kind for p in broken.problems()] == ["missing-accelerator"]

    kept = lock.judge(cuda13, JAX_REQUIREMENTS, python="3.12.1")
    assert kept.missing is None
    assert kept.delivered_by == ("jax-cuda13-plugin 0.7.2",)
    # cuda12 on 3.11 is delivered; on 3.12 the lock keeps its plugin out (next test).
    assert lock.judge(variants("cuda12")["cuda12"], JAX_REQUIREMENTS).missing is None


def test_the_index_is_asked_only_to_word_a_missing_accelerators_fix(tmp_path: Path) -> None:
    """platform-check's verdict never needs the network: a variant the lock delivers asks
    nothing; one it does not asks once per release to raise, and only its fix changes."""
    lock = Lock(tmp_path, SPLIT)
    cuda13 = variants("cuda12", "cuda13")["cuda13"]
    asked: list[tuple[str, str]] = []

    def index(name: str, extra: str) -> tuple[str, str] | None:
        asked.append((name, extra))
        return ("0.7.2", ">=3.11")

    kept = lock.judge(cuda13, JAX_REQUIREMENTS, python="3.12.1", first_release=index)
    assert kept.missing is None
    assert asked == []

    broken = lock.judge(cuda13, JAX_REQUIREMENTS, python="3.11.4", first_release=index)
    offline = lock.judge(cuda13, JAX_REQUIREMENTS, python="3.11.4")
    assert asked == [("jax", "cuda13")]
    assert broken.missing is not None and offline.missing is not None
    assert (broken.missing.rule, broken.missing.causes) == (
        offline.missing.rule,
        offline.missing.causes,
    )
    assert render.remedy(broken.missing.remedies[0]) == (
        "raise the floor to jax[cuda13]>=0.7.2 (its first release with the extra, per the "
        "index, which needs Python >=3.11) and re-lock"
    )


def test_extra_whose_packages_the_lock_keeps_out(tmp_path: Path) -> None:
    lock = Lock(tmp_path, SPLIT)
    cuda12 = variants("cuda12")["cuda12"]
    fidelity = lock.judge(cuda12, JAX_REQUIREMENTS, python="3.12.1")
    assert fidelity.missing is not None
    [cause] = fidelity.missing.causes
    assert cause.kind == "extra-excluded"
    assert "has extra cuda12 (jax-cuda12-plugin), but the lock's markers keep" in render.cause(
        cause
    )


def test_a_variant_not_running_on_the_target_promises_nothing(tmp_path: Path) -> None:
    lock = Lock(tmp_path, SPLIT)
    cuda13 = variants("cuda13")["cuda13"]  # inferred: sys_platform == 'linux'
    fidelity = lock.judge(cuda13, JAX_REQUIREMENTS, platform="darwin")
    assert not fidelity.applies
    assert fidelity.problems() == []


def test_requirement_that_does_not_apply_to_this_python(tmp_path: Path) -> None:
    lock = Lock(tmp_path, SPLIT)
    guarded = [
        requirement("jax>=0.6.2"),
        requirement("jax[cuda13]>=0.7.2 ; python_version >= '3.12'", "cuda13"),
    ]
    fidelity = lock.judge(variants("cuda13")["cuda13"], guarded, python="3.11.4")
    assert fidelity.missing is not None
    assert [c.kind for c in fidelity.missing.causes] == ["not-applicable"]


def test_unknown_family_gets_the_generic_rule(tmp_path: Path) -> None:
    """A `cuda12` extra pulling another library's CUDA build keeps working."""
    lock = Lock(
        tmp_path,
        [
            entry("cupy-cuda12x", "13.4.0", markers='extra == "cuda12"'),
            entry("numpy", "2.2.6"),
        ],
    )
    reqs = [requirement("numpy"), requirement("cupy-cuda12x", "cuda12")]
    fidelity = lock.judge(variants("cuda12")["cuda12"], reqs)
    assert fidelity.missing is None
    assert fidelity.delivered_by == ("cupy-cuda12x 13.4.0",)

    empty = Lock(tmp_path, [entry("numpy", "2.2.6")])
    broken = empty.judge(variants("cuda12")["cuda12"], reqs)
    assert broken.missing is not None
    assert broken.missing.rule == "adds-a-package"
    assert [c.kind for c in broken.missing.causes] == ["not-selected"]


def test_torch_builds_by_label_and_cpu_forbids(tmp_path: Path) -> None:
    lock = Lock(
        tmp_path,
        [
            entry("torch", "2.9.0+cu126", markers='extra == "cu126" and extra != "cpu"'),
            entry(
                "torch",
                "2.9.0+cpu",
                markers='extra == "cpu" and extra != "cu126"',
                deps={"filelock": "*"},
            ),
            entry("filelock", "3.18.0", markers='extra == "cpu" or extra == "cu126"'),
        ],
    )
    reqs = [requirement("torch==2.9.0+cu126", "cu126"), requirement("torch==2.9.0+cpu", "cpu")]
    by_name = variants("cu126", "cpu")
    assert lock.judge(by_name["cu126"], reqs).delivered_by == ("torch 2.9.0+cu126",)
    assert lock.judge(by_name["cpu"], reqs).forbidden == ()

    # The cpu variant taking the CUDA build: a forbidden package, with who requires it.
    wrong = Lock(
        tmp_path,
        [
            entry("torch", "2.9.0+cu126", deps={"nvidia-cudnn-cu12": "9.10.2.21"}),
            entry("nvidia-cudnn-cu12", "9.10.2.21"),
            # NVML's pure-Python bindings (pynvml): no CUDA runtime, an exception by default.
            entry("pynvml", "12.0.0", deps={"nvidia-ml-py": ">=12.0.0,<13.0.0a0"}),
            entry("nvidia-ml-py", "12.575.51"),
        ],
    )
    fidelity = wrong.judge(by_name["cpu"], [requirement("torch"), requirement("pynvml")])
    assert [(f.package, f.pattern, f.required_by) for f in fidelity.forbidden] == [
        ("nvidia-cudnn-cu12", "nvidia-*", ("torch 2.9.0+cu126",)),
        ("torch", "torch+cu*", ("the project",)),
    ]
    assert {p.severity for p in fidelity.problems()} == {"warning"}
    assert "CPU wheel index as an explicit source" in render.forbidden(fidelity.forbidden[0])


def test_declared_empty_provides_promises_nothing(tmp_path: Path) -> None:
    config = load_config(
        {
            "tool": {
                "poetry-platform": {
                    "variant": [{"name": "x", "extras": ["cuda13"], "provides": []}]
                }
            }
        },
        ["cuda13"],
        [],
    )
    lock = Lock(tmp_path, SPLIT)
    assert lock.judge(config.variants[0], JAX_REQUIREMENTS).missing is None


def test_a_provides_matching_nothing_in_the_lock_is_named_as_the_cause(tmp_path: Path) -> None:
    """A mistyped glob, not the Python range, is why nothing is delivered: the fix is the
    glob (was: "narrow requires-python ... or drop Python 3.11 from target gpu")."""
    config = load_config(
        {
            "tool": {
                "poetry-platform": {
                    "variant": [
                        {"name": "gpu", "extras": ["cuda13"], "provides": ["nonexistent-*"]}
                    ]
                }
            }
        },
        ["cuda13"],
        [],
    )
    lock = Lock(tmp_path, SPLIT)
    fidelity = lock.judge(config.variants[0], JAX_REQUIREMENTS, python="3.11.4")
    assert fidelity.missing is not None
    assert fidelity.missing.matches_nothing
    assert (fidelity.missing.causes, fidelity.missing.remedies) == ((), ())
    assert "requires-python" not in render.missing_accelerator(fidelity.missing)
    fidelity = lock.judge(config.variants[0], JAX_REQUIREMENTS, python="3.12.1")
    assert fidelity.missing is not None
    text = render.missing_accelerator(fidelity.missing)
    assert text == (
        "variant gpu delivers no accelerator on Python 3.12: it provides nonexistent-* "
        "(declared), and no package in poetry.lock matches that: the likely cause is the "
        "provides glob itself. Fix: write the accelerator's package names as poetry.lock "
        "has them in [tool.poetry-platform] variant gpu's provides (its extras add "
        "jax-cuda13-plugin here)"
    )
    # A glob that matches a locked package (kept out on this Python) is not the cause.
    other = load_config(
        {
            "tool": {
                "poetry-platform": {
                    "variant": [{"name": "gpu", "extras": ["cuda13"], "provides": ["jax-cuda13-*"]}]
                }
            }
        },
        ["cuda13"],
        [],
    )
    kept_out = lock.judge(other.variants[0], JAX_REQUIREMENTS, python="3.11.4")
    assert kept_out.missing is not None
    assert not kept_out.missing.matches_nothing
    assert kept_out.missing.causes
    assert kept_out.missing.unmatched == ()
    assert "likely cause" not in render.missing_accelerator(kept_out.missing)


def test_a_mistyped_glob_beside_a_right_one_is_named_as_the_likely_cause(tmp_path: Path) -> None:
    """One glob matches a locked package (kept out on this Python), the other nothing in
    poetry.lock: the typo is named first, before what the lock says (issue 18's leftover)."""
    config = load_config(
        {
            "tool": {
                "poetry-platform": {
                    "variant": [
                        {
                            "name": "gpu",
                            "extras": ["cuda13"],
                            "provides": ["jax-cuda13-*", "jax-cuda31-plugin"],
                        }
                    ]
                }
            }
        },
        ["cuda13"],
        [],
    )
    fidelity = Lock(tmp_path, SPLIT).judge(config.variants[0], JAX_REQUIREMENTS, python="3.11.4")
    assert fidelity.missing is not None
    assert not fidelity.missing.matches_nothing
    assert fidelity.missing.unmatched == ("jax-cuda31-plugin",)
    assert fidelity.missing.causes  # the lock's own reasons still follow
    text = render.missing_accelerator(fidelity.missing)
    first = text.splitlines()[0]
    assert (
        "; no package in poetry.lock matches jax-cuda31-plugin: the likely cause is that"
        " provides glob (fix it in [tool.poetry-platform] variant gpu's provides); " in first
    )
    assert first.index("jax-cuda31-plugin: the likely") < first.index(
        render.cause(fidelity.missing.causes[0])
    )
    assert render.missing_json(fidelity.missing)["unmatched"] == ["jax-cuda31-plugin"]


def test_the_other_pythons_the_lock_serves_a_variant_on(tmp_path: Path) -> None:
    """check/served.py: "use another Python" names the Pythons on which this lock delivers
    the variant's accelerator and has a wheel for every package; not this one, not one the
    project excludes, not one whose wheels are missing."""
    from packaging.version import Version

    from poetry_platform.check.served import served_pythons
    from poetry_platform.lockset.lock import LockState
    from poetry_platform.lockset.tags import SupportedTags
    from poetry_platform.lockset.tags import tag_target

    def hashed(entries: list[dict[str, Any]], plugin_wheel: str | None = None) -> LockState:
        """SPLIT with hashes a file check accepts (and the CUDA 13 plugin's wheel named)."""
        out = []
        for e in entries:
            wheel = e["files"][0]["file"]
            if plugin_wheel and e["name"] == "jax-cuda13-plugin":
                wheel = plugin_wheel
            out.append(e | {"files": [{"file": wheel, "hash": "sha256:" + "a" * 64}]})
        directory = tmp_path / str(len(list(tmp_path.iterdir())))
        directory.mkdir()
        lock = Lock(directory, out)
        return LockState(locked=lock.locked, relations=lock.relations)

    cuda13 = variants("cuda12", "cuda13")["cuda13"]

    def linux(python: str) -> SupportedTags | None:
        return SupportedTags.for_target(tag_target("linux", "x86_64", Version(python)))

    def served(**kwargs: Any) -> tuple[str, ...]:
        arguments: dict[str, Any] = {
            "lock": hashed(SPLIT),
            "marker_env": marker_environment("linux", "x86_64", "3.11.4"),
            "groups": ["main"],
            "requirements": JAX_REQUIREMENTS,
            "allowed": lambda python: python in {"3.10", "3.11", "3.12", "3.13"},
            "tags_for": linux,
        } | kwargs
        return served_pythons(cuda13, **arguments)

    # jax 0.7.2 and its CUDA 13 plugin are locked for 3.12 and up; the project stops at 3.13
    assert served() == ("3.12", "3.13")
    assert served(allowed=lambda _: True) == ("3.12", "3.13", "3.14", "3.15")
    # from 3.12 itself, the others; tags unknown for a Python: it is not vouched for
    assert served(marker_env=marker_environment("linux", "x86_64", "3.12.1")) == ("3.13",)
    assert served(tags_for=lambda p: None if p == "3.12" else linux(p)) == ("3.13",)
    # a machine the variant does not run on (inferred cuda13: Linux only) is served nowhere
    assert served(marker_env=marker_environment("darwin", "arm64", "3.11.4")) == ()
    # the plugin's only wheel is for CPython 3.13: 3.12 has none, so only 3.13 is served
    only_313 = "jax_cuda13_plugin-0.7.2-cp313-cp313-manylinux_2_27_x86_64.whl"
    assert served(lock=hashed(SPLIT, only_313)) == ("3.13",)
    # a lock without the files' hashes cannot be installed anywhere: nothing is vouched for
    broken = Lock(tmp_path, SPLIT)  # "sha256:00"
    assert served(lock=LockState(locked=broken.locked, relations=broken.relations)) == ()


def test_the_other_pythons_judged_by_every_rule_and_setting(tmp_path: Path) -> None:
    """The generic rule (a package the variant's extras add), Poetry's binary policy and a
    duplicate entry count on the other Pythons as on this one."""
    from packaging.version import Version

    from poetry_platform.check.served import served_pythons
    from poetry_platform.lockset.files import BinaryPolicy
    from poetry_platform.lockset.lock import LockState
    from poetry_platform.lockset.tags import SupportedTags
    from poetry_platform.lockset.tags import tag_target

    good = {"hash": "sha256:" + "a" * 64}

    def state(directory: str, entries: list[dict[str, Any]]) -> LockState:
        (tmp_path / directory).mkdir()
        for e in entries:
            e["files"] = [{"file": e["files"][0]["file"]} | good]
        lock = Lock(tmp_path / directory, entries)
        return LockState(locked=lock.locked, relations=lock.relations)

    def served(
        lock: LockState, variant: Variant, requirements: list[Dependency], **kw: Any
    ) -> tuple[str, ...]:
        return served_pythons(
            variant,
            lock=lock,
            marker_env=marker_environment("linux", "x86_64", "3.11.4"),
            groups=["main"],
            requirements=requirements,
            allowed=lambda python: python in {"3.10", "3.11", "3.12", "3.13"},
            tags_for=lambda p: SupportedTags.for_target(tag_target("linux", "x86_64", Version(p))),
            **kw,
        )

    # cupy's CUDA 12 build, locked for 3.12 and up: the generic rule finds it added there
    cupy = state(
        "cupy",
        [
            entry(
                "cupy-cuda12x", "13.4.0", markers='extra == "cuda12" and python_version >= "3.12"'
            ),
            entry("numpy", "2.2.6"),
        ],
    )
    reqs = [requirement("numpy"), requirement("cupy-cuda12x", "cuda12")]
    assert served(cupy, variants("cuda12")["cuda12"], reqs) == ("3.12", "3.13")

    cuda13 = variants("cuda12", "cuda13")["cuda13"]
    split = state("split", [dict(e) for e in SPLIT])
    assert served(split, cuda13, JAX_REQUIREMENTS) == ("3.12", "3.13")
    # installer.no-binary jaxlib: its wheels are refused, so no Python is served
    no_binary = BinaryPolicy(no_binary=frozenset({"jaxlib"}))
    assert served(split, cuda13, JAX_REQUIREMENTS, policy=no_binary) == ()
    # two jaxlib entries selected at once on 3.13: 3.12 alone is served
    doubled = [dict(e) for e in SPLIT] + [
        entry("jaxlib", "0.7.3", markers='python_version >= "3.13"', python=">=3.12")
    ]
    assert served(state("doubled", doubled), cuda13, JAX_REQUIREMENTS) == ("3.12",)
