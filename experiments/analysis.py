"""Scenario comparisons: end-of-run means with 95% CIs, paired differences, figures, report.md.

Definitions used throughout (and stated in every report):

- **End value of a run**: the mean of a metric over the last ``end_share`` of its steps (default
  20%: steps 161-200 of a 200-step run), which smooths week-to-week noise. Step 0 (the initial
  state) is never part of it.
- **Mean and 95% CI across replications**: Student's t interval, mean +- t(0.975, n-1) * sd / sqrt(n).
- **Paired difference from the baseline**: for each replication seed, scenario minus baseline at
  the same sweep point (common random numbers); its mean, t interval, and Cohen's d for paired data
  d_z = mean(difference) / sd(difference).
- **Who is left behind**: citizens' wellbeing at the last sampled step, by resource quintile
  (Q1 = fewest resources); per run the quintile's mean, then mean and CI across replications.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from . import storage
from .design import Experiment, end_window, load_experiment, outputs

RUN_KEYS = ["condition", "scenario", "point", "replication", "seed"]


# --- public API ------------------------------------------------------------------------------------
def compare(experiment: Experiment | str | Path = "experiments/policy_comparison.toml",
            out: str | Path | None = None, workers: int | None = None, force: bool = False,
            dask: str | None = None, run: bool = True) -> pd.DataFrame:
    """Run (or resume) an experiment, write ``report.md`` and figures, return the end summary.

    Args:
        experiment: an ``Experiment`` or the path of its TOML file.
        out: results folder (default ``results/<experiment name>``).
        workers, force, dask: as ``run_experiment``.
        run: False to only analyse what is already on disk.

    Returns:
        One row per condition (scenario, or scenario at a sweep point) and metric: ``n``, ``mean``,
        ``ci_low``, ``ci_high`` of the end value, and the paired difference from the baseline
        (``diff``, ``diff_ci_low``, ``diff_ci_high``, ``d_z``, ``pairs``).
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
    out = Path(out)
    metrics = list(experiment.metrics)
    frame = _load_metrics(experiment, out)
    if frame.empty:
        raise_no_results(out)
    ends = end_values(frame, metrics, experiment.steps, experiment.analysis["end_share"])
    summary = summarise(ends, metrics)
    diffs = paired_differences(ends, metrics, experiment.analysis["baseline"])
    table = summary.merge(diffs, on=["condition", "metric"], how="left")
    over_time = summarise_over_time(frame, metrics)
    quintiles = wellbeing_by_quintile(experiment, out)
    del frame
    figures = _figures(out, over_time, table, quintiles, metrics, experiment)
    table.to_csv(out / "end_summary.csv", index=False)
    diffs.to_csv(out / "differences.csv", index=False)
    over_time.to_csv(out / "timeseries_summary.csv", index=False)
    if quintiles is not None:
        quintiles.to_csv(out / "wellbeing_by_quintile.csv", index=False)
    storage.write_atomic(out / "report.md",
                         _report(experiment, out, table, over_time, quintiles, figures))
    return table


def raise_no_results(out: Path):
    from .design import ExperimentError

    raise ExperimentError(f"{out}: no finished runs to compare (see {out}/failures/)")


# --- statistics ------------------------------------------------------------------------------------
def mean_ci(values, confidence: float = 0.95) -> tuple[int, float, float, float]:
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


def end_values(frame: pd.DataFrame, metrics: list[str], steps: int, end_share: float) -> pd.DataFrame:
    """Each run's end value of each metric: its mean over the last ``end_share`` of steps."""
    first = end_window(steps, end_share)
    window = frame[frame["step"] >= first]
    return window.groupby(RUN_KEYS, sort=True, observed=True)[metrics].mean().reset_index()


