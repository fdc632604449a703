"""What a dashboard user can set, and how those settings become models (and links).

Everything is read from ``Params`` and ``PRESETS`` at run time: slider ranges come from
``Params.spec`` so that a slider can never produce a value the model refuses, and a parameter or
preset named here that the model no longer has is simply skipped. The one deliberate narrowing
(population size, to keep the network drawing legible and fast) stays inside the validated range.
Settings round-trip through a URL query string, so a link (or a reload) reproduces a setup.
Plain Python, no Solara: tested on its own.
"""

from __future__ import annotations

import math
import urllib.parse
from dataclasses import dataclass, field, replace
from typing import Any

from coprosim.model import PRESETS, CoproductionModel, ParameterError, Params

SEED_RANGE = (0, 2**63 - 1)
DEFAULT_SEED = 1
DEFAULT_SCENARIO = "coproduction"
COMPARE_DEFAULT = ("npm", "coproduction")
MAX_WEEKS_FROM_LINK = 1040  # a link may ask to replay this many weeks at most (20 years)

# Readable names of the presets, for selectors, legends and headings (unknown ones: see label).
SCENARIO_LABELS = {
    "npm": "NPM (customer rules)",
    "coproduction": "Co-production",
    "coproduction_no_outreach": "Co-production, no outreach",
    "hybrid": "Hybrid (half and half)",
    "npm_with_volunteers": "NPM with volunteers",
    "neutral_npm": "NPM, neutral programmes",
    "neutral_coproduction": "Co-production, neutral programmes",
    "null_npm": "Null model, NPM side",
    "null_coproduction": "Null model, co-production side",
}


def scenario_label(name: str) -> str:
    """The readable name of a preset ('Co-production'), or its code name made readable."""
    return SCENARIO_LABELS.get(name, name.replace("_", " ").capitalize())


def scenario_choices() -> list[str]:
    """The presets the model has now, in its order."""
    return list(PRESETS)


# Upper ends narrower than validation, with the reason (still inside Params' range).
TEACHING_MAX = {"n_citizens": 5000}  # more nodes make the network drawing slow and unreadable
# Parameters that are bookkeeping, not part of the model's story: no slider.
NOT_A_SLIDER = {"agent_sample_period"}


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


