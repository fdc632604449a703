"""Scenario comparisons a policy analyst can read: summary, tables, figures, report.md and .html.

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
from pathlib import Path

import numpy as np
import pandas as pd
from coprosim.model import LEDGER, METRIC_INFO, MetricInfo, Params
from scipy import stats

from . import storage
from .design import Experiment, end_window, load_experiment, outputs

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
# Parameters that make the budget and the prices of time: stated as held equal (or not).
BUDGET = ("n_citizens", "staff_per_1000", "staff_hours", "overtime_max", "overtime_premium",
          "hiring_cost", "citizen_time_value")


def info(metric: str) -> MetricInfo:
    """Unit, direction and bounds of a metric, a ledger column or a derived metric."""
    if metric in DERIVED:
        return DERIVED[metric][1]
    return METRIC_INFO.get(metric, MetricInfo("", 0))


def meaning(metric: str) -> str:
    return DERIVED[metric][0] if metric in DERIVED else outputs().get(metric, "")


# --- public API ------------------------------------------------------------------------------------
def compare(experiment: Experiment | str | Path = "experiments/policy_comparison.toml",
            out: str | Path | None = None, workers: int | None = None, force: bool = False,
            dask: str | None = None, run: bool = True) -> pd.DataFrame:
    """Run (or resume) an experiment, write ``report.md``, ``report.html`` and figures.

    Args:
        experiment: an ``Experiment`` or the path of its TOML file.
        out: results folder (default ``results/<experiment name>``).
        workers, force, dask: as ``run_experiment``.
        run: False to only analyse what is already on disk.

    Returns:
        One row per condition (scenario, or scenario at a sweep point) and metric: ``n``, ``mean``,
        ``ci_low``, ``ci_high`` of the end value (``ci_clipped``: a bound cut the interval;
        ``saturated``: a note when most runs end at one value), and the paired difference from
        the baseline (``diff``, ``diff_ci_low``, ``diff_ci_high``, ``rel``, ``rel_ci_low``,
        ``rel_ci_high`` as a share of the baseline's mean, ``d_z``, ``d_z_note``, ``pairs``).
    """
    from .runner import run_experiment

    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment)
    out = Path(out) if out is not None else Path("results") / experiment.name
    if run:
        run_experiment(experiment, out=out, workers=workers, force=force, dask=dask)
    return compare_results(experiment, out)


def compare_results(experiment: Experiment, out: str | Path) -> pd.DataFrame:
    """Analyse the results on disk and write the report; returns the end summary (see compare)."""
    from .report_html import markdown_to_html

    out = Path(out)
    metrics = list(experiment.metrics)
    frame = _load_metrics(experiment, out)
    if frame.empty:
        raise_no_results(out)
    ends = end_values(frame, metrics, experiment.steps, experiment.analysis["end_share"])
    derived = add_derived(ends)
    analysed = metrics + derived
    summary = summarise(ends, analysed)
    diffs = paired_differences(ends, analysed, experiment.analysis["baseline"])
    table = summary.merge(diffs, on=["condition", "metric"], how="left")
    over_time = summarise_over_time(frame, metrics)
    quintiles = wellbeing_by_quintile(experiment, out)
    del frame
    analysis = Analysis(experiment, out, ends, table, over_time, quintiles, analysed)
    analysis.figures = _figures(analysis)
    table.to_csv(out / "end_summary.csv", index=False)
    diffs.to_csv(out / "differences.csv", index=False)
    over_time.to_csv(out / "timeseries_summary.csv", index=False)
    if quintiles is not None:
        quintiles.to_csv(out / "wellbeing_by_quintile.csv", index=False)
    text = _report(analysis)
    storage.write_atomic(out / "report.md", text)
    storage.write_atomic(out / "report.html", markdown_to_html(text, out, title=f"{experiment.name}: report"))
    return table


def raise_no_results(out: Path):
    from .design import ExperimentError

    raise ExperimentError(f"{out}: no finished runs to compare (see {out}/failures/)")


class Analysis:
    """Everything the report and its figures read."""

    def __init__(self, experiment, out, ends, table, over_time, quintiles, metrics):
        self.experiment = experiment
        self.out = out
        self.ends = ends
        self.table = table
        self.over_time = over_time
        self.quintiles = quintiles
        self.metrics = metrics
        self.baseline = experiment.analysis["baseline"]
        self.conditions = list(dict.fromkeys(table["condition"]))
        self.scenarios = [s for s in experiment.scenarios if s in set(table["scenario"])]
        self.figures: dict[str, str] = {}

    @property
    def is_sweep(self) -> bool:
        return bool(self.experiment.axes)

    @property
    def headline_metrics(self) -> list[str]:
        """Metrics of the summary: all but the ledger's hours (they have their own section)."""
        return [m for m in self.metrics if m not in LEDGER]

    @property
    def ledger(self) -> list[str]:
        return [m for m in LEDGER if m in self.metrics]


# --- statistics ------------------------------------------------------------------------------------
def mean_ci(values, confidence: float = CONFIDENCE) -> tuple[int, float, float, float]:
    """n, mean and the t-interval of the mean (nan bounds when n < 2)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return 0, math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n < 2:
        return n, mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return n, mean, mean - half, mean + half


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
    return f"{at}/{x.size} runs end at {fmt(value)}{where}"


def end_values(frame: pd.DataFrame, metrics: list[str], steps: int, end_share: float) -> pd.DataFrame:
    """Each run's end value of each metric: its mean over the last ``end_share`` of steps."""
    first = end_window(steps, end_share)
    window = frame[frame["step"] >= first]
    return window.groupby(RUN_KEYS, sort=True, observed=True)[metrics].mean().reset_index()


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
    mean, sd, n = grouped.mean(), grouped.std(ddof=1), grouped.count()
    t = stats.t.ppf(0.975, np.maximum(n - 1, 1))
    half = pd.DataFrame(t, index=n.index, columns=metrics) * sd / np.sqrt(n)
    half = half.where(n > 1)
    long = []
    for metric in metrics:
        bounds = info(metric)
        low = (mean[metric] - half[metric]).clip(lower=bounds.low, upper=bounds.high)
        high = (mean[metric] + half[metric]).clip(lower=bounds.low, upper=bounds.high)
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


# --- loading -------------------------------------------------------------------------------------
def _conditions(frame: pd.DataFrame, experiment: Experiment) -> pd.Series:
    """Scenario names, or scenario at a sweep point when the experiment has a sweep."""
    if not experiment.axes:
        return frame["scenario"].astype(str)
    labels = {i: point_label(experiment, i) for i in range(len(experiment.points))}
    return frame["scenario"].astype(str) + " [" + frame["point"].map(labels) + "]"


def point_label(experiment: Experiment, point: int) -> str:
    values = experiment.points[point]
    return ", ".join(f"{a}={_short(values[a])}" for a in experiment.axes)


def _ordered(frame: pd.DataFrame, experiment: Experiment) -> pd.DataFrame:
    """Conditions as an ordered category: the file's scenario order, then sweep points."""
    frame["condition"] = _conditions(frame, experiment)
    order = (frame[["scenario", "point", "condition"]].drop_duplicates()
             .assign(rank=lambda f: f["scenario"].map({s: i for i, s in enumerate(experiment.scenarios)}))
             .sort_values(["rank", "point"])["condition"].tolist())
    frame["condition"] = pd.Categorical(frame["condition"], categories=order, ordered=True)
    return frame


def fill_dropped(frame: pd.DataFrame, experiment: Experiment) -> pd.DataFrame:
    """Rows for the combinations not run because a swept lever cannot act there: copies of the
    point that stands for each (identical by construction; see ``design.Dropped``)."""
    dropped = experiment.dropped()
    if not dropped or frame.empty:
        return frame
    copies = []
    for d in dropped:
        source = frame[(frame["scenario"] == d.scenario) & (frame["point"] == d.stands_for)]
        copies.append(source.assign(point=d.point))
    return pd.concat([frame, *copies], ignore_index=True)


def _load_metrics(experiment: Experiment, out: Path) -> pd.DataFrame:
    columns = ["scenario", "point", "replication", "seed", "step", *experiment.metrics]
    frame = storage.load_results(out, "metrics", columns=columns,
                                 scenarios=list(experiment.scenarios))
    return _ordered(fill_dropped(frame, experiment), experiment) if len(frame) else frame


def _last_sampled_step(experiment: Experiment) -> int | None:
    period = experiment.agent_sample_period
    if period == 0 or period > experiment.steps:
        return None
    return experiment.steps - experiment.steps % period


def _load_agents_at(out: Path, step: int, experiment: Experiment) -> pd.DataFrame:
    import pyarrow.dataset as ds

    from .storage import complete_files

    # Only parts whose metrics part exists: a sweep killed between writes may leave an orphan.
    files = [str(f) for f in complete_files(out, "agents")]
    if not files:
        return pd.DataFrame()
    table = ds.dataset(files, format="parquet").to_table(
        columns=["scenario", "point", "replication", "step", "quintile", "wellbeing"],
        filter=(ds.field("step") == step) & ds.field("scenario").isin(list(experiment.scenarios)))
    return _ordered(fill_dropped(table.to_pandas(), experiment), experiment)


def wellbeing_by_quintile(experiment: Experiment, out: Path) -> pd.DataFrame | None:
    """Mean wellbeing per resource quintile at the last sampled step, mean and CI across runs."""
    sampled = _last_sampled_step(experiment)
    if sampled is None:
        return None
    agents = _load_agents_at(out, sampled, experiment)
    if agents.empty:
        return None
    per_run = (agents.groupby(["condition", "replication", "quintile"], sort=False, observed=True)
               ["wellbeing"].mean().reset_index())
    bounds = info("mean_wellbeing")
    rows = []
    for (condition, quintile), group in per_run.groupby(["condition", "quintile"], sort=False):
        n, mean, low, high, _ = bounded_mean_ci(group["wellbeing"], bounds.low, bounds.high)
        rows.append({"condition": condition, "quintile": int(quintile), "step": sampled, "n": n,
                     "mean": mean, "ci_low": low, "ci_high": high})
    result = pd.DataFrame(rows).sort_values(["condition", "quintile"], kind="stable")
    order = {c: i for i, c in enumerate(dict.fromkeys(agents["condition"]))}
    result = result.sort_values("condition", key=lambda s: s.map(order), kind="stable")
    result.attrs["distribution"] = agents[["condition", "quintile", "wellbeing"]]
    return result.reset_index(drop=True)


# --- formatting ----------------------------------------------------------------------------------
def fmt(value: float) -> str:
    """A number as the report prints it (4 significant digits)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.4g}"


def signed(value: float) -> str:
    """A difference with its sign (4 significant digits)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return "0" if value == 0 else f"{value:+.4g}"


def pct(share: float) -> str:
    """A share of the baseline as a signed percentage: +12.3%, -0.42%, +150%."""
    if share is None or math.isnan(share):
        return "n/a"
    value = 100 * share
    return f"{value:+.0f}%" if abs(value) >= 100 else f"{value:+.3g}%"


def _short(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _interval(mean: float, low: float, high: float) -> str:
    return f"{fmt(mean)} [{fmt(low)}, {fmt(high)}]"


def _signed_interval(mean: float, low: float, high: float) -> str:
    return f"{signed(mean)} [{signed(low)}, {signed(high)}]"


def direction(metric: str) -> str:
    return {1: "higher is better", -1: "lower is better"}.get(info(metric).better,
                                                             "neither direction is better")


def _arrow(metric: str) -> str:
    return {1: "↑ better", -1: "↓ better"}.get(info(metric).better, "")


def _label(metric: str) -> str:
    """A table's row label: the name, its unit and which direction is better."""
    unit = info(metric).unit
    arrow = _arrow(metric)
    return f"{metric} ({unit}{'; ' + arrow if arrow else ''})"


def covers_zero(low: float, high: float) -> bool:
    return math.isnan(low) or math.isnan(high) or low <= 0 <= high


def difference_text(row, metric: str) -> str:
    """A paired difference as the summary says it: % of the baseline, else absolute."""
    if not math.isnan(row["rel"]):
        return f"{pct(row['rel'])} [{pct(row['rel_ci_low'])}, {pct(row['rel_ci_high'])}]"
    return _signed_interval(row["diff"], row["diff_ci_low"], row["diff_ci_high"])


# --- terminal table ------------------------------------------------------------------------------
def headline_table(table: pd.DataFrame, experiment: Experiment, width: int = 6) -> str:
    """Terminal table: end mean +- CI half-width of each metric (rows) per condition (columns)."""
    conditions = list(dict.fromkeys(table["condition"]))
    if experiment.axes:
        return _sweep_headline(table, experiment, conditions)
    shown = conditions[:width]
    cells = {(r.condition, r.metric): (f"{r.mean:.4g}" + (f" ±{(r.ci_high - r.ci_low) / 2:.2g}"
                                                           if not math.isnan(r.ci_high) else ""))
             for r in table.itertuples()}
    col = max(14, *(len(c) for c in shown))
    lines = [f"End of run (mean of the last {experiment.analysis['end_share']:.0%} of steps), "
             f"mean ± 95% CI half-width over replications (summary in report.md)",
             f"{'metric':<20}" + "".join(f"{c:>{col + 2}}" for c in shown)]
    for metric in dict.fromkeys(table["metric"]):
        lines.append(f"{metric:<20}" + "".join(f"{cells.get((c, metric), ''):>{col + 2}}" for c in shown))
    if len(conditions) > width:
        lines.append(f"... and {len(conditions) - width} more conditions in the report")
    return "\n".join(lines)


def _sweep_headline(table: pd.DataFrame, experiment: Experiment, conditions: list[str],
                    n_metrics: int = 5) -> str:
    """Terminal table for a sweep: one row per scenario and point, end means of a few metrics."""
    metrics = list(experiment.metrics)[:n_metrics]
    means = table.pivot_table(index=["scenario", "point"], columns="metric", values="mean",
                              sort=False)
    axes = list(experiment.axes)
    widths = [max(8, len(a)) for a in axes]
    lines = [f"End of run (mean of the last {experiment.analysis['end_share']:.0%} of steps), mean "
             f"over replications; first {len(metrics)} metrics (all in the report)",
             f"{'scenario':<14}" + "".join(f"{a:>{w + 1}}" for a, w in zip(axes, widths, strict=True))
             + "".join(f"{m:>19}" for m in metrics)]
    for (scenario, point), row in means.iterrows():
        values = experiment.points[point]
        lines.append(f"{scenario:<14}" + "".join(f"{_short(values[a]):>{w + 1}}"
                                                 for a, w in zip(axes, widths, strict=True))
                     + "".join(f"{row[m]:>19.4g}" for m in metrics))
    return "\n".join(lines)


# --- report --------------------------------------------------------------------------------------
def _report(a: Analysis) -> str:
    """report.md: summary, design, method, tables, ledger, over time, who is left behind, files."""
    experiment = a.experiment
    lines = [f"# {experiment.name}: {'sweep' if a.is_sweep else 'scenario comparison'}", "",
             experiment.description, ""]
    lines += _summary(a)
    lines += _design(a)
    lines += _method(a)
    lines += ["", "## End of run: mean [95% CI]", "",
              "Rows: metric (unit; which direction is better). ‡: the interval is cut at a bound "
              "the metric cannot pass. §: saturated (listed below the table).", "",
              *_wide(a.table, a.conditions, _end_cell, a.metrics)]
    lines += _saturated_list(a)
    others = [c for c in a.conditions
              if c in set(a.table.loc[a.table["scenario"] != a.baseline, "condition"])]
    if others:
        lines += ["", f"## Paired difference from `{a.baseline}`: mean [95% CI]", "",
                  f"Scenario minus `{a.baseline}` for the same replication seed; then the % of "
                  f"`{a.baseline}`'s mean [95% CI] where a % is meaningful; then d_z. "
                  "†: d_z not meaningful (the difference is (nearly) constant across seeds).", "",
                  *_wide(a.table[a.table["scenario"] != a.baseline], others, _difference_cell,
                         a.metrics)]
        if "differences" in a.figures:
            lines += ["", "![Paired differences as % of the baseline, 95% CI]"
                          "(figures/differences.png)", "",
                      f"*Figure: each scenario's paired difference from `{a.baseline}` as a % of "
                      f"`{a.baseline}`'s mean, with its 95% CI; metrics without a meaningful % "
                      "are left out (their absolute differences are in the table).*"]
    if a.is_sweep:
        lines += _sweep_section(a)
    lines += _ledger_section(a)
    lines += _over_time_section(a)
    lines += _quintile_section(a)
    lines += ["", "## Files", "",
              "- `end_summary.csv`: the end values and paired differences above, full precision.",
              "- `timeseries_summary.csv`: mean and CI of each metric at each step.",
              "- `report.html`: this report as one self-contained file (figures inside).",
              "- `metrics/*.parquet`, `agents/*.parquet`: the raw runs "
              "(`experiments.load_results`).", ""]
    return "\n".join(lines)


def _summary(a: Analysis) -> list[str]:
    lines = ["## Summary", "", held_equal(a.experiment), ""]
    dropped = dropped_line(a.experiment)
    if dropped:
        lines += [dropped, ""]
    if len(a.scenarios) > 1 and not a.is_sweep:
        lines += [f"For each metric: its unit and which direction is better; the scenario that "
                  f"leads; each other scenario's difference from `{a.baseline}` (paired by "
                  f"seed) as a % of `{a.baseline}`'s mean [95% CI], or in the metric's unit "
                  "where a % would mislead; *no clear difference* where the CI covers zero.", ""]
        lines += [summary_line(a, metric) for metric in a.headline_metrics]
    if a.is_sweep:
        lines += sweep_summary(a)
    elif len(a.scenarios) < 2:
        lines += [f"One scenario (`{a.scenarios[0]}`): nothing to compare it with; its end values "
                  "are in the table below."]
    return lines


def summary_line(a: Analysis, metric: str) -> str:
    """One bullet: unit and direction, who leads and by how much, who does not differ."""
    rows = a.table[a.table["metric"] == metric].set_index("condition")
    rows = rows.loc[[c for c in a.scenarios if c in rows.index]]
    better = info(metric).better
    head = f"- **{metric}** ({info(metric).unit}; {direction(metric)}):"
    order = (rows["mean"] * (better or 1)).sort_values(ascending=False, kind="stable").index.tolist()
    best = order[0]
    others = [c for c in a.scenarios if c != a.baseline]
    unclear_all = all(covers_zero(rows.loc[c, "diff_ci_low"], rows.loc[c, "diff_ci_high"])
                      for c in others)
    parts = []
    if unclear_all:
        means = "; ".join(f"`{c}` {fmt(rows.loc[c, 'mean'])}" for c in a.scenarios)
        parts.append(f"no clear difference between `{a.baseline}` and "
                     + ("any other scenario" if len(others) > 1 else f"`{others[0]}`")
                     + f" (means: {means})")
    else:
        if better == 0:
            parts.append(f"highest in `{best}` ({fmt(rows.loc[best, 'mean'])})")
        else:
            parts.append(f"`{best}` leads ({fmt(rows.loc[best, 'mean'])})")
        if best != a.baseline:
            row = rows.loc[best]
            if covers_zero(row["diff_ci_low"], row["diff_ci_high"]):
                parts[-1] = (f"`{best}` has the {'highest' if better >= 0 else 'lowest'} mean "
                             f"({fmt(row['mean'])}) but no clear difference from `{a.baseline}`")
            else:
                parts[-1] += f", {difference_text(row, metric)} against `{a.baseline}`"
        if len(order) > 1 and not (order[1] == a.baseline and best != a.baseline):
            runner = order[1]
            _, _, low, high = paired_between(a.ends, metric, best, runner)
            ahead = "not clearly ahead" if covers_zero(low, high) else "clearly ahead"
            parts[-1] += f"; {ahead} of `{runner}`"
        clear, unclear = [], []
        for c in others:
            if c == best:
                continue
            row = rows.loc[c]
            if covers_zero(row["diff_ci_low"], row["diff_ci_high"]):
                unclear.append(f"`{c}`")
            else:
                clear.append(f"`{c}` {difference_text(row, metric)}")
        if clear:
            parts.append(f"against `{a.baseline}`: " + "; ".join(clear))
        if unclear:
            parts.append(f"no clear difference from `{a.baseline}`: " + ", ".join(unclear))
    note = rows["relative_note"].dropna()
    note = next((n for n in note if n), "")
    if note:
        parts.append(f"differences in {info(metric).unit}, not %, as {note}")
    saturated = [f"`{c}` ({rows.loc[c, 'saturated']})" for c in rows.index if rows.loc[c, "saturated"]]
    if saturated:
        parts.append("§ saturated in " + ", ".join(saturated))
    return f"{head} {'. '.join(p[0].upper() + p[1:] for p in parts)}."


def held_equal(experiment: Experiment) -> str:
    """What the design holds equal in every scenario (and sweep point), from the parameters."""
    names = [n for n in Params.field_names() if n != "agent_sample_period"]
    combos = [(s, p) for s in experiment.scenarios for p in range(len(experiment.points))]
    values = {n: {} for n in names}
    for s, p in combos:
        params = experiment.params_for(s, p)
        for n in names:
            values[n][(s, p)] = getattr(params, n)
    equal = [n for n in names if len(set(values[n].values())) == 1]
    differ = [n for n in names if n not in equal]

    def show(n):
        unit = Params.spec(n)["unit"]
        return f"{n} = {_short(next(iter(values[n].values())))} {unit}".rstrip()

    budget_equal = [n for n in BUDGET if n in equal]
    budget_differ = [n for n in BUDGET if n in differ]
    text = ("**Held equal by design**: the budget and the prices of time — "
            + ", ".join(show(n) for n in budget_equal)
            + " — and the replication seeds (replication r has the same seed in every scenario"
            + (" and sweep point" if experiment.axes else "")
            + ": common random numbers). ")
    if {"n_citizens", "staff_per_1000", "staff_hours"} <= set(budget_equal):
        text += ("So the paid capacity is the same everywhere, and `cost` differs only through "
                 "overtime (at its premium) and hiring replacement staff. ")
    if budget_differ:
        text += ("**Not held equal**: " + "; ".join(
            f"{n} ({_values_by_scenario(experiment, values[n])})" for n in budget_differ) + ". ")
    swept = [n for n in experiment.axes if n in differ]
    by_scenario = [n for n in differ if n not in experiment.axes]
    text += f"{len(equal)} of {len(names)} parameters are equal everywhere; "
    pieces = []
    if by_scenario:
        pieces.append("the scenarios differ only in " + "; ".join(
            f"{n} ({_values_by_scenario(experiment, values[n])})" for n in by_scenario))
    if swept:
        pieces.append("the sweep varies " + ", ".join(swept))
    return text + (" and ".join(pieces) if pieces else "nothing differs") + "."


def _values_by_scenario(experiment: Experiment, values: dict) -> str:
    shown = []
    for s in experiment.scenarios:
        mine = sorted({v for (scenario, _), v in values.items() if scenario == s}, key=str)
        shown.append(f"`{s}` " + "/".join(_short(v) for v in mine))
    return ", ".join(shown)


def dropped_line(experiment: Experiment) -> str:
    """One line: which sweep combinations were not run because a lever cannot act there."""
    if not experiment.axes:
        return ""
    dropped = experiment.dropped()
    total = len(experiment.scenarios) * len(experiment.points)
    if not dropped:
        return ("**Nothing dropped**: every swept parameter can act at every point of the sweep "
                "(checked with `coprosim.model.levers`).")
    reasons = list(dict.fromkeys(r for d in dropped for r in d.reasons))
    return (f"**Not run**: {len(dropped)} of {total} scenario-point combinations "
            f"({len(dropped) * experiment.replications} runs), where a swept parameter cannot "
            f"act ({'; '.join(reasons)}); each shows the results of the same scenario with that "
            "parameter at one representative value (identical by construction: same seeds, and "
            "the parameter cannot act).")


def sweep_summary(a: Analysis) -> list[str]:
    """A table per scenario: best point, and the change along each grid axis."""
    experiment = a.experiment
    lines = []
    for scenario in a.scenarios:
        axes = [ax for ax in experiment.axes
                if along_axis(a.ends, experiment, scenario, a.headline_metrics[0], ax) is not None]
        title = f"Along the sweep ({'`' + scenario + '`, ' if len(a.scenarios) > 1 else ''}"
        lines += [f"**{title}paired by seed)**: for each metric, the sweep point where it is best "
                  "(mean [95% CI]); for each axis, the change from its first to its last value "
                  "(mean over the other axes' values [95% CI], and as a % of the value at the "
                  "first) — *no clear change* where the CI covers zero — and the steepest step "
                  "between neighbouring values (where a tipping point would be; its share of the "
                  "whole path).", ""]
        if not axes:
            lines += ["(No grid axis: see the figures below, each point against each "
                      "sampled parameter.)", ""]
            continue
        lines += ["| metric | best at | " + " | ".join(f"{ax}: first → last" for ax in axes) + " |",
                  "|---|---|" + "---|" * len(axes)]
        rows = a.table[a.table["scenario"] == scenario]
        for metric in a.headline_metrics:
            mine = rows[rows["metric"] == metric]
            better = info(metric).better or 1
            best = mine.loc[(mine["mean"] * better).idxmax()]
            cells = [f"{point_label(experiment, int(best['point']))}: "
                     f"{_interval(best['mean'], best['ci_low'], best['ci_high'])}"]
            for ax in axes:
                result = along_axis(a.ends, experiment, scenario, metric, ax)
                cells.append(_axis_cell(result, metric))
            lines.append(f"| {_label(metric)} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def _axis_cell(result: dict | None, metric: str) -> str:
    if result is None:
        return ""
    span = f"{_short(result['first'])} → {_short(result['last'])}"
    if covers_zero(result["low"], result["high"]):
        return f"{span}: no clear change ({signed(result['diff'])})"
    rel = ""
    if result["start"] != 0 and metric not in DIFFERENCE_METRICS:
        rel = f" ({pct(result['diff'] / result['start'])})"
    a, b, _ = result["steepest"]
    share = result["share_of_change"]
    steepest = (f"; steepest {_short(a)} → {_short(b)} ({share:.0%} of the path)"
                if len(result["steps"]) > 1 and not math.isnan(share) else "")
    return (f"{span}: {_signed_interval(result['diff'], result['low'], result['high'])}"
            f"{rel}{steepest}")


def _design(a: Analysis) -> list[str]:
    experiment = a.experiment
    manifest = storage.read_manifest(a.out) or {}
    n_citizens = {experiment.params_for(s).n_citizens for s in experiment.scenarios}
    lines = [
        "", "## Design", "",
        f"- Experiment file: `{experiment.path}`; results: `{a.out}/` (Parquet, one file per run).",
        f"- Scenarios: {', '.join(_scenario_label(s, v) for s, v in experiment.scenarios.items())}.",
        f"- {experiment.replications} replications x {experiment.steps} steps (weeks), "
        f"{', '.join(str(n) for n in sorted(n_citizens))} citizens; experiment seed "
        f"{experiment.seed}, replication seeds from `numpy.random.SeedSequence({experiment.seed})"
        f".spawn({experiment.replications})`, the same in every scenario (common random numbers).",
        f"- Runs finished: {manifest.get('done', '?')} of {manifest.get('runs_total', '?')}"
        f" ({manifest.get('failed', 0)} failed); git commit {manifest.get('git_commit')}.",
    ]
    if experiment.axes:
        lines.append(f"- Sweep over {', '.join(experiment.axes)}: {len(experiment.points)} points.")
        for d in experiment.dropped():
            lines.append(f"  - not run: `{d.scenario}` at {point_label(experiment, d.point)} "
                         f"(shown as {point_label(experiment, d.stands_for)}): "
                         f"{'; '.join(d.reasons)}.")
    return lines


def _method(a: Analysis) -> list[str]:
    experiment = a.experiment
    first = end_window(experiment.steps, experiment.analysis["end_share"])
    lines = [
        "", "## Method note", "",
        f"- **End value** of a run: mean of the metric over steps {first}-{experiment.steps} "
        f"(the last {experiment.analysis['end_share']:.0%} of steps).",
        "- **Mean [95% CI]**: across replications, Student's t interval, intersected with the "
        "range the metric can take (a share stays in [0, 1], hours and counts are never "
        "negative; `coprosim.model.METRIC_INFO`). The true mean lies in that range, so the cut "
        "interval covers it whenever the t interval does: the coverage is unchanged. Marked ‡ "
        "where a bound cuts it.",
        f"- **Difference from `{a.baseline}`**: scenario minus `{a.baseline}` for the same "
        "replication seed (paired), mean [95% CI]; as a **% of the baseline's mean** with a "
        "delta-method interval for the ratio of the paired means. Absolute differences only for "
        "metrics defined as a difference (emergent value, equity gap: they can change sign), and "
        "for metrics whose baseline is near zero or whose runs end at 0: a % of almost nothing "
        "misleads.",
    ]
    paired = [
        "- **d_z** = mean difference / sd of differences (Cohen's d for paired data; about 0.2 "
        "small, 0.5 medium, 0.8 large). With common random numbers small differences can have "
        f"large d_z; when |d_z| > {DZ_LIMIT:g} or the differences do not vary across seeds, the "
        "difference is (nearly) constant and d_z is not meaningful (marked †, not plotted).",
    ]
    rest = [
        f"- **Saturated** (§): at least {SATURATED_SHARE:.0%} of a condition's runs end at the "
        "same value (a bound, or a ceiling such as the volunteer cap or staff motivation's "
        "baseline): differences there say more about the ceiling than about the rules.",
        "- **Cost per need met** (derived, not a model output): per run, end-of-run `cost` / "
        "end-of-run `public_value`, in staff hours per unit of need met (the ratio of the two "
        "run-level end values, then mean and CI across runs). Runs with no need met are left "
        "out.",
        "- **No clear difference**: the 95% CI of the paired difference covers zero. With several "
        "scenarios and metrics some clear differences arise by chance (about 1 in 20 when there "
        "is none); read the size, not only the sign.",
    ]
    sweep = [
        "- **Along the sweep**: for each grid axis, the metric at the axis's last value minus its "
        "first, at each combination of the other axes and for the same replication seed; per seed "
        "the mean over those combinations, then mean [95% CI] across seeds. The steepest step is "
        "the pair of neighbouring values with the largest mean change, with its share of the "
        "summed changes along the axis (a tipping point concentrates the change in one step). "
        "Axes with more than 12 values (Latin hypercube samples) are read from the figures only.",
    ]
    if len(a.scenarios) < 2:  # nothing to compare with a baseline
        lines = [line for line in lines if not line.startswith("- **Difference from")]
        paired = []
    return lines + paired + rest + (sweep if a.is_sweep else [])


def _scenario_label(name: str, spec: dict) -> str:
    overrides = ", ".join(f"{k}={_short(v)}" for k, v in spec["overrides"].items())
    return f"`{name}` (preset `{spec['preset']}`{'; ' + overrides if overrides else ''})"


def _end_cell(r) -> str:
    cell = _interval(r["mean"], r["ci_low"], r["ci_high"])
    if r.get("ci_clipped"):
        cell += " ‡"
    if r.get("saturated"):
        cell += " §"
    return cell


def _difference_cell(r) -> str:
    cell = _interval(r["diff"], r["diff_ci_low"], r["diff_ci_high"])
    note = r.get("d_z_note") or ""
    if isinstance(r.get("rel"), float) and not math.isnan(r["rel"]) and note != "identical in every run":
        cell += f" = {pct(r['rel'])} [{pct(r['rel_ci_low'])}, {pct(r['rel_ci_high'])}]"
    if note == "identical in every run":
        return cell + "; identical in every run"
    if note:
        return cell + "; d_z n.m.†"
    return cell + f"; d_z {fmt(r['d_z'])}"


def _wide(table: pd.DataFrame, conditions: list[str], cell, metrics: list[str]) -> list[str]:
    """A markdown table: metrics as rows, conditions as columns (a sweep: the other way)."""
    by_key = {(r["condition"], r["metric"]): r for _, r in table.iterrows()}
    if len(conditions) > 6:  # a sweep: one row per condition reads better
        lines = ["| condition | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
        for c in conditions:
            lines.append(f"| `{c}` | " + " | ".join(
                cell(by_key[(c, m)]) if (c, m) in by_key else "" for m in metrics) + " |")
        lines += ["", "Units and directions: " + "; ".join(
            f"{m}: {info(m).unit}{', ' + _arrow(m) if _arrow(m) else ''}" for m in metrics) + "."]
        return lines
    lines = ["| metric | " + " | ".join(f"`{c}`" for c in conditions) + " |",
             "|---|" + "---|" * len(conditions)]
    for metric in metrics:
        lines.append(f"| {_label(metric)} | " + " | ".join(
            cell(by_key[(c, metric)]) if (c, metric) in by_key else "" for c in conditions) + " |")
    return lines


def _saturated_list(a: Analysis, limit: int = 25) -> list[str]:
    flagged = a.table[a.table["saturated"] != ""]
    rows = flagged[~flagged["metric"].isin(LEDGER)]
    ledger = sorted(set(flagged["metric"]) & set(LEDGER), key=list(LEDGER).index)
    items = [f"{r.metric} in `{r.condition}` ({r.saturated})" for r in rows.itertuples()]
    more = f"; and {len(items) - limit} more (column `saturated` of end_summary.csv)" \
        if len(items) > limit else ""
    lines = ["", "§ Saturated: " + ("; ".join(items[:limit]) + more if items else
                                    "none (no metric has most runs ending at one value)") + "."]
    if ledger:
        lines += ["", "§ on the ledger's rows (" + ", ".join(ledger) + "): those hours are the "
                  "same in (almost) every run of a scenario — a fixed programme, or 0 where the "
                  "rules have no such activity — not a ceiling."]
    return lines


def _sweep_section(a: Analysis) -> list[str]:
    lines = ["", "## Along the sweep: each metric against the swept parameters", "",
             "Mean over replications with its 95% CI band, against the first swept parameter; "
             "one line per value of another (or per scenario), one panel per value of the rest. "
             "A tipping point shows as a steep stretch of a line.", ""]
    for metric in a.headline_metrics:
        key = f"sweep_{metric}"
        if key in a.figures:
            lines += [f"![{metric} along the sweep](figures/{key}.png)", "",
                      f"*Figure: {metric} ({info(metric).unit}; {direction(metric)}) — "
                      f"{meaning(metric)}*", ""]
    return lines


def _ledger_section(a: Analysis) -> list[str]:
    lines = ["", "## Where the paid hours go, and what they buy", ""]
    if not a.ledger:
        return lines + ["The cost ledger was not kept: add the `hours_*` columns "
                        "(`coprosim.model.LEDGER`) to `metrics` in `[experiment]`."]
    if "ledger" in a.figures:
        lines += ["![Cost ledger by scenario](figures/ledger.png)", "",
                  "*Figure: mean end-of-run staff hours per citizen per week by activity; the "
                  "bars add up to `cost`.*", ""]
    means = a.table[a.table["metric"].isin(a.ledger)].pivot_table(
        index="metric", columns="condition", values="mean", observed=True, sort=False)
    conditions = [c for c in a.conditions if c in means.columns]
    if len(conditions) <= 8:
        lines += ["Staff hours per citizen per week, mean of the end values:", "",
                  "| activity | " + " | ".join(f"`{c}`" for c in conditions) + " |",
                  "|---|" + "---|" * len(conditions)]
        for metric in a.ledger:
            lines.append(f"| {metric.removeprefix('hours_').replace('_', ' ')} | "
                         + " | ".join(fmt(means.loc[metric, c]) for c in conditions) + " |")
        lines.append("| **total (= cost)** | " + " | ".join(
            fmt(means.loc[a.ledger, c].sum()) for c in conditions) + " |")
    beside = [m for m in ("public_value", "cost", "cost_per_need_met", "social_cost",
                          "value_per_cost") if m in a.metrics]
    if beside and len(a.conditions) <= 8:
        lines += ["", "Value beside its cost: mean [95% CI].", "",
                  *_wide(a.table, a.conditions, _end_cell, beside)]
    return lines


def _over_time_section(a: Analysis) -> list[str]:
    lines = ["", "## Over time", ""]
    if "timeseries" not in a.figures:
        return lines + [f"{len(a.conditions)} conditions are too many lines for one figure: see "
                        "`timeseries_summary.csv` (mean and CI of each metric at each step)."]
    lines += ["Mean [95% CI] across replications at four steps; the figure shows every step with "
              "its 95% CI band.", "",
              "![Metrics over time](figures/timeseries.png)", ""]
    return lines + _checkpoints(a)


def _checkpoints(a: Analysis) -> list[str]:
    experiment = a.experiment
    steps = sorted({max(1, round(experiment.steps * q)) for q in (0.25, 0.5, 0.75, 1.0)})
    part = a.over_time[a.over_time["step"].isin(steps)]
    lines = []
    for metric in [m for m in a.headline_metrics if m in experiment.metrics]:
        lines += [f"**{metric}** ({info(metric).unit}; {direction(metric)}) — {meaning(metric)}", "",
                  "| condition | " + " | ".join(f"step {s}" for s in steps) + " |",
                  "|---|" + "---|" * len(steps)]
        rows = part[part["metric"] == metric].set_index(["condition", "step"])
        for c in a.conditions:
            cells = [_interval(*rows.loc[(c, s), ["mean", "ci_low", "ci_high"]])
                     if (c, s) in rows.index else "" for s in steps]
            lines.append(f"| `{c}` | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def _quintile_section(a: Analysis) -> list[str]:
    quintiles = a.quintiles
    lines = ["", "## Who is left behind: wellbeing by resource quintile", ""]
    if quintiles is None:
        return lines + ["No agent samples: set `agent_sample_period` in `[experiment]` to a "
                        "divisor of `steps` to get this section."]
    step = int(quintiles["step"].iloc[0])
    lines += [f"Mean wellbeing (score 0-1; higher is better) of each resource quintile at step "
              f"{step} (Q1 = fewest resources): per run the quintile's mean, then mean [95% CI] "
              "across replications.", "",
              "| condition | Q1 | Q2 | Q3 | Q4 | Q5 |", "|---|---|---|---|---|---|"]
    rows = quintiles.set_index(["condition", "quintile"])
    for c in a.conditions:
        cells = [_interval(*rows.loc[(c, q), ["mean", "ci_low", "ci_high"]])
                 if (c, q) in rows.index else "" for q in range(5)]
        lines.append(f"| `{c}` | " + " | ".join(cells) + " |")
    if "quintiles" in a.figures:
        lines += ["", "![Wellbeing by resource quintile](figures/wellbeing_by_quintile.png)"]
    return lines


# --- figures -------------------------------------------------------------------------------------
MAX_LINES = 8     # conditions in one over-time or quintile figure
MAX_BARS = 12     # conditions in the ledger figure
MAX_PANELS = 9    # panels of a sweep figure


def _figures(a: Analysis) -> dict[str, str]:
    """Matplotlib (Agg) PNGs under figures/, each written atomically."""
    plt = FigureMaker()
    folder = a.out / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    colours = {c: plt.cm.tab10(i % 10) for i, c in enumerate(a.conditions)}
    written = {}
    shown = [m for m in a.headline_metrics if m in a.experiment.metrics]
    if len(a.conditions) <= MAX_LINES:
        written["timeseries"] = _save(plt, _plot_over_time(plt, a.over_time, shown, a.conditions,
                                                           colours), folder / "timeseries.png")
    if len(a.scenarios) > 1 and len(a.conditions) <= MAX_BARS:
        figure = _plot_differences(plt, a, colours)
        if figure is not None:
            written["differences"] = _save(plt, figure, folder / "differences.png")
    if a.ledger and len(a.conditions) <= MAX_BARS:
        written["ledger"] = _save(plt, _plot_ledger(plt, a), folder / "ledger.png")
    if a.quintiles is not None and len(a.conditions) <= MAX_LINES:
        written["quintiles"] = _save(plt, _plot_quintiles(plt, a.quintiles, a.conditions, colours),
                                     folder / "wellbeing_by_quintile.png")
    if a.is_sweep:
        for metric in a.headline_metrics:
            written[f"sweep_{metric}"] = _save(plt, _plot_sweep(plt, a, metric),
                                               folder / f"sweep_{metric}.png")
    return written


def _save(plt, figure, path: Path) -> str:
    temporary = path.with_name(f".{path.stem}.tmp.png")
    figure.savefig(temporary, dpi=110, bbox_inches="tight")
    plt.close(figure)
    temporary.replace(path)
    return str(path)


def _plot_over_time(plt, over_time, metrics, conditions, colours):
    cols = 3
    rows = math.ceil(len(metrics) / cols)
    figure, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.6 * rows), squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        part = over_time[over_time["metric"] == metric]
        for c in conditions:
            line = part[part["condition"] == c]
            ax.plot(line["step"], line["mean"], color=colours[c], lw=1.2, label=c)
            ax.fill_between(line["step"], line["ci_low"], line["ci_high"], color=colours[c],
                            alpha=0.2, lw=0)
        arrow = _arrow(metric)
        ax.set_title(f"{metric}{' (' + arrow + ')' if arrow else ''}", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(metrics):]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), fontsize=8,
                  bbox_to_anchor=(0.5, -0.02))
    figure.suptitle("Mean over replications with 95% CI band, by step (week)", fontsize=10)
    figure.tight_layout(rect=(0, 0.03, 1, 0.98))
    return figure


def _plot_differences(plt, a: Analysis, colours):
    """% of the baseline's mean with 95% CI, per metric (only metrics where a % is meaningful)."""
    part = a.table[(a.table["scenario"] != a.baseline) & a.table["rel"].notna()]
    metrics = [m for m in a.headline_metrics if m in set(part["metric"])]
    if not metrics:
        return None
    others = list(dict.fromkeys(part["condition"]))
    figure, ax = plt.subplots(figsize=(7.5, 0.42 * len(metrics) + 1.6))
    for k, c in enumerate(others):
        rows = part[part["condition"] == c].set_index("metric").reindex(metrics)
        y = np.arange(len(metrics)) + (k - (len(others) - 1) / 2) * 0.8 / max(len(others), 1)
        x = 100 * rows["rel"].to_numpy(dtype=float)
        err = np.vstack([x - 100 * rows["rel_ci_low"].to_numpy(dtype=float),
                         100 * rows["rel_ci_high"].to_numpy(dtype=float) - x])
        ax.errorbar(x, y, xerr=err, fmt="o", ms=3.5, lw=1, capsize=2, color=colours[c], label=c)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(range(len(metrics)), [f"{m} ({_arrow(m) or 'no direction'})" for m in metrics],
                  fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"Paired difference from {a.baseline}, % of {a.baseline}'s mean (95% CI)")
    ax.legend(fontsize=7, loc="best")
    ax.grid(axis="x", lw=0.3, alpha=0.5)
    figure.tight_layout()
    return figure


def _plot_ledger(plt, a: Analysis):
    """Stacked bars: where each condition's paid staff hours go (they add up to cost)."""
    means = a.table[a.table["metric"].isin(a.ledger)].pivot_table(
        index="condition", columns="metric", values="mean", observed=True, sort=False)
    conditions = [c for c in a.conditions if c in means.index]
    means = means.reindex(index=conditions, columns=a.ledger).fillna(0.0)
    palette = plt.cm.tab20
    figure, ax = plt.subplots(figsize=(9, 0.5 * len(conditions) + 2.2))
    left = np.zeros(len(conditions))
    for i, column in enumerate(a.ledger):
        values = means[column].to_numpy(dtype=float)
        ax.barh(range(len(conditions)), values, left=left, color=palette(i % 20),
                label=column.removeprefix("hours_").replace("_", " "), height=0.7)
        left += values
    for y, total in enumerate(left):
        ax.text(total, y, f" {total:.3g}", va="center", fontsize=8)
    ax.set_yticks(range(len(conditions)), conditions, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("Staff hours per citizen per week (end of run; the total is cost)")
    ax.set_xlim(0, left.max() * 1.12 if left.max() > 0 else 1)
    ax.legend(fontsize=7, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    ax.set_title("Where the paid hours go", fontsize=10)
    figure.tight_layout()
    return figure


def _plot_quintiles(plt, quintiles, conditions, colours):
    distribution = quintiles.attrs["distribution"]
    figure, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(conditions)
    for k, c in enumerate(conditions):
        mine = distribution[distribution["condition"] == c]
        data = [mine.loc[mine["quintile"] == q, "wellbeing"].to_numpy() for q in range(5)]
        positions = np.arange(5) + (k - (len(conditions) - 1) / 2) * width
        box = ax.boxplot(data, positions=positions, widths=width * 0.9, patch_artist=True,
                         showfliers=False, manage_ticks=False)
        for patch in box["boxes"]:
            patch.set_facecolor(colours[c])
            patch.set_alpha(0.6)
        ax.plot([], [], color=colours[c], lw=6, alpha=0.6, label=c)
    ax.set_xticks(range(5), ["Q1 (fewest)", "Q2", "Q3", "Q4", "Q5 (most)"])
    ax.set_ylabel("wellbeing of citizens")
    ax.set_title(f"Wellbeing by resource quintile at step {int(quintiles['step'].iloc[0])}, "
                 "all replications", fontsize=10)
    ax.legend(fontsize=7, ncol=min(len(conditions), 3))
    figure.tight_layout()
    return figure


def _plot_sweep(plt, a: Analysis, metric: str):
    """The metric against the first swept parameter, mean with 95% CI band: one line per value
    of the second parameter (or per scenario), one panel per combination of the rest."""
    experiment = a.experiment
    axes = list(experiment.axes)
    x_axis = axes[0]
    rows = a.table[a.table["metric"] == metric].copy()
    for ax_name in axes:
        rows[ax_name] = [experiment.points[int(p)][ax_name] for p in rows["point"]]
    if len(a.scenarios) > 1:
        series, facet_axes = "scenario", axes[1:]
    else:
        series, facet_axes = (axes[1] if len(axes) > 1 else None), axes[2:]
    facets = (rows[facet_axes].drop_duplicates().to_dict("records") if facet_axes else [{}])
    hidden = max(0, len(facets) - MAX_PANELS)
    facets = facets[:MAX_PANELS]
    cols = min(3, len(facets))
    nrows = math.ceil(len(facets) / cols)
    figure, panels = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.0 * nrows + 0.6),
                                  squeeze=False, sharey=True)
    levels = list(dict.fromkeys(rows[series])) if series else [None]
    colours = {v: plt.cm.viridis(0.85 * i / max(1, len(levels) - 1)) if series != "scenario"
               else plt.cm.tab10(i % 10) for i, v in enumerate(levels)}
    for panel, facet in zip(panels.flat, facets, strict=False):
        mine = rows
        for name, value in facet.items():
            mine = mine[mine[name] == value]
        for level in levels:
            line = (mine[mine[series] == level] if series else mine).sort_values(x_axis)
            if line.empty:
                continue
            label = f"{series} = {_short(level)}" if series not in (None, "scenario") else level
            panel.plot(line[x_axis], line["mean"], marker="o", ms=3, lw=1.2,
                       color=colours[level], label=label)
            panel.fill_between(line[x_axis].to_numpy(dtype=float),
                               line["ci_low"].to_numpy(dtype=float),
                               line["ci_high"].to_numpy(dtype=float),
                               color=colours[level], alpha=0.2, lw=0)
        panel.set_title(", ".join(f"{k} = {_short(v)}" for k, v in facet.items()) or metric,
                        fontsize=8)
        panel.set_xlabel(x_axis, fontsize=8)
        panel.tick_params(labelsize=7)
    for panel in list(panels.flat)[len(facets):]:
        panel.axis("off")
    for row in panels:
        row[0].set_ylabel(f"{metric}\n({info(metric).unit})", fontsize=8)
    handles, labels = panels.flat[0].get_legend_handles_labels()
    if handles and series:
        figure.legend(handles, labels, loc="lower center", ncol=min(len(labels), 6), fontsize=7,
                      bbox_to_anchor=(0.5, -0.02))
    extra = f"; {hidden} more panels not shown" if hidden else ""
    figure.suptitle(f"{metric} ({direction(metric)}): mean and 95% CI over replications{extra}",
                    fontsize=10)
    figure.tight_layout(rect=(0, 0.05 if series else 0, 1, 0.97))
    return figure


class FigureMaker:
    """The bits of pyplot the report uses, without pyplot: figures are drawn off-screen and never
    touch the user's backend (``matplotlib.use("Agg")`` would stop a notebook's inline plots)."""

    def __init__(self):
        import matplotlib

        self.cm = matplotlib.cm

    @staticmethod
    def subplots(*args, figsize=None, **kwargs):
        from matplotlib.figure import Figure

        figure = Figure(figsize=figsize)
        return figure, figure.subplots(*args, **kwargs)

    @staticmethod
    def close(figure) -> None:
        figure.clear()
