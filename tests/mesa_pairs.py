"""The Python and Mesa of each test environment, and whether ``make test`` covers both pairs.

``python tests/mesa_pairs.py PY`` prints ``Python 3.11.7, Mesa 3.3.1`` for interpreter ``PY``.
``python tests/mesa_pairs.py PY_A PY_B`` exits 1 with a one-line message unless one of the two is
Python 3.11 with Mesa 3.3.1 and the other Python 3.12+ with Mesa 3.5+ (docs/supported-versions.md).
"""

from __future__ import annotations

import subprocess
import sys

PROBE = ("import sys, importlib.metadata as m; "
         "print('.'.join(map(str, sys.version_info[:3])), m.version('mesa'))")


def versions(python: str) -> tuple[str, str]:
    """(Python version, Mesa version) of an interpreter, without importing Mesa."""
    out = subprocess.run([python, "-c", PROBE], capture_output=True, text=True, check=True)
    py, mesa = out.stdout.split()
    return py, mesa


def pair(python: str) -> str:
    """Which supported pair an interpreter is: ``"old"``, ``"new"`` or ``"unsupported"``."""
    py, mesa = versions(python)
    py_minor = tuple(int(x) for x in py.split(".")[:2])
    mesa_minor = tuple(int(x) for x in mesa.split(".")[:2])
    if py_minor == (3, 11) and mesa == "3.3.1":
        return "old"
    if py_minor >= (3, 12) and (3, 5) <= mesa_minor < (4, 0):
        return "new"
    return "unsupported"


def main(args: list[str]) -> int:
    if len(args) == 1:
        py, mesa = versions(args[0])
        print(f"Python {py}, Mesa {mesa}")
        return 0
    found = {python: pair(python) for python in args}
    if sorted(found.values()) != ["new", "old"]:
        shown = "; ".join(f"{p}: Python {versions(p)[0]}, Mesa {versions(p)[1]}" for p in args)
        print(f"error: make test needs Python 3.11 + Mesa 3.3.1 and Python 3.12+ + Mesa 3.5+, "
              f"found {shown} (make clean, then make PYTHON=python3.11 test)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
