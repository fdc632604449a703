"""The Lessons tab: guided experiments, each in the documented region of one pattern.

The seed chapters' cycle of experiential learning (experience, reflection, experiment; or action
research's plan, act, observe, reflect) made into the page. Every lesson asks the class to
predict, sets up the documented region of a pattern with one click (``coprosim.model.patterns.
REGIONS``, the same settings the pattern tests and docs/ODD.md use), says what to watch while
the run plays, then explains what happened with the idea of the seed chapters it is about, and
suggests a next experiment. Some lessons are two runs: the second (``then``) changes one thing,
and the first run stays on the charts as a faint ghost.

What a lesson promises (``effects``) is checked headless on several paired seeds, and on the seed
the lesson sets up, by ``tests/test_dashboard_lessons.py``: a lesson whose effect no longer shows
at its setup fails there, and its promise must change (not its numbers).
Plain Python, no Solara.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coprosim.model.patterns import REGIONS, Region

SEED = 1  # the seed every lesson sets up (the dashboard's default seed): what the class sees


@dataclass(frozen=True)
class Measure:
    """A number per seed from a lesson's runs: the mean of the effect's metric over weeks
    ``[start, stop)`` of the run of ``scenario`` in ``stage`` ("setup", or "then": the second
    run). With ``minus``, the difference of two such numbers (a gap between regimes)."""

    scenario: str
    stage: str = "setup"
    start: int = -50
    stop: int | None = None
    minus: Measure | None = None


@dataclass(frozen=True)
class Effect:
    """What a lesson promises: ``more`` is above ``factor`` times ``less`` (None: zero), or,
    with ``equal_within``, the two differ by less than that share of ``less``.

    ``text`` is the promise in words, shown once the class has predicted and run.
    """

    text: str
    metric: str
    more: Measure | None
    less: Measure | None
    factor: float = 1.0
    equal_within: float | None = None


@dataclass(frozen=True)
class Lesson:
    """One guided experiment: predict, run, watch, explain, next.

    ``setup`` is a one-click setup for ``settings.apply_setup`` (scenario or compared pair, seed
    and parameter values) taken from ``region``; ``then`` (optional) is the second run's setup,
    applied with the first run kept as the ghost, and ``then_label`` its button's words.
    ``ideas`` names the seed chapters' ideas the explanation is tied to.
    """

    key: str
    title: str
    ideas: str
    region: Region
    setup: dict[str, Any]
    predict: str
    watch: tuple[str, ...]
    explain: str
    next: str
    effects: tuple[Effect, ...]
    then: dict[str, Any] | None = None
    then_label: str = ""
    weeks: int = 150

    @property
    def regimes(self) -> tuple[str, ...]:
        if self.setup.get("compare"):
            return (self.setup["left"], self.setup["right"])
        return (self.setup["scenario"],)

    @property
    def stages(self) -> tuple[str, ...]:
        return ("setup", "then") if self.then else ("setup",)

    def setup_of(self, stage: str) -> dict[str, Any]:
        return self.then if stage == "then" and self.then else self.setup


def region_setup(region: Region, *regimes: str, **more: Any) -> dict[str, Any]:
    """A one-click setup of ``region``: its presets (or ``regimes``, to choose the order or one
    of them), its population and overrides, plus ``more``, at the lessons' seed."""
    regimes = regimes or region.scenarios
    overrides = region.settings(**more)
    if len(regimes) == 2:
        return {"compare": True, "left": regimes[0], "right": regimes[1], "seed": SEED,
                "overrides": overrides}
    return {"compare": False, "scenario": regimes[0], "seed": SEED, "overrides": overrides}


