"""coprosim's model: citizens, staff and volunteers under NPM and co-production rules."""

from .agents import Citizen, CitizenState, Staff, Volunteer
from .metrics import LEDGER, METRIC_INFO, METRICS, MetricInfo
from .model import MIN_CITIZENS, CoproductionModel, SmallPopulationWarning, small_population_message
from .params import MODE_RULES, PRESETS, ParameterError, Params, preset_names

__all__ = [
    "Citizen", "CitizenState", "CoproductionModel", "MIN_CITIZENS", "SmallPopulationWarning",
    "small_population_message", "LEDGER", "METRIC_INFO", "METRICS", "MetricInfo", "MODE_RULES", "PRESETS", "ParameterError",
    "Params", "Staff", "Volunteer", "preset_names",
]
