"""coprosim's model: citizens, staff and volunteers under NPM and co-production rules."""

from .agents import Citizen, CitizenState, Staff, Volunteer
from .metrics import METRICS
from .model import CoproductionModel
from .params import PRESETS, ParameterError, Params, preset_names

__all__ = [
    "Citizen", "CitizenState", "CoproductionModel", "METRICS", "PRESETS", "ParameterError",
    "Params", "Staff", "Volunteer", "preset_names",
]
