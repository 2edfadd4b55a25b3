"""`platform-export` as a library: the install set of a checked target, written as files.

- `fileset`: a target that passed `platform-check`'s own check becomes an `ExportSet`
  (packages, the files the target may use, their hashes, their sources). Nothing here
  evaluates a marker or ranks a wheel: `check/` did, once, for both commands.
- `pylock`, `requirements`: render an `ExportSet` as PEP 751 `pylock.toml` or as a hashed
  pip requirements file. Pure functions of their inputs, no I/O.
- `urls`: the one part that may use the network: pylock.toml needs each file's URL, which
  poetry.lock does not record; Poetry's repositories know them (as its installer does).
- `run`: what the command does: an `ExportRequest` (its options) in, refused when the options
  contradict each other, the targets chosen and checked, the files' texts out; `write`.

`commands/export.py` is the thin cleo layer over `run`.
"""
