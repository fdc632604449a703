"""Matplotlib pictures of a run: the citizens' network, one picture per chart, the hours ledger.

Each picture keeps one Figure for the life of a run. What does not change from week to week
(edges, axes, y-ticks, spines) is rendered once into a background; a new week restores that
background and draws only the changing artists on it (matplotlib "blitting" on the Agg canvas),
then encodes a PNG (``rgb_png``; the network as a JPEG). The time axis grows a year at a time, and its tick labels and grid lines are
drawn with the lines, so a new year does not redraw the background either. A y-range is fixed
from the start ([0, 1] for shares and means, a generous range derived from the run's parameters
for the rest, see ``metric_ranges``) and grows only if the data leave it, which redraws that one
small chart. The previous (or a pinned) run can be drawn behind the live lines as a faint ghost.
Titles, definitions and legends are HTML on the page, not part of the pictures.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from coprosim.model import CoproductionModel, Params
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .charts import ChartSpec

DPI = 100
# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
OKABE_ITO = {"orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermilion": "#D55E00", "purple": "#CC79A7", "black": "#000000"}
STATE_COLOURS = {
    "taking part": OKABE_ITO["blue"],
    "asking": "#8a8a8a",  # in need, not taking part (served as a customer, or waiting)
    "no need": "#d9d9d9",
    "withdrawn": OKABE_ITO["vermilion"],
}
REGIME_COLOURS = {
    "npm": OKABE_ITO["orange"],
    "coproduction": OKABE_ITO["green"],
    "coproduction_no_outreach": OKABE_ITO["purple"],
    "hybrid": OKABE_ITO["sky"],
    "npm_with_volunteers": "#8C6D00",
    "neutral_npm": OKABE_ITO["vermilion"],
    "neutral_coproduction": OKABE_ITO["blue"],
    "null_npm": "#777777",
    "null_coproduction": OKABE_ITO["black"],
}
SPARE_COLOURS = [OKABE_ITO["blue"], OKABE_ITO["vermilion"], OKABE_ITO["purple"]]
GHOST_ALPHA = 0.3
TICK_PT = 12  # tick labels: 12 pt at 100 dpi is about 17 px before the page scales the picture


def regime_colour(scenario: str | None, position: int = 0) -> str:
    """The colour that stands for a regime everywhere on the page."""
    return REGIME_COLOURS.get(scenario or "", SPARE_COLOURS[position % len(SPARE_COLOURS)])


def png(fig: Figure, dpi: float = DPI) -> bytes:
    """The figure as PNG bytes (full redraw)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def rgb_png(rgba: np.ndarray, level: int = 1) -> bytes:
    """An RGB PNG of an (height, width, 4) pixel array (alpha dropped), written directly: no row
    filter and zlib's fastest level. Lossless, so the same pixels as Pillow's PNG, and about 5x
    faster to make for a chart (Pillow tries a filter per row, which flat-coloured line charts do
    not need; they compress to about the same size without)."""
    from PIL import Image

    height, width = rgba.shape[:2]
    rgb = Image.frombuffer("RGBA", (width, height), np.ascontiguousarray(rgba), "raw", "RGBA", 0,
                           1).convert("RGB").tobytes()  # faster than numpy's strided copy
    raw = np.empty((height, 1 + 3 * width), dtype=np.uint8)
    raw[:, 0] = 0  # each row: filter type 0 (none), then its RGB bytes
    raw[:, 1:] = np.frombuffer(rgb, dtype=np.uint8).reshape(height, 3 * width)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, level)) + chunk(b"IEND", b""))


