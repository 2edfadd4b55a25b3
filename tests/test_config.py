from __future__ import annotations

from typing import Any

import pytest
from packaging.specifiers import SpecifierSet

from poetry_platform.accelerators import infer_variants
from poetry_platform.config import ConfigError
from poetry_platform.config import load_config


def _pyproject(table: dict[str, Any]) -> dict[str, Any]:
    return {"tool": {"poetry-platform": table}}


EXTRAS = ["cuda12", "cuda13", "cpu", "plot"]
GROUPS = ["test", "cloud", "dev", "cloud_dev"]


def test_declared_variants_keep_order_and_fields() -> None:
    config = load_config(
        _pyproject(
            {
                "variant": [
                    {
                        "name": "cuda13",
                        "extras": ["cuda13"],
                        "groups": ["cloud"],
                        "requires": {
                            "markers": "sys_platform == 'linux'",
                            "cuda": ">=13.0",
                            "compute-capability": ">=7.5",
                        },
                    },
                    {"name": "cpu", "extras": []},
                ]
            }
        ),
        EXTRAS,
        GROUPS,
    )
    assert [v.name for v in config.variants] == ["cuda13", "cpu"]
    first = config.variants[0]
    assert first.extras == ("cuda13",)
    assert first.groups == ("cloud",)
    assert first.requires.cuda == SpecifierSet(">=13.0")
    assert first.requires.compute_capability == SpecifierSet(">=7.5")
    cpu = config.variants[1].requires
    assert (cpu.cuda, cpu.compute_capability, cpu.rocm) == (None, None, None)
    assert not config.variants_inferred
    assert config.variant_extras == {"cuda13"}


def test_bare_version_means_at_least() -> None:
    config = load_config(
        _pyproject({"variant": [{"name": "gpu", "requires": {"cuda": "12.4"}}]}), [], []
    )
    assert config.variants[0].requires.cuda == SpecifierSet(">=12.4")


@pytest.mark.parametrize(
    ("table", "key", "words"),
    [
        ({"variants": []}, "variants", "unknown key"),
        (
            {"variant": [{"name": "a", "provides": "jax-cuda13-plugin"}]},
            "variant[0] (a).provides",
            "must be a list of strings",
        ),
        (
            {"variant": [{"name": "a", "forbids": ["nvidia-*", 3]}]},
            "variant[0] (a).forbids",
            "must be a list of strings",
        ),
        (
            {"variant": [{"name": "a", "provides": ["torch >= 2"]}]},
            "variant[0] (a).provides",
            "not a package pattern",
        ),
        (
            {"variant": [{"name": "a", "forbids": ["torch+"]}]},
            "variant[0] (a).forbids",
            "not a package pattern",
        ),
        (
            {"variant": [{"name": "a", "provides": ["!jax-cuda13-plugin"]}]},
            "variant[0] (a).provides",
            "exceptions (`!`) belong in forbids only",
        ),
        ({"variant": [{"name": "a", "extra": ["x"]}]}, "variant[0] (a).extra", "unknown key"),
        (
            {"variant": [{"name": "a", "requires": {"cuda": "=>12"}}]},
            "variant[0] (a).requires.cuda",
            "not a valid version specifier",
        ),
        (
            {"variant": [{"name": "a", "requires": {"markers": "sys_platform = 'linux'"}}]},
            "variant[0] (a).requires.markers",
            "not a valid PEP 508 marker",
        ),
        (
            {"variant": [{"name": "a"}, {"name": "a"}]},
            "variant[1] (a).name",
            "duplicate variant name",
        ),
        (
            {"variant": [{"name": "a", "extras": ["cuda14"]}]},
            "variant[0] (a).extras",
            "no extra 'cuda14'",
        ),
        (
            {"variant": [{"name": "a", "groups": ["gpu"]}]},
            "variant[0] (a).groups",
            "no group 'gpu'",
        ),
        ({"variant": [{"extras": []}]}, "variant[0].name", "is required"),
        ({"variant": []}, "variant", "declares no variant"),
        ({"installer": "pip"}, "installer", "unknown installer"),
        ({"linked": [["jax"]]}, "linked[0]", "at least two"),
        (
            {"target": [{"name": "mac", "sys_platform": "darwin", "platform_machine": "arm64"}]},
            "target[0] (mac).python",
            "is required",
        ),
        (
            {
                "target": [
                    {
                        "name": "mac",
                        "sys_platform": "darwin",
                        "platform_machine": "arm64",
                        "python": "3.12",
                        "variant": "metal",
                    }
                ]
            },
            "target[0] (mac).variant",
            "no variant 'metal'",
        ),
    ],
)
def test_invalid_configuration_names_the_key(table: dict[str, Any], key: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_pyproject(table), EXTRAS, GROUPS)
    assert info.value.key == key
    assert words in str(info.value)
    assert str(info.value).startswith(f"[tool.poetry-platform] {key}: ")
    assert "\n" not in str(info.value)


