"""Matplotlib pictures of a run: the citizens' network and the metrics over time.

Each picture keeps one Figure for the life of a run. What does not change from week to week
(edges, axes, ticks, titles, legends) is rendered once into a background; a new week restores
that background and draws only the changing artists on it (matplotlib "blitting" on the Agg
canvas), then encodes a PNG. Every panel's y-range is fixed from the start: [0, 1] for shares
and means, and for the unbounded metrics a generous range derived from the run's parameters
(see ``metric_ranges``), so an ordinary week never redraws the axes. A range grows only if the
data leave it (rare: the derived tops sit well above what the presets reach), and the time
axis grows a year at a time. The network layout is computed once per model.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from coprosim.model import CoproductionModel, Params
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

DPI = 80
# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
STATE_COLOURS = {
    "taking part": np.array([0.0, 0.447, 0.698]),  # blue
    "passive": np.array([0.45, 0.45, 0.45]),  # grey
    "withdrawn": np.array([0.835, 0.369, 0.0]),  # vermilion
}
REGIME_COLOURS = {
    "npm": "#E69F00",
    "coproduction": "#009E73",
    "coproduction_no_outreach": "#CC79A7",
    "hybrid": "#56B4E9",
    "npm_with_volunteers": "#8C6D00",
    "null_npm": "#777777",
    "null_coproduction": "#000000",
}
SPARE_COLOURS = ["#0072B2", "#D55E00", "#F0E442"]


def regime_colour(scenario: str | None, position: int = 0) -> str:
    """The colour that stands for a regime everywhere on the page."""
    return REGIME_COLOURS.get(scenario or "", SPARE_COLOURS[position % len(SPARE_COLOURS)])


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes (full redraw)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


class _Blitter:
    """Draws a figure's changing artists over a cached rendering of everything else."""

    def __init__(self, fig: Figure, dynamic: list):
        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
        self.dynamic = dynamic
        self.background = None

    def invalidate(self) -> None:
        self.background = None

    def render(self) -> bytes:
        """PNG bytes of the figure: background (cached) plus the dynamic artists."""
        from PIL import Image

        if self.background is None:
            for artist in self.dynamic:
                artist.set_visible(False)
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
            for artist in self.dynamic:
                artist.set_visible(True)
        self.canvas.restore_region(self.background)
        for artist in self.dynamic:
            artist.axes.draw_artist(artist)
        width, height = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw",
                                 "RGBA", 0, 1)
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


