"""Figures of a comparison report (matplotlib, drawn off-screen): over time, the forest plot of
differences, the cost ledger, wellbeing by quintile, along a sweep.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .statistics import info
from .tables import arrow, direction, short

if TYPE_CHECKING:
    from .report import Analysis

MAX_LINES = 8     # conditions in one over-time or quintile figure
MAX_BARS = 12     # conditions in the ledger figure
MAX_PANELS = 9    # panels of a sweep figure


def draw_figures(a: Analysis) -> dict[str, Path]:
    """Matplotlib (Agg) PNGs under figures/, each written atomically."""
    plt = FigureMaker()
    folder = a.out / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    colours = {c: plt.cm.tab10(i % 10) for i, c in enumerate(a.conditions)}
    written = {}
    shown = [m for m in a.headline_metrics if m in a.experiment.metrics]
    if len(a.conditions) <= MAX_LINES:
        written["timeseries"] = save_png(_plot_over_time(plt, a.over_time, shown, a.conditions,
                                                         colours), folder / "timeseries.png")
    if len(a.scenarios) > 1 and len(a.conditions) <= MAX_BARS:
        figure = _plot_differences(plt, a, colours)
        if figure is not None:
            written["differences"] = save_png(figure, folder / "differences.png")
    if a.ledger and len(a.conditions) <= MAX_BARS:
        written["ledger"] = save_png(_plot_ledger(plt, a), folder / "ledger.png")
    if a.quintiles is not None and len(a.conditions) <= MAX_LINES:
        written["quintiles"] = save_png(_plot_quintiles(plt, a.quintiles, a.conditions, colours),
                                        folder / "wellbeing_by_quintile.png")
    if a.is_sweep:
        for metric in a.headline_metrics:
            written[f"sweep_{metric}"] = save_png(_plot_sweep(plt, a, metric),
                                                  folder / f"sweep_{metric}.png")
    return written


def save_png(figure, path: Path, tight: bool = True) -> Path:
    """Write a figure as a PNG that appears whole or not at all (a temporary file, renamed)."""
    temporary = path.with_name(f".{path.stem}.tmp.png")
    figure.savefig(temporary, dpi=110, **({"bbox_inches": "tight"} if tight else {}))
    figure.clear()
    temporary.replace(path)
    return path


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
        mark = arrow(metric)
        ax.set_title(f"{metric}{' (' + mark + ')' if mark else ''}", fontsize=9)
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
    """The forest plot: every headline metric, each scenario against the baseline on one scale
    (standardised paired difference, 95% CI), turned so that right is better."""
    from .tables import plain_metric, plain_scenario

    part = a.standardised
    metrics = [m for m in a.headline_metrics if len(part) and m in set(part["metric"])]
    if not metrics:
        return None
    others = list(dict.fromkeys(part["condition"]))
    figure, ax = plt.subplots(figsize=(8, 0.26 * len(metrics) * (1 + 0.2 * (len(others) - 1)) + 1.6))
    for k, c in enumerate(others):
        rows = part[part["condition"] == c].set_index("metric").reindex(metrics)
        y = np.arange(len(metrics)) + (k - (len(others) - 1) / 2) * 0.8 / max(len(others), 1)
        x = rows["toward_better"].to_numpy(dtype=float)
        err = np.vstack([x - rows["toward_better_low"].to_numpy(dtype=float),
                         rows["toward_better_high"].to_numpy(dtype=float) - x])
        ax.errorbar(x, y, xerr=err, fmt="o", ms=3.5, lw=1, capsize=2, color=colours[c],
                    label=plain_scenario(c))
        for yi, xi in zip(y, x, strict=True):
            if np.isnan(xi):
                ax.text(0, yi, " same in every run", fontsize=6, va="center", color="grey")
    ax.axvline(0, color="grey", lw=0.8)
    labels = [f"{plain_metric(m)} {'(no better direction)' if not info(m).better else ''}".strip()
              for m in metrics]
    ax.set_yticks(range(len(metrics)), labels, fontsize=8)
    for tick, m in zip(ax.get_yticklabels(), metrics, strict=True):
        if not info(m).better:
            tick.set_color("grey")
    ax.invert_yaxis()
    base = plain_scenario(a.baseline)
    ax.set_xlabel(f"◀ worse than {base}      difference in standard deviations (95% CI)      "
                  f"better than {base} ▶", fontsize=8)
    ax.set_title(f"Each scenario against {base}, every headline metric: right is better",
                 fontsize=10)
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
            label = f"{series} = {short(level)}" if series not in (None, "scenario") else level
            panel.plot(line[x_axis], line["mean"], marker="o", ms=3, lw=1.2,
                       color=colours[level], label=label)
            panel.fill_between(line[x_axis].to_numpy(dtype=float),
                               line["ci_low"].to_numpy(dtype=float),
                               line["ci_high"].to_numpy(dtype=float),
                               color=colours[level], alpha=0.2, lw=0)
        panel.set_title(", ".join(f"{k} = {short(v)}" for k, v in facet.items()) or metric,
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
