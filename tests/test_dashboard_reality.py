""""Is it real?" (dashboards/reality.py) without a browser: the paired differences, their 95%
interval, the sentence, and the background runs (here on threads; the page uses a process)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from coprosim.dashboards import reality
from coprosim.dashboards.lessons import LESSONS
from coprosim.dashboards.settings import Settings, apply_setup
from scipy import stats


def test_the_interval_is_students_t_over_the_paired_differences():
    values = [0.3, -0.1, 0.5, 0.2, 0.4, 0.1]
    mean, low, high = reality.interval(values)
    expected = stats.t.interval(0.95, len(values) - 1, loc=np.mean(values),
                                scale=stats.sem(values))
    assert mean == pytest.approx(np.mean(values))
    assert (low, high) == pytest.approx(expected)


@pytest.mark.parametrize("values, zero_inside", [([1.0, 1.2, 0.9, 1.1], False),
                                                 ([-0.2, 0.3, 0.1, -0.1], True),
                                                 ([-1.0, -1.2, -0.9, -1.1], False)])
def test_the_sentence_says_whether_zero_is_inside(values, zero_inside):
    mean, low, high = reality.interval(values)
    check = reality.Check("t", "mean_trust", None, None, 10, (1, 2, 3, 4))
    sentence = reality.Result(check, values, mean, low, high).sentence()
    assert ("includes zero" in sentence) == zero_inside
    assert "95%" in sentence and "On 4 other seeds" in sentence
    if not zero_inside:
        assert ("above zero" if mean > 0 else "below zero") in sentence


def test_side_by_side_checks_right_minus_left_on_seeds_the_lessons_do_not_use():
    settings = Settings(compare=True, left="npm", right="coproduction",
                        overrides={"n_citizens": 120})
    check = reality.compare_check(settings, "mean_trust", 40, ("NPM", "Co-production"))
    assert check.more.arm.scenario == "coproduction" and check.less.arm.scenario == "npm"
    assert check.weeks == 40 and check.more.start == -min(reality.WINDOW, 40)
    assert len(check.seeds) >= 10 and not set(check.seeds) & set(range(11))
    assert dict(check.more.arm.params)["n_citizens"] == 120


def test_a_lessons_check_is_its_first_promise_at_its_setup():
    lesson = LESSONS[0]
    check = reality.lesson_check(
        lesson, lambda stage: apply_setup(Settings(), lesson.setup_of(stage))[0])
    effect = lesson.effects[0]
    assert check.metric == effect.metric and check.title == effect.text
    assert check.weeks == lesson.weeks
    assert {arm.scenario for arm in check.arms()} <= set(lesson.regimes)


def test_the_runs_go_on_in_the_background_and_the_result_matches_running_them_here():
    settings = Settings(compare=True, left="npm", right="coproduction",
                        overrides={"n_citizens": 100})
    check = reality.Check(**{**reality.compare_check(
        settings, "mean_wellbeing", 12, ("NPM", "Co-production")).__dict__,
        "seeds": (101, 102, 103)})
    seen = []
    with ThreadPoolExecutor(1) as pool:
        job = reality.start(check, on_progress=lambda j: seen.append(j.done), executor=pool)
        assert job.total == 6 and job.result is None  # returned at once
        deadline = time.monotonic() + 120
        while job.result is None and job.error is None and time.monotonic() < deadline:
            time.sleep(0.05)
    assert job.error is None and job.result is not None and seen[-1] == 6
    runs = reality.run_here(check)
    expected = [reality.side_value(check.more, runs[s]) - reality.side_value(check.less, runs[s])
                for s in check.seeds]
    assert job.result.differences == pytest.approx(expected)
    assert job.result.low <= job.result.mean <= job.result.high
    assert reality.result_png(job.result, seen=expected[0])[:4] == b"\x89PNG"
