"""The Lessons tab's lessons (dashboards/lessons.py): each promises an effect at its setup.

Each lesson's one-click setup is run headless exactly as the dashboard builds it
(``apply_setup`` -> ``Settings.params_for`` -> ``CoproductionModel``, its series recorded by the
page's own ``session.Run``, so the dashboard's series can be promised too), for the lesson's weeks,
on 10 paired seeds (the same seeds in every run of a lesson), and every effect it promises is
checked with a one-sided paired t-test at 1% (or, for "about equal", a stated tolerance) and on
the seed the lesson sets up, which is the run the class sees. If an effect stops showing, change
what the lesson promises, not its numbers.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from coprosim.dashboards.charts import DERIVED
from coprosim.dashboards.lessons import LESSONS, SEED, Effect, Lesson, Measure
from coprosim.dashboards.session import Run
from coprosim.dashboards.settings import Settings, apply_setup, known_parameters
from coprosim.model import METRICS, CoproductionModel
from coprosim.model.patterns import REGIONS
from scipy import stats

SEEDS = range(10)
ALPHA = 0.01
NAMED_PATTERNS = ("matthew", "targets", "withness", "codestruction", "npm_wins_on_routine",
                  "emergence")


def settings_of(lesson: Lesson, stage: str) -> Settings:
    settings, skipped = apply_setup(Settings(), lesson.setup_of(stage))
    assert not skipped, (lesson.key, stage, skipped)
    return settings


# --- the lessons as data (fast) ------------------------------------------------------------------

def test_at_least_six_lessons_covering_the_named_patterns():
    keys = [lesson.key for lesson in LESSONS]
    assert len(LESSONS) >= 6 and len(set(keys)) == len(keys)
    for key in NAMED_PATTERNS:
        assert key in keys, key


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.key)
def test_a_lessons_setup_is_its_documented_region(lesson):
    """The setup is the region's presets, population and overrides, at the lesson's seed; the
    models the dashboard builds from it carry every value the setup names."""
    region = lesson.region
    assert set(lesson.regimes) == set(region.scenarios)
    assert lesson.setup["seed"] == SEED and lesson.weeks == region.steps
    for name, value in region.settings().items():
        assert lesson.setup["overrides"][name] == value, name
    for stage in lesson.stages:
        settings = settings_of(lesson, stage)
        assert settings.scenarios == lesson.regimes
        for scenario in settings.scenarios:
            params = settings.params_for(scenario)
            for name, value in lesson.setup_of(stage)["overrides"].items():
                assert getattr(params, name) == value, (stage, scenario, name)


def test_regions_come_from_the_patterns_module():
    by_key = {lesson.key: lesson for lesson in LESSONS}
    assert by_key["matthew"].region is REGIONS["matthew"]
    assert by_key["targets"].region is REGIONS["targets_on_wicked"]
    assert by_key["codestruction"].region is REGIONS["codestruction"]
    assert by_key["npm_wins_on_routine"].region is REGIONS["npm_wins_on_routine"]
    assert by_key["emergence"].region is REGIONS["emergence_positive"]
    assert by_key["emergence"].then["overrides"] == REGIONS["emergence_negative"].settings()


def _measures(measure: Measure | None):
    while measure is not None:
        yield measure
        measure = measure.minus


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.key)
def test_a_lesson_has_the_whole_cycle_in_plain_words(lesson):
    """Predict, watch, explain, next, in sentences for students: no code names in the prose;
    every effect reads a metric the model reports from runs the lesson has."""
    for text in (lesson.title, lesson.ideas, lesson.predict, lesson.explain, lesson.next,
                 lesson.then_label, *lesson.watch, *(e.text for e in lesson.effects)):
        assert not re.search(r"\w_\w", text), f"{lesson.key}: code name in {text!r}"
    assert lesson.predict.rstrip().endswith("?")
    assert lesson.watch and lesson.explain and lesson.next and lesson.effects
    assert bool(lesson.then) == bool(lesson.then_label)
    for effect in lesson.effects:
        assert effect.metric in METRICS or effect.metric in DERIVED, effect.metric
        for measure in [*_measures(effect.more), *_measures(effect.less)]:
            assert measure.stage in lesson.stages and measure.scenario in lesson.regimes


def test_second_runs_change_only_parameters():
    """A lesson's second run keeps the regimes and seed, so the first run is its ghost."""
    for lesson in LESSONS:
        if lesson.then:
            assert {k: v for k, v in lesson.then.items() if k != "overrides"} == \
                {k: v for k, v in lesson.setup.items() if k != "overrides"}
            assert set(lesson.then["overrides"]) <= known_parameters()


def test_the_page_shows_the_wicked_part_of_public_value():
    """The series the targets lesson promises: each week's part of the model's running total of
    need reduced on wicked problems, drawn in its own chart."""
    from coprosim.dashboards.charts import MORE_CHARTS
    from coprosim.dashboards.session import Session

    session = Session(Settings(scenario="npm", overrides={"n_citizens": 200, "wicked_share": 0.7}))
    session.step(6)
    series = session.runs[0].series()["wicked_value"]
    assert len(series) == 7 and series[0] == 0.0 and (series >= 0).all() and series.sum() > 0
    assert np.isclose(series.sum(), session.runs[0].model.wicked_value)
    assert any(line.metric == "wicked_value" for chart in MORE_CHARTS for line in chart.lines)
    session.close()


