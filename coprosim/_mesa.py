"""Import Mesa without changing the user's multiprocessing start method.

Mesa 3.3.1 calls ``multiprocessing.set_start_method("spawn", force=True)`` when ``mesa`` is
imported (for its ``batch_run``; later Mesa versions moved this into ``batch_run``). That changes
the whole process: a notebook's ``multiprocessing.Pool`` with a function defined in the notebook
then never finishes, and the EMA Workbench's ``MultiprocessingEvaluator`` fails. coprosim imports
Mesa here first and puts back whatever the process had before (also "not chosen yet"). The
project's own runner asks for an explicit ``spawn`` context and never relies on the global one.
"""

from __future__ import annotations

import multiprocessing
import sys


def import_mesa_keeping_start_method() -> None:
    """Import ``mesa``; leave multiprocessing's start method as it was before."""
    if "mesa" in sys.modules:  # imported earlier by the user: whatever it did is theirs
        return
    before = multiprocessing.get_start_method(allow_none=True)
    try:
        import mesa  # noqa: F401
    finally:
        # None (nothing chosen yet) resets the default context, so the platform default applies.
        multiprocessing.set_start_method(before, force=True)
