"""A lesson's question as choices a phone can show, and the outcome of a run set against them.

Each lesson promises effects (``lessons.Effect``: a metric, measured over a window of weeks of one
regime's run, compared with another). The class predicts the first effect that compares two plain
measures (or one measure with zero): which of the two ends higher, or whether they are about the
same. The options are listed in the lesson's own order of regimes and runs, never in the order of
the promise, so the options do not give the answer away.

The outcome is measured on a real run: the lesson's setup on a seed (the class's run is the
lesson's own seed, the one on the teacher's screen; each student's run of the class as a sample
has a seed of its own), recorded as the dashboard records it (``session.Run``). "About the same"
means the two differ by less than ``SAME_WITHIN`` of the larger: 5%, the smallest difference a
lesson may promise as visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

SAME_WITHIN = 0.05
SAME = "About the same"
ABOVE_ZERO, BELOW_ZERO = "Above zero", "Below zero"

# Metric names in words a student reads on a phone (the model's name otherwise, made readable).
METRIC_WORDS = {
    "public_value": "public value (need met, per citizen)",
    "emergent_value": "emergent value (value nobody planned)",
    "participation_rate": "participation (share who take part)",
    "volunteers": "number of volunteers",
    "mean_trust": "citizens' trust",
    "mean_wellbeing": "citizens' wellbeing",
    "equity_gap": "equity gap (wellbeing of the richest fifth minus the poorest)",
    "hidden_need": "hidden need (need of those who gave up asking)",
    "unmet_need": "unmet need",
    "throughput": "cases closed",
    "value_per_cost": "public value for each paid hour",
    "value_destroyed": "value destroyed",
    "wicked_value": "need reduced on wicked problems",
    "cost": "cost in paid hours",
    "waiting_time": "waiting time",
}


def metric_words(metric: str) -> str:
    return METRIC_WORDS.get(metric, metric.replace("_", " "))


@dataclass(frozen=True)
class Side:
    """One measure of the question: what it is called on the page, and how to read it."""

    label: str
    scenario: str
    stage: str
    start: int
    stop: int | None


@dataclass(frozen=True)
class Question:
    """What the class predicts for one lesson. ``options``: the answers in their order;
    ``sides``: the two measures compared (one, against zero)."""

    key: str
    title: str
    prompt: str
    metric: str
    text: str
    options: tuple[str, ...]
    sides: tuple[Side, ...]
    weeks: int
    seed: int

    def verdict(self, values: tuple[float, ...]) -> str:
        """The option a run's values make true."""
        if len(self.sides) == 1:
            return ABOVE_ZERO if values[0] > 0 else BELOW_ZERO
        a, b = values
        if abs(a - b) < SAME_WITHIN * max(abs(a), abs(b)):
            return SAME
        return self.options[0] if a > b else self.options[2]


@dataclass(frozen=True)
class Outcome:
    """A run's values of the question's measures, and the option they make true."""

    seed: int
    values: tuple[float, ...]
    verdict: str

    def as_dict(self) -> dict[str, Any]:
        return {"status": "done", "seed": self.seed, "values": list(self.values),
                "verdict": self.verdict}


def _simple(measure) -> bool:
    return measure is not None and getattr(measure, "minus", None) is None


def _window(start: int, stop: int | None, weeks: int) -> str:
    if stop is None and start < 0:
        return f"the last {-start} weeks"
    first = start if start > 0 else weeks + start
    last = (stop if stop is not None else weeks + 1) - 1
    return f"weeks {first} to {last}"