# --- the effects at each lesson's setup (headless runs) ------------------------------------------

_RUNS: dict[tuple[str, str, str], list] = {}


def frames(lesson: Lesson, stage: str, scenario: str) -> dict[int, dict[str, np.ndarray]]:
    """By seed, the series the page draws (model metrics and the dashboard's own series) of one
    regime in one stage of a lesson, recorded as the page records them (cached per lesson)."""
    key = (lesson.key, stage, scenario)
    if key not in _RUNS:
        params = settings_of(lesson, stage).params_for(scenario)
        runs = {}
        for seed in sorted({*SEEDS, SEED}):
            run = Run(scenario, CoproductionModel(params=params, seed=seed, scenario=scenario))
            for _ in range(lesson.weeks):
                run.model.step()
                run.record()
            runs[seed] = run.series()
            run.model.release()
        _RUNS[key] = runs
    return _RUNS[key]


def value(lesson: Lesson, metric: str, measure: Measure | None) -> dict[int, float]:
    """Per seed: the measure's window mean of ``metric`` (0 for None)."""
    seeds = sorted({*SEEDS, SEED})
    if measure is None:
        return dict.fromkeys(seeds, 0.0)
    runs = frames(lesson, measure.stage, measure.scenario)
    out = {s: float(runs[s][metric][measure.start:measure.stop].mean()) for s in seeds}
    if measure.minus is not None:
        other = value(lesson, metric, measure.minus)
        out = {s: out[s] - other[s] for s in seeds}
    return out


def measured(lesson: Lesson, effect: Effect) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(more, factor x less) over SEEDS, and the two on the lesson's own seed."""
    more, less = value(lesson, effect.metric, effect.more), value(lesson, effect.metric, effect.less)
    a = np.array([more[s] for s in SEEDS])
    b = np.array([effect.factor * less[s] for s in SEEDS])
    return a, b, more[SEED], effect.factor * less[SEED]


def check(lesson: Lesson, effect: Effect) -> str:
    """Assert the effect; return its numbers in one line."""
    a, b, own_a, own_b = measured(lesson, effect)
    if effect.equal_within is not None:
        tolerance = effect.equal_within * abs(b.mean())
        assert abs((a - b).mean()) < tolerance and abs(own_a - own_b) < tolerance, (
            f"{lesson.key}: expected {effect.text!r}: {a.mean():.4g} vs {b.mean():.4g} "
            f"(seed {SEED}: {own_a:.4g} vs {own_b:.4g}; tolerance {tolerance:.3g})")
        return (f"{lesson.key}: {effect.text} {a.mean():.4g} vs {b.mean():.4g} "
                f"(difference {(a - b).mean() / b.mean():+.1%})")
    p = stats.ttest_rel(a, b, alternative="greater").pvalue
    shown = int((a > b).sum())
    assert a.mean() > b.mean() and p < ALPHA and own_a > own_b, (
        f"{lesson.key}: expected {effect.text!r}: {a.mean():.4g} vs {b.mean():.4g} "
        f"(paired p = {p:.2g}; seed {SEED}: {own_a:.4g} vs {own_b:.4g})")
    return (f"{lesson.key}: {effect.text} {a.mean():.4g} vs {b.mean():.4g} "
            f"(paired p = {p:.1g}, {shown}/{len(a)} seeds; seed {SEED}: {own_a:.4g} vs "
            f"{own_b:.4g})")


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.key)
def test_a_lesson_shows_its_effect_at_its_setup(lesson):
    try:
        for effect in lesson.effects:
            print(check(lesson, effect))
    finally:
        for key in [k for k in _RUNS if k[0] == lesson.key]:
            del _RUNS[key]


# --- the lessons' words as data (one TOML file per lesson) -----------------------------------------

def test_every_lesson_file_is_read_in_the_order_of_its_name():
    from coprosim.dashboards.lessons import LESSON_FILES, load_lesson_files

    files = sorted(LESSON_FILES.glob("*.toml"))
    assert len(files) == len(LESSONS) >= 6
    assert [f.stem.split("_", 1)[1] for f in files] == [lesson.key for lesson in LESSONS]
    assert [lesson.key for lesson in load_lesson_files()] == [lesson.key for lesson in LESSONS]


def test_prose_wrapped_in_a_file_reads_as_paragraphs():
    from coprosim.dashboards.lessons import lesson_from_toml

    text = """key = "k"
title = "T"
predict = '''
One line
wrapped here.

A second paragraph?
'''
watch = ['''Watch
this.''']
explain = "E"
next = "N"
[setup]
region = "matthew"
[[effects]]
text = "x"
metric = "equity_gap"
more = { scenario = "coproduction_no_outreach" }
less = { scenario = "coproduction" }
"""
    lesson = lesson_from_toml(text, "k.toml")
    assert lesson.predict == "One line wrapped here.\n\nA second paragraph?"
    assert lesson.watch == ("Watch this.",)
    assert lesson.regimes == REGIONS["matthew"].scenarios and lesson.weeks == REGIONS["matthew"].steps
    assert lesson.key_measures == ("equity_gap",)


