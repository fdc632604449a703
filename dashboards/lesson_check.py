"""Is each lesson's promise visible? Every promised effect measured on seeds it was not written
for, against the lesson's words (``python -m coprosim.dashboards.lesson_check``).

A lesson promises effects (``dashboards/lessons/*.toml``, ``[[effects]]``): "without outreach
the equity gap ends wider". The promise is checked at the lesson's setup on ``SEEDS`` (none of
the seeds the lessons were written and tested on, 0-10), and counts as *visible* when

- the effect goes the promised way on average, by at least ``MIN_EFFECT`` (5%) of the smaller
  side (``(more - factor x less) / |factor x less|``), and
- it is not chance: a one-sided paired t-test at ``ALPHA`` (1%);

a promise that two things are about equal (``equal_within``) is visible when the mean
difference stays within its stated share. A class sees one seed, so an effect of 1% is
invisible on screen even when it is "significant" over many seeds. The model is still
changing: rerun this after it changes, and rewrite a lesson whose promise is not visible.

    python -m coprosim.dashboards.lesson_check [--lesson KEY] [--seeds 201-220] [--out FILE.md]
    python -m coprosim.dashboards.lesson_check --ideas

prints (and with ``--out`` writes) one line per effect and exits with status 1 if any promise
is not visible. ``tests/test_dashboard_lessons.py`` runs the same check (slow). With ``--ideas``
it checks what the "Explain the ideas" cards' 'Try this' tell students to look for
(``explain.IDEAS``, the same attributes as a lesson; ``tests/test_dashboard_ideas.py``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from coprosim.dashboards import reality
from coprosim.dashboards.reality import run_arm_series

SEEDS = tuple(range(201, 221))  # 20 seeds no lesson was written for
MIN_EFFECT = 0.05
ALPHA = 0.01


@dataclass
class Verdict:
    """One promised effect measured: mean of each side, relative effect, p, visible or not."""

    lesson: str
    text: str
    more: float
    less: float
    relative: float
    p: float
    agree: int  # seeds on which the effect went the promised way
    n: int
    visible: bool
    tolerance: float | None = None

    def line(self) -> str:
        mark = "visible" if self.visible else "NOT VISIBLE"
        if self.tolerance is not None:
            return (f"{self.lesson}: {self.text} {self.more:.4g} vs {self.less:.4g} "
                    f"(difference {self.relative:+.1%}, allowed ±{self.tolerance:.0%}) [{mark}]")
        return (f"{self.lesson}: {self.text} {self.more:.4g} vs {self.less:.4g} "
                f"(effect {self.relative:+.1%}, needs +{MIN_EFFECT:.0%}; paired p = {self.p:.2g}; "
                f"{self.agree}/{self.n} seeds) [{mark}]")


def _settings_of(lesson):
    from coprosim.dashboards.settings import Settings, apply_setup

    return lambda stage: apply_setup(Settings(), lesson.setup_of(stage))[0]


def _runs(checks: list, seeds: tuple[int, ...], executor=None) -> dict:
    """(arm, seed) -> metric -> weekly series, each arm run once per seed for all the metrics
    the checks read (in this process, or spread over ``executor``'s workers)."""
    metrics: dict = {}
    weeks: dict = {}
    for check in checks:
        for arm in check.arms():
            metrics.setdefault(arm, {})[check.metric] = None
            weeks[arm] = max(weeks.get(arm, 0), check.weeks)
    jobs = [(arm, seed) for arm in metrics for seed in seeds]
    if executor is None:
        return {(arm, seed): run_arm_series(arm.scenario, arm.params, seed, weeks[arm],
                                            tuple(metrics[arm])) for arm, seed in jobs}
    futures = {(arm, seed): executor.submit(run_arm_series, arm.scenario, arm.params, seed,
                                            weeks[arm], tuple(metrics[arm]))
               for arm, seed in jobs}
    return {key: future.result() for key, future in futures.items()}


def check_lesson(lesson, seeds: tuple[int, ...] = SEEDS, executor=None) -> list[Verdict]:
    """Every promised effect of one lesson, measured on ``seeds`` (runs spread over
    ``executor``'s workers if given). Each regime of each stage runs once per seed."""
    from scipy import stats

    seeds = tuple(seeds)
    checks = [reality.effect_check(lesson, effect, _settings_of(lesson), seeds)
              for effect in lesson.effects]
    runs = _runs(checks, seeds, executor)
    verdicts = []
    for effect, check in zip(lesson.effects, checks, strict=True):
        def on(seed, check=check):
            return {arm: runs[(arm, seed)][check.metric] for arm in check.arms()}
        more = np.array([reality.side_value(check.more, on(s)) for s in seeds])
        less = np.array([effect.factor * reality.side_value(check.less, on(s)) for s in seeds])
        base = abs(less.mean()) if less.mean() != 0 else max(abs(more.mean()), 1e-12)
        relative = float((more.mean() - less.mean()) / base)
        if effect.equal_within is not None:
            visible = abs(relative) < effect.equal_within
            verdicts.append(Verdict(lesson.key, effect.text, float(more.mean()),
                                    float(less.mean()), relative, float("nan"), 0, len(seeds),
                                    visible, effect.equal_within))
            continue
        p = float(stats.ttest_rel(more, less, alternative="greater").pvalue)
        visible = relative >= MIN_EFFECT and p < ALPHA
        verdicts.append(Verdict(lesson.key, effect.text, float(more.mean()), float(less.mean()),
                                relative, p, int((more > less).sum()), len(seeds), visible))
    return verdicts


def _seeds(text: str) -> tuple[int, ...]:
    try:
        if "-" in text:
            low, high = (int(x) for x in text.split("-", 1))
            seeds = tuple(range(low, high + 1))
        else:
            seeds = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--seeds: must be a range like 201-220 or a list like 3,5,8; got {text!r}") from None
    if len(seeds) < 3:
        raise argparse.ArgumentTypeError(f"--seeds: at least 3 seeds, got {len(seeds)}")
    return seeds


def main(argv: list[str] | None = None) -> int:
    from coprosim.dashboards.lessons import LESSONS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", help="check one lesson (its key)")
    parser.add_argument("--ideas", action="store_true",
                        help="check the Explain tab's ideas instead of the lessons")
    parser.add_argument("--seeds", type=_seeds, default=SEEDS, help="e.g. 201-220")
    parser.add_argument("--out", help="also write the lines to this Markdown file")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="worker processes (default: one per core)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs: must be a whole number of at least 1, got {args.jobs}")
    if args.ideas:
        from coprosim.dashboards.explain import IDEAS

        if args.lesson:
            parser.error("--lesson: not with --ideas")
        lessons = [idea for idea in IDEAS if idea.effects]
    else:
        lessons = [lesson for lesson in LESSONS if args.lesson in (None, lesson.key)]
    if not lessons:
        parser.error(f"--lesson: no lesson {args.lesson!r}; lessons: "
                     f"{', '.join(lesson.key for lesson in LESSONS)}")
    started = time.perf_counter()
    lines, failed = [], 0
    executor = None
    if args.jobs > 1:
        executor = ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn"))
    try:
        for lesson in lessons:
            for verdict in check_lesson(lesson, args.seeds, executor):
                lines.append(verdict.line())
                failed += not verdict.visible
                print(lines[-1], flush=True)
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    summary = (f"{len(lines) - failed} of {len(lines)} promised effects visible (at least "
               f"{MIN_EFFECT:.0%}, paired p < {ALPHA}) on seeds {args.seeds[0]}-{args.seeds[-1]}"
               f" ({len(args.seeds)} seeds; {time.perf_counter() - started:.0f} s)")
    print(summary)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            title = "Ideas' 'Try this'" if args.ideas else "Lessons' promises"
            out.write(f"# {title} on unseen seeds\n\n" + summary + "\n\n"
                      + "\n".join(f"- {line}" for line in lines) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
