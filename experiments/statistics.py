"""Statistics of a comparison: end values, means with t intervals cut at a metric's bounds,
paired differences from the baseline (absolute, % with a delta-method interval, d_z),
saturation, changes along a sweep.

Definitions used throughout (and stated in every report's method note):

- **End value of a run**: the mean of a metric over the last ``end_share`` of its steps (default
  20%: steps 161-200 of a 200-step run), which smooths week-to-week noise. Step 0 (the initial
  state) is never part of it.
- **Mean and 95% CI across replications**: Student's t interval, mean +- t(0.975, n-1) * sd /
  sqrt(n), intersected with the range the metric can take (``coprosim.model.METRIC_INFO``: e.g. a
  share stays in [0, 1], hours are never negative). The true mean lies in that range, so the
  intersection covers it whenever the t interval does: coverage is unchanged, and no interval
  shows impossible values. Where the bound cuts the interval the report marks it.
- **Paired difference from the baseline**: for each replication seed, scenario minus baseline at
  the same sweep point (common random numbers); its mean and t interval; as a **% of the
  baseline's mean** with a delta-method interval for the ratio mean(difference) / mean(baseline)
  (paired: the covariance of the two is used). Metrics defined as a difference (emergent value:
  gains less losses; equity gap: top minus bottom quintile) and metrics whose baseline is near
  zero or whose runs change sign get absolute differences only (a % of almost nothing misleads).
- **d_z** = mean(difference) / sd(difference) (Cohen's d for paired data). It is flagged "not
  meaningful" when the differences are (nearly) constant across seeds: |d_z| > 10, or their sd
  below numerical noise.
- **Saturated**: at least 80% of a condition's runs end at the same value (within 1e-6 of the
  metric's scale): a bound (e.g. hidden need 0) or a ceiling the model imposes (e.g. volunteers
  at their cap). Its differences say more about the ceiling than about the regime.
- **Cost per need met** (derived): per run, the end value of ``cost`` over the end value of
  ``public_value`` (staff hours per unit of need met), the definition the regime map used
  (``docs/where_each_regime_wins.py`` up to commit 66ce6e7); runs with no need met (public
  value <= 0) are left out.
- **Who is left behind**: citizens' wellbeing at the last sampled step, by resource quintile
  (Q1 = fewest resources); per run the quintile's mean, then mean and CI across replications.
- **Along a sweep**: moving one grid axis from its first to its last value, at each combination
  of the other axes and paired by seed; the mean over the combinations, per seed, then its t
  interval. The steepest step is the pair of neighbouring values with the largest mean change
  (where a tipping point would be).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from coprosim.model import METRIC_INFO, MetricInfo
from scipy import stats

from .design import Experiment, end_window, outputs

RUN_KEYS = ["condition", "scenario", "point", "replication", "seed"]
CONFIDENCE = 0.95
SATURATED_SHARE = 0.8        # "most runs" end at one value
SATURATION_TOLERANCE = 1e-6  # relative to max(1, |value|)
DZ_LIMIT = 10.0              # |d_z| beyond this: differences (nearly) constant across seeds
MAX_GRID_LEVELS = 12         # an axis with more distinct values is read as sampled, not a grid
NEAR_ZERO_BASELINE = 0.1     # |baseline mean| below 10% of the largest |mean|: no % difference

# Defined as a difference of two parts, so they can change sign: absolute differences only.
DIFFERENCE_METRICS = {
    "emergent_value": "it is gains less losses and can change sign",
    "equity_gap": "it is a gap (top minus bottom quintile) and can change sign",
}

# Derived in the report from stored columns (the definition docs/where_each_regime_wins.py used).
DERIVED = {
    "cost_per_need_met": ("Paid staff hours per unit of need met: end-of-run cost / end-of-run "
                          "public_value of each run.",
                          MetricInfo("staff hours per need unit met", -1, 0.0)),
}


def info(metric: str) -> MetricInfo:
    """Unit, direction and bounds of a metric, a ledger column or a derived metric."""
    if metric in DERIVED:
        return DERIVED[metric][1]
    return METRIC_INFO.get(metric, MetricInfo("", 0))


def meaning(metric: str) -> str:
    return DERIVED[metric][0] if metric in DERIVED else outputs().get(metric, "")


def mean_ci(values, confidence: float = CONFIDENCE) -> tuple[int, float, float, float]:
    """n, mean and Student's t interval of the mean (``scipy.stats.t.interval`` with the standard
    error ``scipy.stats.sem``); NaNs dropped, nan bounds when n < 2, the mean when no spread."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    mean = float(x.mean()) if x.size else math.nan
    if x.size < 2:
        return x.size, mean, math.nan, math.nan
    low, high = _t_interval(confidence, x.size - 1, mean, stats.sem(x))
    return x.size, mean, float(low), float(high)


