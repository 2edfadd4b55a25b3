# syntax=docker/dockerfile:1
# Two stages: Poetry and the plugin live only in the builder, which exports the exact install
# set of one target (`poetry platform-export`); the image installs that file with uv alone.
# No Poetry, no plugin, no lock resolution in the image: what `platform-check` proved for the
# target is what gets installed, file for file (every file pinned by its sha256).
# Build:  docker build --build-arg TARGET=gpu-batch -t research:gpu -f examples/docker/export.Dockerfile examples/research-team
# Run:    docker run --gpus all research:gpu

ARG PYTHON=3.12

FROM python:${PYTHON}-slim AS export
ARG TARGET=gpu-batch
ARG POETRY_VERSION=2.5.1
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    POETRY_NO_INTERACTION=1 \
    POETRY_CACHE_DIR=/tmp/poetry-cache
# 1. Tools (the [uv] extra brings the uv binary the image stage copies).
RUN --mount=type=cache,target=/root/.cache/pip \
    python -m venv /opt/poetry \
 && /opt/poetry/bin/pip install "poetry==${POETRY_VERSION}" "poetry-platform[uv]"
WORKDIR /src
COPY pyproject.toml poetry.lock ./
# 2. The target's set (its variant, groups and Python come from [tool.poetry-platform]). A
#    target that fails platform-check, or a stale lock, stops the build here with one line.
#    pylock.toml needs each file's URL: the builder reads the sources' pages, as Poetry would.
RUN --mount=type=cache,target=/tmp/poetry-cache \
    /opt/poetry/bin/poetry platform-export --target "${TARGET}" -o pylock.toml

FROM python:${PYTHON}-slim AS image
# The image's Python must be the target's (pylock.toml's `environments` say which): uv
# refuses the file on another OS, CPU or Python instead of installing the wrong build.
COPY --from=export /opt/poetry/bin/uv /usr/local/bin/uv
COPY --from=export /src/pylock.toml /app/pylock.toml
RUN --mount=type=cache,target=/root/.cache/uv \
    uv venv /app/.venv \
 && uv pip install --python /app/.venv/bin/python -r /app/pylock.toml
# The project's own code: no build step, no build backend to download.
COPY src /app/src
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONPATH=/app/src
WORKDIR /app
USER 65534
CMD ["python", "-c", "import jax, research; print(jax.devices())"]
