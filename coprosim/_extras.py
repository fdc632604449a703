"""Optional dependencies: import them, or say which extra of coprosim to install.

The core (model, command line, local batch experiments, comparisons) needs no extra. The rest:

- ``dashboard``: the Solara teaching dashboard and Mesa's SolaraViz page (``coprosim dashboard``)
- ``dask``: sweeps on a dask.distributed cluster (``--dask``)
- ``analysis``: global sensitivity analysis with SALib (``coprosim sensitivity``)
- ``ema``: the EMA Workbench adapter (``coprosim.experiments.ema``)
- ``notebook``: progress bars and widgets in Jupyter, and running a notebook headless (nbclient:
  ``jupyter execute examples/quickstart.ipynb``)
- ``calibration``: ABC-SMC calibration with pyabc (``coprosim calibrate``)
- ``all``: every one of them
"""

from __future__ import annotations

import importlib
from types import ModuleType

EXTRAS = {
    "dashboard": "the teaching dashboard",
    "dask": "running on a Dask cluster (--dask)",
    "analysis": "sensitivity analysis (SALib)",
    "ema": "the EMA Workbench adapter",
    "notebook": "Jupyter widgets and headless notebook runs",
    "calibration": "calibration (pyabc)",
}


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message names the extra that provides it."""


def missing_extra_message(extra: str, module: str, feature: str | None = None) -> str:
    what = feature or EXTRAS.get(extra, extra)
    return (f"{what} needs the optional dependency '{module}', which is not installed; "
            f"install it with: pip install 'coprosim[{extra}]'")


def require(extra: str, module: str, feature: str | None = None) -> ModuleType:
    """``import module``, or raise ``MissingExtraError`` naming ``coprosim[extra]``."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        # The module itself, or one of its own dependencies: installing the extra fixes both.
        missing = (exc.name or module).split(".")[0]
        raise MissingExtraError(missing_extra_message(extra, missing, feature),
                                name=missing) from None
