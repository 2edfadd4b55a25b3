"""The update bots' example configurations (examples/github/dependabot.yml, renovate.json):
valid against the bots' schemas (check-jsonschema's vendored copies, offline), and leaving
the JAX family, the torch companions and `+local` pins to platform-up."""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING

import pytest
import yaml  # type: ignore[import-untyped]

from tests.test_workflows import ROOT
from tests.test_workflows import _tool

if TYPE_CHECKING:
    from pathlib import Path

DEPENDABOT = ROOT / "examples" / "github" / "dependabot.yml"
RENOVATE = ROOT / "examples" / "github" / "renovate.json"
FAMILY = {"jax", "jaxlib", "torch", "torchvision", "torchaudio"}


def _validate(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("schema", "path"), [("vendor.dependabot", DEPENDABOT), ("vendor.renovate", RENOVATE)]
)
def test_the_example_matches_the_bots_schema(schema: str, path: Path) -> None:
    result = _validate(schema, path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schemas_reject_a_broken_config(tmp_path: Path) -> None:
    """Guards the test above: the checker really reads these schemas."""
    bad_dependabot = tmp_path / "dependabot.yml"
    bad_dependabot.write_text("version: 2\nupdates:\n  - package-ecosystem: pip\n    ignor: []\n")
    assert _validate("vendor.dependabot", bad_dependabot).returncode != 0
    bad_renovate = tmp_path / "renovate.json"
    bad_renovate.write_text(json.dumps({"packageRules": [{"enabled": "no"}]}))
    assert _validate("vendor.renovate", bad_renovate).returncode != 0


def test_dependabot_leaves_the_families_to_platform_up() -> None:
    config = yaml.safe_load(DEPENDABOT.read_text(encoding="utf-8"))
    (pip,) = (u for u in config["updates"] if u["package-ecosystem"] == "pip")
    ignored = {rule["dependency-name"] for rule in pip["ignore"]}
    assert FAMILY | {"jax-cuda*-plugin", "jax-cuda*-pjrt"} <= ignored


def test_renovate_leaves_the_families_and_local_labels_to_platform_up() -> None:
    rules = json.loads(RENOVATE.read_text(encoding="utf-8"))["packageRules"]
    disabled = [r for r in rules if r.get("enabled") is False]
    names = {n for r in disabled for n in r.get("matchPackageNames", [])}
    assert names >= FAMILY
    assert any("plugin|pjrt" in n for n in names)
    assert any("\\+" in r.get("matchCurrentValue", "") for r in disabled)
    assert all(r.get("description") for r in rules)