def changed(setup: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """``setup`` with some parameters changed (for a lesson's second run)."""
    return {**setup, "overrides": {**setup["overrides"], **overrides}}


def without(setup: dict[str, Any], *names: str) -> dict[str, Any]:
    """``setup`` with some parameters back at their usual values."""
    return {**setup, "overrides": {k: v for k, v in setup["overrides"].items() if k not in names}}


# Pattern 7's region: staff alone produce (the citizen's input has no weight) and capacity is
# ample, so both regimes reduce about the same need.
WITHNESS = REGIONS["withness"]

_CODESTRUCTION_LIKELY = 0.6  # the upper end of the plausible range of p_codestruction


def _lessons() -> list[Lesson]:
    matthew = REGIONS["matthew"]
    beyond = REGIONS["matthew_beyond_npm"]
    wicked_targets = REGIONS["targets_on_wicked"]
    codestruction = REGIONS["codestruction"]
    routine = REGIONS["npm_wins_on_routine"]
    emergence, bad_emergence = REGIONS["emergence_positive"], REGIONS["emergence_negative"]
    overload = REGIONS["volunteer_overload"]

    withness_setup = region_setup(WITHNESS)
    targets_setup = region_setup(wicked_targets)
    codestruction_setup = region_setup(codestruction, p_codestruction=_CODESTRUCTION_LIKELY)
    emergence_setup = region_setup(emergence)
    overload_setup = region_setup(overload)
    return [
        Lesson(
            "matthew", "The Matthew effect, and outreach against it",
            "Weak citizens left behind; reflection (looking at who is missing)",
            matthew, region_setup(matthew, "coproduction", "coproduction_no_outreach"),
            predict=(
                "Resources are very unequal and staff are scarce. Two co-production services "
                "start from the same citizens: one reaches out to those with few resources, the "
                "other waits for whoever comes. After three years, will the gap in wellbeing "
                "between the richest and the poorest fifth be about the same in both, or wider "
                "in one? Which one, and why?"),
            watch=(
                "The Participation chart: who takes part in each service?",
                "The Equity gap chart (More charts below): the wellbeing of the richest fifth "
                "minus that of the poorest fifth.",
                "Hidden need (More charts): the need of citizens who gave up asking.",
                "In the networks: the vermilion triangles, citizens who stopped asking."),
            explain=(
                "Taking part costs time and confidence, and those with more resources have more "
                "of both. In co-production the service is made together, so those who take part "
                "get more out of it and learn to take part even better: to those who have, more "
                "is given (the Matthew effect). The chapters' critique of NPM, that weak citizens "
                "are left behind, can therefore hold for co-production too.\n\n"
                "Outreach is the answer of reflection: the teams look at who is missing and spend "
                "part of their time with citizens with few resources, lowering their cost of "
                "taking part. Co-production is not fair by itself; it becomes fairer when its "
                "practice is reflected on and changed (Jakobsen & Andersen 2013)."),
            next=(
                "Is NPM, with a queue by need, fairer still? Try the next lesson. Or make "
                "resources more equal (resource inequality 0.5) and Reset: does outreach still "
                "matter?"),
            effects=(
                Effect("Without outreach the equity gap ends wider than with outreach.",
                       "equity_gap", Measure("coproduction_no_outreach"),
                       Measure("coproduction")),
                Effect("Without outreach the equity gap widens over time (last 50 weeks against "
                       "the first 10).", "equity_gap", Measure("coproduction_no_outreach"),
                       Measure("coproduction_no_outreach", start=1, stop=11)),
            ),
            weeks=matthew.steps),
        Lesson(
            "matthew_beyond_npm", "Is NPM fairer? The Matthew effect beyond NPM",
            "The NPM critique (serving the resourceful first) against co-production's own "
            "failure modes (elite capture, the cost of taking part)",
            beyond, region_setup(beyond, "npm", "coproduction_no_outreach"),
            predict=(
                "The chapters criticise NPM for serving resourceful citizens first. Here NPM's "
                "queue goes by need, not by who speaks loudest, while co-production has no "
                "outreach and taking part is costly. Which regime ends with the wider gap "
                "between the richest and the poorest fifth?"),
            watch=(
                "The Equity gap chart (More charts below), one line per regime.",
                "Participation: who takes part under co-production?",
                "Wellbeing: does the fairer regime also do better on average?"),
            explain=(
                "Under these rules NPM gives a standard service to whoever needs it most, and "
                "asks little of the citizen. Co-production asks for the citizen's time and "
                "effort, which is cheap for the resourceful and dear for the poor; and those who "
                "show up shape the agenda (elite capture). So co-production without outreach "
                "ends less equal than NPM.\n\n"
                "The lesson is about context, not labels: NPM's unfairness comes from its rules "
                "(a queue by voice), and co-production's from its own (participation that "
                "costs). Change the rules and the ranking changes."),
            next=(
                "Set the queue by need (customer) to 0, so NPM's queue goes by voice again, and "
                "Reset: what happens to NPM's gap? Then go back to lesson 1 to see what outreach "
                "does."),
            effects=(
                Effect("Co-production without outreach ends with a wider equity gap than NPM "
                       "with a queue by need.", "equity_gap",
                       Measure("coproduction_no_outreach"), Measure("npm")),
            ),
            weeks=beyond.steps),
        Lesson(
            "targets", "Targets on wicked problems (Goodhart)",
            "The NPM critique (targets and performance measurement); wicked problems",
            wicked_targets, targets_setup,
            predict=(
                "Most problems here are wicked: complex, needing several actors. The NPM service "
                "works under strong performance targets. If we ease the targets from strong to "
                "moderate, will staff close more cases or fewer? Will they create more public "
                "value or less?"),
            watch=(
                "Throughput (More charts below): the cases closed, the number NPM manages by.",
                "Public value (More charts): the need actually reduced, and Public value on "
                "wicked needs, the part no count of closed cases shows.",
                "Hidden need (More charts) and Wellbeing.",
                "Then run again with moderate targets: the first run stays as a faint ghost."),
            explain=(
                "'When a measure becomes a target, it ceases to be a good measure' (Goodhart). "
                "Some pressure makes staff work faster, but strong pressure makes them slower "
                "again (stress, time spent recording), and they pick the quick, countable cases: "
                "effort is withdrawn from wicked needs that no indicator counts (gaming: Bevan & "
                "Hood 2006). So strong targets close fewer cases, reduce less need, and leave "
                "more citizens disappointed, until they stop asking and their need goes into "
                "hiding.\n\n"
                "This is the chapters' critique of NPM: performance measurement turns a service "
                "for citizens into a service for the indicator. Wicked problems, the second "
                "chapter says, need several actors working together, which a target on closed "
                "cases does not reward."),
            next=(
                "Make the problems simple (share of wicked problems 0.05) and compare moderate "
                "targets with no targets (performance targets 0): do targets help on routine "
                "work? (In this model the gain is small.)"),
            effects=(
                Effect("Moderate targets create more public value than strong ones.",
                       "public_value", Measure("npm", "then"), Measure("npm")),
                Effect("Moderate targets reduce more need on wicked problems, the part no "
                       "count of closed cases shows.", "wicked_value",
                       Measure("npm", "then"), Measure("npm")),
                Effect("Moderate targets close more cases than strong ones: strong pressure "
                       "does not even raise the indicator.", "throughput",
                       Measure("npm", "then"), Measure("npm")),
                Effect("Strong targets leave more need hidden (citizens who gave up asking).",
                       "hidden_need", Measure("npm"), Measure("npm", "then")),
            ),
            then=changed(targets_setup, target_strength=0.3),
            then_label="Ease the targets (performance targets 0.3) and run again",
            weeks=wicked_targets.steps),
        Lesson(
            "withness", "Withness and trust",
            "'Withness-thinking': working with citizens, not on them or for them",
            WITHNESS, withness_setup,
            predict=(
                "Here staff could do the job alone: the citizen's own input adds nothing to what "
                "is produced, and there are plenty of staff. So NPM and co-production reduce "
                "about the same need. Will citizens trust the two services equally? And if "
                "being treated as a partner counted for nothing (withness 0)?"),
            watch=(
                "The Trust chart and the Trust row of the table beside the networks (the "
                "differences are small: read the numbers).",
                "Public value (More charts below): about the same in both regimes.",
                "Then run again with withness 0: the first run's numbers appear in brackets, "
                "and its lines as faint ghosts."),
            explain=(
                "Trust grows when a need is met, and grows further when the citizen was a "
                "partner in meeting it. The second chapter calls this 'withness-thinking': "
                "public staff working with citizens, not on them or for them. Here co-production "
                "reduces no more need than NPM, yet citizens trust it more: trust is built in "
                "the relationship, not only by the result.\n\n"
                "With withness at 0, being a partner counts for nothing, and co-production's "
                "lead in trust disappears. The difference between the two runs is what "
                "withness alone did."),
            next=(
                "Choose NPM and Co-production again in the regime selectors (this clears the "
                "lesson's values) and run: where the citizen's own input counts too, is "
                "co-production's lead in trust larger or smaller?"),
            effects=(
                Effect("Both regimes reduce about the same need (within 3%).", "public_value",
                       Measure("coproduction"), Measure("npm"), equal_within=0.03),
                Effect("Citizens trust co-production more than NPM.", "mean_trust",
                       Measure("coproduction"), Measure("npm")),
                Effect("Without withness, co-production's lead in trust shrinks.", "mean_trust",
                       Measure("coproduction", minus=Measure("npm")),
                       Measure("coproduction", "then", minus=Measure("npm", "then"))),
            ),
            then=changed(withness_setup, withness=0.0),
            then_label="Set withness to 0 and run again",
            weeks=WITHNESS.steps),
        Lesson(
            "codestruction", "When co-production goes wrong: co-destruction",
            "Co-production's own failure modes (co-destruction: Järvi et al. 2018); learning in "
            "organizations",
            codestruction, codestruction_setup,
            predict=(
                "Staff are untrained, never reflect on their work, and citizens start with low "
                "trust; encounters often go wrong (the chance is set to 0.6, the upper end of "
                "what is plausible). Which regime will citizens end up trusting more: NPM or "
                "co-production? Which will leave them better off?"),
            watch=(
                "Value destroyed, in the table beside the networks (per 1,000 citizens), and "
                "Public value (More charts below).",
                "The Trust and Wellbeing charts, and their rows in the table.",
                "Then run again with trained staff and the usual trust: the first run stays as "
                "a faint ghost."),
            explain=(
                "Co-production is not always good. When a citizen takes part and the encounter "
                "goes wrong (poor facilitation, low trust, a poor fit), value is destroyed "
                "instead of created: the need grows, the citizen loses trust, and the neighbours "
                "hear of it. Järvi and colleagues (2018) call this co-destruction. NPM invites "
                "less of the citizen, so less can go wrong: here it ends with more trust and "
                "more wellbeing.\n\n"
                "The cure is learning in organizations: trained staff who reflect on their "
                "practice change their interactional habits, facilitate better, and far fewer "
                "encounters go wrong. The failure comes from the conditions, not from the idea "
                "of co-production."),
            next=(
                "Set the chance an encounter goes wrong back to its usual 0.3 (keep the rest): "
                "does NPM still win on trust?"),
            effects=(
                Effect("Co-production destroys more value than NPM.", "value_destroyed",
                       Measure("coproduction"), Measure("npm")),
                Effect("Citizens end with more trust under NPM.", "mean_trust", Measure("npm"),
                       Measure("coproduction")),
                Effect("Citizens end better off under NPM.", "mean_wellbeing", Measure("npm"),
                       Measure("coproduction")),
                Effect("With trained, reflective staff and the usual trust, co-production "
                       "destroys less than half as much value.", "value_destroyed",
                       Measure("coproduction"), Measure("coproduction", "then"), factor=2.0),
            ),
            then=without(codestruction_setup, *codestruction.overrides),
            then_label="Train the staff, let them reflect, usual trust: run again",
            weeks=codestruction.steps),
        Lesson(
            "npm_wins_on_routine", "Where NPM wins: routine work",
            "Contextualization; co-production's transaction costs",
            routine, region_setup(routine, "npm", "coproduction"),
            predict=(
                "Almost all needs are simple, staff can do the job alone, dialogue with the "
                "citizen is costly and staff are scarce. Which regime gives more public value "
                "for each paid hour? Which leaves citizens better off?"),
            watch=(
                "The Wellbeing chart and the Cost row of the table.",
                "Public value and Cost (More charts below): value for each paid hour is the "
                "first divided by the second.",
                "Waiting time (More charts)."),
            explain=(
                "The chapters ask us to look at the context in which social processes play out. "
                "Co-production has costs: dialogue takes staff time, and here the citizen's input "
                "adds little because staff can do the job alone. On simple, routine needs NPM's "
                "standard service is quicker and serves more citizens, so it gives more value for "
                "each paid hour and more wellbeing.\n\n"
                "No regime wins everywhere. Co-production pays where problems are wicked, where "
                "the citizen's part cannot be replaced, and where staff have time to work with "
                "citizens."),
            next=(
                "Raise the share of wicked problems to 0.7 and Reset: does co-production catch "
                "up? On value per paid hour? On wellbeing?"),
            effects=(
                Effect("NPM gives more public value for each paid hour.", "value_per_cost",
                       Measure("npm"), Measure("coproduction")),
                Effect("Citizens end better off under NPM.", "mean_wellbeing", Measure("npm"),
                       Measure("coproduction")),
            ),
            weeks=routine.steps),
        Lesson(
            "emergence", "Emergence: value nobody planned",
            "Emergence (planned and unplanned change); experience",
            emergence, emergence_setup,
            predict=(
                "Staff are skilled at co-production and citizens trust them. Will the service "
                "create value that nobody planned? Will it grow or fade over three years? And "
                "where encounters go wrong and distrust spreads, can emergence be negative?"),
            watch=(
                "The Emergent value chart: need reduced by innovations nobody planned.",
                "Participation and Trust.",
                "Then run the bad way: the first run stays as a faint ghost."),
            explain=(
                "The first chapter speaks of planned and unplanned change, which can create "
                "unexpected value. In the model an encounter sometimes produces an innovation, "
                "more often when those present contribute in different ways and trust each "
                "other; it spreads to neighbours who take part. Where trust and skill are high "
                "this emergent value is positive and grows: experience builds on experience.\n\n"
                "Emergence is not always good. Where staff are untrained, trust is low and "
                "failures go unnoticed, distrust spreads from neighbour to neighbour instead, "
                "and the unplanned part of the result turns negative."),
            next=(
                "Emergence differs from seed to seed: type seed 2, then 3, and Reset each time. "
                "How much does the Emergent value chart change?"),
            effects=(
                Effect("Emergent value is positive where trust and skill are high.",
                       "emergent_value", Measure("coproduction"), None),
                Effect("It grows (last 50 weeks against the first 25).", "emergent_value",
                       Measure("coproduction"), Measure("coproduction", start=1, stop=26)),
                Effect("Where co-destruction spreads, emergent value is negative (last 100 "
                       "weeks).", "emergent_value", None,
                       Measure("coproduction", "then", start=-100)),
            ),
            then=region_setup(bad_emergence),
            then_label="Run it the bad way: untrained staff, low trust, distrust spreading",
            weeks=emergence.steps),
        Lesson(
            "volunteer_overload", "Volunteers: too much asked of too few",
            "Co-production's failure modes (overload, transaction costs); experience",
            overload, overload_setup,
            predict=(
                "A volunteering programme takes only a few volunteers but asks them to join "
                "most encounters. Will it keep its volunteers? How many more would stay if it "
                "asked less of them?"),
            watch=(
                "The Volunteers number beside the network, and the ringed dots in it.",
                "Then run again with a light load: the first run's numbers appear in brackets."),
            explain=(
                "Volunteers learn by doing and stay while the work feels worth it. Asked for "
                "more than they offer, they lose motivation and leave, and every new recruit "
                "must be inducted again: a transaction cost that the staff pay. A programme "
                "that asks too much of too few burns its volunteers out; with a light load it "
                "keeps about twice as many.\n\n"
                "Co-production relies on people's time: a programme has to be designed for the "
                "time people actually have."),
            next=(
                "Keep the light load and raise volunteer recruitment: does the programme fill "
                "its places sooner?"),
            effects=(
                Effect("With a light load the programme keeps far more volunteers: at least "
                       "half as many again, on average about twice as many.", "volunteers",
                       Measure("coproduction", "then"), Measure("coproduction"), factor=1.5),
            ),
            then=changed(overload_setup, volunteer_demand=0.2),
            then_label="Ask less of them (volunteer demand 0.2) and run again",
            weeks=overload.steps),
    ]


LESSONS: list[Lesson] = _lessons()


# --- a setup in words (for the page) -------------------------------------------------------------

def setup_words(setup: dict[str, Any]) -> str:
    """What a setup runs, in words: 'Side by side: NPM (customer rules) and Co-production, seed 1'."""
    from coprosim.dashboards.settings import scenario_label

    if setup.get("compare"):
        what = (f"Side by side: {scenario_label(setup['left'])} and "
                f"{scenario_label(setup['right'])}")
    elif "scenario" in setup:
        what = f"One regime: {scenario_label(setup['scenario'])}"
    else:
        what = "The regime(s) on screen"
    return what + (f", seed {setup['seed']}" if "seed" in setup else "")


def parameter_lines(setup: dict[str, Any]) -> list[tuple[str, str]]:
    """(readable label, value) of each parameter a setup sets, in its order."""
    from coprosim.dashboards.settings import format_value, parameter_label

    return [(parameter_label(name), format_value(name, value))
            for name, value in setup.get("overrides", {}).items()]


def change_lines(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str]]:
    """(readable label, what it becomes) of each parameter ``after`` changes from ``before``;
    a parameter ``after`` no longer sets goes back to its usual value."""
    from coprosim.dashboards.settings import format_value, parameter_label
    from coprosim.model import Params

    old, new = before.get("overrides", {}), after.get("overrides", {})
    lines = []
    for name in [*old, *(n for n in new if n not in old)]:
        usual = format_value(name, Params.spec(name)["default"])
        if name not in new:
            lines.append((parameter_label(name), f"back to its usual {usual}"))
        elif old.get(name) != new[name]:
            was = format_value(name, old[name]) if name in old else usual
            lines.append((parameter_label(name), f"{format_value(name, new[name])} (was {was})"))
    return lines
