"""A Griffe extension for the API reference: the installed layout of coprosim's subpackages.

pyproject.toml installs the top-level folders ``model/``, ``experiments/`` and ``dashboards/`` as
``coprosim.model``, ``coprosim.experiments`` and ``coprosim.dashboards`` (setuptools'
``package-dir``). Griffe reads source statically and finds only ``coprosim/``; this extension
loads the three folders too and hangs them under ``coprosim``, so the reference shows (and
resolves imports by) the names a user imports. Nothing is imported or run.
"""

from __future__ import annotations

from pathlib import Path

import griffe

ROOT = Path(__file__).resolve().parents[2]
SUBPACKAGES = {"model": "model", "experiments": "experiments", "dashboards": "dashboards"}


class CoprosimPackages(griffe.Extension):
    """Attach ``model/``, ``experiments/`` and ``dashboards/`` to ``coprosim`` once it is loaded."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs) -> None:
        """Load each folder as its own package, then make it a member of ``coprosim``."""
        if pkg.name != "coprosim":
            return
        for name, folder in SUBPACKAGES.items():
            if name in pkg.members:
                continue
            module = loader.load(ROOT / folder, try_relative_path=False)
            pkg.set_member(name, module)