@pytest.mark.parametrize("text, words", [
    ('key = "k"\ntitle = "T"\n', "k.toml: missing predict, watch, explain, next, setup"),
    ('key = "k"\ntitle = "T"\npredict = "?"\nwatch = []\nexplain = ""\nnext = ""\n'
     '[setup]\nregion = "nowhere"\n', "k.toml: setup.region must be one of"),
    ("key = = 1", "k.toml: not valid TOML"),
])
def test_a_bad_lesson_file_gets_one_line_naming_the_file_and_field(text, words):
    from coprosim.dashboards.lessons import LessonFileError, lesson_from_toml

    with pytest.raises(LessonFileError) as error:
        lesson_from_toml(text, "k.toml")
    assert str(error.value).startswith(words) and "\n" not in str(error.value)


def test_the_lessons_name_their_authors_not_the_chapters():
    for lesson in LESSONS:
        for text in (lesson.ideas, lesson.predict, lesson.explain, lesson.next, *lesson.watch):
            assert "the chapters" not in text.lower() and "the seed chapter" not in text.lower(), \
                (lesson.key, text)


def test_a_lesson_that_asks_about_value_per_paid_hour_shows_it():
    """Where a lesson's words ask for value per paid hour, it is one of its key measures: the
    page puts it in the table (marked) and its chart on screen."""
    from coprosim.dashboards.charts import KEY_CHARTS, MORE_CHARTS

    asking = [lesson for lesson in LESSONS
              if "paid hour" in (lesson.predict + " ".join(lesson.watch)).lower()]
    assert asking
    for lesson in asking:
        assert "value_per_cost" in lesson.key_measures, lesson.key
    assert any(line.metric == "value_per_cost" for chart in KEY_CHARTS + MORE_CHARTS
               for line in chart.lines)


# --- visible, not only significant: each promise on seeds no lesson was written for (slow) -------

# Promises measured NOT visible (under 5% on seeds 201-220, or the other way) on 2026-12-07 with
# the model then in the working tree (the model was being rewritten): each must become visible,
# or its lesson be rewritten. A strict xfail: once a promise shows, its entry here must go.
NOT_YET_VISIBLE: set[tuple[str, str]] = set()  # (lesson key, effect text); empty since the
# withness and co-destruction lessons were rewritten for the model of version 3
_VERDICTS: dict[str, list] = {}


def _effects():
    for lesson in LESSONS:
        for effect in lesson.effects:
            marks = [pytest.mark.xfail(strict=True, reason="not visible when last measured")] \
                if (lesson.key, effect.text) in NOT_YET_VISIBLE else []
            yield pytest.param(lesson, effect.text, marks=marks,
                               id=f"{lesson.key}-{lesson.effects.index(effect)}")


@pytest.mark.slow
@pytest.mark.parametrize("lesson, text", list(_effects()))
def test_a_lessons_promise_is_visible_on_seeds_it_was_not_written_for(lesson, text):
    """At least 5% the promised way, paired p < 1%, on 20 unseen seeds
    (``dashboards/lesson_check.py``, which prints the same lines for every lesson)."""
    from coprosim.dashboards.lesson_check import check_lesson

    if lesson.key not in _VERDICTS:
        _VERDICTS.clear()  # one lesson's runs at a time
        _VERDICTS[lesson.key] = check_lesson(lesson)
    verdict = next(v for v in _VERDICTS[lesson.key] if v.text == text)
    print(verdict.line())
    assert verdict.visible, verdict.line()


def test_lesson_check_runs_an_arm_as_the_page_does():
    """``lesson_check`` runs each regime once per seed for all the metrics its promises read: the
    series are those of ``reality.run_arm`` (the page's own runs), metric by metric."""
    from coprosim.dashboards import reality
    from coprosim.dashboards.lesson_check import run_arm_series

    lesson = next(x for x in LESSONS if x.then)
    settings = settings_of(lesson, "then")
    scenario = lesson.regimes[-1]
    arm = reality._arm(settings, "then", scenario)
    metrics = ("mean_wellbeing", "wicked_value", "withdrawn_share")
    together = run_arm_series(arm.scenario, arm.params, 3, 4, metrics)
    assert set(together) == set(metrics)
    for metric in metrics:
        assert together[metric] == reality.run_arm(arm.scenario, arm.params, 3, 4, metric)


def test_every_lesson_has_its_record_in_the_docs():
    """docs/lessons_check.md records each lesson's statements against the model: a lesson added
    or renamed needs its section there."""
    from pathlib import Path

    record = (Path(__file__).resolve().parents[1] / "docs" / "lessons_check.md").read_text(
        encoding="utf-8")
    headings = re.findall(r"^## \d+\. (.+)$", record, flags=re.MULTILINE)
    assert headings == [lesson.title for lesson in LESSONS]
