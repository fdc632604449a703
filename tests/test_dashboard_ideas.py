"""The "Explain the ideas" tab's 'Try this' experiments (dashboards/explain.py): what a card tells
students to look for is written as data (``Idea.effects``) and must show at its one-click setup.

Fast tests check the cards as data (every experiment that implies an effect names it, on a chart
the page draws, with the words of the card naming that chart and the second run's button) and
the second button on the page. The slow test measures each effect on seeds the cards were not
written for (``dashboards/lesson_check.py``, which checks a lesson's promises the same way:
at least 5% the promised way and paired p < 1%, or, for "about equal", within the stated share).
If an effect stops showing, change what the card says, not the numbers.
"""

from __future__ import annotations

import ipyvuetify as v
import pytest
from coprosim.dashboards.charts import KEY_CHARTS, MORE_CHARTS
from coprosim.dashboards.components.table import HEADLINES
from coprosim.dashboards.explain import IDEAS, Idea
from coprosim.dashboards.settings import Settings, apply_setup
from coprosim.model import Params

import tests.test_dashboard as page

CHECKED = [idea for idea in IDEAS if idea.effects]
# what the page calls each metric it shows: its line's label on a chart, else its headline's
SHOWN: dict[str, str] = dict(HEADLINES)
SHOWN.update({line.metric: line.label for chart in KEY_CHARTS + MORE_CHARTS
              for line in chart.lines})


def _measures(measure):
    while measure is not None:
        yield measure
        measure = measure.minus


# --- the cards as data (fast) --------------------------------------------------------------------

def test_every_experiment_that_implies_an_effect_names_it():
    """A 'Try this' with a second run, or side by side, tells students to compare: what they
    should see is written down (and measured by the slow test below)."""
    for idea in IDEAS:
        if idea.then or idea.setup.get("compare"):
            assert idea.effects, idea.name
        if idea.then:
            assert idea.then_label, idea.name


def test_an_effect_reads_runs_the_card_sets_up_on_a_chart_the_page_draws():
    for idea in CHECKED:
        regimes = ((idea.setup["left"], idea.setup["right"]) if idea.setup.get("compare")
                   else (idea.setup["scenario"],))
        for effect in idea.effects:
            assert effect.metric in SHOWN, (idea.name, effect.metric)
            for side in (effect.more, effect.less):
                for measure in _measures(side):
                    assert measure.scenario in regimes, (idea.name, measure.scenario)
                    assert measure.stage in idea.stages, (idea.name, measure.stage)


def test_the_card_names_the_button_and_what_to_watch():
    """No cue contradicts what shows: the words name the second run's button and each chart (or
    number) whose effect is promised."""
    for idea in CHECKED:
        words = idea.try_this.lower()
        if idea.then:
            assert f"'{idea.then_label.lower()}'" in words, idea.name
        for effect in idea.effects:
            assert SHOWN[effect.metric].lower().split(" (")[0] in words, (idea.name,
                                                                         effect.metric)


def test_the_second_run_changes_only_what_then_names():
    names = set(Params.field_names())
    for idea in IDEAS:
        if not idea.then:
            assert idea.setup_of("then") == idea.setup
            continue
        assert set(idea.then) <= names, idea.name
        first, skipped = apply_setup(Settings(), idea.setup_of("setup"))
        second, skipped_then = apply_setup(Settings(), idea.setup_of("then"))
        assert not skipped and not skipped_then, idea.name
        assert first.scenarios == second.scenarios
        for scenario in second.scenarios:
            before, after = first.params_for(scenario), second.params_for(scenario)
            changed = {n for n in names if getattr(before, n) != getattr(after, n)}
            assert changed == {n for n, value in idea.then.items()
                               if getattr(before, n) != value}, (idea.name, changed)
            assert changed, f"{idea.name}: the second run changes nothing in {scenario}"


