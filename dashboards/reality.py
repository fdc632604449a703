""""Is it real?": the run on screen repeated on paired seeds, and the key difference with its 95%
confidence interval. Plain Python, no Solara (the page's part is ``components/reality.py``).

One run is one seed: a difference the class sees may be chance. The check runs the same setup on
``SEEDS`` other seeds (paired: on each seed every regime starts from the same citizens), takes
the key difference on each (a lesson's first promised effect; side by side, the right regime
minus the left on the measure chosen, over the last weeks), and gives its mean with a 95%
interval (Student's t over the paired differences). The runs go to a worker process, so the
server keeps serving the page (and other students) while they run.
"""

from __future__ import annotations

import math
import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SEEDS = tuple(range(101, 113))  # 12 seeds that no lesson is written for (lessons use 0-10)
WINDOW = 50  # side by side: the difference over the last weeks of the run
DEFAULT_WEEKS = 150  # side by side before the class has played: as long as a lesson
MEASURES = {  # side by side: what the difference is about (the first is the default)
    "mean_wellbeing": "Wellbeing",
    "mean_trust": "Trust",
    "participation_rate": "Participation",
    "public_value": "Public value",
    "equity_gap": "Equity gap",
    "hidden_need": "Hidden need",
    "value_per_cost": "Value per paid hour",
    "emergent_value": "Emergent value",
}


@dataclass(frozen=True)
class Arm:
    """One regime of one stage of the setup: its preset and parameter values (``Params``
    keyword arguments)."""

    stage: str
    scenario: str
    params: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Side:
    """One side of the difference: the mean of the metric over weeks [start, stop) of an arm,
    minus (optionally) another side (a gap between regimes)."""

    arm: Arm
    start: int
    stop: int | None = None
    minus: Side | None = None


@dataclass(frozen=True)
class Check:
    """What "Is it real?" runs: ``more`` minus ``less`` of ``metric`` over ``seeds``, each run
    ``weeks`` long. ``title`` says it in words; ``seen`` is the class's own run's difference."""

    title: str
    metric: str
    more: Side | None
    less: Side | None
    weeks: int
    seeds: tuple[int, ...] = SEEDS
    seen: float | None = None
    promise: str = ""

    def arms(self) -> list[Arm]:
        found: list[Arm] = []
        for side in (self.more, self.less):
            while side is not None:
                if side.arm not in found:
                    found.append(side.arm)
                side = side.minus
        return found


@dataclass
class Result:
    """The paired differences, their mean and 95% interval, in the metric's own units."""

    check: Check
    differences: list[float]
    mean: float
    low: float
    high: float

    @property
    def n(self) -> int:
        return len(self.differences)

    def sentence(self, unit: str = "") -> str:
        """What the interval means, in one sentence a student can follow."""
        span = f"{fmt(self.low)}{unit} and {fmt(self.high)}{unit}"
        if self.low > 0 or self.high < 0:
            direction = "above" if self.low > 0 else "below"
            return (f"On {self.n} other seeds the difference averages {fmt(self.mean)}{unit}; "
                    f"we can be 95% confident that its true average lies between {span}, "
                    f"all {direction} zero: the difference is not just the chance of one seed.")
        return (f"On {self.n} other seeds the difference averages {fmt(self.mean)}{unit}; its "
                f"95% interval, between {span}, includes zero: the difference on screen could "
                "be the chance of one seed, not the rules.")


def fmt(value: float) -> str:
    """A difference with three significant digits and its sign."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    digits = max(0, 2 - int(math.floor(math.log10(abs(value)))))
    return f"{value:+.{digits}f}"


def interval(differences: list[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and the two ends of the ``level`` confidence interval of paired differences
    (Student's t); a single difference has no interval (its mean at both ends)."""
    from scipy import stats

    values = np.asarray(differences, dtype=float)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, mean, mean
    half = float(stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1)
                 / math.sqrt(len(values)))
    return mean, mean - half, mean + half


# --- building a check from what is on screen -------------------------------------------------------

def _arm(settings, stage: str, scenario: str) -> Arm:
    params = settings.params_for(scenario)
    return Arm(stage, scenario,
               tuple((name, getattr(params, name)) for name in type(params).field_names()))