def _t_interval(confidence, df, mean, sem):
    """``scipy.stats.t.interval`` (arrays too), which has no interval without spread: the mean."""
    with np.errstate(invalid="ignore"):  # n = 1: no standard error, nan bounds
        low, high = stats.t.interval(confidence, df, loc=mean, scale=sem)
    return np.where(sem == 0, mean, low), np.where(sem == 0, mean, high)


def bounded_mean_ci(values, low: float | None, high: float | None,
                    confidence: float = CONFIDENCE) -> tuple[int, float, float, float, bool]:
    """``mean_ci`` intersected with the metric's range [low, high]; True if a bound cut it.

    The true mean lies in the range, so the intersection covers it whenever the t interval does.
    """
    n, mean, lo, hi = mean_ci(values, confidence)
    clipped = False
    if low is not None and not math.isnan(lo) and lo < low:
        lo, clipped = float(low), True
    if high is not None and not math.isnan(hi) and hi > high:
        hi, clipped = float(high), True
    return n, mean, lo, hi, clipped


def saturation(values, low: float | None = None, high: float | None = None,
               share: float = SATURATED_SHARE) -> str:
    """'' or a note when at least ``share`` of the runs end at one value (a bound or a ceiling)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size < 2:
        return ""
    tolerance = SATURATION_TOLERANCE * max(1.0, float(np.abs(x).max()))
    value = float(np.median(x))
    at = int((np.abs(x - value) <= tolerance).sum())
    if at < share * x.size:
        return ""
    where = ""
    if low is not None and abs(value - low) <= tolerance:
        where = ", its lower bound"
    elif high is not None and abs(value - high) <= tolerance:
        where = ", its upper bound"
    from .tables import fmt

    return f"{at}/{x.size} runs end at {fmt(value)}{where}"


def end_values(frame: pd.DataFrame, metrics: list[str], steps: int, end_share: float) -> pd.DataFrame:
    """Each run's end value of each metric: its mean over the last ``end_share`` of steps."""
    first = end_window(steps, end_share)
    window = frame[frame["step"] >= first]
    return window.groupby(RUN_KEYS, sort=True, observed=True)[metrics].mean().reset_index()


def end_table(design: Experiment, out, metrics: list[str]) -> pd.DataFrame:
    """Each finished run in ``out`` with its end value of each metric (``end_values``): one row
    per run, ``scenario``, ``point``, ``replication`` and the metrics."""
    from . import storage

    columns = ["scenario", "point", "replication", "seed", "step", *metrics]
    frame = storage.load_results(out, "metrics", columns=columns,
                                 scenarios=list(design.scenarios))
    if frame.empty:
        return pd.DataFrame(columns=["scenario", "point", "replication", *metrics])
    frame["condition"] = frame["scenario"]
    ends = end_values(frame, metrics, design.steps, design.analysis["end_share"])
    return ends[["scenario", "point", "replication", *metrics]]


def add_derived(ends: pd.DataFrame) -> list[str]:
    """Add the derived metrics the stored columns allow (cost per need met); their names."""
    added = []
    if {"cost", "public_value"} <= set(ends.columns):
        value = ends["public_value"].astype(float)
        ends["cost_per_need_met"] = (ends["cost"].astype(float) / value).where(value > 0)
        added.append("cost_per_need_met")
    return added


def summarise(ends: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Mean and bounded 95% CI of each metric's end value across replications, per condition."""
    rows = []
    for condition, group in ends.groupby("condition", sort=False, observed=True):
        for metric in metrics:
            bounds = info(metric)
            n, mean, low, high, clipped = bounded_mean_ci(group[metric], bounds.low, bounds.high)
            rows.append({"condition": condition, "scenario": group["scenario"].iloc[0],
                         "point": int(group["point"].iloc[0]), "metric": metric, "n": n,
                         "mean": mean, "ci_low": low, "ci_high": high, "ci_clipped": clipped,
                         "saturated": saturation(group[metric], bounds.low, bounds.high)})
    return pd.DataFrame(rows)


def relative_ci(d: np.ndarray, b: np.ndarray, confidence: float = CONFIDENCE
                ) -> tuple[float, float, float]:
    """mean(d) / mean(b) and its delta-method interval (d and b paired, same length)."""
    n = d.size
    mb = float(b.mean())
    if n < 2 or mb == 0:
        return math.nan, math.nan, math.nan
    r = float(d.mean()) / mb
    cov = np.cov(d, b, ddof=1)
    variance = (cov[0, 0] - 2 * r * cov[0, 1] + r * r * cov[1, 1]) / (n * mb * mb)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * math.sqrt(max(variance, 0.0)))
    return r, r - half, r + half


