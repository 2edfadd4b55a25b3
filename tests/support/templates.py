"""pyproject.toml texts for projects locked against the test layouts.

Each function takes the running server (or its URL) and returns a complete pyproject, its
sources pointing at the server, so that a lock made from it never consults a registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.layouts import JAX_RELEASES_INDEX
from tests.support.layouts import OLD_JAX_CUDA
from tests.support.layouts import OLD_JAX_VERSIONS
from tests.support.layouts import TAGGED
from tests.support.layouts import TORCH_CPU_INDEX
from tests.support.layouts import TORCH_CU130_INDEX
from tests.support.layouts import TORCH_VERSIONS
from tests.support.layouts_check import DUP_FRAMEWORK
from tests.support.layouts_check import DUP_FRAMEWORK_ONE
from tests.support.layouts_check import PYPI_TORCH
from tests.support.layouts_check import PYTORCH_CU130
from tests.support.layouts_check import SPLIT_OLD
from tests.support.layouts_check import THIS_PYTHON
from tests.support.project import sources_toml

if TYPE_CHECKING:
    from tests.support.index import IndexServer


def jax_project(server: IndexServer | str, *, name: str = "jax-demo", jax: str = ">=0.6.2") -> str:
    """Modern JAX: CPU by default, CUDA 12 / 13 through JAX's extras, a `test` group."""
    return f"""[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = ["jax{jax}"]

[project.optional-dependencies]
cuda12 = ["jax[cuda12]{jax} ; sys_platform == 'linux'"]
cuda13 = ["jax[cuda13]{jax} ; sys_platform == 'linux'"]

[tool.poetry]
package-mode = false

[tool.poetry.group.test]
optional = true
[tool.poetry.group.test.dependencies]
pytest = "^8.3"
{sources_toml(server)}"""


def torch_project(
    server: IndexServer | str, *, name: str = "torch-demo", version: str = TORCH_VERSIONS[1]
) -> str:
    """PyTorch's +cpu and +cu130 builds as exclusive extras with two explicit sources."""
    return f"""[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = []

[project.optional-dependencies]
cpu = ["torch=={version}+cpu"]
cu130 = ["torch=={version}+cu130"]

[tool.poetry]
package-mode = false

[tool.poetry.dependencies]
torch = [
    {{ markers = "extra == 'cpu' and extra != 'cu130'", source = "{TORCH_CPU_INDEX}" }},
    {{ markers = "extra == 'cu130' and extra != 'cpu'", source = "{TORCH_CU130_INDEX}" }},
]
{sources_toml(server, explicit=(TORCH_CPU_INDEX, TORCH_CU130_INDEX))}"""


def torch_default_project(
    server: IndexServer | str, *, cu130: bool = True, cpu_source: bool = True
) -> str:
    """`torch_project` gone wrong (`layouts_check.torch_cpu_source`): the cpu extra asks for
    `torch>=X` and its entry naming the CPU source is missing, so its torch comes from the
    default index (the CUDA build on Linux) though the source is declared. Without `cu130`
    the project has no other extra (nor any `[tool.poetry.dependencies]`); without
    `cpu_source` no CPU source is declared and the CUDA one is at PyTorch's own segment
    (`<base>/cu130/simple/`), from which the CPU one is derived."""
    text = torch_project(server, name="torch-default", version=PYPI_TORCH)
    marker = "extra == 'cpu' and extra != 'cu130'"
    cpu_entry = f'    {{ markers = "{marker}", source = "{TORCH_CPU_INDEX}" }},\n'
    assert cpu_entry in text and f"torch=={PYPI_TORCH}+cpu" in text, "torch_project moved on"
    wrong = text.replace(f"torch=={PYPI_TORCH}+cpu", f"torch>={PYPI_TORCH}").replace(cpu_entry, "")
    if not cu130:
        head, _, rest = wrong.partition("[tool.poetry.dependencies]\n")
        wrong = (
            head.replace(f'cu130 = ["torch=={PYPI_TORCH}+cu130"]\n', "") + rest.split("]\n", 1)[1]
        )
    if not cpu_source:
        blocks = wrong.split("\n[[tool.poetry.source]]\n")
        kept = [b for b in blocks if f'name = "{TORCH_CPU_INDEX}"' not in b]
        assert len(kept) == len(blocks) - 1, "torch_project moved on"
        wrong = "\n[[tool.poetry.source]]\n".join(kept).replace(
            f"/{TORCH_CU130_INDEX}/simple/", f"/{PYTORCH_CU130}/simple/"
        )
    return wrong