def _side(measure, settings_of) -> Side | None:
    if measure is None:
        return None
    return Side(_arm(settings_of(measure.stage), measure.stage, measure.scenario),
                measure.start, measure.stop, _side(measure.minus, settings_of))


def effect_check(lesson, effect, settings_of, seeds: tuple[int, ...] = SEEDS) -> Check:
    """The check of one of a lesson's promised effects (``settings_of(stage)``: the lesson's
    settings of a stage)."""
    return Check(effect.text, effect.metric, _side(effect.more, settings_of),
                 _side(effect.less, settings_of), int(getattr(lesson, "weeks", DEFAULT_WEEKS)),
                 tuple(seeds), promise=effect.text)


def lesson_check(lesson, settings_of, seeds: tuple[int, ...] = SEEDS) -> Check | None:
    """The check of a lesson's first promised effect, or None for a lesson with no effects."""
    effects = getattr(lesson, "effects", ())
    if not effects:
        return None
    return effect_check(lesson, effects[0], settings_of, seeds)


def run_here(check: Check, executor=None) -> dict[int, dict[Arm, list[float]]]:
    """Every run of ``check``, waited for: seed -> arm -> the metric's weekly series (in this
    process, or spread over ``executor``'s workers)."""
    if executor is None:
        return {seed: {arm: run_arm(arm.scenario, arm.params, seed, check.weeks, check.metric)
                       for arm in check.arms()} for seed in check.seeds}
    futures = {(seed, arm): executor.submit(run_arm, arm.scenario, arm.params, seed,
                                            check.weeks, check.metric)
               for seed in check.seeds for arm in check.arms()}
    return {seed: {arm: futures[(seed, arm)].result() for arm in check.arms()}
            for seed in check.seeds}


def compare_check(settings, metric: str, week: int, labels: tuple[str, str],
                  seeds: tuple[int, ...] = SEEDS) -> Check:
    """Side by side: right minus left on ``metric`` over the last ``WINDOW`` weeks of a run as
    long as the one on screen (or ``DEFAULT_WEEKS`` before it has run 20)."""
    weeks = week if week >= 20 else DEFAULT_WEEKS
    left, right = settings.scenarios
    window = min(WINDOW, weeks)
    title = (f"{MEASURES.get(metric, metric)}: {labels[1]} minus {labels[0]}, mean of weeks "
             f"{weeks - window + 1}-{weeks}")
    return Check(title, metric, Side(_arm(settings, "setup", right), -window),
                 Side(_arm(settings, "setup", left), -window), weeks, tuple(seeds))


# --- running it -------------------------------------------------------------------------------------

def run_arm_series(scenario: str, params: tuple[tuple[str, Any], ...], seed: int, weeks: int,
                   metrics: tuple[str, ...]) -> dict[str, list[float]]:
    """One arm on one seed: the weekly series of every metric in ``metrics`` as the page records
    it (its own ``session.Run``; in a worker process): one run serves every check about it."""
    from coprosim.dashboards.session import Run
    from coprosim.model import CoproductionModel, Params

    model = CoproductionModel(params=Params(**dict(params)), seed=seed, scenario=scenario)
    run = Run(scenario, model)
    try:
        for _ in range(weeks):
            model.step()
            run.record()
        series = run.series()
        return {metric: [float(v) for v in series[metric]] for metric in metrics}
    finally:
        model.release()


def run_arm(scenario: str, params: tuple[tuple[str, Any], ...], seed: int, weeks: int,
            metric: str) -> list[float]:
    """One arm on one seed: the weekly series of ``metric`` (``run_arm_series`` of one)."""
    return run_arm_series(scenario, params, seed, weeks, (metric,))[metric]


def side_value(side: Side | None, series: dict[Arm, list[float]]) -> float:
    if side is None:
        return 0.0
    values = np.asarray(series[side.arm][side.start:side.stop], dtype=float)
    return float(np.nanmean(values)) - side_value(side.minus, series)