def _encode(canvas: FigureCanvasAgg, kind: str = "png") -> bytes:
    """The canvas as an RGB PNG (``rgb_png``), or as a JPEG for the network: thousands of soft
    dots compress badly as PNG (200 kB, 15 ms) and well as JPEG (70 kB, 2 ms)."""
    if kind != "jpeg":
        return rgb_png(np.asarray(canvas.buffer_rgba()))
    from PIL import Image

    width, height = canvas.get_width_height()
    # RGBX: the RGBA buffer as it is, its alpha (all opaque) ignored: no conversion copy
    image = Image.frombuffer("RGBX", (width, height), canvas.buffer_rgba(), "raw", "RGBX", 0, 1)
    buffer = io.BytesIO()
    image.save(buffer, format="jpeg", quality=90)
    return buffer.getvalue()


class _Blitter:
    """Draws a figure's changing artists over a cached rendering of everything else.

    Two caches: the background (everything but ``overlay`` and ``dynamic``: rendered once, or
    again when the axes change), and a layer of the background with the ``overlay`` artists on
    it (the ghost and the time axis's labels: drawn once per ``overlay_key``, e.g. once a year),
    so that a week draws only the ``dynamic`` artists (the live lines).
    """

    def __init__(self, fig: Figure, dynamic: list, kind: str = "png", overlay: list | None = None):
        self.fig = fig
        self.kind = kind
        self.canvas = FigureCanvasAgg(fig)
        self.dynamic = dynamic
        self.overlay = overlay or []
        self.background = None
        self.layer = None
        self.layer_key = None

    def invalidate(self) -> None:
        self.background = None
        self.layer = None

    def render(self, overlay_key=None) -> bytes:
        """PNG bytes of the figure: background and overlay (cached) plus the dynamic artists."""
        if self.background is None:
            changing = [*self.overlay, *self.dynamic]
            shown = [artist.get_visible() for artist in changing]
            for artist in changing:
                artist.set_visible(False)
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
            for artist, visible in zip(changing, shown, strict=True):
                artist.set_visible(visible)
            self.layer = None
        renderer = self.canvas.get_renderer()
        if self.layer is None or overlay_key != self.layer_key:
            self.canvas.restore_region(self.background)
            for artist in self.overlay:
                if artist.get_visible():
                    artist.draw(renderer)
            self.layer = self.canvas.copy_from_bbox(self.fig.bbox) if self.overlay else None
            self.layer_key = overlay_key
        self.canvas.restore_region(self.layer if self.layer is not None else self.background)
        for artist in self.dynamic:
            if artist.get_visible():
                artist.draw(renderer)
        return _encode(self.canvas, self.kind)