def test_what_a_reader_sees_names_the_works_not_the_chapters():
    from coprosim.dashboards import explain

    texts = [explain.__doc__, Idea.__doc__, explain.WORKS]
    texts += [t for idea in IDEAS for t in (idea.theory, idea.mechanism, idea.try_this)]
    for text in texts:
        assert "chapter" not in text.lower(), text
    assert "Jensen & Thomassen (2020)" in explain.__doc__
    assert "Thomassen & Jensen (2020)" in explain.__doc__


def test_an_idea_is_checked_as_a_lesson_is():
    """``lesson_check`` reads a lesson's key, effects, stages, setup and weeks: an idea has them."""
    from coprosim.dashboards import reality
    from coprosim.dashboards.lesson_check import _settings_of

    idea = next(i for i in CHECKED if i.then and not i.setup.get("compare"))
    effect = idea.effects[0]
    check = reality.effect_check(idea, effect, _settings_of(idea), (201, 202))
    assert check.weeks == idea.weeks and check.seeds == (201, 202)
    stages = {arm.stage for arm in check.arms()}
    assert stages == {"setup", "then"}
    changed = {arm.stage: dict(arm.params) for arm in check.arms()}
    for name, value in idea.then.items():
        assert changed["then"][name] == value


# --- the page: the second button runs again with the first run as the ghost ----------------------

def test_the_then_button_runs_again_with_the_first_run_as_the_ghost():
    rc, session = page.render()
    rc.find(v.Tabs).widget.v_model = 1
    idea = next(i for i in IDEAS if i.name == "Experience")
    with_setup = [i for i in IDEAS if i.setup]
    rc.find(v.Btn, children=["Set this up"]).widgets[with_setup.index(idea)].click()
    assert [r.scenario for r in session.runs] == ["coproduction"]
    session.step(3)
    rc.find(v.Tabs).widget.v_model = 1
    rc.find(v.Btn, children=[idea.then_label]).widget.click()
    assert session.runs[0].model.params.learning_rate == 0.0
    assert session.ghost is not None and session.ghost.week == 3
    assert session.week == 0


# --- visible on seeds the cards were not written for (slow) --------------------------------------

_VERDICTS: dict[str, list] = {}


def _effects():
    for idea in CHECKED:
        for index, effect in enumerate(idea.effects):
            yield pytest.param(idea, effect.text, id=f"{idea.name.split(' (')[0]}-{index}")


@pytest.mark.slow
@pytest.mark.parametrize("idea, text", list(_effects()))
def test_what_a_card_tells_students_to_look_for_is_visible(idea, text):
    """At least 5% the promised way, paired p < 1% (or within the stated share), on seeds
    201-220, at the card's setup, each run as long as the card says; and, since a class sees one
    seed, the promised way on at least 9 seeds in 10."""
    from coprosim.dashboards.lesson_check import check_lesson

    if idea.key not in _VERDICTS:
        _VERDICTS.clear()  # one idea's runs at a time
        _VERDICTS[idea.key] = check_lesson(idea)
    verdict = next(v for v in _VERDICTS[idea.key] if v.text == text)
    print(verdict.line())
    assert verdict.visible, verdict.line()
    if verdict.tolerance is None:
        assert verdict.agree >= 0.9 * verdict.n, verdict.line()


@pytest.mark.slow
@pytest.mark.parametrize("idea", CHECKED, ids=lambda idea: idea.name.split(" (")[0])
def test_a_card_shows_its_effect_on_the_seed_the_page_starts_with(idea):
    """The cards set no seed: a class that has not changed it plays the page's first seed, and
    there each effect goes the promised way (or stays within its share)."""
    from coprosim.dashboards import reality
    from coprosim.dashboards.lesson_check import _settings_of
    from coprosim.dashboards.settings import DEFAULT_SEED

    for effect in idea.effects:
        check = reality.effect_check(idea, effect, _settings_of(idea), (DEFAULT_SEED,))
        runs = reality.run_here(check)[DEFAULT_SEED]
        more = reality.side_value(check.more, runs)
        less = effect.factor * reality.side_value(check.less, runs)
        if effect.equal_within is not None:
            assert abs(more - less) < effect.equal_within * abs(less), (idea.name, effect.text)
        else:
            assert more > less, (idea.name, effect.text, more, less)
