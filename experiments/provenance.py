"""Where results came from: the model's source hash, coprosim's own commit, package versions.

- ``model_hash()``: SHA-256 of the source files of ``coprosim.model`` (names and bytes). Every run
  carries the hash of the code that produced it; a worker whose hash differs from the parent's is
  refused, so a cluster with mixed versions cannot give silently different results.
- ``coprosim_commit()``: the git commit of coprosim's own source tree (``+dirty`` with uncommitted
  changes), and only when coprosim runs from its own checkout. An installed coprosim that happens
  to sit inside someone else's repository (a venv in their project) records ``None`` rather than
  their commit; the version and the model hash identify it instead.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import subprocess
import tomllib
from pathlib import Path

PACKAGES = ("coprosim", "mesa", "numpy", "pandas", "pyarrow", "scipy", "networkx", "dask",
            "distributed", "SALib", "tqdm", "ema_workbench")


@functools.cache
def model_hash() -> str:
    """SHA-256 of the model's source: every ``.py`` file of ``coprosim.model``, sorted by name."""
    import coprosim.model

    folder = Path(coprosim.model.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def source_root() -> Path | None:
    """coprosim's own source tree (holding its pyproject.toml), or None for an installed copy."""
    import coprosim.model

    candidate = Path(coprosim.model.__file__).resolve().parent.parent  # model/ sits in the root
    pyproject = candidate / "pyproject.toml"
    try:
        name = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["name"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return None
    return candidate if name == "coprosim" else None


@functools.cache
def coprosim_commit() -> str | None:
    """The commit of coprosim's own checkout (``+dirty`` if changed), else None."""
    root = source_root()
    if root is None:
        return None
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=root, capture_output=True,
                             text=True, timeout=5).stdout.strip()
        if not top or Path(top).resolve() != root:  # coprosim is not the repository's root
            return None
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}+dirty" if commit and dirty else commit or None


def versions() -> dict[str, str]:
    """Versions of coprosim and the packages its results depend on (those installed)."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in PACKAGES:
        with contextlib.suppress(PackageNotFoundError):
            found[package] = version(package)
    return found