def _stage_words(lesson, stage: str) -> str:
    """'the first run', or 'the second run (what it changes)' from the lesson's button words."""
    if stage != "then":
        return "the first run"
    change = str(getattr(lesson, "then_label", "") or "")
    for tail in (" and run again", ": run again", ", run again", " run again"):
        if change.endswith(tail):
            change = change[: -len(tail)]
    change = change.strip().rstrip(":,.")
    if change:
        change = change[0].lower() + change[1:]
        return f"the second run: {change}"
    return "the second run"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def question_for(lesson) -> Question | None:
    """The class's question for a lesson (None if no effect can be asked as a choice)."""
    from coprosim.dashboards.settings import scenario_label

    effects = list(getattr(lesson, "effects", ()))
    pairs = [e for e in effects if _simple(e.more) and _simple(e.less)]
    single = [e for e in effects if (_simple(e.more) and e.less is None)
              or (e.more is None and _simple(e.less))]
    weeks = int(getattr(lesson, "weeks", 150))
    seed = int(lesson.setup.get("seed", 1))
    regimes = list(getattr(lesson, "regimes", ()))
    stages = ["setup", "then"]
    title = getattr(lesson, "title", lesson.key)
    prompt = getattr(lesson, "predict", "")
    if pairs:
        effect = pairs[0]
        measures = [effect.more, effect.less]

        def order(m):  # the lesson's own order: first run before second, left before right
            return (stages.index(m.stage) if m.stage in stages else 9,
                    regimes.index(m.scenario) if m.scenario in regimes else 9,
                    m.start)
        measures.sort(key=order)
        a, b = measures
        parts_a, parts_b = [], []
        if a.scenario != b.scenario:
            parts_a.append("with " + scenario_label(a.scenario))
            parts_b.append("with " + scenario_label(b.scenario))
        if a.stage != b.stage:
            parts_a.append("in " + _stage_words(lesson, a.stage))
            parts_b.append("in " + _stage_words(lesson, b.stage))
        if (a.start, a.stop) != (b.start, b.stop):
            parts_a.append("in " + _window(a.start, a.stop, weeks))
            parts_b.append("in " + _window(b.start, b.stop, weeks))
        label_a, label_b = " ".join(parts_a), " ".join(parts_b)
        when = ("" if (a.start, a.stop) != (b.start, b.stop)
                else f" over {_window(a.start, a.stop, weeks)}")
        where = ""
        if a.stage == b.stage and len(getattr(lesson, "stages", ("setup",))) > 1:
            where = f" (in {_stage_words(lesson, a.stage)})"
        text = (f"When will the {metric_words(effect.metric)} be higher{when}{where}: "
                f"{label_a} or {label_b}?")
        sides = tuple(Side(_capital(label), m.scenario, m.stage, m.start, m.stop)
                      for label, m in ((label_a, a), (label_b, b)))
        return Question(lesson.key, title, prompt, effect.metric, text,
                        (f"Higher {label_a}", SAME, f"Higher {label_b}"), sides, weeks, seed)
    if single:
        effect = single[0]
        m = effect.more or effect.less
        label = scenario_label(m.scenario)
        where = (f" in {_stage_words(lesson, m.stage)}"
                 if len(getattr(lesson, "stages", ("setup",))) > 1 else "")
        text = (f"Will the {metric_words(effect.metric)} with {label}{where}, over "
                f"{_window(m.start, m.stop, weeks)}, be above or below zero?")
        return Question(lesson.key, title, prompt, effect.metric, text, (ABOVE_ZERO, BELOW_ZERO),
                        (Side(label, m.scenario, m.stage, m.start, m.stop),), weeks, seed)
    return None


def run_series(lesson, stage: str, scenario: str, seed: int) -> dict[str, np.ndarray]:
    """The series the dashboard records for one regime of one run of a lesson, on ``seed``."""
    import dataclasses

    from coprosim.dashboards.session import Run
    from coprosim.dashboards.settings import Settings, apply_setup
    from coprosim.model import CoproductionModel

    settings, _ = apply_setup(Settings(), lesson.setup_of(stage))
    settings = dataclasses.replace(settings, seed=int(seed))
    model = CoproductionModel(params=settings.params_for(scenario), seed=settings.seed,
                              scenario=scenario)
    run = Run(scenario, model)
    try:
        for _ in range(int(lesson.weeks)):
            model.step()
            run.record()
        return run.series()
    finally:
        model.release()


def measure(lesson, question: Question, seed: int) -> Outcome:
    """The question's values on a run of the lesson on ``seed``, and the option they make
    true (a few tenths of a second per lesson at the lessons' sizes)."""
    values = []
    for side in question.sides:
        series = run_series(lesson, side.stage, side.scenario, seed)[question.metric]
        window = series[side.start:side.stop]
        values.append(float(np.nanmean(window)))
    values = tuple(values)
    return Outcome(int(seed), values, question.verdict(values))
