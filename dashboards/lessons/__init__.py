"""The Lessons tab: guided experiments, each in the documented region of one pattern.

Jensen & Thomassen's (2020) cycle of experiential learning (experience, reflection, experiment; or
action research's plan, act, observe, reflect) made into the page. Every lesson asks the class to
predict, sets up the documented region of a pattern with one click (``coprosim.model.patterns.
REGIONS``, the same settings the pattern tests and docs/ODD.md use), says what to watch while
the run plays, then explains what happened with the idea of Jensen & Thomassen (2020) or Thomassen & Jensen
(2020) it is about, and suggests a next experiment. Some lessons are two runs: the second (``then``) changes one thing,
and the first run stays on the charts as a faint ghost.

What a lesson promises (``effects``) is checked headless on several paired seeds, and on the seed
the lesson sets up, by ``tests/test_dashboard_lessons.py``: a lesson whose effect no longer shows
at its setup fails there, and its promise must change (not its numbers).
Plain Python, no Solara.

The lessons' words are data: one TOML file per lesson beside this module (``01_matthew.toml``,
...; read in the order of their names), holding the title, the prose (predict, watch, explain,
next), the setup (a region of ``coprosim.model.patterns``, its regimes, values ``set`` on top),
the second run (``[then]``) and the promised effects (``[[effects]]``). A teacher can reword a
lesson, or add one, without touching Python; ``tests/test_dashboard_lessons.py`` checks every file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
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
    ``ideas`` names the ideas (of Jensen & Thomassen 2020 and Thomassen & Jensen 2020) the
    explanation is tied to; ``key_measures`` are the metrics the page highlights while the lesson
    runs (by default those its effects promise), the first being its key measure.
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
    key_measures: tuple[str, ...] = ()

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


LESSON_FILES = Path(__file__).resolve().parent  # NN_<key>.toml, one per lesson, in order
PROSE = ("predict", "explain", "next")


class LessonFileError(ValueError):
    """A lesson file that cannot be read: the message names the file and the field."""


def _prose(text: str) -> str:
    """A TOML prose field as the page shows it: lines joined, blank lines between paragraphs
    kept (so a teacher may wrap the file's lines anywhere)."""
    paragraphs = [" ".join(p.split()) for p in text.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


def _measure(data: dict | None, where: str) -> Measure | None:
    if data is None:
        return None
    unknown = set(data) - {"scenario", "stage", "start", "stop", "minus"}
    if unknown or "scenario" not in data:
        raise LessonFileError(f"{where}: a measure needs 'scenario' and may have 'stage', "
                              f"'start', 'stop', 'minus'; got {sorted(data)}")
    return Measure(data["scenario"], data.get("stage", "setup"), int(data.get("start", -50)),
                   data.get("stop"), _measure(data.get("minus"), where))


def _setup_of(data: dict, where: str) -> tuple[Region, dict[str, Any]]:
    """The one-click setup a lesson file's ``[setup]`` names: a region of the patterns module,
    its regimes in the lesson's order, and any values it ``set``s on top."""
    name = data.get("region")
    if name not in REGIONS:
        raise LessonFileError(f"{where}: setup.region must be one of {', '.join(REGIONS)}; "
                              f"got {name!r}")
    region = REGIONS[name]
    regimes = tuple(data.get("regimes", region.scenarios))
    return region, region_setup(region, *regimes, **data.get("set", {}))


def _then_of(data: dict, region: Region, setup: dict[str, Any], where: str) -> dict[str, Any]:
    """The second run's setup: another region (``region``), or the first run's setup with some
    values back at their usual (``reset``, or ``reset_region``: all the region sets) and some
    ``set``."""
    if "region" in data:
        other = REGIONS.get(data["region"])
        if other is None:
            raise LessonFileError(f"{where}: then.region must be one of {', '.join(REGIONS)}; "
                                  f"got {data['region']!r}")
        regimes = (setup["left"], setup["right"]) if setup.get("compare") else (setup["scenario"],)
        return region_setup(other, *regimes)
    names = list(data.get("reset", []))
    if data.get("reset_region"):
        names += list(region.overrides)
    return changed(without(setup, *names), **data.get("set", {}))


def lesson_from_toml(text: str, name: str = "lesson") -> Lesson:
    """One lesson from the text of its file (see the files beside this module)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LessonFileError(f"{name}: not valid TOML: {exc}") from None
    missing = [k for k in ("key", "title", "predict", "watch", "explain", "next", "setup")
               if k not in data]
    if missing:
        raise LessonFileError(f"{name}: missing {', '.join(missing)}")
    region, setup = _setup_of(data["setup"], name)
    then_data = data.get("then")
    then = _then_of(then_data, region, setup, name) if then_data else None
    effects = tuple(
        Effect(e["text"], e["metric"], _measure(e.get("more"), name),
               _measure(e.get("less"), name), float(e.get("factor", 1.0)),
               e.get("equal_within"))
        for e in data.get("effects", []))
    metrics = [e.metric for e in effects]
    key_measures = tuple(data.get("key_measures", dict.fromkeys(metrics)))
    return Lesson(
        data["key"], data["title"], data.get("ideas", ""), region, setup,
        predict=_prose(data["predict"]), watch=tuple(_prose(w) for w in data["watch"]),
        explain=_prose(data["explain"]), next=_prose(data["next"]), effects=effects, then=then,
        then_label=then_data.get("label", "Run again") if then_data else "",
        weeks=int(data.get("weeks", region.steps)), key_measures=key_measures)


def load_lesson_files(folder: Path = LESSON_FILES) -> list[Lesson]:
    """Every lesson file of ``folder`` (``*.toml``), in the order of their names."""
    return [lesson_from_toml(path.read_text(encoding="utf-8"), path.name)
            for path in sorted(folder.glob("*.toml"))]


LESSONS: list[Lesson] = load_lesson_files()


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