def nice_ceiling(value: float) -> float:
    """The next of 1, 2, 2.5, 5 x 10^k at or above ``value`` (axis tops that change rarely)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** np.floor(np.log10(value))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if factor * power >= value * (1 - 1e-12):
            return float(factor * power)
    return float(10 * power)


def _finite(values: list[np.ndarray]) -> list[np.ndarray]:
    return [v[np.isfinite(v)] for v in values if len(v)]


def grown_limits(before: tuple[float, float], values: list[np.ndarray]) -> tuple[float, float]:
    """``before``, widened to round values with headroom only if the data leave it; never
    shrinks, so the axes (and the cached background) change at most a few times a run."""
    low, top = before
    values = [v for v in _finite(values) if len(v)]
    data_top = max((float(v.max()) for v in values), default=top)
    data_low = min((float(v.min()) for v in values), default=low)
    if data_top > top:
        top = nice_ceiling(data_top * 1.3) if data_top > 0 else 0.0
    if data_low < low:
        span = top - data_low
        step = nice_ceiling(span / 4)
        low = float(np.floor((data_low - 0.1 * span) / step) * step)
    return (low, top)


WEEKS_PER_AXIS_STEP = 52  # the time axis grows by a year at a time


def time_axis_end(weeks: int) -> int:
    """Right end of the time axis for ``weeks`` weeks of data: a whole number of years."""
    return WEEKS_PER_AXIS_STEP * max(1, int(np.ceil((weeks - 1) / WEEKS_PER_AXIS_STEP)))


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


CITIZEN_STATES = ("taking part", "asking", "no need", "withdrawn")
STATE_LABELS = {
    "taking part": "taking part this week",
    "asking": "in need, not taking part",
    "no need": "no need this week",
    "withdrawn": "withdrawn: stopped asking",
}


@dataclass
class NetworkSnapshot:
    """What the network picture needs from a model at one moment (copied under the run's lock)."""

    week: int
    withdrawn: np.ndarray
    took_part: np.ndarray
    in_need: np.ndarray
    volunteer: np.ndarray
    staff_motivation: np.ndarray

    @classmethod
    def of(cls, model: CoproductionModel) -> NetworkSnapshot:
        c = model.citizen_state
        return cls(int(model.steps), c["withdrawn"].copy(), c["took_part"].copy(),
                   c["need"] > model.params.need_threshold,
                   model.volunteer_state["active"].copy(), model.staff_state["motivation"].copy())

    def states(self) -> np.ndarray:
        """Index into CITIZEN_STATES per citizen (withdrawn wins, then taking part)."""
        state = np.where(self.in_need, 1, 2)
        state[self.took_part] = 0
        state[self.withdrawn] = 3
        return state

    def counts(self) -> dict[str, int]:
        """How many citizens are in each state, and how many volunteers and staff."""
        per_state = np.bincount(self.states(), minlength=len(CITIZEN_STATES))
        counts = {name: int(k) for name, k in zip(CITIZEN_STATES, per_state, strict=True)}
        counts["volunteers"] = int(self.volunteer.sum())
        counts["staff"] = len(self.staff_motivation)
        return counts


class NetworkPicture:
    """The citizens' network of one model: the four states in unmistakable colours and sizes
    (withdrawn citizens also as downward triangles), volunteers ringed in black, staff as squares
    in the middle shaded by motivation. The legend is HTML beside the picture."""

    def __init__(self, model: CoproductionModel, size_px: int = 520, ratio: float = 1.0):
        n, m = model.params.n_citizens, len(model.staff_members)
        size = size_px / DPI
        # drawn at the size it is shown (CSS pixels) times the screen's pixel ratio: sharp
        self.fig = Figure(figsize=(size, size), dpi=DPI * ratio)
        self.fig.subplots_adjust(left=0.0, right=1.0, top=1.0, bottom=0.0)
        ax = self.ax = self.fig.add_subplot()
        ax.set_axis_off()
        ax.set_aspect("equal")
        ax.set_xlim(-1.06, 1.06)
        ax.set_ylim(-1.06, 1.06)
        pos = ring_layout(n)
        edges = model.adjacency.tocoo()
        keep = edges.row < edges.col
        from matplotlib.collections import LineCollection

        segments = np.stack([pos[edges.row[keep]], pos[edges.col[keep]]], axis=1)
        ax.add_collection(LineCollection(segments, linewidths=0.4, colors="#c8c8c8", alpha=0.35,
                                         zorder=1))
        scale = (size_px / 520) ** 2  # marker areas were chosen for a 520-pixel picture
        dot = float(np.clip(30000 / n, 8, 120)) * scale
        self.sizes = np.array([1.6, 1.0, 0.45, 2.2]) * dot  # taking part, asking, no need, withdrawn
        # One marker line per state (Agg stamps a line's one marker at every point, several
        # times faster than a scatter of per-point sizes and colours: 5,000 citizens in a few
        # ms); drawn from the least to the most telling state, so that taking part is on top.
        self.state_dots = {
            state: ax.plot([], [], linestyle="none", marker="o", color=STATE_COLOURS[state],
                           markersize=float(np.sqrt(self.sizes[k])), markeredgewidth=0.0,
                           zorder=2)[0]
            for k, state in enumerate(CITIZEN_STATES[:3])}
        self.withdrawn = ax.plot([], [], linestyle="none", marker="v",
                                 markersize=float(np.sqrt(self.sizes[3])),
                                 markerfacecolor=STATE_COLOURS["withdrawn"],
                                 markeredgecolor="#5a1f00", markeredgewidth=0.6, zorder=4)[0]
        self.volunteers = ax.plot([], [], linestyle="none", marker="o",
                                  markersize=float(np.sqrt(dot * 3.2)), markerfacecolor="none",
                                  markeredgecolor="black", markeredgewidth=1.4, zorder=3)[0]
        self.positions = pos
        staff_pos = staff_layout(m)
        self.staff = ax.scatter(staff_pos[:, 0], staff_pos[:, 1], c=np.ones(m), s=110 * scale, marker="s",
                                edgecolors="#333333", linewidths=0.6, cmap="Greens", vmin=0.0,
                                vmax=1.0, zorder=3)
        order = [self.state_dots[s] for s in ("no need", "asking", "taking part")]
        self.blitter = _Blitter(self.fig, [*order, self.volunteers, self.staff, self.withdrawn],
                                kind="jpeg")
        self.last = None  # (state, volunteers, staff motivation) last drawn, and its picture

    def draw(self, snap: NetworkSnapshot) -> bytes:
        """JPEG of the network at the snapshot's week (the last one again if nothing changed)."""
        state = snap.states()
        if self.last is not None:
            (was_state, was_volunteer, was_staff), image = self.last
            if (np.array_equal(state, was_state) and np.array_equal(snap.volunteer, was_volunteer)
                    and np.array_equal(snap.staff_motivation, was_staff)):
                return image
        for k, name in enumerate(CITIZEN_STATES):
            artist = self.withdrawn if name == "withdrawn" else self.state_dots[name]
            at = self.positions[state == k]
            artist.set_data(at[:, 0], at[:, 1])
        volunteer_pos = self.positions[snap.volunteer]
        self.volunteers.set_data(volunteer_pos[:, 0], volunteer_pos[:, 1])
        self.staff.set_array(snap.staff_motivation)
        image = self.blitter.render()
        self.last = ((state, snap.volunteer.copy(), snap.staff_motivation.copy()), image)
        return image


def _rgb(colour: str) -> np.ndarray:
    from matplotlib.colors import to_rgb

    return np.array(to_rgb(colour))


# --- charts over time --------------------------------------------------------------------------

def metric_ranges(params: Params) -> dict[str, tuple[float, float]]:
    """Generous y-ranges of the unbounded metrics, from a run's parameters.

    Need arrives at about ``p_need_shock * need_shock_size`` per citizen and week, so the need
    reduced per week (public value) settles near it and the need of those who stopped asking
    (hidden need) stays within a few weeks' worth; emergent value is a small part of public
    value (about 3% at most in the presets); cost is the staff's paid hours per citizen plus a
    couple of hires; throughput cannot exceed the cases the staff's hours allow. The equity gap
    is a difference of wellbeing (in [0, 1]); the presets keep it within [-0.05, 0.35].
    A range only starts a chart: it grows if the data leave it.
    """
    inflow = max(params.p_need_shock * params.need_shock_size, 1e-6)
    n = params.n_citizens
    staff = max(1, round(params.staff_per_1000 * n / 1000))
    paid = staff * params.staff_hours / n
    cases = staff * params.staff_hours / params.standard_duration
    cost_top = nice_ceiling(1.3 * (paid + 2 * params.hiring_cost / n))
    return {
        "public_value": (0.0, nice_ceiling(2.0 * inflow)),
        "value_destroyed": (0.0, nice_ceiling(0.2 * inflow)),
        "wicked_value": (0.0, nice_ceiling(2.0 * inflow)),
        "emergent_value": (0.0, nice_ceiling(0.04 * inflow)),
        "mean_wellbeing": (0.7, 1.0),
        "equity_gap": (-0.1, 0.4),
        "hidden_need": (0.0, nice_ceiling(10.0 * inflow)),
        "cost": (0.0, cost_top),
        "social_cost": (0.0, cost_top),
        "throughput": (0.0, nice_ceiling(cases)),
        "value_per_cost": (0.0, nice_ceiling(2.0 * inflow / max(paid, 1e-9))),
        "waiting_time": (0.0, 4.0),
    }


def chart_range(spec: ChartSpec, params: list[Params]) -> tuple[float, float]:
    """The starting y-range of a chart (in display units): fixed, else the widest derived one."""
    if spec.ylim is not None:
        return spec.ylim
    derived = [metric_ranges(p) for p in params]
    bounds = [d[line.metric] for d in derived for line in spec.lines if line.metric in d]
    if not bounds:
        return (0.0, 1.0)
    return (min(b[0] for b in bounds) * spec.scale, max(b[1] for b in bounds) * spec.scale)


class _TimeTicks:
    """Tick labels and grid lines of a time axis, drawn with the lines (not in the background),
    so the axis can grow a year without redrawing everything else."""

    def __init__(self, ax, count: int = 6):
        self.ax = ax
        transform = ax.get_xaxis_transform()
        self.labels = [ax.text(0, -0.03, "", transform=transform, ha="center", va="top",
                               fontsize=TICK_PT, clip_on=False) for _ in range(count)]
        self.grid = [ax.axvline(0, color="#b0b0b0", alpha=0.3, lw=0.8) for _ in range(count)]
        self.locator = MaxNLocator(5, integer=True)
        self.end = None

    @property
    def artists(self) -> list:
        return [*self.grid, *self.labels]

    def update(self, end: int) -> None:
        if end == self.end:
            return
        self.end = end
        self.ax.set_xlim(0, end)
        ticks = [t for t in self.locator.tick_values(0, end) if 0 <= t <= end]
        for i, (label, line) in enumerate(zip(self.labels, self.grid, strict=True)):
            shown = i < len(ticks)
            label.set_visible(shown)
            line.set_visible(shown)
            if shown:
                label.set_x(ticks[i])
                label.set_text(f"{ticks[i]:.0f}")
                line.set_xdata([ticks[i], ticks[i]])


@dataclass
class Ghost:
    """A finished run kept faintly behind the live one: its regimes and their series."""

    runs: list[tuple[str, str]]  # (scenario, label)
    series: list[dict[str, np.ndarray]]
    description: str
    week: int
    pinned: bool = False


class ChartPicture:
    """One chart: each regime one colour (solid, dashed for a second metric), the ghost faint."""

    def __init__(self, spec: ChartSpec, regimes: list[tuple[str, str]],
                 params: list[Params] | None = None, ghost: Ghost | None = None,
                 size_px: tuple[int, int] = (360, 240), ratio: float = 1.0):
        self.spec = spec
        width, height = size_px
        # size_px in CSS pixels, drawn at the screen's pixel ratio (sharp at any zoom); margins
        # in pixels, so the tick labels keep their room however small the chart is shown
        self.fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI * ratio)
        self.fig.subplots_adjust(left=min(0.4, 54 / width), right=1 - min(0.1, 10 / width),
                                 top=1 - min(0.1, 10 / height), bottom=min(0.4, 26 / height))
        ax = self.ax = self.fig.add_subplot()
        ax.tick_params(labelsize=TICK_PT, bottom=False, labelbottom=False)
        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.grid(axis="y", alpha=0.3)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        self.ticks = _TimeTicks(ax)
        ylim = chart_range(spec, params or [Params()])
        self.ghost_lines = []
        if ghost is not None:
            for i, ((scenario, _), run) in enumerate(zip(ghost.runs, ghost.series, strict=True)):
                for k, line in enumerate(spec.lines):
                    if line.metric in run:
                        values = run[line.metric] * spec.scale
                        artist, = ax.plot(np.arange(len(values)), values, lw=4.0,
                                          color=regime_colour(scenario, i), alpha=GHOST_ALPHA,
                                          linestyle="-" if k == 0 else "--",
                                          solid_capstyle="butt")
                        self.ghost_lines.append(artist)
                        ylim = grown_limits(ylim, [values])
        self.lines = [[ax.plot([], [], color=regime_colour(scenario, i), lw=2.4,
                               linestyle="-" if k == 0 else (0, (4, 2)))[0]
                       for k in range(len(spec.lines))]
                      for i, (scenario, _) in enumerate(regimes)]
        ax.set_ylim(*ylim)
        if spec.percent:
            ax.yaxis.set_major_formatter("{x:.0f}%")
        self.ylim = ylim
        self.ghost_weeks = max((len(next(iter(s.values()), [])) for s in ghost.series),
                               default=0) if ghost else 0
        live = [line for run in self.lines for line in run]
        self.blitter = _Blitter(self.fig, live, overlay=[*self.ghost_lines, *self.ticks.artists])

    def draw(self, series: list[dict[str, np.ndarray]]) -> bytes:
        """PNG of the chart for each run's series (same order as the regimes)."""
        weeks = max(self.ghost_weeks, *(len(next(iter(s.values()), [])) for s in series))
        values = []
        for run_lines, run in zip(self.lines, series, strict=True):
            for artist, line in zip(run_lines, self.spec.lines, strict=True):
                data = run.get(line.metric)
                if data is None:
                    continue
                data = data * self.spec.scale
                artist.set_data(np.arange(len(data)), data)
                values.append(data)
        limits = grown_limits(self.ylim, values)
        if limits != self.ylim:
            self.ax.set_ylim(*limits)
            self.ylim = limits
            self.blitter.invalidate()
        self.ticks.update(time_axis_end(weeks))
        return self.blitter.render(overlay_key=self.ticks.end)