def torch_group_project(server: IndexServer | str) -> str:
    """A cpu variant made of a group asking for torch with no source, so it takes the
    default index's (CUDA) torch though the CPU source is declared."""
    return f"""[project]
name = "torch-group"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = []

[tool.poetry]
package-mode = false

[tool.poetry.group.cpu]
optional = true

[tool.poetry.group.cpu.dependencies]
torch = ">={PYPI_TORCH}"

[[tool.poetry-platform.variant]]
name = "cpu"
groups = ["cpu"]
{sources_toml(server, explicit=(TORCH_CPU_INDEX,))}"""


def torch_main_project(server: IndexServer | str) -> str:
    """torch in the main dependencies, no accelerator extras: the inferred cpu variant is
    the project's only one, and its torch comes from the default index (the CUDA build on
    Linux) though the CPU source is declared."""
    return f"""[project]
name = "torch-main"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = ["torch>={PYPI_TORCH}"]

[tool.poetry]
package-mode = false
{sources_toml(server, explicit=(TORCH_CPU_INDEX,))}"""


def cpu_target(python: str, *, name: str = "ci-cpu") -> str:
    """A Linux x86_64 CPU runner as a `[[tool.poetry-platform.target]]`, variant cpu."""
    return f"""
[[tool.poetry-platform.target]]
name = "{name}"
sys_platform = "linux"
platform_machine = "x86_64"
python = "{python}"
variant = "cpu"
"""


def findlinks_project(
    server: IndexServer | str, *, name: str = "old-jax", version: str = OLD_JAX_VERSIONS[-1]
) -> str:
    """The old JAX way: `jaxlib==X+cuda12` from a find-links page on Linux, plain on macOS."""
    return f"""[tool.poetry]
name = "{name}"
version = "0.1.0"
description = ""
authors = []
package-mode = false

[tool.poetry.dependencies]
python = ">=3.10,<4.0"
jax = "{version}"
jaxlib = [
    {{ version = "{version}", markers = "sys_platform == 'darwin'" }},
    {{ version = "{version}+{OLD_JAX_CUDA}", markers = "sys_platform == 'linux'", \
source = "jax-releases" }},
]
{sources_toml(server, find_links={"jax-releases": JAX_RELEASES_INDEX})}"""


def tagged_project(server: IndexServer | str, *, name: str = "tagged-demo") -> str:
    """Every package of the `tagged` layout; `cuda-plugin` behind a Linux-only `cuda` extra."""
    names = ", ".join(f'"{n}"' for n in TAGGED if n != "cuda-plugin")
    return f"""[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.11,<3.13"
dependencies = [{names}]

[project.optional-dependencies]
cuda = ["cuda-plugin ; sys_platform == 'linux'"]

[tool.poetry]
package-mode = false
{sources_toml(server)}"""


def split_project(server: IndexServer | str, *, name: str = "split-demo") -> str:
    """A project over `layouts_check`'s split jax (`jax_split`): its floor, SPLIT_OLD, has a
    cuda12 extra but no cuda13, and the release with cuda13 needs a newer Python."""
    return f"""[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = ["jax>={SPLIT_OLD}"]

[project.optional-dependencies]
cuda12 = ["jax[cuda12]>={SPLIT_OLD} ; sys_platform == 'linux'"]
cuda13 = ["jax[cuda13]>={SPLIT_OLD} ; sys_platform == 'linux'"]

[tool.poetry]
package-mode = false
{sources_toml(server)}
"""


def duplicate_project(
    server: IndexServer | str, *, name: str = "dup-demo", framework: str = DUP_FRAMEWORK_ONE
) -> str:
    """A project over `layouts_check.duplicate_pin` (`duplicate_pins` for the second
    `framework`): its lock selects two nvidia-cublas entries on the Linux target (and two
    nvidia-cuda-nvrtc entries); the macOS target takes neither."""
    return f"""[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.10,<4.0"
dependencies = ["{DUP_FRAMEWORK}=={framework}"]

[tool.poetry]
package-mode = false
{sources_toml(server)}
[[tool.poetry-platform.target]]
name = "linux"
sys_platform = "linux"
platform_machine = "x86_64"
python = "{THIS_PYTHON}"
glibc = "2.28"

[[tool.poetry-platform.target]]
name = "mac"
sys_platform = "darwin"
platform_machine = "arm64"
python = "{THIS_PYTHON}"
"""