def test_a_guess_ends_its_sentence_and_the_fix_starts_another() -> None:
    """Was "did you mean cuda13?; name a declared variant"."""
    target = {
        "name": "gpu",
        "sys_platform": "linux",
        "platform_machine": "x86_64",
        "python": "3.12",
        "variant": "cuda-13",
    }
    with pytest.raises(ConfigError) as info:
        load_config(_pyproject({"target": [target]}), ["cuda12", "cuda13"], GROUPS)
    assert str(info.value) == (
        "[tool.poetry-platform] target[0] (gpu).variant: there is no variant 'cuda-13'"
        " (variants: cpu, cuda12, cuda13); did you mean cuda13? Otherwise name a declared"
        " variant"
    )
    with pytest.raises(ConfigError) as info:
        load_config(_pyproject({"variants": []}), EXTRAS, GROUPS)
    assert "; did you mean variant? Otherwise allowed keys here are " in str(info.value)


def test_group_names_are_normalized_like_poetry() -> None:
    config = load_config(
        _pyproject({"variant": [{"name": "a", "groups": ["Cloud.Dev"]}]}), [], ["cloud_dev"]
    )
    assert config.variants[0].groups == ("Cloud.Dev",)


def test_targets_parse_versions_and_defaults() -> None:
    config = load_config(
        _pyproject(
            {
                "target": [
                    {
                        "name": "mac",
                        "sys_platform": "darwin",
                        "platform_machine": "arm64",
                        "python": ["3.11", "3.12"],
                        "macos": "14.0",
                        "variant": "cpu",
                    }
                ]
            }
        ),
        EXTRAS,
        GROUPS,
    )
    (target,) = config.targets
    assert [str(p) for p in target.pythons] == ["3.11", "3.12"]
    assert str(target.macos) == "14.0"
    assert target.groups == ("main",)
    assert target.variant == "cpu"


def test_no_table_infers_from_extras_newest_cuda_first() -> None:
    config = load_config({}, ["plot", "cuda12", "cpu", "cuda13"], [])
    assert config.variants_inferred
    assert [v.name for v in config.variants] == ["cuda13", "cuda12", "cpu"]
    cuda13 = config.variants[0]
    assert cuda13.requires.cuda == SpecifierSet(">=13.0")
    assert cuda13.requires.compute_capability == SpecifierSet(">=7.5")
    assert str(cuda13.requires.markers) == 'sys_platform == "linux"'
    assert config.variants[1].requires.compute_capability is None


def test_inference_understands_torch_and_rocm_names() -> None:
    names = [v.name for v in infer_variants(["cu126", "rocm6.2", "cu130", "cu118", "rocm"])]
    assert names == ["cu130", "cu126", "cu118", "rocm6.2", "rocm", "cpu"]
    by_name = {v.name: v for v in infer_variants(["cu126", "rocm6.2"])}
    assert by_name["cu126"].requires.cuda == SpecifierSet(">=12.6")
    assert by_name["rocm6.2"].requires.rocm == SpecifierSet(">=6.2")
    # No cpu extra: a cpu variant without extras is still there for hosts without a GPU.
    assert by_name["cpu"].extras == ()


def test_inference_without_accelerator_extras_is_a_single_default() -> None:
    variants = infer_variants(["plot", "docs"])
    assert [(v.name, v.extras) for v in variants] == [("cpu", ())]


def test_declared_provides_and_forbids_are_normalized_globs() -> None:
    config = load_config(
        _pyproject(
            {
                "variant": [
                    {
                        "name": "gpu",
                        "extras": ["cuda12"],
                        "provides": ["CuPy_CUDA12x", "jax-cuda12-*", "Torch+CU12*"],
                    },
                    {"name": "cpu", "extras": ["cpu"], "forbids": ["nvidia-*", "!NVIDIA_ml_py"]},
                    {"name": "plain", "provides": []},
                ]
            }
        ),
        EXTRAS,
        GROUPS,
    )
    gpu, cpu, plain = config.variants
    assert gpu.promise.provides == ("cupy-cuda12x", "jax-cuda12-*", "torch+cu12*")
    # Declared provides replace the inferred family rules; forbids keep their default.
    assert gpu.promise.families == ()
    assert gpu.promise.forbids == ()
    assert cpu.promise.forbids == ("nvidia-*", "!nvidia-ml-py")
    assert cpu.promise.forbids_declared
    assert cpu.promise.provides is None
    # An empty list is a promise of nothing: no inferred rule either.
    assert plain.promise.provides == ()