def nice_ceiling(value: float) -> float:
    """The next of 1, 2, 2.5, 5 x 10^k at or above ``value`` (axis tops that change rarely)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** np.floor(np.log10(value))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if factor * power >= value * (1 - 1e-12):
            return float(factor * power)
    return float(10 * power)


def _grown_limits(before: tuple[float, float], values: list[np.ndarray]) -> tuple[float, float]:
    """``before``, widened to round values with headroom only if the data leave it; never
    shrinks, so the axes (and the cached background) change at most a few times a run."""
    low, top = before
    data_top = max((float(np.nanmax(v)) for v in values if len(v)), default=top)
    data_low = min((float(np.nanmin(v)) for v in values if len(v)), default=low)
    if data_top > top:
        top = nice_ceiling(data_top * 1.3)
    if data_low < low:
        low = -nice_ceiling(-data_low * 1.3)
    return (low, top)


WEEKS_PER_AXIS_STEP = 52  # the time axis grows by a year at a time


# --- the network -------------------------------------------------------------------------------

def ring_layout(n: int) -> np.ndarray:
    """Positions on a thick ring, in node order: the small-world ring's neighbourhoods stay
    together and rewired ties cross the middle. Bands keep 1,000 nodes apart; O(n), no iteration.
    """
    bands = max(1, int(round(np.sqrt(n) / 4)))
    index = np.arange(n)
    angle = 2 * np.pi * index / n
    radius = 1.0 - 0.45 * (index % bands) / max(bands - 1, 1) if bands > 1 else np.ones(n)
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])


def staff_layout(m: int) -> np.ndarray:
    """Staff as a small square block in the middle of the ring (a separate group of nodes)."""
    side = int(np.ceil(np.sqrt(m)))
    spacing = min(0.08, 0.5 / max(side, 1))
    rows, cols = np.divmod(np.arange(m), side)
    offset = (side - 1) * spacing / 2
    return np.column_stack([cols * spacing - offset, offset - rows * spacing])


def citizen_colours(withdrawn, took_part, wellbeing) -> np.ndarray:
    """RGB per citizen: hue is the state, shade is wellbeing (paler = worse off)."""
    base = np.where(withdrawn[:, None], STATE_COLOURS["withdrawn"],
                    np.where(took_part[:, None], STATE_COLOURS["taking part"],
                             STATE_COLOURS["passive"]))
    # wellbeing runs from about 0.4 (heavy need) to 1 (no need): map it onto 40-100% colour,
    # so that the worst off (often the withdrawn) stay visible
    strength = 0.4 + 0.6 * np.clip((wellbeing - 0.4) / 0.6, 0.0, 1.0)
    return 1.0 - strength[:, None] * (1.0 - base)


@dataclass
class NetworkSnapshot:
    """What the network picture needs from a model at one moment (copied under the run's lock)."""

    week: int
    withdrawn: np.ndarray
    took_part: np.ndarray
    wellbeing: np.ndarray
    volunteer: np.ndarray
    staff_motivation: np.ndarray

    @classmethod
    def of(cls, model: CoproductionModel) -> NetworkSnapshot:
        c = model.citizen_state
        return cls(int(model.steps), c["withdrawn"].copy(), c["took_part"].copy(),
                   c["wellbeing"].copy(), model.volunteer_state["active"].copy(),
                   model.staff_state["motivation"].copy())


class NetworkPicture:
    """The citizens' network of one model: nodes coloured by state, shaded by wellbeing,
    volunteers ringed in black, staff as squares in the middle shaded by motivation."""

    def __init__(self, model: CoproductionModel, title: str, size: float = 5.4):
        n, m = model.params.n_citizens, len(model.staff_members)
        self.title = title
        self.fig = Figure(figsize=(size, size + 0.5), dpi=DPI)
        self.fig.subplots_adjust(left=0.01, right=0.99, top=0.92, bottom=0.12)
        ax = self.ax = self.fig.add_subplot()
        ax.set_axis_off()
        ax.set_aspect("equal")
        ax.set_xlim(-1.08, 1.08)
        ax.set_ylim(-1.08, 1.08)
        pos = ring_layout(n)
        edges = model.adjacency.tocoo()
        keep = edges.row < edges.col
        segments = np.stack([pos[edges.row[keep]], pos[edges.col[keep]]], axis=1)
        ax.add_collection(LineCollection(segments, linewidths=0.3, colors="#b0b0b0", alpha=0.35,
                                         zorder=1))
        dot = float(np.clip(16000 / n, 5, 60))
        self.citizens = ax.scatter(pos[:, 0], pos[:, 1], s=dot, linewidths=0.0, zorder=2)
        self.volunteer_size = dot * 2.2
        self.volunteers = ax.scatter([], [], s=self.volunteer_size, facecolors="none",
                                     edgecolors="black", linewidths=1.1, zorder=3)
        self.positions = pos
        staff_pos = staff_layout(m)
        self.staff = ax.scatter(staff_pos[:, 0], staff_pos[:, 1], c=np.ones(m), s=70, marker="s",
                                edgecolors="#333333", linewidths=0.6, cmap="Greens", vmin=0.0,
                                vmax=1.0, zorder=3)
        ax.set_title(title, fontsize=13, fontweight="bold", y=1.0)
        self.fig.legend(handles=_network_legend(), loc="lower center", ncol=3, fontsize=9.5,
                        frameon=False, handletextpad=0.3, columnspacing=1.0)
        self.blitter = _Blitter(self.fig, [self.citizens, self.volunteers, self.staff])

    def draw(self, snap: NetworkSnapshot) -> bytes:
        """PNG of the network at the snapshot's week."""
        self.citizens.set_facecolors(citizen_colours(snap.withdrawn, snap.took_part,
                                                     snap.wellbeing))
        volunteer_pos = self.positions[snap.volunteer]
        self.volunteers.set_offsets(volunteer_pos if len(volunteer_pos) else np.empty((0, 2)))
        self.staff.set_array(snap.staff_motivation)
        return self.blitter.render()


def _network_legend() -> list:
    def dot(colour, label, **kw):
        return Line2D([], [], marker="o", linestyle="", markersize=8, color=colour, label=label, **kw)

    return [
        dot(STATE_COLOURS["taking part"], "taking part"),
        dot(STATE_COLOURS["passive"], "passive"),
        dot(STATE_COLOURS["withdrawn"], "withdrawn"),
        dot("white", "volunteer", markeredgecolor="black", markeredgewidth=1.2),
        Line2D([], [], marker="s", linestyle="", markersize=8, color="#41ab5d",
               markeredgecolor="#333333", label="staff (darker = motivated)"),
        dot("#dddddd", "paler = lower wellbeing"),
    ]


# --- metrics over time -------------------------------------------------------------------------

# Panel title, metrics drawn (solid, then dashed), y-range (None: derived from the parameters by
# ``metric_ranges``).
PANELS: list[tuple[str, tuple[str, ...], tuple[float, float] | None]] = [
    ("Public value (solid)\nand emergent value (dashed)", ("public_value", "emergent_value"), None),
    ("Participation\n(share of citizens in need taking part)", ("participation_rate",), (0.0, 1.0)),
    ("Trust (solid)\nand efficacy (dashed)", ("mean_trust", "mean_efficacy"), (0.0, 1.0)),
    ("Equity gap (wellbeing of the\nmost minus least resourceful fifth)", ("equity_gap",), None),
    ("Hidden need\n(of citizens who stopped asking)", ("hidden_need",), None),
    ("Staff motivation", ("staff_motivation",), (0.0, 1.0)),
    ("Cost\n(staff hours per citizen)", ("cost",), None),
    ("Throughput\n(cases closed: the NPM indicator)", ("throughput",), None),
]
CHART_METRICS = sorted({m for _, metrics, _ in PANELS for m in metrics})


def metric_series(model: CoproductionModel) -> dict[str, np.ndarray]:
    """The collected metrics of a model as arrays, one value per week from week 0."""
    collected = model.datacollector.model_vars
    length = min(len(collected[m]) for m in CHART_METRICS)
    return {m: np.asarray(collected[m][:length], dtype=float) for m in CHART_METRICS}


def metric_ranges(params: Params) -> dict[str, tuple[float, float]]:
    """Generous y-ranges of the unbounded metrics, from a run's parameters.

    Need arrives at about ``p_need_shock * need_shock_size`` per citizen and week, so the need
    reduced per week (public value) settles near it and the need of those who stopped asking
    (hidden need) stays within a few weeks' worth; cost is the staff's paid hours per citizen plus
    a couple of hires; throughput cannot exceed the cases the staff's hours allow. The equity gap
    is a difference of wellbeing (in [0, 1]); the presets keep it within [-0.05, 0.35].
    (Checked against every preset over five years: the data stay inside these ranges.)
    """
    inflow = max(params.p_need_shock * params.need_shock_size, 1e-6)
    n = params.n_citizens
    staff = max(1, round(params.staff_per_1000 * n / 1000))
    paid = staff * params.staff_hours / n
    cases = staff * params.staff_hours / params.standard_duration
    return {
        "public_value": (0.0, nice_ceiling(2.0 * inflow)),
        "equity_gap": (-0.1, 0.4),
        "hidden_need": (0.0, nice_ceiling(10.0 * inflow)),
        "cost": (0.0, nice_ceiling(1.3 * (paid + 2 * params.hiring_cost / n))),
        "throughput": (0.0, nice_ceiling(cases)),
    }


def panel_ranges(params: list[Params]) -> list[tuple[float, float]]:
    """The starting y-range of each panel: its fixed range, else the widest derived one."""
    derived = [metric_ranges(p) for p in params]
    ranges = []
    for _title, metrics, ylim in PANELS:
        if ylim is None:
            bounds = [d[m] for d in derived for m in metrics if m in d] or [(0.0, 1.0)]
            ylim = (min(b[0] for b in bounds), max(b[1] for b in bounds))
        ranges.append(ylim)
    return ranges


class MetricCharts:
    """Eight small panels of metrics over weeks; each regime one colour, overlaid."""

    def __init__(self, regimes: list[tuple[str, str]], params: list[Params] | None = None,
                 width: float = 13.5):
        """``regimes``: (scenario, label) per run, in the order their series will be given;
        ``params``: the runs' parameters, which set the y-ranges (defaults if not given)."""
        self.fig = Figure(figsize=(width, 6.2), dpi=DPI)
        self.fig.subplots_adjust(left=0.045, right=0.99, top=0.85, bottom=0.08, wspace=0.28,
                                 hspace=0.62)
        axes = self.fig.subplots(2, 4).ravel()
        ranges = panel_ranges(params or [Params()])
        self.panels = []
        for ax, (title, metrics, _), ylim in zip(axes, PANELS, ranges, strict=True):
            ax.set_title(title, fontsize=11, loc="left", y=1.0)
            ax.tick_params(labelsize=9)
            ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(4))
            ax.grid(alpha=0.3)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
            ax.set_xlim(0, WEEKS_PER_AXIS_STEP)
            ax.set_ylim(*ylim)
            lines = [[ax.plot([], [], color=regime_colour(scenario, i), lw=2.0,
                              linestyle="-" if k == 0 else "--")[0]
                      for k in range(len(metrics))]
                     for i, (scenario, _) in enumerate(regimes)]
            self.panels.append((ax, metrics, lines))
        for ax in axes[4:]:
            ax.set_xlabel("week", fontsize=9)
        handles = [Line2D([], [], color=regime_colour(s, i), lw=3, label=label)
                   for i, (s, label) in enumerate(regimes)]
        self.fig.legend(handles=handles, loc="upper center", ncol=len(handles), fontsize=12,
                        frameon=False, bbox_to_anchor=(0.5, 1.0))
        all_lines = [line for *_, lines in self.panels for run in lines for line in run]
        self.blitter = _Blitter(self.fig, all_lines)
        self.limits = (WEEKS_PER_AXIS_STEP, ranges)

    def draw(self, series: list[dict[str, np.ndarray]]) -> bytes:
        """PNG of the panels for each run's series (same order as the regimes)."""
        weeks = max(len(s[CHART_METRICS[0]]) for s in series)
        right = WEEKS_PER_AXIS_STEP * max(1, int(np.ceil((weeks - 1) / WEEKS_PER_AXIS_STEP)))
        limits = []
        for (_ax, metrics, lines), before in zip(self.panels, self.limits[1], strict=True):
            values = [v[m] for v in series for m in metrics if len(v[m])]
            for run_lines, run in zip(lines, series, strict=True):
                for line, metric in zip(run_lines, metrics, strict=True):
                    line.set_data(np.arange(len(run[metric])), run[metric])
            limits.append(_grown_limits(before, values))
        if (right, limits) != self.limits:
            for (ax, *_), ylim in zip(self.panels, limits, strict=True):
                ax.set_xlim(0, right)
                ax.set_ylim(*ylim)
            self.limits = (right, limits)
            self.blitter.invalidate()
        return self.blitter.render()