_POOL: ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def pool() -> ProcessPoolExecutor:
    """The server's one worker process for checks (made on first use, shared by sessions: the
    page's own process keeps a core for serving)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ProcessPoolExecutor(max_workers=1,
                                        mp_context=multiprocessing.get_context("spawn"))
        return _POOL


def _forget_broken_pool(executor) -> None:
    """A worker that died breaks its pool: the next check makes a new one."""
    global _POOL
    from concurrent.futures.process import BrokenProcessPool  # noqa: F401

    with _POOL_LOCK:
        if executor is _POOL and getattr(executor, "_broken", False):
            _POOL = None


@dataclass
class Job:
    """A check running in the background: ``progress`` (runs done, runs in all), then
    ``result`` or ``error``; ``cancel`` stops what has not started."""

    check: Check
    done: int = 0
    total: int = 0
    result: Result | None = None
    error: str | None = None
    futures: list[Future] = field(default_factory=list)
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True
        for future in self.futures:
            future.cancel()


def start(check: Check, on_progress=None, executor=None) -> Job:
    """Submit every run of ``check``; ``on_progress(job)`` is called as runs finish and once at
    the end (with ``result`` or ``error`` set). Returns at once."""
    executor = executor or pool()
    arms = check.arms()
    job = Job(check, total=len(arms) * len(check.seeds))
    series: dict[tuple[Arm, int], list[float]] = {}
    lock = threading.Lock()

    def finished(arm: Arm, seed: int, future: Future) -> None:
        if future.cancelled() or job.cancelled:
            return
        with lock:
            exc = future.exception()
            if exc is not None:
                if job.error is None:
                    job.error = f"A run failed (seed {seed}): {type(exc).__name__}: {exc}"
                    job.cancelled = True
                    _forget_broken_pool(executor)
                    if on_progress:
                        on_progress(job)
                return
            series[(arm, seed)] = future.result()
            job.done += 1
            if job.done == job.total:
                differences = [
                    side_value(check.more, {a: series[(a, s)] for a in arms})
                    - side_value(check.less, {a: series[(a, s)] for a in arms})
                    for s in check.seeds]
                mean, low, high = interval(differences)
                job.result = Result(check, differences, mean, low, high)
        if on_progress:
            on_progress(job)

    for seed in check.seeds:
        for arm in arms:
            future = executor.submit(run_arm, arm.scenario, arm.params, seed, check.weeks,
                                     check.metric)
            future.add_done_callback(lambda f, a=arm, s=seed: finished(a, s, f))
            job.futures.append(future)
    return job


# --- the picture ------------------------------------------------------------------------------------

def result_png(result: Result, size_px: tuple[int, int] = (270, 170), ratio: float = 2.0,
               scale: float = 1.0, seen: float | None = None) -> bytes:
    """Each seed's difference (dots), their mean with its 95% interval (the bar), zero (dashed)
    and, if known, the class's own run (a diamond). ``scale`` multiplies the values shown (e.g.
    100 for a share in per cent)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    from .figures import DPI, TICK_PT, png

    width, height = size_px
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI * ratio)
    fig.subplots_adjust(left=min(0.45, 62 / width), right=0.97, top=0.95,
                        bottom=min(0.4, 28 / height))
    ax = fig.add_subplot()
    values = np.asarray(result.differences) * scale
    jitter = np.linspace(-0.18, 0.18, len(values)) if len(values) > 1 else np.zeros(1)
    ax.axhline(0, color="#555555", lw=1.2, linestyle=(0, (4, 3)))
    ax.scatter(0.0 + jitter, values, s=22, color="#56B4E9", edgecolors="#0b4f79", linewidths=0.6,
               zorder=3, label="one seed")
    ax.errorbar([0.55], [result.mean * scale],
                yerr=[[(result.mean - result.low) * scale], [(result.high - result.mean) * scale]],
                fmt="o", color="#D55E00", ms=8, capsize=8, lw=3, zorder=4,
                label="mean, 95% interval")
    if seen is not None and math.isfinite(seen):
        ax.scatter([-0.55], [seen * scale], marker="D", s=60, color="#E69F00",
                   edgecolors="black", zorder=5, label="this run")
    ax.set_xlim(-0.9, 0.9)
    ax.set_xticks([-0.55, 0.0, 0.55], ["this run" if seen is not None else "", "seeds",
                                        "mean"], fontsize=TICK_PT * 0.9)
    ax.tick_params(axis="y", labelsize=TICK_PT * 0.9)
    ax.yaxis.set_major_locator(MaxNLocator(4))
    ax.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return png(fig, dpi=DPI * ratio)