def test_inferred_promises_per_family() -> None:
    by_name = {v.name: v for v in infer_variants(["cuda13", "cu126", "rocm6.2"])}
    cuda13 = by_name["cuda13"].promise
    assert cuda13.provides is None
    assert [(f.family, f.present, f.provides) for f in cuda13.families] == [
        ("JAX", ("jax", "jaxlib"), ("jax-cuda13-plugin", "jaxlib+cuda13*")),
        ("PyTorch", ("torch",), ("torch+cu13*", "nvidia-*-cu13")),
    ]
    cu126 = by_name["cu126"].promise
    assert cu126.families[1].provides == ("torch+cu126", "nvidia-*-cu12")
    assert by_name["rocm6.2"].promise.families[1].provides == ("torch+rocm*",)
    # The default cpu variant (no extras) forbids GPU builds; GPU variants forbid nothing.
    cpu = by_name["cpu"].promise
    assert cpu.families == ()
    assert "nvidia-*" in cpu.forbids
    assert "torch+cu*" in cpu.forbids
    assert "jax-cuda*-plugin" in cpu.forbids
    assert cuda13.forbids == ()


def test_declared_variants_get_inferred_promises() -> None:
    config = load_config(
        _pyproject({"variant": [{"name": "gpu", "extras": ["cuda13"]}, {"name": "cpu"}]}),
        EXTRAS,
        GROUPS,
    )
    gpu, cpu = config.variants
    assert gpu.promise.families[0].provides == ("jax-cuda13-plugin", "jaxlib+cuda13*")
    assert "nvidia-*" in cpu.promise.forbids
    assert not cpu.promise.forbids_declared


@pytest.mark.parametrize(
    ("key", "patterns", "words"),
    [
        ("forbids", ["[invalid", "!"], "'[invalid' has an unclosed `[`"),
        ("forbids", ["nvidia-*", "!"], "'!' is an exception of nothing"),
        ("forbids", ["!!nvidia-*"], "has a `!` that is not at the start"),
        ("provides", ["jax-cuda1[23-plugin"], "has an unclosed `[`"),
        ("provides", ["jax]"], "has a `]` without its `[`"),
        ("provides", ["torch+cu12[[6]"], "has a `[` inside a `[...]` set"),
        ("provides", ["[!]"], "has an unclosed `[`"),
    ],
)
def test_globs_are_checked_for_meaning(key: str, patterns: list[str], words: str) -> None:
    """fnmatch reads these as literals or as an exception of nothing: accepted, they would
    match nothing and no one would know."""
    with pytest.raises(ConfigError) as info:
        load_config(_pyproject({"variant": [{"name": "a", key: patterns}]}), EXTRAS, GROUPS)
    assert info.value.key == f"variant[0] (a).{key}"
    assert words in str(info.value)
    assert "\n" not in str(info.value)
    example = '"!nvidia-nccl-cu12"' if key == "forbids" else '"torch+cu126"'
    assert example in str(info.value)


def test_valid_globs_still_pass() -> None:
    variant = {
        "name": "a",
        "provides": ["jax-cuda1[23]-plugin", "torch+cu12[68]", "nvidia-?ublas*"],
        "forbids": ["nvidia-*", "![!x]vidia-nccl*"],
    }
    (parsed,) = load_config(_pyproject({"variant": [variant]}), EXTRAS, GROUPS).variants
    assert parsed.promise.provides == ("jax-cuda1[23]-plugin", "torch+cu12[68]", "nvidia-?ublas*")


@pytest.mark.parametrize(
    ("key", "value", "example"),
    [
        ("glibc", "new", 'e.g. glibc = "2.28"'),
        ("musl", 1, 'e.g. musl = "1.2"'),
        ("python", "three", 'e.g. python = "3.12"'),
    ],
)
def test_each_keys_example_is_of_its_kind(key: str, value: object, example: str) -> None:
    target = {"name": "t", "sys_platform": "linux", "platform_machine": "x86_64", "python": "3.12"}
    with pytest.raises(ConfigError) as info:
        load_config(_pyproject({"target": [{**target, key: value}]}), EXTRAS, GROUPS)
    assert info.value.key == f"target[0] (t).{key}"
    assert str(info.value).endswith(example)


def test_requirement_examples_are_of_their_kind() -> None:
    for key, example in (
        ("compute-capability", 'e.g. compute-capability = ">=7.5"'),
        ("rocm", 'e.g. rocm = ">=6.0"'),
        ("cuda", 'e.g. cuda = ">=12.0"'),
    ):
        variant = {"name": "a", "requires": {key: "fast"}}
        with pytest.raises(ConfigError) as info:
            load_config(_pyproject({"variant": [variant]}), EXTRAS, GROUPS)
        assert str(info.value).endswith(example), key
    with pytest.raises(ConfigError) as info:
        load_config(_pyproject({"variant": [{"name": "a", "extras": "cuda13"}]}), EXTRAS, GROUPS)
    assert str(info.value).endswith('e.g. extras = ["cuda13"]')
