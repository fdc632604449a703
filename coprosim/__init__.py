"""coprosim: public services under New Public Management and co-production, on Mesa.

The model lives in ``coprosim.model``, batch experiments in ``coprosim.experiments`` and the
teaching dashboard in ``coprosim.dashboards``; the most used names are re-exported here::

    from coprosim import CoproductionModel, Params

Importing coprosim leaves multiprocessing's start method as it was (see ``coprosim._mesa``).
"""

from __future__ import annotations

from ._mesa import import_mesa_keeping_start_method

import_mesa_keeping_start_method()

from .model import (  # noqa: E402 - Mesa must be imported through the guard above first
    METRICS,
    PRESETS,
    Citizen,
    CitizenState,
    CoproductionModel,
    ParameterError,
    Params,
    Staff,
    Volunteer,
    preset_names,
)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("coprosim")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


__version__ = _version()

__all__ = [
    "METRICS", "PRESETS", "Citizen", "CitizenState", "CoproductionModel", "ParameterError",
    "Params", "Staff", "Volunteer", "__version__", "preset_names",
]