HOURS_COLOURS = list(OKABE_ITO.values()) + ["#999999", "#666666", "#bbbbbb"]


class HoursPicture:
    """'Where the hours go': the cost ledger of one run as stacked areas, per citizen and week."""

    def __init__(self, columns: dict[str, str], size_px: tuple[int, int] = (560, 260),
                 ratio: float = 1.0):
        self.columns = columns  # column -> readable label
        width, height = size_px
        self.fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI * ratio)
        # the legend (HTML beside the picture, see ``legend_items``) needs no room here
        self.fig.subplots_adjust(left=min(0.4, 54 / width), right=1 - min(0.1, 10 / width),
                                 top=1 - min(0.1, 10 / height), bottom=min(0.4, 30 / height))
        self.ax = self.fig.add_subplot()
        self.canvas = FigureCanvasAgg(self.fig)
        self.top = 0.0

    def draw(self, series: dict[str, np.ndarray]) -> bytes:
        ax = self.ax
        ax.clear()
        names = [c for c in self.columns if c in series]
        data = np.vstack([np.nan_to_num(series[c]) for c in names]) if names else np.zeros((1, 1))
        weeks = data.shape[1]
        ax.stackplot(np.arange(weeks), data, labels=[self.columns[c] for c in names],
                     colors=HOURS_COLOURS[:len(names)], alpha=0.9)
        self.top = max(self.top, nice_ceiling(float(data.sum(axis=0).max(initial=0)) * 1.2))
        ax.set_ylim(0, self.top)
        ax.set_xlim(0, time_axis_end(weeks))
        ax.tick_params(labelsize=TICK_PT)
        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.grid(alpha=0.3)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        self.canvas.draw()
        return _encode(self.canvas)

    def legend_items(self, series: dict[str, np.ndarray]) -> list[tuple[str, str]]:
        """(colour, label) of each layer, top layer first (the page's HTML legend)."""
        names = [c for c in self.columns if c in series]
        return [(HOURS_COLOURS[i], self.columns[c]) for i, c in enumerate(names)][::-1]
