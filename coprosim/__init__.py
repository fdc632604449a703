"""coprosim: public services under New Public Management and co-production, on Mesa.

The model lives in ``coprosim.model``, batch experiments in ``coprosim.experiments`` and the
teaching dashboard in ``coprosim.dashboards``; the most used names are re-exported here.
"""

from __future__ import annotations

from .model import (
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

__all__ = [
    "METRICS", "PRESETS", "Citizen", "CitizenState", "CoproductionModel", "ParameterError",
    "Params", "Staff", "Volunteer", "preset_names",
]
