"""One validated parameter object for coprosim, its presets and its one-line errors.

Every field carries its default, allowed range, unit and meaning, and names the idea of the
theory it stands for (Jensen & Thomassen 2020 and Thomassen & Jensen 2020, Parks et al. 1981,
Ostrom 1996, and the calibration anchors in docs/ODD.md). The CLI, the experiment files and the dashboard sliders all read
these ranges, so a value that is refused in one place is refused everywhere with the same words.

Presets are named sets of overrides of the defaults (one table, ``PRESETS``). Regimes differ only
through rule parameters: ``coproduction_share`` (the share of staff time worked in the co-creating
mode) and the rules of each mode, which come in pairs (``MODE_RULES``: the customer mode's rule and
the co-creating mode's). Programmes (volunteering, outreach, training) are the same in every regime.
Each field says where its value comes from (``source``) or that it is free, with a ``plausible``
range for sampled designs.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any


class ParameterError(ValueError):
    """A bad parameter: the message is one line naming the field and what is allowed."""


GROUPS = {
    "setting": "the place and its people (not a rule of either mode)",
    "needs": "how welfare needs arise",
    "production": "how encounters turn inputs into need met (the same function in both modes)",
    "regime": "the mix of the two modes",
    "customer rule": "a rule of the customer (NPM) mode",
    "co-creating rule": "a rule of the co-creating mode",
    "programme": "a programme both regimes can run (volunteering, outreach, training)",
    "citizens": "how citizens decide, learn and trust (behaviour, the same in both modes)",
    "co-destruction": "how encounters can go wrong (behaviour, the same in both modes)",
    "emergence": "unplanned, system-level value and harm",
    "staff": "how staff are motivated, burn out, learn and leave",
    "volunteers": "how volunteers join, work and leave",
    "costs": "prices of time",
    "observation": "what is recorded",
}

# Rules of one mode: a parameter pair (customer rule, co-creating rule), by the name the model uses
# for the pair (``CoproductionModel.rules.<name>``). A regime is a share of staff time in each mode;
# every other parameter is the same whichever mode a case falls to.
MODE_RULES: dict[str, tuple[str, str]] = {
    "voice": ("voice_bias", "elite_capture"),
    "need_priority": ("customer_need_priority", "cocreating_need_priority"),
    "invitation": ("customer_invitation", "cocreating_invitation"),
    "dialogue": ("customer_dialogue_overhead", "dialogue_overhead"),
    "targets": ("target_strength", "cocreating_target_strength"),
    "reflection": ("customer_reflection_learning", "reflection_learning"),
    "routine_learning": ("routine_learning", "cocreating_routine_learning"),
}

# What each rule pair governs, in plain words (docs, reports, the dashboard).
RULE_MEANINGS: dict[str, str] = {
    "voice": "voice in the queue",
    "need_priority": "need (not arrival) in the queue",
    "invitation": "invitation of the citizen's input",
    "dialogue": "dialogue time",
    "targets": "performance targets",
    "reflection": "reflection cycles",
    "routine_learning": "standardisation (routine learning)",
}


def _spec(default, lo, hi, unit: str, meaning: str, kind: type = float, *, group: str,
          source: str = "free", plausible: tuple | None = None):
    """One parameter: default, allowed range, unit, meaning, group, and where its value comes from.

    ``source`` cites the literature behind the rule or its default, or says ``free``: then
    ``plausible`` is the range a sampled design should explore (and the default lies in it).
    """
    assert group in GROUPS, group
    return field(
        default=default,
        metadata={"range": (lo, hi), "unit": unit, "meaning": meaning, "kind": kind,
                  "group": group, "source": source,
                  "plausible": plausible if plausible is not None else (lo, hi)},
    )


@dataclass(frozen=True)
class Params:
    """All model parameters. Construct with keywords; validation runs once, at construction."""

    # --- setting: population and space --------------------------------------------------------
    n_citizens: int = _spec(1000, 10, 200_000, "citizens", "Number of citizens (nodes of the social network).", int, group="setting")
    staff_per_1000: float = _spec(15.0, 0.5, 200.0, "staff per 1,000 citizens", "Public staff relative to population (at least one staff member).", group="setting", plausible=(8.0, 25.0))
    staff_hours: float = _spec(30.0, 1.0, 60.0, "hours/week", "Hours each staff member is paid for in a week (capacity).", group="setting")
    network_degree: int = _spec(6, 2, 50, "neighbours", "Mean number of neighbours in the small-world network (Watts-Strogatz k, rounded down to even).", int, group="setting", plausible=(4, 12))
    network_rewiring: float = _spec(0.1, 0.0, 1.0, "probability", "Watts-Strogatz rewiring probability: 0 a ring of neighbourhoods, 1 a random graph.", group="setting", plausible=(0.01, 0.3))
    resource_inequality: float = _spec(0.8, 0.0, 2.0, "log-sd", "Inequality of citizens' resources (time, education, money): sd of the log-normal they are drawn from.", group="setting", plausible=(0.4, 1.5))

    # --- needs ----------------------------------------------------------------------------------
    p_need_shock: float = _spec(0.15, 0.0, 1.0, "probability/week", "Chance a citizen meets a new need in a week (illness, job loss, care).", group="needs", plausible=(0.08, 0.25))
    need_shock_size: float = _spec(0.4, 0.0, 5.0, "need units", "Mean size of a new need (exponentially distributed).", group="needs", plausible=(0.2, 0.8))
    wicked_share: float = _spec(0.3, 0.0, 1.0, "share", "Share of new needs that are wicked: complex, needing several actors (Rittel & Webber 1973).", group="needs", plausible=(0.0, 0.7))
    self_help_rate: float = _spec(0.05, 0.0, 1.0, "share/week", "Share of its need a citizen with full resources resolves alone in a week (private resources).", group="needs", plausible=(0.02, 0.1))
    need_threshold: float = _spec(0.3, 0.0, 10.0, "need units", "Need above which a citizen asks public services for help.", group="needs", plausible=(0.2, 0.5))

    # --- production (Parks et al. 1981; Ostrom 1996): one function in both modes --------------------
    productivity: float = _spec(1.0, 0.0, 10.0, "need units/encounter", "A in the CES production function: need reduced by one standard encounter of unit inputs.", group="production", plausible=(0.5, 1.5))
    substitution: float = _spec(0.5, -10.0, 1.0, "rho", "CES substitution parameter: 1 staff and citizen inputs are perfect substitutes, 0 Cobb-Douglas, very negative complements (Leontief); Parks et al. 1981 give both cases.", group="production", plausible=(-1.0, 1.0))
    staff_weight: float = _spec(0.7, 0.0, 1.0, "delta", "CES weight of the staff input; the citizen (and volunteer) input has weight 1 - delta.", group="production", plausible=(0.5, 0.9))
    wicked_penalty: float = _spec(0.5, 0.0, 1.0, "share", "Productivity lost on wicked needs when one actor supplies all the input; diverse encounters lose none.", group="production", plausible=(0.2, 0.8))
    standard_duration: float = _spec(2.0, 0.1, 40.0, "staff hours", "Staff time of a standard encounter on a simple need of a resourceful citizen.", group="production")
    wicked_extra_time: float = _spec(1.0, 0.0, 10.0, "share", "Extra encounter time per unit of the case's wicked share (complex cases take longer).", group="production", plausible=(0.5, 2.0))
    disadvantage_extra_time: float = _spec(0.5, 0.0, 10.0, "share", "Extra encounter time for a citizen with no resources, scaled by 1 - resources (paperwork, language, complex lives; why quick cases are the resourceful: Koning & Heinrich 2013).", group="production", source="Koning & Heinrich 2013 (direction); size free", plausible=(0.2, 1.0))
    dialogue_yield: float = _spec(0.5, 0.0, 1.0, "share", "Share of dialogue time that adds to the staff's input in the encounter (the rest is transaction cost: Steen, Brandsen & Verschuere 2018).", group="production", plausible=(0.0, 1.0))
    unmotivated_quality: float = _spec(0.5, 0.0, 1.0, "share", "Input of a staff member with no motivation left, as a share of a fully motivated one's (public service motivation raises performance: Perry & Wise 1990; Ritz, Brewer & Neumann 2016).", group="production", source="Ritz, Brewer & Neumann 2016 (direction); size free", plausible=(0.3, 0.8))
    unskilled_input: float = _spec(0.3, 0.0, 1.0, "share", "Share of a citizen's invited effort that counts as input with no co-production skill (all of it at full skill: learning by doing).", group="production", plausible=(0.1, 0.6))
    unfacilitated_input: float = _spec(0.5, 0.0, 1.0, "share", "Share of a citizen's input that counts when the staff member has no facilitation skill (all of it at full skill).", group="production", plausible=(0.2, 0.8))
    burnout_quality_loss: float = _spec(0.5, 0.0, 1.0, "share", "Staff input lost at full burnout (burnout lowers quality of care: Salyers et al. 2017).", group="production", source="Salyers et al. 2017 (direction); size free", plausible=(0.2, 0.8))

    # --- the regime ------------------------------------------------------------------------------
    coproduction_share: float = _spec(0.0, 0.0, 1.0, "share of staff time", "Share of staff time (and of cases) worked in the co-creating mode; the rest follows the customer (NPM) mode's rules.", group="regime")

    # --- rules of each mode (pairs: see MODE_RULES) -------------------------------------------------
    voice_bias: float = _spec(0.8, 0.0, 1.0, "weight", "Customer rule: weight of voice (resources x efficacy) in the queue; customers who press demands are served first (Lipsky 1980; Jakobsen & Andersen 2013).", group="customer rule", plausible=(0.3, 0.9))
    elite_capture: float = _spec(0.3, 0.0, 1.0, "weight", "Co-creating rule: weight of voice in the co-creating agenda; those who show up shape it (elite capture: Fung 2004; Roenning 2011).", group="co-creating rule", plausible=(0.0, 0.6))
    customer_need_priority: float = _spec(0.0, 0.0, 1.0, "weight", "Customer rule: beside voice, queue by need (1) or by order of arrival (0): customers are served in turn (responsiveness, a claim of NPM: Hood 1991).", group="customer rule", source="free", plausible=(0.0, 0.8))
    cocreating_need_priority: float = _spec(1.0, 0.0, 1.0, "weight", "Co-creating rule: beside voice, queue by need (1) or by order of arrival (0): the team starts from who needs most.", group="co-creating rule", plausible=(0.3, 1.0))
    customer_invitation: float = _spec(0.3, 0.0, 1.0, "share", "Customer rule: how far the organisation expects staff to invite and use citizens' offered input in a standard service (scripts and standard forms leave some room: co-production is inherent in services, Parks et al. 1981; Osborne, Radnor & Strokosch 2016). An expectation: staff's own invitation learns from experience and is pulled toward it at norm_pull.", group="customer rule", plausible=(0.1, 0.7))
    cocreating_invitation: float = _spec(1.0, 0.0, 1.0, "share", "Co-creating rule: how far the organisation expects staff to invite and use citizens' offered input (a co-production mandate). An expectation, as the customer rule is; the ranges overlap because services of either kind vary in how far they ask for input.", group="co-creating rule", plausible=(0.5, 1.0))
    customer_dialogue_overhead: float = _spec(0.0, 0.0, 5.0, "share", "Customer rule: extra staff time for dialogue when the citizen takes part.", group="customer rule", plausible=(0.0, 0.5))
    dialogue_overhead: float = _spec(0.5, 0.0, 5.0, "share", "Co-creating rule: extra staff time for dialogue when the citizen takes part (transaction costs: Steen, Brandsen & Verschuere 2018).", group="co-creating rule", plausible=(0.1, 1.0))
    target_strength: float = _spec(0.5, 0.0, 1.0, "weight", "Customer rule: strength of performance targets on cases closed per hour (Bevan & Hood 2006).", group="customer rule", plausible=(0.2, 0.8))
    cocreating_target_strength: float = _spec(0.0, 0.0, 1.0, "weight", "Co-creating rule: strength of performance targets on cases closed per hour.", group="co-creating rule", plausible=(0.0, 0.3))
    customer_reflection_learning: float = _spec(0.0, 0.0, 1.0, "share", "Customer rule: how far a review changes staff facilitation skill and habits (performance reviews look at the indicator, not at the encounter).", group="customer rule", plausible=(0.0, 0.15))
    reflection_learning: float = _spec(0.15, 0.0, 1.0, "share", "Co-creating rule: how far a reflection cycle (action research) moves staff facilitation skill and habits, and redirects outreach (learning in organizations).", group="co-creating rule", plausible=(0.0, 0.3))
    routine_learning: float = _spec(0.02, 0.0, 1.0, "share/week", "Customer rule: weekly growth of routine skill on standardised work (learning curves: Argote & Epple 1990 review them in manufacturing, unit costs falling with cumulative output and knowledge depreciating; they give no rate for public services' routine work, so the size is free).", group="customer rule", source="Argote & Epple 1990 (form, in manufacturing; no rate in the model's terms); size free", plausible=(0.005, 0.05))
    cocreating_routine_learning: float = _spec(0.0, 0.0, 1.0, "share/week", "Co-creating rule: weekly growth of routine skill (tailored encounters are not standardised).", group="co-creating rule", plausible=(0.0, 0.01))

    # --- shared rules of reviews and targets --------------------------------------------------------
    reflection_interval: int = _spec(12, 0, 520, "weeks", "Weeks between team reviews: reflection cycles and performance reviews. 0 = no reviews.", int, group="regime", plausible=(4, 26))
    reflection_hours: float = _spec(2.0, 0.0, 40.0, "staff hours/review", "Meeting hours per staff member per reflection cycle, in proportion to the time worked in a mode that reflects.", group="regime", plausible=(1.0, 4.0))
    target_stretch: float = _spec(0.1, 0.0, 1.0, "share", "A first target is set this far above what was achieved (a stretch target).", group="regime", plausible=(0.0, 0.2))
    target_ratchet: float = _spec(0.05, 0.0, 1.0, "share", "Rise of a target at a review where it was met (the ratchet: Bevan & Hood 2006).", group="regime", plausible=(0.0, 0.1))
    target_effort_gain: float = _spec(0.1, 0.0, 1.0, "share", "Most extra pace targets buy, at the peak of the inverted U (the U is the model's form). Gerrish 2016's meta-analysis (2,188 effects, 49 studies) finds a small positive average effect of performance management on performance as the systems measure it, larger with good practice; it gives no effect on pace, so the size is free (calibrated only in direction: docs/ODD.md 3.4).", group="regime", source="Gerrish 2016 (direction: small positive on measured performance, no pace figure); size free", plausible=(0.0, 0.3))
    target_effort_peak: float = _spec(0.4, 0.05, 1.0, "pressure", "Pressure at which effort peaks; beyond twice it, effort falls below no pressure at all (inverted U).", group="regime", plausible=(0.2, 0.6))
    target_gaming: float = _spec(0.3, 0.0, 1.0, "share", "Share of the input on unmeasured (wicked) need lost per unit of pressure: hitting the target, missing the point (Bevan & Hood 2006: 96% of A&E patients reported seen within 4 hours in 2004/05, 77% by patient surveys).", group="regime", source="Bevan & Hood 2006 (direction; the 96/77 gap is a calibration target); size free", plausible=(0.0, 0.6))
    audit_time: float = _spec(0.1, 0.0, 2.0, "share", "Recording and audit time per encounter under targets, per unit of target strength. Hood & Dixon 2015 find UK central government's running costs did not fall over three decades of NPM reform, and attribute much of the rise to outsourcing; they give no figure for the time measurement takes, so only the direction (recording takes staff time) rests on them.", group="regime", source="Hood & Dixon 2015 (costs did not fall under NPM, rise attributed to outsourcing; no figure for audit time); size free", plausible=(0.0, 0.3))
    routine_speedup: float = _spec(0.3, 0.0, 0.9, "share", "Time a simple-need encounter saves at full routine skill (standardisation).", group="regime", plausible=(0.1, 0.5))

    # --- programmes: the same in both regimes ---------------------------------------------------------
    outreach_share: float = _spec(0.1, 0.0, 1.0, "share of staff time", "Programme: share of staff time spent reaching out to, and serving, citizens of the target group (the fewest resources) (Jakobsen & Andersen 2013).", group="programme", plausible=(0.0, 0.3))
    outreach_support: float = _spec(0.5, 0.0, 1.0, "share", "How much an outreach contact lowers a citizen's cost of taking part (support, transport, child care).", group="programme", plausible=(0.2, 0.8))
    training_hours: float = _spec(1.0, 0.0, 20.0, "staff hours/week", "Programme: weekly training per staff member in facilitating citizens' input.", group="programme", plausible=(0.0, 3.0))
    training_effect: float = _spec(0.01, 0.0, 1.0, "share/hour", "Facilitation skill gained per training hour, with diminishing returns.", group="programme", plausible=(0.002, 0.02))
    volunteer_recruitment: float = _spec(0.02, 0.0, 1.0, "probability/week", "Programme: weekly chance an engaged citizen becomes a volunteer (0: no volunteering programme).", group="programme", plausible=(0.0, 0.05))
    volunteer_demand: float = _spec(0.3, 0.0, 1.0, "share of encounters", "Programme: share of encounters the programme asks a volunteer to join (its load).", group="programme", plausible=(0.1, 0.6))

    # --- citizens: participation, experience, trust --------------------------------------------------
    initial_efficacy: float = _spec(0.2, 0.0, 1.0, "efficacy", "Sense of agency at the start of a citizen with no resources (it rises by 0.5 per unit of resources: self-efficacy drives co-production, Bovaird et al. 2015).", group="citizens", plausible=(0.1, 0.35))
    initial_skill: float = _spec(0.1, 0.0, 1.0, "skill", "Co-production skill at the start of a citizen with no resources (it rises by 0.2 per unit of resources).", group="citizens", plausible=(0.05, 0.25))
    initial_habit: float = _spec(0.3, 0.0, 1.0, "habit", "Habit of taking part at the start, for a citizen with full resources (it rises with resources: BLS 2010). Taking part is a complex contagion, so where it starts shapes where it ends.", group="citizens", plausible=(0.1, 0.6))
    initial_expected_benefit: float = _spec(0.3, 0.0, 1.0, "utility", "Benefit citizens expect of taking part before any experience of it.", group="citizens", plausible=(0.1, 0.5))
    passive_effort: float = _spec(0.05, 0.0, 1.0, "effort", "What a citizen who does not take part still puts into an encounter: showing up, filling in forms (co-production is inherent in services: Osborne, Radnor & Strokosch 2016).", group="citizens", plausible=(0.0, 0.15))
    effort_without_habit: float = _spec(0.5, 0.0, 1.0, "effort", "Effort a citizen who takes part offers with no habit of taking part; it rises to 1 with a full habit.", group="citizens", plausible=(0.3, 0.8))
    participation_cost: float = _spec(0.7, 0.0, 5.0, "utility", "Time cost of taking part for a citizen with no resources (scaled by 1 - resources).", group="citizens", plausible=(0.4, 1.0))
    participation_sensitivity: float = _spec(5.0, 0.0, 50.0, "1/utility", "Slope of the logistic choice to take part (how sharply benefit against cost decides).", group="citizens", plausible=(3.0, 8.0))
    neighbour_influence: float = _spec(0.5, 0.0, 1.0, "weight", "Weight of engaged neighbours' reinforcement, against one's own dispositions, in the benefit a citizen expects from taking part (conditional cooperation: about half of people contribute as far as others do, Fischbacher, Gaechter & Fehr 2001).", group="citizens", source="Fischbacher, Gaechter & Fehr 2001 (about half conditional cooperators)", plausible=(0.25, 0.75))
    peer_persuasion: float = _spec(0.3, 0.0, 1.0, "probability", "Chance that one engaged neighbour's example persuades a citizen to take part (each tie independently); see peer_threshold.", group="citizens", plausible=(0.1, 0.5))
    peer_threshold: int = _spec(2, 1, 5, "neighbours", "Persuasive examples a citizen needs before neighbours reinforce taking part: 1 a simple contagion, 2 or more a complex contagion, which spreads better through clustered ties (Centola & Macy 2007; Centola 2010: 54% adopted in clustered against 38% in random networks).", int, group="citizens", source="Centola & Macy 2007; Centola 2010", plausible=(1, 3))
    learning_rate: float = _spec(0.1, 0.0, 1.0, "share/encounter", "Skill gained by an active encounter, with diminishing returns (experience: learning by doing).", group="citizens", plausible=(0.05, 0.2))
    efficacy_gain: float = _spec(0.15, 0.0, 1.0, "share/encounter", "Efficacy gained by taking part and seeing value created (Bovaird et al. 2015).", group="citizens", plausible=(0.05, 0.3))
    pacification: float = _spec(0.03, 0.0, 1.0, "share/encounter", "Efficacy lost by receiving a service passively (NPM critique: pacified citizens).", group="citizens", plausible=(0.0, 0.06))
    habit_rate: float = _spec(0.1, 0.0, 1.0, "share/encounter", "How far an encounter moves a citizen's habit of taking part toward what was practised.", group="citizens", plausible=(0.05, 0.2))
    habit_decay: float = _spec(0.01, 0.0, 1.0, "share/week", "Erosion of a habit in a week without practice.", group="citizens", plausible=(0.005, 0.03))
    benefit_memory: float = _spec(0.2, 0.0, 1.0, "weight", "Weight of the latest experience in a citizen's expected benefit of taking part (reinforcement).", group="citizens", plausible=(0.1, 0.4))
    fatigue_rate: float = _spec(0.1, 0.0, 1.0, "share/encounter", "Participation fatigue gained from effort that brought little relief.", group="citizens", plausible=(0.0, 0.2))
    fatigue_recovery: float = _spec(0.05, 0.0, 1.0, "share/week", "Fatigue lost in a week.", group="citizens", plausible=(0.02, 0.1))
    fatigue_weight: float = _spec(0.5, 0.0, 5.0, "utility", "Weight of fatigue against taking part.", group="citizens", plausible=(0.2, 1.0))
    trust_gain: float = _spec(0.05, 0.0, 1.0, "share/encounter", "Trust gained from a request met, scaled by the relief it brought.", group="citizens", plausible=(0.02, 0.1))
    trust_loss: float = _spec(0.1, 0.0, 1.0, "share/encounter", "Trust lost from a request not met (lost faster than gained: Slovic 1993).", group="citizens", source="Slovic 1993 (asymmetry); size free", plausible=(0.05, 0.2))
    withness: float = _spec(0.05, 0.0, 1.0, "share/encounter", "Trust gained from being treated as a partner, scaled by the citizen's part in the encounter ('withness-thinking'; those with a say trust about 3x as often: OECD 2024).", group="citizens", plausible=(0.0, 0.1))
    trust_reversion: float = _spec(0.04, 0.0, 1.0, "share/week", "Weekly pull of trust back toward the citizen's baseline (about 0.40 on average, lower with fewer resources: OECD 2024).", group="citizens", plausible=(0.005, 0.05))
    withdraw_after: int = _spec(4, 1, 520, "requests", "Consecutive unmet requests after which a citizen with low trust stops asking (alienation).", int, group="citizens", plausible=(2, 8))
    withdraw_trust: float = _spec(0.3, 0.0, 1.0, "trust", "Trust below which repeated disappointment leads to withdrawal.", group="citizens", plausible=(0.2, 0.4))
    p_return: float = _spec(0.01, 0.0, 1.0, "probability/week", "Weekly chance that a withdrawn citizen asks again unprompted.", group="citizens", plausible=(0.005, 0.03))

    trust_level: float = _spec(0.4, 0.0, 1.0, "trust", "Mean trust in public institutions at the start and the level it reverts to; citizens with more resources trust more. OECD 2024 reports shares, not means: 39% rate their national government 6-10 of 10, 45% the civil service (the calibration compares the share above 0.55 with the latter).", group="citizens", source="OECD 2024 (shares trusting: 39% national government, 45% civil service; countries range widely)", plausible=(0.2, 0.65))

    # --- co-destruction (Järvi, Kähkönen & Torvinen 2018; Engen et al. 2021) ----------------------------
    p_codestruction: float = _spec(0.3, 0.0, 1.0, "probability", "Chance an encounter in which the citizen takes part fully goes wrong, with untrained staff, no trust and no fit; it falls with staff skill, trust and the citizen's skill (co-destruction: Järvi, Kähkönen & Torvinen 2018; Engen et al. 2021).", group="co-destruction", source="Järvi et al. 2018; Engen et al. 2021 (mechanism); size free", plausible=(0.0, 0.6))
    codestruction_harm: float = _spec(0.5, 0.0, 2.0, "share of output", "Need added by an encounter that goes wrong, as a share of what it would have reduced.", group="co-destruction", plausible=(0.2, 1.0))
    codestruction_trust_loss: float = _spec(0.2, 0.0, 1.0, "share", "Trust and efficacy a citizen loses when an encounter goes wrong.", group="co-destruction", plausible=(0.1, 0.4))
    accountability_diffusion: float = _spec(0.5, 0.0, 5.0, "weight", "How much each extra actor lowers the chance that a failure is noticed and corrected at once (diffuse accountability).", group="co-destruction", plausible=(0.0, 1.0))
    distrust_contagion: float = _spec(0.05, 0.0, 1.0, "share", "Trust a citizen loses when a neighbour's encounter went wrong (negative emergence: distrust spreads).", group="co-destruction", plausible=(0.0, 0.1))
    role_strain: float = _spec(0.05, 0.0, 1.0, "burnout/failure", "Burnout a staff member gains per failed encounter per staff member, more the less skilled (role strain of professionals: Steen & Tuurnas 2018).", group="co-destruction", source="Steen & Tuurnas 2018 (direction); size free", plausible=(0.0, 0.1))

    # --- emergence: spillover, prevention, diffusion ---------------------------------------------------
    p_innovation: float = _spec(0.02, 0.0, 1.0, "probability/encounter", "Chance an encounter of full diversity and trust yields an innovation (emergence), in either mode.", group="emergence", plausible=(0.005, 0.05))
    innovation_size: float = _spec(0.1, 0.0, 1.0, "productivity share", "Lasting local productivity gain of one innovation (in encounters and in self-help).", group="emergence", plausible=(0.05, 0.2))
    innovation_spread: float = _spec(0.05, 0.0, 1.0, "probability/week", "Weekly chance a citizen taking part adopts the best practice among neighbours (diffusion).", group="emergence", plausible=(0.01, 0.1))
    innovation_max: float = _spec(1.0, 0.0, 10.0, "productivity share", "Cap on the local productivity gain from innovations.", group="emergence")
    p_process_innovation: float = _spec(0.2, 0.0, 1.0, "probability/review", "Chance a team review finds a process improvement, scaled by the routine share of the work (benchmarking, lean), in either mode.", group="emergence", plausible=(0.05, 0.4))
    process_innovation_size: float = _spec(0.05, 0.0, 1.0, "share", "Time a process improvement saves on simple-need encounters.", group="emergence", plausible=(0.02, 0.1))
    process_innovation_max: float = _spec(0.3, 0.0, 0.9, "share", "Most time process improvements can save.", group="emergence")
    spillover: float = _spec(0.5, 0.0, 5.0, "share", "Community capacity (help reaching a citizen along ties) adds to their self-help at this weight (collective co-production: Bovaird et al. 2015).", group="emergence", plausible=(0.0, 1.0))
    tie_help: float = _spec(0.2, 0.0, 1.0, "probability", "Chance a neighbour with full co-production skill and habit helps through one tie; community capacity is the chance that help reaches a citizen along at least one tie, so it grows with ties (social capital: Putnam 2000).", group="emergence", plausible=(0.05, 0.4))
    adoption_threshold: int = _spec(1, 1, 5, "neighbours", "Neighbours who must hold a practice before a citizen adopts it: 1 a simple contagion, 2 or more a complex one. A better practice is knowledge, which spreads as a simple contagion; costly behaviour such as taking part needs reinforcement (Centola & Macy 2007), see peer_threshold.", int, group="emergence", source="Centola & Macy 2007", plausible=(1, 2))
    prevention: float = _spec(0.3, 0.0, 1.0, "share", "Share by which full community capacity lowers the chance of a new need (prevention: need avoided is value).", group="emergence", plausible=(0.0, 0.5))

    # --- staff ---------------------------------------------------------------------------------------
    motivation_baseline: float = _spec(0.7, 0.0, 1.0, "motivation", "Intrinsic public-service motivation staff return to without pressure.", group="staff")
    motivation_recovery: float = _spec(0.05, 0.0, 1.0, "share/week", "Speed of return to the baseline motivation.", group="staff", plausible=(0.02, 0.1))
    crowding_out: float = _spec(0.02, 0.0, 1.0, "share/week", "Motivation lost per unit of target pressure in a week (crowding-out: Deci, Koestner & Ryan 1999; contested for routine tasks: Weibel et al. 2010).", group="staff", source="Deci, Koestner & Ryan 1999; size free", plausible=(0.0, 0.08))
    burnout_rate: float = _spec(0.02, 0.0, 1.0, "share/week", "Burnout gained per unit of excess workload (demand beyond the hours for encounters) in a week.", group="staff", plausible=(0.01, 0.1))
    burnout_recovery: float = _spec(0.05, 0.0, 1.0, "share/week", "Share of burnout that heals in a week.", group="staff", plausible=(0.02, 0.1))
    quit_motivation: float = _spec(0.35, 0.0, 1.0, "motivation", "Motivation at which the chance of leaving reaches its full extra rate p_quit (it rises continuously as motivation falls below the baseline).", group="staff")
    p_quit: float = _spec(0.005, 0.0, 1.0, "probability/week", "Extra weekly chance of leaving of a fully demotivated or burnt-out staff member.", group="staff", plausible=(0.005, 0.02))
    p_staff_leave: float = _spec(0.002, 0.0, 1.0, "probability/week", "Weekly chance any staff member leaves for other reasons (about 10% a year, a typical public-sector separation rate).", group="staff", plausible=(0.001, 0.004))
    initial_coproduction_skill: float = _spec(0.2, 0.0, 1.0, "skill", "Facilitation (co-production) skill of staff at the start and of novices.", group="staff", plausible=(0.05, 0.4))
    initial_invitation: float = _spec(0.3, 0.0, 1.0, "share", "How far staff invite citizens' input at the start, and novices when they arrive: teams start from a customer-service culture. After that each staff member's invitation is learned (docs/ODD.md 1.3, step 5b).", group="staff", plausible=(0.1, 0.5))
    invitation_learning: float = _spec(0.1, 0.0, 1.0, "share/week", "How fast a staff member's invitation follows the outcomes of their own encounters with invited input (reinforcement learning with an aspiration level: Bush & Mosteller 1955; Macy & Flache 2002).", group="staff", source="Bush & Mosteller 1955; Macy & Flache 2002 (form); size free", plausible=(0.02, 0.3))
    aspiration_memory: float = _spec(0.1, 0.0, 1.0, "share/week", "How fast a staff member's aspiration (the relief they expect of an encounter) follows the relief of their encounters (habituation).", group="staff", plausible=(0.02, 0.3))
    failure_aversion: float = _spec(2.0, 0.0, 5.0, "x a success", "Weight of an encounter that went wrong in a staff member's learning, against a success (losses weigh about twice as much as gains: Tversky & Kahneman 1992, lambda 2.25).", group="staff", source="Tversky & Kahneman 1992", plausible=(1.0, 3.0))
    team_influence: float = _spec(0.05, 0.0, 1.0, "share/week", "Weekly pull of each staff member's invitation toward the team's mean (team culture: mutual learning of individuals and the organisational code, March 1991).", group="staff", plausible=(0.0, 0.2))
    norm_pull: float = _spec(0.01, 0.0, 1.0, "share/week", "Weekly pull of each staff member's invitation toward what the rule of their mode expects (discretion within rules: Lipsky 1980; Hupe & Hill 2007). 0: rules expect nothing staff feel.", group="staff", plausible=(0.0, 0.05))
    hiring_cost: float = _spec(400.0, 0.0, 10_000.0, "staff hours", "Cost of replacing a staff member: about 20% of a year's salary, i.e. about 0.2 x 52 weeks x 37.5 hours. Boushey & Glynn 2012's median of about 21% of salary includes the lost productivity of a new worker, which the model also counts through novices' starting skill and invitation, so the default is an upper bound on the direct cost.", group="staff", source="Boushey & Glynn 2012 (upper bound: their 21% includes lost productivity, counted separately in the model)", plausible=(200.0, 600.0))
    overtime_max: float = _spec(0.1, 0.0, 1.0, "share of capacity", "Most overtime (or paid cover) staff work when demand exceeds their hours.", group="staff", plausible=(0.0, 0.2))
    overtime_premium: float = _spec(1.5, 1.0, 3.0, "x hourly pay", "Price of an overtime or cover hour relative to a regular hour (time and a half).", group="costs")

    # --- volunteers ----------------------------------------------------------------------------------
    volunteer_hours: float = _spec(4.0, 0.0, 40.0, "hours/week", "Hours a volunteer offers in a week.", group="volunteers", plausible=(2.0, 6.0))
    volunteer_churn: float = _spec(0.008, 0.0, 1.0, "probability/week", "Weekly chance a volunteer leaves for reasons outside the model (moving, family, work). CNCS 2009's 'about a third of volunteers do not volunteer the next year' counts every exit, the model's own (overload, disuse) included, so it bounds all exits together, not this one (0.008 alone gives 34% a year); fitted against it in docs/ODD.md 3.4.", group="volunteers", source="CNCS 2009 (all exits together: an upper bound for this one); size free")
    volunteer_support_cost: float = _spec(0.5, 0.0, 40.0, "staff hours/week", "Staff time spent coordinating each volunteer (transaction costs grow with the number of actors: Steen et al. 2018).", group="volunteers", plausible=(0.25, 1.0))
    volunteer_induction: float = _spec(10.0, 0.0, 200.0, "staff hours", "Staff time to recruit, vet and train one new volunteer.", group="volunteers", plausible=(5.0, 20.0))
    volunteer_peer_ask: float = _spec(0.02, 0.0, 1.0, "probability/week", "Weekly chance that each volunteer among a citizen's neighbours asks them to volunteer (most volunteers start when asked, often by someone they know: Freeman 1997; BLS 2006 supplement, 43% joined after being asked).", group="volunteers", source="Freeman 1997; Musick & Wilson 2008 (mechanism); size free", plausible=(0.0, 0.05))
    volunteer_start_motivation: float = _spec(0.8, 0.0, 1.0, "motivation", "Motivation of a new volunteer.", group="volunteers", plausible=(0.6, 1.0))
    volunteer_full_load: float = _spec(0.8, 0.0, 1.0, "load", "Load (hours asked over hours offered) below which the programme looks for no more volunteers; it looks fully once volunteers are fully booked.", group="volunteers", plausible=(0.5, 0.95))
    volunteer_min_resources: float = _spec(0.3, 0.0, 1.0, "resources", "Resources (free time, money) a citizen needs before volunteering (volunteering rises with resources: Musick & Wilson 2008).", group="volunteers", source="Musick & Wilson 2008 (direction); size free", plausible=(0.1, 0.5))
    volunteer_engagement: float = _spec(0.4, 0.0, 1.0, "engagement", "Efficacy a citizen needs before volunteering (self-efficacy drives co-production: Bovaird et al. 2015).", group="volunteers", plausible=(0.3, 0.5))
    max_volunteer_share: float = _spec(0.1, 0.0, 1.0, "share of citizens", "Most citizens that can volunteer at once.", group="volunteers", plausible=(0.05, 0.15))
    volunteer_overwork: float = _spec(0.5, 0.0, 5.0, "share of hours", "Most a volunteer stretches beyond the hours offered when the programme asks for more.", group="volunteers", plausible=(0.25, 1.0))
    volunteer_overload_strain: float = _spec(0.3, 0.0, 5.0, "motivation/load", "Motivation a volunteer loses in a week per unit of load beyond the hours offered (overload).", group="volunteers", plausible=(0.1, 0.6))

    # --- prices of time ----------------------------------------------------------------------------
    citizen_time_value: float = _spec(0.5, 0.0, 5.0, "x staff hourly pay", "Shadow price of an hour of a citizen's or volunteer's time in social_cost.", group="costs", plausible=(0.25, 1.0))

    # --- observation -----------------------------------------------------------------------------
    agent_sample_period: int = _spec(0, 0, 100_000, "steps", "Steps between samples of agent-level state (0: never).", int, group="observation")

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
    def staff_fte(self) -> float:
        """Full-time staff equivalents: staff_per_1000 per 1,000 citizens, not rounded."""
        return self.n_citizens * self.staff_per_1000 / 1000

    @property
    def n_staff(self) -> int:
        """Staff members: the full-time equivalents rounded up (the last one works part-time), at
        least one. Rounding to whole people would give 300 citizens 4 staff at 15 per 1,000, 11%
        short of 4.5 (why results once changed below about 500 citizens)."""
        return max(1, math.ceil(self.staff_fte - 1e-9))

    def staff_capacities(self):
        """Paid hours of each staff member: ``staff_hours``, the last one the remaining fraction."""
        import numpy as np

        m = self.n_staff
        hours = np.full(m, self.staff_hours)
        hours[-1] = self.staff_hours * (self.staff_fte - (m - 1)) if self.staff_fte > m - 1 else hours[-1]
        return hours


def _unknown_message(name: str) -> str:
    """One line (under 200 characters): the unknown name and the closest known names (difflib)."""
    import difflib

    names = Params.field_names()
    shown = str(name) if len(str(name)) <= 30 else f"{str(name)[:27]}..."
    close = difflib.get_close_matches(str(name), names, n=3, cutoff=0.0)
    while len(", ".join(close)) > 70:
        close.pop()
    return (f"{shown}: unknown parameter; allowed: one of {len(names)} names "
            f"(Params.field_names()); closest: {', '.join(close)}")


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


def mode_rule_names() -> set[str]:
    """Every parameter that is a rule of one mode (docs/ODD.md, section 3.3)."""
    return {name for pair in MODE_RULES.values() for name in pair}


def _equal_rules(customer: dict[str, float] | None = None) -> dict[str, float]:
    """Both modes with the same rules: each pair set to one value (the customer's unless given)."""
    defaults = {f.name: f.default for f in dataclasses.fields(Params)}
    values = {}
    for cu, co in MODE_RULES.values():
        value = (customer or {}).get(cu, defaults[cu])
        values[cu] = values[co] = value
    return values


# Every mechanism that could tell the modes apart, switched off (pattern 9): both modes with the
# same rules, no learning, habits, pacification or innovation, staff-only production with
# substitutes, no programmes, no co-destruction, no emergence channels. Identical rules consume
# identical random numbers, so the null regimes are bit-identical.
_NULL = {
    **_equal_rules({"voice_bias": 0.0, "customer_need_priority": 1.0, "customer_invitation": 1.0,
                    "customer_dialogue_overhead": 0.0, "target_strength": 0.0,
                    "customer_reflection_learning": 0.0, "routine_learning": 0.0}),
    "learning_rate": 0.0, "efficacy_gain": 0.0, "pacification": 0.0, "habit_rate": 0.0,
    "habit_decay": 0.0, "fatigue_rate": 0.0, "p_innovation": 0.0, "p_process_innovation": 0.0,
    "substitution": 1.0, "staff_weight": 1.0, "wicked_penalty": 0.0, "withness": 0.0,
    "outreach_share": 0.0, "training_hours": 0.0, "volunteer_recruitment": 0.0,
    "p_codestruction": 0.0, "spillover": 0.0, "prevention": 0.0, "reflection_interval": 0,
    "initial_invitation": 1.0, "invitation_learning": 0.0, "team_influence": 0.0, "norm_pull": 0.0,
}

# Pattern 17: both modes with the same rules (half-way between the two modes' defaults), every
# behavioural mechanism on. A regime that still differed would be keyed to a label.
_NEUTRAL = _equal_rules({
    "voice_bias": 0.55, "customer_need_priority": 0.5, "customer_invitation": 0.65,
    "customer_dialogue_overhead": 0.25, "target_strength": 0.25,
    "customer_reflection_learning": 0.075, "routine_learning": 0.01,
})

# The standard programmes (volunteering, outreach, training) are in the defaults, so every regime
# runs them alike; a preset that changes a programme says so in its name.
PRESETS: dict[str, dict[str, Any]] = {
    "npm": {
        "description": "New Public Management: every case in the customer mode (voice and turn in the queue, standard service, targets); standard programmes.",
        "overrides": {"coproduction_share": 0.0},
    },
    "coproduction": {
        "description": "Co-production: every case in the co-creating mode (need first, dialogue, invited input, reflection cycles); standard programmes.",
        "overrides": {"coproduction_share": 1.0},
    },
    "coproduction_no_outreach": {
        "description": "Co-production without the outreach programme (tests the Matthew effect).",
        "overrides": {"coproduction_share": 1.0, "outreach_share": 0.0},
    },
    "hybrid": {
        "description": "Half of the cases and staff time in each mode, side by side; standard programmes.",
        "overrides": {"coproduction_share": 0.5},
    },
    "npm_with_volunteers": {
        "description": "NPM with a volunteering programme twice the standard size (recruitment and cap doubled).",
        "overrides": {"coproduction_share": 0.0, "volunteer_recruitment": 0.04,
                      "max_volunteer_share": 0.2},
    },
    "null_npm": {
        "description": "Null model, NPM side: every distinguishing mechanism switched off (pattern 9).",
        "overrides": {"coproduction_share": 0.0, **_NULL},
    },
    "null_coproduction": {
        "description": "Null model, co-production side: every distinguishing mechanism switched off (pattern 9).",
        "overrides": {"coproduction_share": 1.0, **_NULL},
    },
    "neutral_npm": {
        "description": "Equal rules in both modes, every behavioural mechanism on; all time in the 'customer' mode (pattern 17).",
        "overrides": {"coproduction_share": 0.0, **_NEUTRAL},
    },
    "neutral_coproduction": {
        "description": "Equal rules in both modes, every behavioural mechanism on; all time in the 'co-creating' mode (pattern 17).",
        "overrides": {"coproduction_share": 1.0, **_NEUTRAL},
    },
}


def preset_names() -> list[str]:
    return list(PRESETS)
