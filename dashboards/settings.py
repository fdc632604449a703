"""What a dashboard user can set, and how those settings become models.

Slider ranges come from ``Params.spec`` so that a slider can never produce a value the model
refuses; the one deliberate narrowing (population size, to keep the network drawing legible and
fast) stays inside the validated range. Plain Python, no Solara: tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coprosim.model import PRESETS, CoproductionModel, ParameterError, Params

SEED_RANGE = (0, 2**63 - 1)
DEFAULT_SEED = 1
DEFAULT_SCENARIO = "coproduction"
COMPARE_DEFAULT = ("npm", "coproduction")

# Readable names of the presets, for selectors, legends and headings.
SCENARIO_LABELS = {
    "npm": "NPM (customer rules)",
    "coproduction": "Co-production",
    "coproduction_no_outreach": "Co-production, no outreach",
    "hybrid": "Hybrid (half and half)",
    "npm_with_volunteers": "NPM with volunteers",
    "null_npm": "Null model, NPM side",
    "null_coproduction": "Null model, co-production side",
}

# Upper ends narrower than validation, with the reason (still inside Params' range).
TEACHING_MAX = {"n_citizens": 5000}  # more nodes make the network drawing slow and unreadable


@dataclass(frozen=True)
class SliderSpec:
    """One parameter slider: its range and step, label and one-line meaning (from Params)."""

    name: str
    label: str
    lo: float
    hi: float
    step: float
    unit: str
    meaning: str
    is_int: bool


# The main parameters, grouped as a lecture would introduce them.
# (parameter, label, slider step); steps are fine enough to reach every preset value.
SLIDER_GROUPS: dict[str, list[tuple[str, str, float]]] = {
    "Regime rules": [
        ("coproduction_share", "Co-production share", 0.05),
        ("voice_bias", "Voice bias (NPM queue)", 0.05),
        ("target_strength", "Performance targets", 0.05),
        ("customer_input_cap", "Citizen input allowed as customer", 0.05),
        ("outreach_share", "Outreach share", 0.05),
        ("dialogue_overhead", "Dialogue overhead", 0.1),
        ("reflection_interval", "Reflection interval", 1),
        ("reflection_learning", "Learning per reflection cycle", 0.01),
    ],
    "Citizens": [
        ("n_citizens", "Citizens", 10),
        ("resource_inequality", "Resource inequality", 0.05),
        ("wicked_share", "Share of wicked problems", 0.05),
        ("learning_rate", "Learning by doing", 0.01),
        ("habit_rate", "Habit formation", 0.01),
        ("pacification", "Pacification", 0.005),
        ("withness", "Withness (trust from partnership)", 0.005),
        ("neighbour_influence", "Neighbours' example", 0.1),
    ],
    "Production and emergence": [
        ("substitution", "Substitution (rho)", 0.1),
        ("p_innovation", "Chance of an innovation", 0.005),
    ],
    "Staff and volunteers": [
        ("staff_per_1000", "Staff per 1,000 citizens", 0.5),
        ("crowding_out", "Motivation crowding-out", 0.005),
        ("volunteer_recruitment", "Volunteer recruitment", 0.005),
    ],
}


def slider_spec(name: str, label: str, step: float) -> SliderSpec:
    """The slider for parameter ``name``, with the range Params validates."""
    spec = Params.spec(name)
    lo, hi = spec["range"]
    hi = min(hi, TEACHING_MAX.get(name, hi))
    is_int = spec["kind"] is int
    return SliderSpec(name, label, lo, hi, int(step) if is_int else step, spec["unit"],
                      spec["meaning"], is_int)


SLIDERS: dict[str, list[SliderSpec]] = {
    group: [slider_spec(*item) for item in items]
    for group, items in SLIDER_GROUPS.items()
}
SLIDER_NAMES = [s.name for specs in SLIDERS.values() for s in specs]


def scenario_value(scenario: str, name: str) -> Any:
    """Value of parameter ``name`` in a preset (its override, else the default)."""
    return PRESETS[scenario]["overrides"].get(name, Params.spec(name)["default"])


def locked_parameters(scenarios: tuple[str, ...]) -> dict[str, tuple]:
    """Parameters that differ between the compared presets: each regime keeps its own value.

    These are the rules that make the regimes; a shared slider for them would erase the comparison.
    """
    names = set()
    for scenario in scenarios:
        names |= set(PRESETS[scenario]["overrides"])
    return {
        name: tuple(scenario_value(s, name) for s in scenarios)
        for name in sorted(names)
        if len({scenario_value(s, name) for s in scenarios}) > 1
    }


def parse_seed(text: str) -> int:
    """A seed typed by a user: a whole number in SEED_RANGE, else a one-line ParameterError."""
    lo, hi = SEED_RANGE
    cleaned = (text or "").strip().replace("_", "")
    try:
        seed = int(cleaned)
    except ValueError:
        raise ParameterError(f"seed: must be a whole number in [{lo}, {hi}], got {text!r}") from None
    if not lo <= seed <= hi:
        raise ParameterError(f"seed: must be a whole number in [{lo}, {hi}], got {seed}")
    return seed


@dataclass(frozen=True)
class Settings:
    """Everything that defines a run: view, scenario(s), seed and the user's slider changes."""

    compare: bool = False
    scenario: str = DEFAULT_SCENARIO
    left: str = COMPARE_DEFAULT[0]
    right: str = COMPARE_DEFAULT[1]
    seed: int = DEFAULT_SEED
    overrides: dict = field(default_factory=dict)

    @property
    def scenarios(self) -> tuple[str, ...]:
        return (self.left, self.right) if self.compare else (self.scenario,)

    def shown_value(self, name: str) -> Any:
        """The value a slider shows: the user's change, else the (first) scenario's value."""
        return self.overrides.get(name, scenario_value(self.scenarios[0], name))

    def params_for(self, scenario: str) -> Params:
        """Validated parameters of one regime: its preset, plus the user's changes.

        Changes to parameters locked by the comparison are not applied to either side.
        """
        locked = locked_parameters(self.scenarios) if self.compare else {}
        changes = {k: v for k, v in self.overrides.items() if k not in locked}
        return Params.preset(scenario, **changes)


def build_models(settings: Settings) -> list[tuple[str, CoproductionModel]]:
    """One model per regime, all from the same seed (the same starting population)."""
    return [
        (scenario, CoproductionModel(params=settings.params_for(scenario), seed=settings.seed,
                                     scenario=scenario))
        for scenario in settings.scenarios
    ]
