"""The comparison report: ``compare`` runs (or resumes) an experiment and writes ``report.md``,
``report.html``, its CSV tables and figures.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from coprosim.model import LEDGER, Params

from . import storage
from .design import Experiment, ExperimentError, end_window, load_experiment
from .figures import draw_figures
from .statistics import (
    DIFFERENCE_METRICS,
    DZ_LIMIT,
    SATURATED_SHARE,
    add_derived,
    along_axis,
    covers_zero,
    end_values,
    info,
    lead_from_week,
    meaning,
    paired_between,
    paired_differences,
    standardised_differences,
    summarise,
    summarise_over_time,
)
from .tables import (
    and_list,
    difference_cell,
    difference_text,
    direction,
    end_cell,
    fmt,
    interval,
    load_metrics,
    markdown_table,
    pct,
    plain_metric,
    plain_scenario,
    point_label,
    row_label,
    short,
    signed,
    signed_interval,
    wellbeing_by_quintile,
    wide_table,
)

# Parameters that make the budget and the prices of time: stated as held equal (or not).
BUDGET = ("n_citizens", "staff_per_1000", "staff_hours", "overtime_max", "overtime_premium",
          "hiring_cost", "citizen_time_value")


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
        run_decomposition(experiment, out, workers=workers, dask=dask)
    return compare_results(experiment, out)


def run_decomposition(experiment: Experiment, out: str | Path, workers: int | None = None,
                      dask: str | None = None):
    """With ``[analysis] decomposition = N``: each rule pair's share of the gap between
    co-production and NPM at the experiment's population and length, on N paired seeds, in
    ``<out>/rule_decomposition`` (see ``coprosim decompose``); the report shows it."""
    replications = experiment.analysis.get("decomposition", 0)
    if not replications:
        return None
    from .decomposition import decompose

    n_citizens = experiment.base.get("n_citizens", 1000)
    return decompose(out=Path(out) / "rule_decomposition", workers=workers,
                     replications=replications, n_citizens=n_citizens, steps=experiment.steps,
                     dask=dask)


def compare_results(experiment: Experiment, out: str | Path) -> pd.DataFrame:
    """Analyse the results on disk and write the report; returns the end summary (see compare)."""
    from .report_html import markdown_to_html

    out = Path(out)
    metrics = list(experiment.metrics)
    frame = load_metrics(experiment, out)
    if frame.empty:
        raise ExperimentError(f"{out}: no finished runs to compare (see {out}/failures/)")
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
    analysis.standardised = standardised_differences(table, ends, analysed,
                                                     experiment.analysis["baseline"])
    analysis.figures = draw_figures(analysis)
    table.to_csv(out / "end_summary.csv", index=False)
    diffs.to_csv(out / "differences.csv", index=False)
    over_time.to_csv(out / "timeseries_summary.csv", index=False)
    if quintiles is not None:
        quintiles.to_csv(out / "wellbeing_by_quintile.csv", index=False)
    text = _report(analysis)
    storage.write_atomic(out / "report.md", text)
    storage.write_atomic(out / "report.html", markdown_to_html(text, out, title=f"{experiment.name}: report"))
    return table


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
        self.figures: dict[str, Path] = {}
        self.standardised = pd.DataFrame()

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


def _report(a: Analysis) -> str:
    """report.md: summary, design, method, tables, ledger, over time, who is left behind, files."""
    experiment = a.experiment
    lines = [f"# {experiment.name}: {'sweep' if a.is_sweep else 'scenario comparison'}", "",
             experiment.description, ""]
    lines += _brief(a)
    lines += _caveats(a)
    lines += _summary(a)
    lines += _design(a)
    lines += _method(a)
    lines += ["", "## End of run: mean [95% CI]", "",
              "Rows: metric (unit; which direction is better). ‡: the interval is cut at a bound "
              "the metric cannot pass. §: saturated (listed below the table).", "",
              *wide_table(a.table, a.conditions, end_cell, a.metrics)]
    lines += _saturated_list(a)
    lines += _decomposition_section(a)
    others = [c for c in a.conditions
              if c in set(a.table.loc[a.table["scenario"] != a.baseline, "condition"])]
    if others:
        lines += ["", f"## Paired difference from `{a.baseline}`: mean [95% CI]", "",
                  f"Scenario minus `{a.baseline}` for the same replication seed; then the % of "
                  f"`{a.baseline}`'s mean [95% CI] where a % is meaningful; then d_z. "
                  "†: d_z not meaningful (the difference is (nearly) constant across seeds).", "",
                  *wide_table(a.table[a.table["scenario"] != a.baseline], others, difference_cell,
                         a.metrics)]
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


FREE = "free"  # Params.spec(name)["source"] of a parameter no study gives a value for


def _brief(a: Analysis) -> list[str]:
    """The first screen: one paragraph on what is traded for what, then the forest plot."""
    lines = ["## Brief", ""]
    experiment = a.experiment
    first = end_window(experiment.steps, experiment.analysis["end_share"])
    when = (f"Over weeks {first}-{experiment.steps} of {experiment.steps}-week runs "
            f"({experiment.replications} runs of each scenario, paired by random seed)")
    if a.is_sweep:
        return lines + [f"{when}, this sweep varies {', '.join(experiment.axes)} over "
                        f"{len(experiment.points)} points: where each metric is best, and how "
                        "much it changes along each swept parameter, is in the tables below "
                        "(*Along the sweep*).", ""]
    if len(a.scenarios) < 2:
        return lines + [f"{when}: one scenario, {plain_scenario(a.scenarios[0])}, so nothing to "
                        "compare; its end values are in the tables below.", ""]
    others = [s for s in a.scenarios if s != a.baseline]
    lines += [f"{when}: " + brief_paragraph(a, others[0])]
    for other in others[1:]:
        lines += ["", brief_sentence(a, other)]
    lines.append("")
    if "differences" in a.figures:
        base = plain_scenario(a.baseline)
        lines += ["![Every headline metric against the baseline, one scale, right is better]"
                  "(figures/differences.png)", "",
                  f"*Figure: each scenario against {base} on every headline metric, on one "
                  "scale: the paired difference in standard deviations of the runs' end values, "
                  f"with its 95% CI, turned so that **right is better** than {base} (▶) whichever "
                  "way the metric points; grey: a metric with no better direction (right is "
                  "more). The numbers in plain units are in the tables below.*", ""]
    return lines


def _verdicts(a: Analysis, scenario: str) -> tuple[list, list, list]:
    """The scenario's clear leads and trails against the baseline, largest first, and the
    metrics with no clear difference (headline metrics with a better direction only)."""
    rows = a.table[a.table["condition"] == scenario].set_index("metric")
    sizes = (a.standardised[a.standardised["condition"] == scenario].set_index("metric")
             if len(a.standardised) else pd.DataFrame())
    leads, trails, unclear = [], [], []
    for metric in a.headline_metrics:
        better = info(metric).better
        if not better or metric not in rows.index:
            continue
        row = rows.loc[metric]
        size = abs(sizes.loc[metric, "d"]) if metric in sizes.index else math.nan
        size = 0.0 if math.isnan(size) else size
        if covers_zero(row["diff_ci_low"], row["diff_ci_high"]):
            unclear.append(metric)
        elif better * row["diff"] > 0:
            leads.append((size, metric))
        else:
            trails.append((size, metric))
    order = lambda items: [m for _, m in sorted(items, key=lambda x: -x[0])]  # noqa: E731
    return order(leads), order(trails), unclear


def _amount(a: Analysis, scenario: str, metric: str, who: bool = False) -> str:
    """How much, in plain units: the % of the baseline where it is meaningful, else both means
    (``who``: name the scenario, for a sentence about the baseline's lead)."""
    row = a.table[(a.table["condition"] == scenario) & (a.table["metric"] == metric)].iloc[0]
    base = a.table[(a.table["condition"] == a.baseline) & (a.table["metric"] == metric)].iloc[0]
    name = f"{plain_scenario(scenario)} " if who else ""
    if not math.isnan(row["rel"]):
        return f"{name}{pct(row['rel'])}"
    unit = info(metric).unit.split(" (")[0]
    unit = "" if unit.startswith("score") else f" {unit}"
    return f"{name}{fmt(row['mean'])} against {fmt(base['mean'])}{unit}"


def _listed(a: Analysis, scenario: str, metrics: list[str], who: bool = False,
            limit: int = 4) -> str:
    items = [f"{plain_metric(m)} ({_amount(a, scenario, m, who)})" for m in metrics[:limit]]
    if len(metrics) > limit:
        items.append(f"{len(metrics) - limit} more")
    return and_list(items)


def brief_paragraph(a: Analysis, scenario: str) -> str:
    """Who leads on what against the baseline, by how much, and from which week."""
    name, base = plain_scenario(scenario), plain_scenario(a.baseline)
    leads, trails, unclear = _verdicts(a, scenario)
    parts = []
    if leads:
        parts.append(f"{name} leads {base} on {_listed(a, scenario, leads)}")
    if trails:
        parts.append(f"{base} leads on {_listed(a, scenario, trails, who=True)}")
    if not parts:
        parts.append(f"{name} and {base} cannot be told apart on any headline metric")
    text = "; ".join(parts) + "."
    if leads and trails:
        text += f" So {name} trades {plain_metric(trails[0])} for {plain_metric(leads[0])}."
    if unclear:
        text += f" No clear difference in {and_list([plain_metric(m) for m in unclear])}."
    late = []
    for metric in (leads + trails)[:6]:
        leader, other = (scenario, a.baseline) if metric in leads else (a.baseline, scenario)
        week = lead_from_week(a.over_time, metric, leader, other)
        if week is not None and week > max(5, a.experiment.steps // 10):
            late.append(f"{plain_scenario(other)} leads on {plain_metric(metric)} for about the "
                        f"first {week - 1} weeks, {plain_scenario(leader)} from week {week}")
    if late:
        text += " The lead changes over time: " + "; ".join(late) + "."
    return text


def brief_sentence(a: Analysis, scenario: str) -> str:
    """One sentence for each further scenario: how many clear leads and trails, the largest."""
    name, base = plain_scenario(scenario), plain_scenario(a.baseline)
    leads, trails, unclear = _verdicts(a, scenario)
    text = (f"Against {base}, {name} leads on {len(leads)} metrics and trails on {len(trails)} "
            f"({len(unclear)} without a clear difference)")
    largest = []
    if leads:
        largest.append(f"most on {plain_metric(leads[0])} ({_amount(a, scenario, leads[0])})")
    if trails:
        largest.append(f"it trails most on {plain_metric(trails[0])} "
                       f"({_amount(a, scenario, trails[0])})")
    return text + (": " + "; ".join(largest) if largest else "") + "."


def _decomposition_section(a: Analysis) -> list[str]:
    """Each rule pair's share of the gap, when the experiment asked for it and it has run."""
    shares = Path(a.out) / "rule_decomposition" / "shares.md"
    if not shares.exists():
        return []
    n = a.experiment.analysis.get("decomposition", 0)
    return ["", "## What decides the gap: each rule pair's share", "",
            "The regimes differ only in their rules, which come in pairs (the customer mode's, the "
            "co-creating mode's). Each row runs co-production with one pair made NPM's, everything "
            f"else as it was, on {n} paired seeds, and gives the share of co-production's lead over "
            "NPM (first row) that goes away: 100% the rule alone makes the difference, 0% none, above "
            "100% co-production falls behind without it, negative the rule holds co-production back. "
            "Shares need not add up to 100% (rules interact); with all seven made NPM's the regimes "
            "are the same model and the gap closes exactly. `rule_decomposition/shares.csv` has the "
            "numbers.", "", shares.read_text(encoding="utf-8").rstrip()]


def _caveats(a: Analysis) -> list[str]:
    """What the numbers do not cover: the reader's second screen."""
    from coprosim.model import Params

    sizes = a.experiment.population_sizes()
    names = Params.field_names()
    free = sum(Params.spec(n).get("source") == FREE for n in names)
    people = ", ".join(str(n) for n in sizes)
    return [
        "## Caveats", "",
        "- **What the intervals cover**: seed noise only, the spread between runs that differ "
        "only in their random draws, with every parameter fixed. They say nothing about whether "
        "the parameters are right.",
        f"- **Calibration**: {calibration_status()}",
        f"- **Population**: the results hold for {people} citizens; a decision for another size "
        "needs its own run (set `n_citizens` in `[base]`, or sweep it)" + small_population(sizes),
        "- **Structural uncertainty**: "
        f"{free} of the model's {len(names)} parameters are free (no study gives their value; "
        "they sit inside plausible ranges). `coprosim map regimes_map` shows where each regime "
        "leads across those ranges; `coprosim sensitivity` which parameters move a metric most; "
        "the `null_*` and `neutral_*` presets show what remains when the regimes' distinguishing "
        "mechanisms are switched off or their rules made equal.",
        "- **What the model leaves out**: it is a stylised service of one organisation and its "
        "citizens, with a budget held equal and rules that do not change during a run; no "
        "politics, no other services, no change of staff numbers beyond replacing those who "
        "leave. See docs/ODD.md (sections 1.1, 6 and 7).",
        "",
    ]


def small_population(sizes: list[int]) -> str:
    """The model's own warning for the smallest population, as the end of a caveat (or '.')."""
    from coprosim.model import small_population_message

    message = small_population_message(min(sizes))
    return f". **Small population**: {message}." if message else "."


def calibration_status(folder: Path = Path("results") / "calibration") -> str:
    """How many of the literature's targets the default parameters meet, from the newest
    ``coprosim calibrate`` result under ``folder`` (``fit.csv``), or how to find out."""
    fits = sorted(folder.glob("*/fit.csv"), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []
    if fits:
        try:
            fit = pd.read_csv(fits[-1])
            hits = int(fit["fit_at_defaults"].astype(bool).sum())
            return (f"the default parameters meet {hits} of {len(fit)} targets from the "
                    f"literature (`{fits[-1]}`; its report names the ones missed).")
        except (OSError, KeyError, ValueError, pd.errors.ParserError):
            pass
    return ("not checked here: `coprosim calibrate calibration_targets` measures how many of the "
            "literature's targets the default parameters meet (docs/ODD.md section 3.4 gives the "
            "last result).")


def _summary(a: Analysis) -> list[str]:
    lines = ["## Details by metric", "", held_equal(a.experiment), ""]
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
    head = f"- **{plain_metric(metric)}** (`{metric}`; {info(metric).unit}; {direction(metric)}):"
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
        return f"{n} = {short(next(iter(values[n].values())))} {unit}".rstrip()

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
        shown.append(f"`{s}` " + "/".join(short(v) for v in mine))
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
        rows = a.table[a.table["scenario"] == scenario]
        table = []
        for metric in a.headline_metrics:
            mine = rows[rows["metric"] == metric]
            better = info(metric).better or 1
            best = mine.loc[(mine["mean"] * better).idxmax()]
            cells = [f"{point_label(experiment, int(best['point']))}: "
                     f"{interval(best['mean'], best['ci_low'], best['ci_high'])}"]
            for ax in axes:
                result = along_axis(a.ends, experiment, scenario, metric, ax)
                cells.append(_axis_cell(result, metric))
            table.append([row_label(metric), *cells])
        lines += [*markdown_table(["metric", "best at", *(f"{ax}: first → last" for ax in axes)],
                                  table), ""]
    return lines


def _axis_cell(result: dict | None, metric: str) -> str:
    if result is None:
        return ""
    span = f"{short(result['first'])} → {short(result['last'])}"
    if covers_zero(result["low"], result["high"]):
        return f"{span}: no clear change ({signed(result['diff'])})"
    rel = ""
    if result["start"] != 0 and metric not in DIFFERENCE_METRICS:
        rel = f" ({pct(result['diff'] / result['start'])})"
    a, b, _ = result["steepest"]
    share = result["share_of_change"]
    steepest = (f"; steepest {short(a)} → {short(b)} ({share:.0%} of the path)"
                if len(result["steps"]) > 1 and not math.isnan(share) else "")
    return (f"{span}: {signed_interval(result['diff'], result['low'], result['high'])}"
            f"{rel}{steepest}")


def _design(a: Analysis) -> list[str]:
    experiment = a.experiment
    manifest = storage.read_manifest(a.out) or {}
    n_citizens = experiment.population_sizes()
    lines = [
        "", "## Design", "",
        f"- Experiment file: `{experiment.path}`; results: `{a.out}/` (Parquet part files of many "
        "runs each: `metrics/`, `runs/`, `agents/`; one row per run and week in `metrics/`).",
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
    overrides = ", ".join(f"{k}={short(v)}" for k, v in spec["overrides"].items())
    return f"`{name}` (preset `{spec['preset']}`{'; ' + overrides if overrides else ''})"


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
        rows = [[m.removeprefix("hours_").replace("_", " "),
                 *(fmt(means.loc[m, c]) for c in conditions)] for m in a.ledger]
        rows.append(["**total (= cost)**",
                     *(fmt(means.loc[a.ledger, c].sum()) for c in conditions)])
        lines += ["Staff hours per citizen per week, mean of the end values:", "",
                  *markdown_table(["activity", *(f"`{c}`" for c in conditions)], rows)]
    beside = [m for m in ("public_value", "cost", "cost_per_need_met", "social_cost",
                          "value_per_cost") if m in a.metrics]
    if beside and len(a.conditions) <= 8:
        lines += ["", "Value beside its cost: mean [95% CI].", "",
                  *wide_table(a.table, a.conditions, end_cell, beside)]
    return lines


def _over_time_section(a: Analysis) -> list[str]:
    lines = ["", "## Over time", ""]
    if "timeseries" not in a.figures:
        return lines + [f"{len(a.conditions)} conditions are too many lines for one figure: see "
                        "`timeseries_summary.csv` (mean and CI of each metric at each step)."]
    lines += ["Mean [95% CI] across replications at four steps; the figure shows every step with "
              "its 95% CI band.", "",
              "![Metrics over time](figures/timeseries.png)", ""]
    steps = sorted({max(1, round(a.experiment.steps * q)) for q in (0.25, 0.5, 0.75, 1.0)})
    part = a.over_time[a.over_time["step"].isin(steps)]
    for metric in [m for m in a.headline_metrics if m in a.experiment.metrics]:
        lines += [f"**{metric}** ({info(metric).unit}; {direction(metric)}) — {meaning(metric)}", "",
                  *_interval_table(part[part["metric"] == metric].set_index(["condition", "step"]),
                                   a.conditions, steps, [f"step {s}" for s in steps]), ""]
    return lines


def _interval_table(rows: pd.DataFrame, conditions: list[str], columns: list, heads: list[str]
                    ) -> list[str]:
    """A markdown table of mean [95% CI]: one row per condition, one column per ``columns``
    value (``rows`` indexed by condition and that value)."""
    return markdown_table(["condition", *heads], [
        [f"`{c}`", *(interval(*rows.loc[(c, k), ["mean", "ci_low", "ci_high"]])
                     if (c, k) in rows.index else "" for k in columns)] for c in conditions])


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
              *_interval_table(quintiles.set_index(["condition", "quintile"]), a.conditions,
                               range(5), [f"Q{q}" for q in range(1, 6)])]
    if "quintiles" in a.figures:
        lines += ["", "![Wellbeing by resource quintile](figures/wellbeing_by_quintile.png)"]
    return lines
