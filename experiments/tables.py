"""Tables of a comparison: results loaded as conditions, numbers formatted for people (the
terminal's headline table, the report's Markdown tables).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from . import storage
from .design import Experiment
from .statistics import bounded_mean_ci, info


def _conditions(frame: pd.DataFrame, experiment: Experiment) -> pd.Series:
    """Scenario names, or scenario at a sweep point when the experiment has a sweep."""
    if not experiment.axes:
        return frame["scenario"].astype(str)
    labels = {i: point_label(experiment, i) for i in range(len(experiment.points))}
    return frame["scenario"].astype(str) + " [" + frame["point"].map(labels) + "]"


def point_label(experiment: Experiment, point: int) -> str:
    values = experiment.points[point]
    return ", ".join(f"{a}={short(values[a])}" for a in experiment.axes)


def ordered(frame: pd.DataFrame, experiment: Experiment) -> pd.DataFrame:
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


def load_metrics(experiment: Experiment, out: Path) -> pd.DataFrame:
    columns = ["scenario", "point", "replication", "seed", "step", *experiment.metrics]
    frame = storage.load_results(out, "metrics", columns=columns,
                                 scenarios=list(experiment.scenarios))
    return ordered(fill_dropped(frame, experiment), experiment) if len(frame) else frame


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
    return ordered(fill_dropped(table.to_pandas(), experiment), experiment)


def wellbeing_by_quintile(experiment: Experiment, out: Path) -> pd.DataFrame | None:
    """Mean wellbeing per resource quintile at the last sampled step, mean and CI across runs."""
    sampled = _last_sampled_step(experiment)
    if sampled is None:
        return None
    agents = _load_agents_at(out, sampled, experiment)
    if agents.empty:
        return None
    # sorted: the replications in their order, not in the order their runs happened to be written
    per_run = (agents.groupby(["condition", "replication", "quintile"], observed=True)
               ["wellbeing"].mean().reset_index())
    bounds = info("mean_wellbeing")
    rows = []
    for (condition, quintile), group in per_run.groupby(["condition", "quintile"], sort=False):
        n, mean, low, high, _ = bounded_mean_ci(group["wellbeing"], bounds.low, bounds.high)
        rows.append({"condition": condition, "quintile": int(quintile), "step": sampled, "n": n,
                     "mean": mean, "ci_low": low, "ci_high": high})
    result = pd.DataFrame(rows).sort_values(["condition", "quintile"], kind="stable")
    order = {c: i for i, c in enumerate(agents["condition"].cat.categories)}  # the file's order
    result = result.sort_values("condition", key=lambda s: s.map(order), kind="stable")
    result.attrs["distribution"] = agents[["condition", "quintile", "wellbeing"]]
    return result.reset_index(drop=True)


def fmt(value: float) -> str:
    """A number as the report prints it (3 significant digits)."""
    return "n/a" if _missing(value) else f"{value:.3g}"


def signed(value: float) -> str:
    """A difference with its sign (3 significant digits)."""
    return "n/a" if _missing(value) else "0" if value == 0 else f"{value:+.3g}"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def pct(share: float) -> str:
    """A share of the baseline as a signed percentage, 2 significant digits: +12%, -4.2%,
    -0.0099%, +150%."""
    if share is None or math.isnan(share):
        return "n/a"
    value = 100 * share
    return f"{value:+.0f}%" if abs(value) >= 10 else f"{value:+.2g}%"


# Names a reader outside the project understands (the code names stay in the tables and CSVs).
PLAIN_METRICS = {
    "public_value": "public value", "emergent_value": "emergent value",
    "participation_rate": "participation", "volunteers": "volunteers", "mean_trust": "trust",
    "mean_efficacy": "citizens' sense of agency", "mean_wellbeing": "wellbeing",
    "gini_wellbeing": "inequality of wellbeing", "equity_gap": "equity gap between top and bottom fifth",
    "unmet_need": "unmet need", "hidden_need": "hidden need of those who stopped asking",
    "staff_motivation": "staff motivation", "staff_turnover": "staff turnover",
    "cost": "cost in paid staff hours", "value_per_cost": "value per staff hour",
    "throughput": "cases closed", "innovations": "innovations",
    "social_cost": "social cost with citizens' time", "waiting_time": "waiting time",
    "value_destroyed": "value destroyed by co-destruction", "cost_per_need_met": "cost per need met",
}
PLAIN_SCENARIOS = {
    "npm": "NPM", "coproduction": "co-production",
    "coproduction_no_outreach": "co-production without outreach", "hybrid": "the hybrid",
    "npm_with_volunteers": "NPM with volunteers", "null_npm": "the null model (NPM side)",
    "null_coproduction": "the null model (co-production side)",
    "neutral_npm": "neutral NPM", "neutral_coproduction": "neutral co-production",
}


def and_list(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def plain_metric(metric: str) -> str:
    """A metric's name in plain words (``mean_trust`` -> ``trust``)."""
    return PLAIN_METRICS.get(metric, metric.replace("_", " "))


def plain_scenario(scenario: str) -> str:
    """A scenario's name in plain words (``npm_with_volunteers`` -> ``NPM with volunteers``)."""
    if scenario in PLAIN_SCENARIOS:
        return PLAIN_SCENARIOS[scenario]
    words = [{"npm": "NPM", "coproduction": "co-production"}.get(w, w) for w in scenario.split("_")]
    return " ".join(words)