def summarise(ends: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Mean and 95% CI of each metric's end value across replications, per condition."""
    rows = []
    for condition, group in ends.groupby("condition", sort=False, observed=True):
        for metric in metrics:
            n, mean, low, high = mean_ci(group[metric])
            rows.append({"condition": condition, "scenario": group["scenario"].iloc[0],
                         "point": int(group["point"].iloc[0]), "metric": metric, "n": n,
                         "mean": mean, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


def paired_differences(ends: pd.DataFrame, metrics: list[str], baseline: str) -> pd.DataFrame:
    """Scenario minus baseline, paired by replication seed at the same sweep point; d_z."""
    base = ends[ends["scenario"] == baseline]
    paired = ends.merge(base, on=["point", "replication", "seed"], suffixes=("", "_base"))
    rows = []
    for condition, group in paired.groupby("condition", sort=False, observed=True):
        for metric in metrics:
            d = (group[metric] - group[f"{metric}_base"]).to_numpy(dtype=float)
            n, mean, low, high = mean_ci(d)
            sd = float(d.std(ddof=1)) if n > 1 else math.nan
            d_z = mean / sd if n > 1 and sd > 0 else math.nan
            rows.append({"condition": condition, "metric": metric, "baseline": baseline,
                         "pairs": n, "diff": mean, "diff_ci_low": low, "diff_ci_high": high,
                         "d_z": d_z})
    return pd.DataFrame(rows)


def summarise_over_time(frame: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Mean and 95% CI of each metric at each step across replications, per condition."""
    grouped = frame.groupby(["condition", "step"], sort=False, observed=True)[metrics]
    mean, sd, n = grouped.mean(), grouped.std(ddof=1), grouped.count()
    t = stats.t.ppf(0.975, np.maximum(n - 1, 1))
    half = pd.DataFrame(t, index=n.index, columns=metrics) * sd / np.sqrt(n)
    half = half.where(n > 1)
    long = []
    for metric in metrics:
        part = pd.DataFrame({"metric": metric, "n": n[metric], "mean": mean[metric],
                             "ci_low": mean[metric] - half[metric],
                             "ci_high": mean[metric] + half[metric]})
        long.append(part.reset_index())
    return pd.concat(long, ignore_index=True)


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
    rows = []
    for (condition, quintile), group in per_run.groupby(["condition", "quintile"], sort=False):
        n, mean, low, high = mean_ci(group["wellbeing"])
        rows.append({"condition": condition, "quintile": int(quintile), "step": sampled, "n": n,
                     "mean": mean, "ci_low": low, "ci_high": high})
    result = pd.DataFrame(rows).sort_values(["condition", "quintile"], kind="stable")
    order = {c: i for i, c in enumerate(dict.fromkeys(agents["condition"]))}
    result = result.sort_values("condition", key=lambda s: s.map(order), kind="stable")
    result.attrs["distribution"] = agents[["condition", "quintile", "wellbeing"]]
    return result.reset_index(drop=True)


# --- loading -------------------------------------------------------------------------------------
def _conditions(frame: pd.DataFrame, experiment: Experiment) -> pd.Series:
    """Scenario names, or scenario at a sweep point when the experiment has a sweep."""
    if not experiment.axes:
        return frame["scenario"].astype(str)
    labels = {i: ", ".join(f"{a}={_short(p[a])}" for a in experiment.axes)
              for i, p in enumerate(experiment.points)}
    return frame["scenario"].astype(str) + " [" + frame["point"].map(labels) + "]"


def _ordered(frame: pd.DataFrame, experiment: Experiment) -> pd.DataFrame:
    """Conditions as an ordered category: the file's scenario order, then sweep points."""
    frame["condition"] = _conditions(frame, experiment)
    order = (frame[["scenario", "point", "condition"]].drop_duplicates()
             .assign(rank=lambda f: f["scenario"].map({s: i for i, s in enumerate(experiment.scenarios)}))
             .sort_values(["rank", "point"])["condition"].tolist())
    frame["condition"] = pd.Categorical(frame["condition"], categories=order, ordered=True)
    return frame


def _load_metrics(experiment: Experiment, out: Path) -> pd.DataFrame:
    columns = ["scenario", "point", "replication", "seed", "step", *experiment.metrics]
    frame = storage.load_results(out, "metrics", columns=columns,
                                 scenarios=list(experiment.scenarios))
    return _ordered(frame, experiment) if len(frame) else frame


def _last_sampled_step(experiment: Experiment) -> int | None:
    period = experiment.agent_sample_period
    if period == 0 or period > experiment.steps:
        return None
    return experiment.steps - experiment.steps % period


def _load_agents_at(out: Path, step: int, experiment: Experiment) -> pd.DataFrame:
    import pyarrow.dataset as ds

    folder = out / "agents"
    files = sorted(str(f) for f in folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return pd.DataFrame()
    table = ds.dataset(files, format="parquet").to_table(
        columns=["scenario", "point", "replication", "step", "quintile", "wellbeing"],
        filter=(ds.field("step") == step) & ds.field("scenario").isin(list(experiment.scenarios)))
    return _ordered(table.to_pandas(), experiment)


# --- report ------------------------------------------------------------------------------------------
def fmt(value: float) -> str:
    """A number as the report prints it (4 significant digits)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.4g}"


def _short(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _interval(mean: float, low: float, high: float) -> str:
    return f"{fmt(mean)} [{fmt(low)}, {fmt(high)}]"


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
             f"mean ± 95% CI half-width over replications",
             f"{'metric':<20}" + "".join(f"{c:>{col + 2}}" for c in shown)]
    for metric in experiment.metrics:
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


def _report(experiment: Experiment, out: Path, table: pd.DataFrame, over_time: pd.DataFrame,
            quintiles: pd.DataFrame | None, figures: dict[str, str]) -> str:
    """report.md: design, definitions, headline table, differences, over time, who is left behind."""
    manifest = storage.read_manifest(out) or {}
    baseline = experiment.analysis["baseline"]
    first = end_window(experiment.steps, experiment.analysis["end_share"])
    conditions = list(dict.fromkeys(table["condition"]))
    n_citizens = {experiment.params_for(s).n_citizens for s in experiment.scenarios}
    lines = [
        f"# {experiment.name}: scenario comparison", "",
        experiment.description, "",
        "## Design", "",
        f"- Experiment file: `{experiment.path}`; results: `{out}/` (Parquet, one file per run).",
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
    lines += [
        "", "## Definitions", "",
        f"- **End value** of a run: mean of the metric over steps {first}-{experiment.steps} "
        f"(the last {experiment.analysis['end_share']:.0%} of steps).",
        "- **Mean [95% CI]**: across replications, Student's t interval.",
        f"- **Difference from `{baseline}`**: scenario minus `{baseline}` for the same replication "
        "seed (paired), mean [95% CI]; **d_z** = mean difference / sd of differences (Cohen's d "
        "for paired data; |d_z| about 0.2 small, 0.5 medium, 0.8 large). With common random "
        "numbers, small differences can have large d_z: read d_z with the size of the difference.",
        "",
        "## End of run: mean [95% CI]", "",
        *_wide(table, conditions, lambda r: _interval(r["mean"], r["ci_low"], r["ci_high"])),
        "", f"## Paired difference from `{baseline}`: mean [95% CI] (d_z)", "",
        *_wide(table[table["scenario"] != baseline],
               [c for c in conditions if c in set(table.loc[table["scenario"] != baseline, "condition"])],
               lambda r: f"{_interval(r['diff'], r['diff_ci_low'], r['diff_ci_high'])} ({fmt(r['d_z'])})"),
        "", "![Paired differences](figures/differences.png)", "",
        "## Over time", "",
        "Mean [95% CI] across replications at four steps; the figure shows every step with its "
        "95% CI band.", "",
        "![Metrics over time](figures/timeseries.png)", "",
        *_checkpoints(over_time, conditions, experiment),
    ]
    lines += _quintile_section(quintiles, conditions, experiment)
    lines += ["", "## Files", "",
              "- `end_summary.csv`: the end values and paired differences above, full precision.",
              "- `timeseries_summary.csv`: mean and CI of each metric at each step.",
              "- `metrics/*.parquet`, `agents/*.parquet`: the raw runs "
              "(`experiments.load_results`).", ""]
    return "\n".join(lines)


def _scenario_label(name: str, spec: dict) -> str:
    overrides = ", ".join(f"{k}={_short(v)}" for k, v in spec["overrides"].items())
    return f"`{name}` (preset `{spec['preset']}`{'; ' + overrides if overrides else ''})"


def _wide(table: pd.DataFrame, conditions: list[str], cell) -> list[str]:
    """A markdown table: metrics as rows, conditions as columns."""
    if not conditions:
        return ["(no other scenario)"]
    by_key = {(r["condition"], r["metric"]): r for _, r in table.iterrows()}
    metrics = list(dict.fromkeys(table["metric"]))
    if len(conditions) > 6:  # a sweep: one row per condition reads better
        lines = ["| condition | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
        for c in conditions:
            lines.append(f"| `{c}` | " + " | ".join(
                cell(by_key[(c, m)]) if (c, m) in by_key else "" for m in metrics) + " |")
        return lines
    lines = ["| metric | " + " | ".join(f"`{c}`" for c in conditions) + " |",
             "|---|" + "---|" * len(conditions)]
    for metric in metrics:
        lines.append(f"| {metric} | " + " | ".join(
            cell(by_key[(c, metric)]) if (c, metric) in by_key else "" for c in conditions) + " |")
    return lines


def _checkpoints(over_time: pd.DataFrame, conditions: list[str], experiment: Experiment) -> list[str]:
    steps = sorted({max(1, round(experiment.steps * q)) for q in (0.25, 0.5, 0.75, 1.0)})
    part = over_time[over_time["step"].isin(steps)]
    lines = []
    for metric in experiment.metrics:
        lines += [f"**{metric}** — {outputs().get(metric, '')}", "",
                  "| condition | " + " | ".join(f"step {s}" for s in steps) + " |",
                  "|---|" + "---|" * len(steps)]
        rows = part[part["metric"] == metric].set_index(["condition", "step"])
        for c in conditions:
            cells = [_interval(*rows.loc[(c, s), ["mean", "ci_low", "ci_high"]])
                     if (c, s) in rows.index else "" for s in steps]
            lines.append(f"| `{c}` | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def _quintile_section(quintiles, conditions, experiment) -> list[str]:
    lines = ["", "## Who is left behind: wellbeing by resource quintile", ""]
    if quintiles is None:
        return lines + ["No agent samples: set `agent_sample_period` in `[experiment]` to a "
                        "divisor of `steps` to get this section."]
    step = int(quintiles["step"].iloc[0])
    lines += [f"Mean wellbeing of each resource quintile at step {step} (Q1 = fewest resources): "
              "per run the quintile's mean, then mean [95% CI] across replications.", "",
              "| condition | Q1 | Q2 | Q3 | Q4 | Q5 |", "|---|---|---|---|---|---|"]
    rows = quintiles.set_index(["condition", "quintile"])
    for c in conditions:
        cells = [_interval(*rows.loc[(c, q), ["mean", "ci_low", "ci_high"]])
                 if (c, q) in rows.index else "" for q in range(5)]
        lines.append(f"| `{c}` | " + " | ".join(cells) + " |")
    return lines + ["", "![Wellbeing by resource quintile](figures/wellbeing_by_quintile.png)"]


# --- figures -------------------------------------------------------------------------------------
def _figures(out: Path, over_time, table, quintiles, metrics, experiment) -> dict[str, str]:
    """Matplotlib (Agg) PNGs under figures/, each written atomically."""
    plt = FigureMaker()
    folder = out / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    conditions = list(dict.fromkeys(table["condition"]))
    colours = {c: plt.cm.tab10(i % 10) for i, c in enumerate(conditions)}
    written = {}
    written["timeseries"] = _save(plt, _plot_over_time(plt, over_time, metrics, conditions, colours),
                                  folder / "timeseries.png")
    written["differences"] = _save(plt, _plot_differences(plt, table, experiment, colours),
                                   folder / "differences.png")
    if quintiles is not None:
        written["quintiles"] = _save(plt, _plot_quintiles(plt, quintiles, conditions, colours),
                                     folder / "wellbeing_by_quintile.png")
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
        ax.set_title(metric, fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(metrics):]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), fontsize=8,
                  bbox_to_anchor=(0.5, -0.02))
    figure.suptitle("Mean over replications with 95% CI band, by step (week)", fontsize=10)
    figure.tight_layout(rect=(0, 0.03, 1, 0.98))
    return figure


def _plot_differences(plt, table, experiment, colours):
    baseline = experiment.analysis["baseline"]
    part = table[table["scenario"] != baseline]
    metrics = list(experiment.metrics)
    figure, ax = plt.subplots(figsize=(7, 0.35 * len(metrics) + 1.5))
    others = list(dict.fromkeys(part["condition"]))
    for k, c in enumerate(others):
        rows = part[part["condition"] == c].set_index("metric").reindex(metrics)
        y = np.arange(len(metrics)) + (k - (len(others) - 1) / 2) * 0.8 / max(len(others), 1)
        ax.scatter(rows["d_z"].clip(-10, 10), y, color=colours[c], s=14, label=c)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(range(len(metrics)), metrics, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"Paired effect size d_z against {baseline} (clipped to [-10, 10])")
    if others:
        ax.legend(fontsize=7, loc="best")
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
