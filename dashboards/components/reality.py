""""Is it real?" on the page: after a lesson's set-up, and for any side-by-side run, a button
that repeats the setup on other seeds in the background (``dashboards/reality.py``) and shows
the key difference with its 95% interval, marked on a chart, and what the interval means."""

from __future__ import annotations

import dataclasses
import html

import numpy as np
import solara
from coprosim.dashboards import reality
from coprosim.dashboards.components.base import html_element as _html
from coprosim.dashboards.components.describe import Describe, chart_description, picture_class
from coprosim.dashboards.settings import Settings, apply_setup

PERCENT = {"participation_rate", "withdrawn_share"}


def current_check(state, metric: str) -> reality.Check | None:
    """What "Is it real?" would check now: the running lesson's first promised effect, else
    (side by side) the measure chosen, right regime minus left; None otherwise."""
    running = state.running_lesson()
    if running is not None and getattr(running[2], "effects", ()):
        lesson = running[2]
        check = reality.lesson_check(
            lesson, lambda stage: apply_setup(Settings(), lesson.setup_of(stage))[0])
        return _with_seen(check, state)
    settings = state.applied.value
    if settings.compare:
        labels = tuple(label for _, label in state.session.snapshot().runs)
        check = reality.compare_check(settings, metric, state.session.week, labels)
        return _with_seen(check, state)
    return None


def _with_seen(check: reality.Check | None, state) -> reality.Check | None:
    """The check with the class's own run's difference, where the run on screen has it: every
    regime it needs is on screen (this stage), and the run is long enough."""
    if check is None:
        return None
    snap = state.session.snapshot()
    stage = state.lesson_on.value[1] if state.lesson_on.value else "setup"
    by_scenario = dict(zip((s for s, _ in snap.runs), snap.series, strict=True))
    if snap.week < check.weeks or any(arm.stage != stage or arm.scenario not in by_scenario
                                      for arm in check.arms()):
        return check
    series = {arm: list(by_scenario[arm.scenario][check.metric][:check.weeks + 1])
              for arm in check.arms()}
    seen = reality.side_value(check.more, series) - reality.side_value(check.less, series)
    return dataclasses.replace(check, seen=seen)


@solara.component
def RealityCard(state):
    """The button, the progress while the seeds run (the page keeps working), then the
    difference, its interval on a chart and one sentence on what it means."""
    metric, set_metric = solara.use_state(next(iter(reality.MEASURES)))
    job = state.reality_job.value
    # the result opens large over the page when it arrives; closed, it can be opened again
    closed_for, set_closed_for = solara.use_state(None)  # the job whose dialog was closed
    reopened, set_reopened = solara.use_state(False)
    opened = job is not None and job.result is not None and (closed_for is not job or reopened)

    def set_open(value: bool) -> None:
        if value:
            set_reopened(True)
        else:
            set_closed_for(job)
            set_reopened(False)
    progress = state.reality_progress.value
    check_now = state.running_lesson() is not None or state.applied.value.compare
    if not check_now and job is None:
        return

    def start():
        check = current_check(state, metric)
        if check is not None:
            state.start_reality(check)

    with solara.Card(margin=0, classes=["cp-real"]):
        _html("<b>Is it real?</b> One run is one seed: run this setup on "
              f"{len(reality.SEEDS)} other seeds and see if the difference holds.", ["cp-label"])
        running = job is not None and job.result is None and job.error is None \
            and not job.cancelled
        if state.running_lesson() is None and state.applied.value.compare and not running:
            solara.Select("Difference in", value=reality.MEASURES[metric],
                          values=list(reality.MEASURES.values()),
                          on_value=lambda label: set_metric(next(
                              k for k, v in reality.MEASURES.items() if v == label)))
        if running:
            done, total = (progress or (0, job.total))[:2]
            solara.ProgressLinear(value=100 * done / max(total, 1), color="primary")
            _html(f"{done} of {total} runs done; the page keeps working meanwhile.",
                  ["cp-caption"], attributes={"role": "status", "aria-live": "polite"})
            solara.Button("Stop", small=True, outlined=True, on_click=state.stop_reality)
        else:
            solara.Button("Is it real?", color="primary", small=True, on_click=start,
                          disabled=not check_now)
        if job is not None and job.error:
            solara.Error(job.error, dense=True)
        if job is not None and job.result is not None:
            RealityResult(job.result, compact=True)
            solara.Button("Show the chart", small=True, text=True,
                          on_click=lambda: set_open(True))
    if job is not None and job.result is not None:
        with solara.v.Dialog(v_model=opened, on_v_model=set_open, max_width="760px",
                             scrollable=True):
            with solara.Card("Is it real?", classes=["cp-realdialog"]):
                RealityResult(job.result, compact=False)
                solara.Button("Close", color="primary", on_click=lambda: set_open(False))


@solara.component
def RealityResult(result: reality.Result, compact: bool = True):
    """The check's title, the chart (seeds, mean and 95% interval, zero, this run) and the
    sentence; ``compact`` for the controls column, else large (the dialog)."""
    check = result.check
    scale = 100.0 if check.metric in PERCENT else 1.0
    unit = " points" if scale != 1.0 else ""
    size = (270, 170) if compact else (700, 340)
    image = solara.use_memo(lambda: reality.result_png(result, size_px=size, scale=scale,
                                                       seen=check.seen), [result, compact])
    seen = ("" if check.seen is None else
            f" This run: {reality.fmt(check.seen * scale)}{unit}.")
    _html(f"<b>{html.escape(check.title)}</b>", ["cp-caption", "cp-realtitle"])
    scaled = reality.Result(check, list(np.asarray(result.differences) * scale),
                            result.mean * scale, result.low * scale, result.high * scale)
    name = picture_class("reality-compact" if compact else "reality")
    solara.Image(image, width="100%", classes=[name])
    solara.v.Html(tag="div", style_="display: none", children=[Describe.element(pictures={
        name: chart_description(check.title, "Each dot is one seed's difference; the bar is "
                                "their mean with its 95% interval; the dashed line marks zero. "
                                + scaled.sentence(unit))})])
    _html(html.escape(scaled.sentence(unit) + seen), ["cp-realsentence"],
          attributes={"role": "status"})