def relative_reason(metric: str, ends: pd.DataFrame, baseline: str) -> str | None:
    """Why a % of the baseline would mislead for this metric (None: % is fine)."""
    if metric in DIFFERENCE_METRICS:
        return DIFFERENCE_METRICS[metric]
    x = ends[metric].to_numpy(dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return "no values"
    if not ((x > 0).all() or (x < 0).all()):
        return "some runs end at 0 or change sign"
    base = ends.loc[ends["scenario"] == baseline, metric].mean()
    largest = ends.groupby("condition", observed=True)[metric].mean().abs().max()
    if abs(base) < NEAR_ZERO_BASELINE * largest:
        return "the baseline's mean is near zero"
    return None


def paired_differences(ends: pd.DataFrame, metrics: list[str], baseline: str) -> pd.DataFrame:
    """Scenario minus baseline, paired by replication seed at the same sweep point; %, d_z."""
    base = ends[ends["scenario"] == baseline]
    paired = ends.merge(base, on=["point", "replication", "seed"], suffixes=("", "_base"))
    reasons = {m: relative_reason(m, ends, baseline) for m in metrics}
    rows = []
    for condition, group in paired.groupby("condition", sort=False, observed=True):
        for metric in metrics:
            both = group[[metric, f"{metric}_base"]].dropna().to_numpy(dtype=float)
            d, b = both[:, 0] - both[:, 1], both[:, 1]
            n, mean, low, high = mean_ci(d)
            sd = float(d.std(ddof=1)) if n > 1 else math.nan
            d_z, note = dz_with_note(mean, sd, n, scale=float(np.abs(both).max()) if n else 1.0)
            if reasons[metric] is None:
                rel, rel_low, rel_high = relative_ci(d, b)
            else:
                rel = rel_low = rel_high = math.nan
            rows.append({"condition": condition, "metric": metric, "baseline": baseline,
                         "pairs": n, "diff": mean, "diff_ci_low": low, "diff_ci_high": high,
                         "rel": rel, "rel_ci_low": rel_low, "rel_ci_high": rel_high,
                         "relative_note": reasons[metric] or "", "d_z": d_z, "d_z_note": note})
    return pd.DataFrame(rows)


def dz_with_note(mean: float, sd: float, n: int, scale: float = 1.0) -> tuple[float, str]:
    """d_z, and a note instead of trusting it when the differences are (nearly) constant."""
    if n < 2 or math.isnan(sd):
        return math.nan, ""
    noise = 1e-9 * max(1.0, scale)
    if sd <= noise:
        if abs(mean) <= noise:
            return math.nan, "identical in every run"
        return math.nan, "difference is (nearly) constant across seeds; d_z is not meaningful"
    d_z = mean / sd
    if abs(d_z) > DZ_LIMIT:
        return d_z, "difference is (nearly) constant across seeds; d_z is not meaningful"
    return d_z, ""


def paired_between(ends: pd.DataFrame, metric: str, a: str, b: str) -> tuple[int, float, float, float]:
    """Scenario a minus scenario b, paired by seed and sweep point: n, mean, t interval."""
    keys = ["point", "replication", "seed"]
    left = ends.loc[ends["scenario"] == a, [*keys, metric]]
    right = ends.loc[ends["scenario"] == b, [*keys, metric]]
    both = left.merge(right, on=keys, suffixes=("_a", "_b"))
    return mean_ci((both[f"{metric}_a"] - both[f"{metric}_b"]).to_numpy(dtype=float))


def summarise_over_time(frame: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Mean and bounded 95% CI of each metric at each step across replications, per condition."""
    grouped = frame.groupby(["condition", "step"], sort=False, observed=True)[metrics]
    mean, sem, n = grouped.mean(), grouped.sem(), grouped.count()
    long = []
    for metric in metrics:
        bounds = info(metric)
        low, high = (pd.Series(bound, index=n.index).where(n[metric] > 1)
                     .clip(lower=bounds.low, upper=bounds.high)
                     for bound in _t_interval(CONFIDENCE, n[metric] - 1, mean[metric], sem[metric]))
        part = pd.DataFrame({"metric": metric, "n": n[metric], "mean": mean[metric],
                             "ci_low": low, "ci_high": high})
        long.append(part.reset_index())
    return pd.concat(long, ignore_index=True)


def along_axis(ends: pd.DataFrame, experiment: Experiment, scenario: str, metric: str,
               axis: str) -> dict | None:
    """Moving ``axis`` from its first to its last value, paired by seed at each combination of
    the other axes: mean over the combinations per seed, then mean and t interval; the steepest
    step between neighbouring values. None if the axis is not a grid (every value once)."""
    part = ends[ends["scenario"] == scenario]
    values = pd.DataFrame([experiment.points[p] for p in part["point"]], index=part.index)
    part = pd.concat([part[["replication", metric]], values], axis=1)
    levels = sorted(part[axis].unique())
    if not 2 <= len(levels) <= MAX_GRID_LEVELS:  # a Latin hypercube axis: see its figure
        return None
    others = [a for a in experiment.axes if a != axis]
    wide = part.pivot_table(index=["replication", *others], columns=axis, values=metric,
                            observed=True) if others else part.pivot_table(
        index="replication", columns=axis, values=metric)
    wide = wide.dropna()
    if wide.empty:
        return None
    change = (wide[levels[-1]] - wide[levels[0]]).groupby(level="replication").mean()
    n, mean, low, high = mean_ci(change.to_numpy(dtype=float))
    steps = [(levels[i], levels[i + 1], float((wide[levels[i + 1]] - wide[levels[i]]).mean()))
             for i in range(len(levels) - 1)]
    steepest = max(steps, key=lambda s: abs(s[2]))
    start = float(wide[levels[0]].mean())
    return {"axis": axis, "first": levels[0], "last": levels[-1], "n": n, "diff": mean,
            "low": low, "high": high, "start": start, "steepest": steepest,
            "steps": steps, "share_of_change": (abs(steepest[2]) / sum(abs(s[2]) for s in steps)
                                                if any(s[2] for s in steps) else math.nan)}


def covers_zero(low: float, high: float) -> bool:
    return math.isnan(low) or math.isnan(high) or low <= 0 <= high


def standardised_differences(table: pd.DataFrame, ends: pd.DataFrame, metrics: list[str],
                             baseline: str) -> pd.DataFrame:
    """Each condition's paired difference from the baseline on one scale for every metric.

    ``d`` = mean paired difference / pooled sd of the two conditions' end values, sqrt((s_a^2 +
    s_b^2) / 2) (Cohen's d_av: Lakens 2013), with the paired difference's 95% CI divided by the
    same sd. ``toward_better`` multiplies by the metric's better direction, so a positive value
    is better than the baseline whichever way the metric points (0 for a metric with no better
    direction: kept as measured). NaN where both conditions have no spread (every run the same).
    """
    rows = []
    spread = ends.groupby(["condition", "point"], observed=True)[metrics].std(ddof=1)
    base = table[table["scenario"] == baseline].set_index(["point", "metric"])
    for r in table[table["scenario"] != baseline].itertuples():
        if r.metric not in metrics or (r.point, r.metric) not in base.index:
            continue
        base_condition = base.loc[(r.point, r.metric), "condition"]
        s_a = spread.loc[(r.condition, r.point), r.metric]
        s_b = spread.loc[(base_condition, r.point), r.metric]
        sd = math.sqrt((s_a ** 2 + s_b ** 2) / 2)
        noise = 1e-9 * max(1.0, abs(r.mean))
        d, low, high = ((r.diff / sd, r.diff_ci_low / sd, r.diff_ci_high / sd)
                        if sd > noise else (math.nan, math.nan, math.nan))
        sign = info(r.metric).better or 1
        lo, hi = sorted((sign * low, sign * high)) if not math.isnan(low) else (low, high)
        rows.append({"condition": r.condition, "metric": r.metric, "sd": sd, "d": d,
                     "d_ci_low": low, "d_ci_high": high, "toward_better": sign * d,
                     "toward_better_low": lo, "toward_better_high": hi})
    return pd.DataFrame(rows)


def lead_from_week(over_time: pd.DataFrame, metric: str, leader: str, other: str,
                   window: int = 9) -> int | None:
    """The first week from which ``leader``'s mean stays ahead of ``other``'s to the end of the
    run (better direction of the metric; higher for a metric with none), on a centred rolling
    mean of ``window`` weeks (so a week of noise does not count as a change of lead). None if
    ``leader`` is not ahead at the end; step 0 (the shared initial state) is left out."""
    part = over_time[(over_time["metric"] == metric) & (over_time["step"] > 0)]
    wide = part.pivot_table(index="step", columns="condition", values="mean", observed=True)
    if leader not in wide or other not in wide:
        return None
    ahead = (info(metric).better or 1) * (wide[leader] - wide[other])
    ahead = ahead.rolling(window, center=True, min_periods=1).mean()
    if not ahead.iloc[-1] > 0:
        return None
    behind = ahead.index[ahead.to_numpy() <= 0]
    return int(behind.max()) + 1 if len(behind) else int(ahead.index.min())