# The main parameters, grouped as a lecture would introduce them: (parameter, label, step).
# Parameters the model does not have are skipped. Every other parameter gets a slider in a
# "More: <group>" panel, grouped by Params' own ``group`` metadata, so a new one shows up.
SLIDER_GROUPS: dict[str, list[tuple[str, str, float]]] = {
    "Regime rules": [
        ("coproduction_share", "Co-production share", 0.05),
        ("voice_bias", "Voice bias (NPM queue)", 0.05),
        ("target_strength", "Performance targets", 0.05),
        ("customer_invitation", "Citizen input invited (customer)", 0.05),
        ("cocreating_invitation", "Citizen input invited (co-creating)", 0.05),
        ("elite_capture", "Elite capture (co-creating agenda)", 0.05),
        ("dialogue_overhead", "Dialogue overhead", 0.05),
        ("reflection_interval", "Reflection interval", 1),
        ("reflection_learning", "Learning per reflection cycle", 0.005),
    ],
    "Programmes": [
        ("outreach_share", "Outreach share", 0.05),
        ("training_hours", "Training hours", 0.5),
        ("volunteer_recruitment", "Volunteer recruitment", 0.005),
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
    "Production, emergence and co-destruction": [
        ("substitution", "Substitution (rho)", 0.1),
        ("p_innovation", "Chance of an innovation", 0.005),
        ("p_codestruction", "Chance an encounter goes wrong", 0.05),
    ],
    "Staff": [
        ("staff_per_1000", "Staff per 1,000 citizens", 0.5),
        ("crowding_out", "Motivation crowding-out", 0.005),
    ],
}
MORE_GROUP = "More parameters"
# Readable labels for parameters outside the curated groups (others: the code name, readable).
LABELS = {
    "p_need_shock": "Chance of a new need", "need_shock_size": "Size of a new need",
    "self_help_rate": "Self-help", "need_threshold": "Need before asking for help",
    "staff_weight": "Weight of staff input", "wicked_penalty": "Penalty on wicked needs",
    "standard_duration": "Length of a standard encounter", "p_return": "Chance to ask again",
    "outreach_support": "Support from outreach", "trust_gain": "Trust from a need met",
    "trust_loss": "Trust lost when let down", "withdraw_after": "Letdowns before withdrawing",
    "withdraw_trust": "Trust below which citizens withdraw", "efficacy_gain": "Efficacy gain",
    "target_ratchet": "Target ratchet", "innovation_size": "Size of an innovation",
    "innovation_spread": "Spread of innovations", "network_rewiring": "Network rewiring",
    "network_degree": "Neighbours per citizen", "hiring_cost": "Cost of hiring",
    "initial_coproduction_skill": "Staff's starting co-production skill",
    "customer_dialogue_overhead": "Dialogue overhead (customer)",
    "cocreating_target_strength": "Performance targets (co-creating)",
    "customer_reflection_learning": "Learning per review (customer)",
    "customer_need_priority": "Queue by need (customer)",
    "cocreating_need_priority": "Queue by need (co-creating)",
    "cocreating_routine_learning": "Routine learning (co-creating)",
    "routine_learning": "Routine learning (customer)", "trust_level": "Starting trust",
    "citizen_time_value": "Shadow price of citizens' hours",
    "codestruction_harm": "Harm when an encounter goes wrong",
    "distrust_contagion": "Distrust spreading to neighbours",
    "accountability_diffusion": "Diffuse accountability",
    "spillover": "Community capacity (neighbours' help)", "prevention": "Prevention by the community",
    "max_volunteer_share": "Most volunteers at once (share)",
    "volunteer_demand": "Volunteer load (share of encounters)",
}


def known_parameters() -> set[str]:
    return set(Params.field_names())


def parameter_label(name: str) -> str:
    for items in SLIDER_GROUPS.values():
        for parameter, label, _ in items:
            if parameter == name:
                return label
    return LABELS.get(name, name.replace("_", " ").capitalize())


def _reachable(values: list[float], lo: float, step: float) -> bool:
    return all(abs((v - lo) / step - round((v - lo) / step)) < 1e-6 for v in values)


def choose_step(name: str, preferred: float | None = None) -> float:
    """A slider step that puts the default and every preset's value exactly on a step.

    Starts from ``preferred`` (or about a hundredth of the range) and refines by 2, 5, 10 until
    the values are reachable, so that choosing a preset never shows a value the slider can't hold.
    """
    spec = Params.spec(name)
    lo, hi = spec["range"]
    hi = min(hi, TEACHING_MAX.get(name, hi))
    if spec["kind"] is int:
        return int(preferred or max(1, 10 ** math.floor(math.log10(max(hi - lo, 1))) // 100))
    values = [float(spec["default"])] + [
        float(p["overrides"][name]) for p in PRESETS.values() if name in p["overrides"]]
    step = preferred or 10.0 ** math.floor(math.log10(max(hi - lo, 1e-9) / 100))
    for _ in range(8):
        if _reachable(values, lo, step):
            return step
        for factor in (2, 5, 10):
            if _reachable(values, lo, step / factor):
                return step / factor
        step /= 10
    return step


def slider_spec(name: str, label: str | None = None, step: float | None = None) -> SliderSpec:
    """The slider for parameter ``name``, with the range Params validates."""
    spec = Params.spec(name)
    lo, hi = spec["range"]
    hi = min(hi, TEACHING_MAX.get(name, hi))
    is_int = spec["kind"] is int
    return SliderSpec(name, label or parameter_label(name), lo, hi, choose_step(name, step),
                      spec["unit"], spec["meaning"], is_int)


def build_sliders() -> dict[str, list[SliderSpec]]:
    """All sliders by group: the curated groups (parameters the model has), then the rest."""
    known = known_parameters()
    groups: dict[str, list[SliderSpec]] = {}
    for group, items in SLIDER_GROUPS.items():
        specs = [slider_spec(name, label, step) for name, label, step in items if name in known]
        if specs:
            groups[group] = specs
    curated = {s.name for specs in groups.values() for s in specs}
    for name in Params.field_names():
        if name in curated or name in NOT_A_SLIDER:
            continue
        group = str(Params.spec(name).get("group", "")).strip()
        title = f"More: {group}" if group else MORE_GROUP
        groups.setdefault(title, []).append(slider_spec(name))
    return groups


SLIDERS: dict[str, list[SliderSpec]] = build_sliders()
SLIDER_NAMES = [s.name for specs in SLIDERS.values() for s in specs]
SLIDER_BY_NAME = {s.name: s for specs in SLIDERS.values() for s in specs}


def scenario_value(scenario: str, name: str) -> Any:
    """Value of parameter ``name`` in a preset (its override, else the default)."""
    return PRESETS[scenario]["overrides"].get(name, Params.spec(name)["default"])


def locked_parameters(scenarios: tuple[str, ...]) -> dict[str, tuple]:
    """Parameters that differ between the compared presets: each regime keeps its own value.

    These are the rules that make the regimes; a shared slider for them would erase the comparison.
    """
    known = known_parameters()
    names = set()
    for scenario in scenarios:
        names |= set(PRESETS[scenario]["overrides"])
    return {
        name: tuple(scenario_value(s, name) for s in scenarios)
        for name in sorted(names & known)
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


def format_value(name: str, value: Any) -> str:
    """A parameter value as a slider shows it ('0.05', '1000')."""
    spec = SLIDER_BY_NAME.get(name)
    if (spec and spec.is_int) or isinstance(value, int):
        return str(int(value))
    return f"{float(value):.4g}"


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

    def changes(self) -> dict[str, Any]:
        """The user's changes that differ from what the preset(s) would give, and that apply."""
        locked = locked_parameters(self.scenarios) if self.compare else {}
        return {name: value for name, value in self.overrides.items()
                if name not in locked and name in known_parameters()
                and any(value != scenario_value(s, name) for s in self.scenarios)}

    def params_for(self, scenario: str) -> Params:
        """Validated parameters of one regime: its preset, plus the user's changes.

        Changes to parameters locked by the comparison are not applied to either side.
        """
        return Params.preset(scenario, **self.changes())

    def with_scenario(self, side: str, scenario: str) -> Settings:
        """Another preset on one side ('scenario', 'left' or 'right'); slider changes are cleared,
        so the sliders show the preset's own values."""
        return replace(self, **{side: scenario}, overrides={})

    def describe(self) -> str:
        """What is running, in words: the preset(s), or 'custom' with the changed parameters."""
        names = " vs ".join(scenario_label(s) for s in self.scenarios)
        changes = self.changes()
        if not changes:
            return f"{names} (preset{'s' if self.compare else ''})"
        listed = ", ".join(f"{parameter_label(k).lower()} {format_value(k, v)}"
                           for k, v in sorted(changes.items()))
        return f"Custom: {names} with {listed}"

    # --- links ---------------------------------------------------------------------------------
    def to_query(self, week: int = 0) -> str:
        """The settings as a URL query string (only what differs from the defaults)."""
        items: list[tuple[str, str]] = []
        if self.compare:
            items += [("view", "compare"), ("left", self.left), ("right", self.right)]
        else:
            items.append(("scenario", self.scenario))
        items.append(("seed", str(self.seed)))
        items += [(name, format_value(name, value)) for name, value in
                  sorted(self.changes().items())]
        if week:
            items.append(("week", str(int(week))))
        return urllib.parse.urlencode(items)

    @classmethod
    def from_query(cls, query: str | None) -> tuple[Settings, int, list[str]]:
        """Settings, week to replay to and one-line problems from a URL query string.

        Anything unknown or invalid is skipped with a message; the rest still applies, so a
        mistyped link opens a working page.
        """
        values = dict(urllib.parse.parse_qsl((query or "").lstrip("?"), keep_blank_values=True))
        problems: list[str] = []
        settings = cls()
        presets = scenario_choices()

        def scenario(key: str, default: str) -> str:
            name = values.pop(key, default)
            if name not in presets:
                problems.append(f"{key}: unknown scenario {name!r}; allowed: {', '.join(presets)}")
                return default
            return name

        compare = values.pop("view", "one") == "compare"
        settings = replace(settings, compare=compare, scenario=scenario("scenario", settings.scenario),
                           left=scenario("left", settings.left),
                           right=scenario("right", settings.right))
        if "seed" in values:
            try:
                settings = replace(settings, seed=parse_seed(values.pop("seed")))
            except ParameterError as exc:
                problems.append(str(exc))
        week = 0
        if "week" in values:
            text = values.pop("week")
            try:
                week = int(text)
                if not 0 <= week <= MAX_WEEKS_FROM_LINK:
                    raise ValueError
            except ValueError:
                problems.append(f"week: must be a whole number in [0, {MAX_WEEKS_FROM_LINK}], "
                                f"got {text!r}")
                week = 0
        overrides: dict[str, Any] = {}
        for name, text in values.items():
            if name not in SLIDER_BY_NAME:
                problems.append(f"{name}: not a parameter the dashboard can set; ignored")
                continue
            spec = SLIDER_BY_NAME[name]
            try:
                value = int(text) if spec.is_int else float(text)
                Params(**{name: value})  # the model's own check and message
                if not spec.lo <= value <= spec.hi:
                    raise ParameterError(f"{name}: must be in [{spec.lo}, {spec.hi}], got {value}")
            except ValueError as exc:  # ParameterError is a ValueError
                message = str(exc) if isinstance(exc, ParameterError) else (
                    f"{name}: must be a number, got {text!r}")
                problems.append(message)
                continue
            overrides[name] = value
        return replace(settings, overrides=overrides), week, problems


def build_models(settings: Settings) -> list[tuple[str, CoproductionModel]]:
    """One model per regime, all from the same seed (the same starting population)."""
    return [
        (scenario, CoproductionModel(params=settings.params_for(scenario), seed=settings.seed,
                                     scenario=scenario))
        for scenario in settings.scenarios
    ]


def apply_setup(settings: Settings, setup: dict[str, Any]) -> tuple[Settings, list[str]]:
    """Settings for a one-click setup (an idea's 'Try this', later a lesson), and what was skipped.

    ``setup`` may name ``compare``, ``scenario``, ``left``, ``right``, ``seed`` and ``overrides``
    (parameter -> value). A preset or parameter the model no longer has is skipped with a note,
    so a setup written for an older model still opens.
    """
    skipped: list[str] = []
    presets = scenario_choices()
    changes: dict[str, Any] = {"overrides": {}}
    if "compare" in setup:
        changes["compare"] = bool(setup["compare"])
    for key in ("scenario", "left", "right"):
        if key in setup:
            if setup[key] in presets:
                changes[key] = setup[key]
            else:
                skipped.append(f"scenario {setup[key]!r}")
    if "seed" in setup:
        changes["seed"] = int(setup["seed"])
    known = known_parameters()
    for name, value in setup.get("overrides", {}).items():
        if name in known:
            changes["overrides"][name] = value
        else:
            skipped.append(f"parameter {name!r}")
    return replace(settings, **changes), skipped
