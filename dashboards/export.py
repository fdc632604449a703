"""Take-home files of a run: its charts as one PNG (the metrics CSV is ``Session.metrics_csv``).

The PNG is drawn afresh at print resolution with titles and the regimes' legend, from the same
chart list as the page (key charts first, then the others the model reports).
"""

from __future__ import annotations

import re

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .charts import KEY_CHARTS, MORE_CHARTS, available_charts
from .figures import GHOST_ALPHA, chart_range, grown_limits, png, regime_colour
from .session import Session


def file_stem(session: Session) -> str:
    """A file name for the run's downloads: 'coprosim_npm-vs-coproduction_seed1'."""
    settings = session.settings
    if settings is None:
        return "coprosim"
    names = "-vs-".join(settings.scenarios)
    custom = "_custom" if settings.changes() else ""
    return re.sub(r"[^A-Za-z0-9_.-]", "", f"coprosim_{names}{custom}_seed{settings.seed}")


def charts_figure(session: Session) -> Figure:
    """Every chart of the run (and the ghost, faint) in one figure, titled and with a legend."""
    snap = session.snapshot()
    ghost = session.ghost
    metrics = set(snap.series[0]) if snap.series else set()
    specs = available_charts(KEY_CHARTS, metrics) + available_charts(MORE_CHARTS, metrics)
    columns = 4
    rows = int(np.ceil(len(specs) / columns))
    fig = Figure(figsize=(16, 3.4 * rows + 1.0), dpi=100)
    fig.subplots_adjust(left=0.05, right=0.99, top=1 - 0.9 / (3.4 * rows + 1.0), bottom=0.06,
                        wspace=0.28, hspace=0.55)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    params = [run.model.params for run in session.runs]
    for ax, spec in zip(axes, specs, strict=False):
        ylim = chart_range(spec, params)
        values = []
        for k, line in enumerate(spec.lines):
            style = "-" if k == 0 else "--"
            if ghost is not None:
                for i, ((scenario, _), run) in enumerate(zip(ghost.runs, ghost.series,
                                                               strict=True)):
                    if line.metric in run:
                        data = run[line.metric] * spec.scale
                        ax.plot(data, color=regime_colour(scenario, i), lw=4, alpha=GHOST_ALPHA,
                                linestyle=style)
                        values.append(data)
            for i, ((scenario, _), run) in enumerate(zip(snap.runs, snap.series, strict=True)):
                if line.metric in run:
                    data = run[line.metric] * spec.scale
                    ax.plot(data, color=regime_colour(scenario, i), lw=2, linestyle=style)
                    values.append(data)
        ax.set_ylim(*grown_limits(ylim, values))
        ax.set_title(spec.heading, loc="left", fontsize=12)
        ax.set_xlabel("week")
        ax.grid(alpha=0.3)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if spec.percent:
            ax.yaxis.set_major_formatter("{x:.0f}%")
    for ax in axes[len(specs):]:
        ax.set_axis_off()
    handles = [Line2D([], [], color=regime_colour(s, i), lw=3, label=label)
               for i, (s, label) in enumerate(snap.runs)]
    if ghost is not None:
        handles.append(Line2D([], [], color="#999999", lw=5, alpha=0.5,
                              label=f"faint: {ghost.description} ({ghost.week} weeks)"))
    title = session.settings.describe() if session.settings else ""
    fig.suptitle(f"coprosim, week {snap.week}: {title}, seed "
                 f"{session.settings.seed if session.settings else ''}", x=0.05, ha="left",
                 fontsize=14, fontweight="bold")
    fig.legend(handles=handles, loc="upper right", ncol=len(handles), frameon=False,
               fontsize=12)
    return fig


def charts_png(session: Session) -> bytes:
    """The run's charts as PNG bytes (for the page's download button)."""
    return png(charts_figure(session), dpi=110)
