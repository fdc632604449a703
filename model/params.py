"""One validated parameter object for coprosim, its presets and its one-line errors.

Every field carries its default, allowed range, unit and meaning, and names the idea of the
theory it stands for (the seed chapters, Parks et al. 1981, Ostrom 1996, and the calibration
anchors of MODEL.md section 7). The CLI, the experiment files and the dashboard sliders all read
these ranges, so a value that is refused in one place is refused everywhere with the same words.

Presets are named sets of overrides of the defaults (one table, ``PRESETS``). Regimes differ only
through rule parameters: ``coproduction_share`` (the share of staff time worked in the co-creating
mode) and the rules of each mode (voice bias and targets for the customer mode; dialogue, outreach
and reflection for the co-creating mode).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any


class ParameterError(ValueError):
    """A bad parameter: the message is one line naming the field and what is allowed."""


def _spec(default, lo, hi, unit: str, meaning: str, kind: type = float):
    return field(
        default=default,
        metadata={"range": (lo, hi), "unit": unit, "meaning": meaning, "kind": kind},
    )


@dataclass(frozen=True)
class Params:
    """All model parameters. Construct with keywords; validation runs once, at construction."""

    # --- population and space -------------------------------------------------------------
    n_citizens: int = _spec(1000, 10, 200_000, "citizens", "Number of citizens (nodes of the social network).", int)
    staff_per_1000: float = _spec(15.0, 0.5, 200.0, "staff per 1,000 citizens", "Public staff relative to population (at least one staff member).")
    staff_hours: float = _spec(30.0, 1.0, 60.0, "hours/week", "Hours each staff member can give to encounters in a week (capacity).")
    network_degree: int = _spec(6, 2, 50, "neighbours", "Mean number of neighbours in the small-world network (Watts-Strogatz k, rounded down to even).", int)
    network_rewiring: float = _spec(0.1, 0.0, 1.0, "probability", "Watts-Strogatz rewiring probability: 0 a ring of neighbourhoods, 1 a random graph.")
    resource_inequality: float = _spec(0.8, 0.0, 2.0, "log-sd", "Inequality of citizens' resources (time, education, money): sd of the log-normal they are drawn from.")

    # --- needs ------------------------------------------------------------------------------
    p_need_shock: float = _spec(0.15, 0.0, 1.0, "probability/week", "Chance a citizen meets a new need in a week (illness, job loss, care).")
    need_shock_size: float = _spec(0.4, 0.0, 5.0, "need units", "Mean size of a new need (exponentially distributed).")
    wicked_share: float = _spec(0.3, 0.0, 1.0, "share", "Share of new needs that are wicked: complex, needing several actors (Rittel & Webber 1973).")
    self_help_rate: float = _spec(0.05, 0.0, 1.0, "share/week", "Share of its need a citizen with full resources resolves alone in a week (private resources).")
    need_threshold: float = _spec(0.3, 0.0, 10.0, "need units", "Need above which a citizen asks public services for help.")

    # --- production (Parks et al. 1981; Ostrom 1996) ------------------------------------
    productivity: float = _spec(1.0, 0.0, 10.0, "need units/encounter", "A in the CES production function: need reduced by one standard encounter of unit inputs.")
    substitution: float = _spec(0.5, -10.0, 1.0, "rho", "CES substitution parameter: 1 staff and citizen inputs are perfect substitutes, 0 Cobb-Douglas, very negative complements (Leontief).")
    staff_weight: float = _spec(0.7, 0.0, 1.0, "delta", "CES weight of the staff input; the citizen (and volunteer) input has weight 1 - delta.")
    wicked_penalty: float = _spec(0.5, 0.0, 1.0, "share", "Productivity lost on wicked needs when one actor supplies all the input; diverse encounters lose none.")
    standard_duration: float = _spec(2.0, 0.1, 40.0, "staff hours", "Staff time of a standard customer-mode encounter.")
    wicked_extra_time: float = _spec(1.0, 0.0, 10.0, "share", "Extra encounter time per unit of the case's wicked share (complex cases take longer).")
    disadvantage_extra_time: float = _spec(0.5, 0.0, 10.0, "share", "Extra encounter time for a citizen with no resources, scaled by 1 - resources (paperwork, language, complex lives; why quick cases are the resourceful: Koning & Heinrich 2013).")
    dialogue_overhead: float = _spec(0.5, 0.0, 5.0, "share", "Extra staff time a co-creating encounter takes for dialogue (rule of the co-creating mode).")

    # --- regime rules -------------------------------------------------------------------------
    coproduction_share: float = _spec(0.0, 0.0, 1.0, "share of staff time", "Share of staff time worked in the co-creating mode; the rest follows customer (NPM) rules.")
    customer_input_cap: float = _spec(0.1, 0.0, 1.0, "share", "Customer-mode rule: the most a citizen is allowed to contribute to a standard service (citizens as customers).")
    voice_bias: float = _spec(0.8, 0.0, 1.0, "weight", "Customer-mode rule: weight of voice (resources x efficacy) rather than need when queueing requests.")
    target_strength: float = _spec(0.5, 0.0, 1.0, "weight", "Customer-mode rule: strength of performance targets on cases closed (pressure towards quick cases).")
    target_ratchet: float = _spec(0.05, 0.0, 1.0, "share", "Customer-mode rule: rise of a target at a review where it was met (ratchet effect).")
    outreach_share: float = _spec(0.2, 0.0, 1.0, "share of co-creating time", "Co-creating rule: share of co-creating staff time reserved for reaching out to citizens with few resources.")
    outreach_support: float = _spec(0.5, 0.0, 1.0, "share", "How much an outreach contact lowers a citizen's cost of taking part (support, transport, child care).")
    reflection_interval: int = _spec(12, 0, 520, "weeks", "Weeks between team reviews: reflection cycles in co-creating teams (action research), performance reviews under targets. 0 = none.", int)
    reflection_learning: float = _spec(0.15, 0.0, 1.0, "share", "How far a reflection cycle moves staff co-production skill and interactional habits (learning in organizations).")

    # --- citizens: participation, experience, trust ------------------------------------------
    participation_cost: float = _spec(0.7, 0.0, 5.0, "utility", "Time cost of taking part for a citizen with no resources (scaled by 1 - resources).")
    participation_sensitivity: float = _spec(5.0, 0.0, 50.0, "1/utility", "Slope of the logistic choice to take part (how sharply benefit against cost decides).")
    neighbour_influence: float = _spec(1.0, 0.0, 5.0, "weight", "Weight of neighbours taking part in the choice to take part (conditional cooperation, Fischbacher et al. 2001).")
    learning_rate: float = _spec(0.1, 0.0, 1.0, "share/encounter", "Skill gained by an active encounter, with diminishing returns (experience: learning by doing).")
    efficacy_gain: float = _spec(0.15, 0.0, 1.0, "share/encounter", "Efficacy gained by taking part and seeing value created (Bovaird et al. 2015).")
    pacification: float = _spec(0.03, 0.0, 1.0, "share/encounter", "Efficacy lost by receiving a service passively (NPM critique: pacified citizens).")
    habit_rate: float = _spec(0.1, 0.0, 1.0, "share/encounter", "How far an encounter moves a citizen's habit of taking part toward what was practised.")
    habit_decay: float = _spec(0.01, 0.0, 1.0, "share/week", "Erosion of the habit of taking part in a week without practice.")
    benefit_memory: float = _spec(0.2, 0.0, 1.0, "weight", "Weight of the latest experience in a citizen's expected benefit of taking part (reinforcement).")
    trust_gain: float = _spec(0.05, 0.0, 1.0, "share/encounter", "Trust gained from a request met, scaled by the relief it brought.")
    trust_loss: float = _spec(0.1, 0.0, 1.0, "share/encounter", "Trust lost from a request not met (lost faster than gained: Slovic 1993).")
    withness: float = _spec(0.05, 0.0, 1.0, "share/encounter", "Trust gained from being treated as a partner, scaled by the citizen's part in the encounter ('withness-thinking').")
    withdraw_after: int = _spec(4, 1, 520, "requests", "Consecutive unmet requests after which a citizen with low trust stops asking (alienation).", int)
    withdraw_trust: float = _spec(0.3, 0.0, 1.0, "trust", "Trust below which repeated disappointment leads to withdrawal.")
    p_return: float = _spec(0.01, 0.0, 1.0, "probability/week", "Weekly chance that a withdrawn citizen asks again unprompted.")

    # --- emergence --------------------------------------------------------------------------------
    p_innovation: float = _spec(0.02, 0.0, 1.0, "probability/encounter", "Chance a co-creating encounter of full diversity and trust yields an innovation (emergence).")
    innovation_size: float = _spec(0.1, 0.0, 1.0, "productivity share", "Lasting local productivity gain of one innovation.")
    innovation_spread: float = _spec(0.05, 0.0, 1.0, "probability/week", "Weekly chance a citizen taking part adopts the best practice among neighbours.")
    innovation_max: float = _spec(1.0, 0.0, 10.0, "productivity share", "Cap on the local productivity gain from innovations.")

    # --- staff ---------------------------------------------------------------------------------------
    motivation_baseline: float = _spec(0.7, 0.0, 1.0, "motivation", "Intrinsic public-service motivation staff return to without pressure.")
    motivation_recovery: float = _spec(0.05, 0.0, 1.0, "share/week", "Speed of return to the baseline motivation.")
    crowding_out: float = _spec(0.04, 0.0, 1.0, "share/week", "Motivation lost per unit of target pressure in a week (crowding-out: Deci, Koestner & Ryan 1999).")
    burnout_rate: float = _spec(0.02, 0.0, 1.0, "share/week", "Burnout gained per unit of excess workload in a week.")
    burnout_recovery: float = _spec(0.05, 0.0, 1.0, "share/week", "Burnout lost in a week without excess workload.")
    quit_motivation: float = _spec(0.35, 0.0, 1.0, "motivation", "Motivation below which staff consider leaving.")
    quit_burnout: float = _spec(0.8, 0.0, 1.0, "burnout", "Burnout above which staff consider leaving.")
    p_quit: float = _spec(0.05, 0.0, 1.0, "probability/week", "Weekly chance a demotivated or burnt-out staff member leaves.")
    p_staff_leave: float = _spec(0.002, 0.0, 1.0, "probability/week", "Weekly chance any staff member leaves for other reasons (about 10% a year).")
    initial_coproduction_skill: float = _spec(0.2, 0.0, 1.0, "skill", "Co-production skill of staff at the start and of novices.")
    hiring_cost: float = _spec(60.0, 0.0, 10_000.0, "staff hours", "Cost of replacing a staff member who leaves (recruitment and induction).")

    # --- volunteers ------------------------------------------------------------------------------
    volunteer_recruitment: float = _spec(0.0, 0.0, 1.0, "probability/week", "Weekly chance an engaged citizen becomes a volunteer (0: no volunteering programme).")
    volunteer_hours: float = _spec(4.0, 0.0, 40.0, "hours/week", "Hours a volunteer gives in a week.")
    volunteer_churn: float = _spec(0.008, 0.0, 1.0, "probability/week", "Weekly chance a volunteer leaves (a third a year: CNCS 2009).")
    volunteer_support_cost: float = _spec(0.5, 0.0, 40.0, "staff hours/week", "Staff time spent coordinating each volunteer.")
    volunteer_engagement: float = _spec(0.4, 0.0, 1.0, "engagement", "Mean of efficacy and habit a citizen needs before volunteering.")
    max_volunteer_share: float = _spec(0.1, 0.0, 1.0, "share of citizens", "Most citizens that can volunteer at once.")

    # --- observation -----------------------------------------------------------------------------
    agent_sample_period: int = _spec(0, 0, 100_000, "steps", "Steps between samples of agent-level state (0: never).", int)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, _check(f, getattr(self, f.name)))

    # --- construction helpers --------------------------------------------------------------
    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def spec(cls, name: str) -> dict[str, Any]:
        """Default, range, unit, meaning and kind of one parameter."""
        for f in dataclasses.fields(cls):
            if f.name == name:
                return {"default": f.default, **f.metadata}
        raise ParameterError(_unknown_message(name))

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Params:
        _reject_unknown(values)
        return cls(**values)

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> Params:
        """The parameters of a named scenario, with optional overrides."""
        if name not in PRESETS:
            raise ParameterError(
                f"scenario: unknown scenario '{name}'; allowed: {', '.join(PRESETS)}"
            )
        _reject_unknown(overrides)
        return cls(**{**PRESETS[name]["overrides"], **overrides})

    def with_(self, **overrides: Any) -> Params:
        """A copy with some fields changed, validated again."""
        _reject_unknown(overrides)
        return dataclasses.replace(self, **overrides)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def n_staff(self) -> int:
        return max(1, round(self.n_citizens * self.staff_per_1000 / 1000))


def _unknown_message(name: str) -> str:
    return f"{name}: unknown parameter; allowed: {', '.join(Params.field_names())}"


def _reject_unknown(values: dict[str, Any]) -> None:
    known = set(Params.field_names())
    for key in values:
        if key not in known:
            raise ParameterError(_unknown_message(key))


def _check(f: dataclasses.Field, value: Any) -> Any:
    lo, hi = f.metadata["range"]
    kind = f.metadata["kind"]
    what = "an integer" if kind is int else "a number"
    allowed = f"must be {what} in [{lo}, {hi}]"
    if isinstance(value, bool) or not isinstance(value, int | float):
        # numpy scalars are numbers too
        try:
            import numpy as np

            if isinstance(value, np.integer | np.floating) and not isinstance(value, bool):
                value = value.item()
            else:
                raise TypeError
        except TypeError:
            raise ParameterError(f"{f.name}: {allowed}, got {value!r}") from None
    if kind is int:
        if isinstance(value, float):
            if not value.is_integer():
                raise ParameterError(f"{f.name}: {allowed}, got {value!r}")
            value = int(value)
    else:
        value = float(value)
        if math.isnan(value):
            raise ParameterError(f"{f.name}: {allowed}, got nan")
    if not lo <= value <= hi:
        raise ParameterError(f"{f.name}: {allowed}, got {value!r}")
    return value


def parse_value(name: str, text: str) -> Any:
    """Parse a command-line or form value for parameter ``name`` (checked later by Params)."""
    kind = Params.spec(name)["kind"]
    try:
        return kind(float(text)) if kind is int and float(text).is_integer() else float(text)
    except ValueError:
        lo, hi = Params.spec(name)["range"]
        what = "an integer" if kind is int else "a number"
        raise ParameterError(f"{name}: must be {what} in [{lo}, {hi}], got {text!r}") from None


# Every mechanism that distinguishes the regimes, switched off (MODEL.md pattern 9): no dialogue
# overhead, no learning or pacification, no innovation, substitutes with staff alone productive,
# no voice bias, no targets, no outreach, no reflection, no withness, no input cap, no wicked
# penalty for single-actor encounters.
_NULL = {
    "dialogue_overhead": 0.0,
    "learning_rate": 0.0,
    "efficacy_gain": 0.0,
    "pacification": 0.0,
    "habit_rate": 0.0,
    "habit_decay": 0.0,
    "p_innovation": 0.0,
    "substitution": 1.0,
    "staff_weight": 1.0,
    "voice_bias": 0.0,
    "target_strength": 0.0,
    "outreach_share": 0.0,
    "reflection_interval": 0,
    "withness": 0.0,
    "customer_input_cap": 1.0,
    "wicked_penalty": 0.0,
}

_VOLUNTEERING = {"volunteer_recruitment": 0.02}

PRESETS: dict[str, dict[str, Any]] = {
    "npm": {
        "description": "New Public Management: customer rules, voice-driven queue, ratcheting targets, passive receipt.",
        "overrides": {"coproduction_share": 0.0},
    },
    "coproduction": {
        "description": "Co-production: joint encounters, allocation by need, outreach, reflection cycles, volunteers as partners.",
        "overrides": {"coproduction_share": 1.0, **_VOLUNTEERING},
    },
    "coproduction_no_outreach": {
        "description": "Co-production without outreach to citizens with few resources (tests the Matthew effect).",
        "overrides": {"coproduction_share": 1.0, "outreach_share": 0.0, **_VOLUNTEERING},
    },
    "hybrid": {
        "description": "Half of staff time in each mode: NPM rules and co-creating rules side by side.",
        "overrides": {"coproduction_share": 0.5, **_VOLUNTEERING},
    },
    "npm_with_volunteers": {
        "description": "NPM rules with a volunteering programme: volunteers as extra service helpers.",
        "overrides": {"coproduction_share": 0.0, **_VOLUNTEERING},
    },
    "null_npm": {
        "description": "Null model, NPM side: every distinguishing mechanism switched off (pattern 9).",
        "overrides": {"coproduction_share": 0.0, **_NULL},
    },
    "null_coproduction": {
        "description": "Null model, co-production side: every distinguishing mechanism switched off (pattern 9).",
        "overrides": {"coproduction_share": 1.0, **_NULL},
    },
}


def preset_names() -> list[str]:
    return list(PRESETS)