def short(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def interval(mean: float, low: float, high: float) -> str:
    return f"{fmt(mean)} [{fmt(low)}, {fmt(high)}]"


def signed_interval(mean: float, low: float, high: float) -> str:
    return f"{signed(mean)} [{signed(low)}, {signed(high)}]"


def direction(metric: str) -> str:
    return {1: "higher is better", -1: "lower is better"}.get(info(metric).better,
                                                             "neither direction is better")


def arrow(metric: str) -> str:
    return {1: "↑ better", -1: "↓ better"}.get(info(metric).better, "")


def row_label(metric: str) -> str:
    """A table's row label: the name, its unit and which direction is better."""
    unit = info(metric).unit
    mark = arrow(metric)
    return f"{metric} ({unit}{'; ' + mark if mark else ''})"


def difference_text(row, metric: str) -> str:
    """A paired difference as the summary says it: % of the baseline, else absolute."""
    if not math.isnan(row["rel"]):
        return f"{pct(row['rel'])} [{pct(row['rel_ci_low'])}, {pct(row['rel_ci_high'])}]"
    return signed_interval(row["diff"], row["diff_ci_low"], row["diff_ci_high"])


def rounded_interval(mean: float, low: float, high: float) -> str:
    """``mean [low, high]`` rounded to the interval's precision: the half-width keeps two
    significant digits and the three numbers share its decimals (``0.331 [0.329, 0.334]``,
    ``312 [288, 336]``). An interval narrower than float noise is a value every run shares."""
    if any(v is None or math.isnan(v) for v in (mean, low, high)):
        return fmt(mean)
    half = (high - low) / 2
    if half <= 1e-9 * max(1.0, abs(mean)):
        return f"{fmt(mean)} (every run)"
    decimals = min(10, max(0, 1 - math.floor(math.log10(half))))
    return f"{mean:.{decimals}f} [{low:.{decimals}f}, {high:.{decimals}f}]"


def headline_table(table: pd.DataFrame, experiment: Experiment, width: int = 6) -> str:
    """Terminal table: each metric's end value (rows) per condition (columns), mean [95% CI],
    the interval cut at the metric's bounds as in the report."""
    conditions = list(dict.fromkeys(table["condition"]))
    if experiment.axes:
        return _sweep_headline(table, experiment, conditions)
    shown = conditions[:width]
    cells = {(r.condition, r.metric): rounded_interval(r.mean, r.ci_low, r.ci_high)
             for r in table.itertuples()}
    width_of = {c: max(len(c), *(len(v) for (d, _), v in cells.items() if d == c)) for c in shown}
    lines = [f"End of run (mean of the last {experiment.analysis['end_share']:.0%} of steps), "
             f"mean [95% CI] over replications (the brief and details: report.md)",
             f"{'metric':<20}" + "".join(f"{c:>{width_of[c] + 2}}" for c in shown)]
    for metric in dict.fromkeys(table["metric"]):
        lines.append(f"{metric:<20}" + "".join(f"{cells.get((c, metric), ''):>{width_of[c] + 2}}"
                                               for c in shown))
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
        lines.append(f"{scenario:<14}" + "".join(f"{short(values[a]):>{w + 1}}"
                                                 for a, w in zip(axes, widths, strict=True))
                     + "".join(f"{row[m]:>19.4g}" for m in metrics))
    return "\n".join(lines)


def end_cell(r) -> str:
    cell = interval(r["mean"], r["ci_low"], r["ci_high"])
    if r.get("ci_clipped"):
        cell += " ‡"
    if r.get("saturated"):
        cell += " §"
    return cell


def difference_cell(r) -> str:
    cell = interval(r["diff"], r["diff_ci_low"], r["diff_ci_high"])
    note = r.get("d_z_note") or ""
    if isinstance(r.get("rel"), float) and not math.isnan(r["rel"]) and note != "identical in every run":
        cell += f" = {pct(r['rel'])} [{pct(r['rel_ci_low'])}, {pct(r['rel_ci_high'])}]"
    if note == "identical in every run":
        return cell + "; identical in every run"
    if note:
        return cell + "; d_z n.m.†"
    return cell + f"; d_z {fmt(r['d_z'])}"


def markdown_table(head: list[str], rows) -> list[str]:
    """The lines of a Markdown table: the header, its rule, then one line per row of cells
    (each cell as ``str`` gives it)."""
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
            *("| " + " | ".join(map(str, row)) + " |" for row in rows)]


def wide_table(table: pd.DataFrame, conditions: list[str], cell, metrics: list[str]) -> list[str]:
    """A markdown table: metrics as rows, conditions as columns (a sweep: the other way)."""
    by_key = {(r["condition"], r["metric"]): r for _, r in table.iterrows()}

    def shown(condition, metric) -> str:
        return cell(by_key[(condition, metric)]) if (condition, metric) in by_key else ""

    if len(conditions) > 6:  # a sweep: one row per condition reads better
        rows = [[f"`{c}`", *(shown(c, m) for m in metrics)] for c in conditions]
        return [*markdown_table(["condition", *metrics], rows), "", "Units and directions: "
                + "; ".join(f"{m}: {info(m).unit}{', ' + arrow(m) if arrow(m) else ''}"
                            for m in metrics) + "."]
    return markdown_table(["metric", *(f"`{c}`" for c in conditions)],
                          [[row_label(m), *(shown(c, m) for c in conditions)] for m in metrics])
