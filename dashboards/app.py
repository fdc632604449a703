"""coprosim's teaching dashboard (Solara): one regime, or two side by side from the same seed.

Start it with ``coprosim dashboard`` or ``solara run dashboards/app.py``. Everything a session
needs (its models, its pictures, its settings) lives in component state created per browser
session, so several students can use one server at once. The page draws with matplotlib only and
loads nothing from the internet.

Layout for a classroom projector: the page fills the window without scrolling at 1366x768 (run
controls; the network or the twin networks; the headline numbers; the four key charts) and
grows with a larger window; more charts open below on request. Settings live in the address
bar, so a link or a reload reproduces the setup (and replays to the week it was paused at).
A ``dashboards/lessons.py`` with a list ``LESSONS`` adds a Lessons tab (see ``LessonsView``).

A new week does not render the page again: the parts that change every week (the week, the
pictures, the network's counts, the headline numbers) are widgets held for the life of a run and
updated in place (``WeeklyParts``), so a Step costs the model's step, the drawing and a few small
messages to the browser.
"""

from __future__ import annotations

import dataclasses
import html
import sys
import threading
import time
from pathlib import Path

import ipywidgets
import markdown
import solara
import solara.lab

try:
    import coprosim  # noqa: F401  (the package is installed editable in the project's venv)
except ModuleNotFoundError:  # run from a plain checkout: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coprosim.dashboards.charts import KEY_CHARTS, MORE_CHARTS, ChartSpec, available_charts
from coprosim.dashboards.explain import IDEAS, idea_markdown
from coprosim.dashboards.export import charts_png, file_stem
from coprosim.dashboards.figures import (
    CITIZEN_STATES,
    STATE_COLOURS,
    STATE_LABELS,
    ChartPicture,
    HoursPicture,
    NetworkPicture,
    regime_colour,
)
from coprosim.dashboards.regimes import acts_only_in, inert_everywhere
from coprosim.dashboards.session import Session, Snapshot, ledger_columns
from coprosim.dashboards.settings import (
    SLIDERS,
    Settings,
    SliderSpec,
    apply_setup,
    format_value,
    locked_parameters,
    parameter_label,
    parse_seed,
    scenario_choices,
    scenario_label,
)
from coprosim.model import METRICS, PRESETS, ParameterError, Params

TITLE = "coprosim: public services under NPM and co-production"
SPEED_RANGE = (1, 20)  # weeks per second while playing
DEFAULT_SPEED = 5
MAX_FRAMES_PER_SECOND = 8  # above this, Play steps several weeks per picture to keep its speed


SESSION_CULL = "2m"  # a closed tab's session is freed after this (Solara's default: 24 h)


def _classroom_server_settings() -> None:
    """No 'This website runs on Solara' badge (it covers a chart on a projector), and sessions
    freed soon after their tab closes, unless the environment says otherwise."""
    import os

    try:
        import solara.server.settings as server_settings

        server_settings.theme.show_banner = False
        if "SOLARA_KERNEL_CULL_TIMEOUT" not in os.environ:
            server_settings.kernel.cull_timeout = SESSION_CULL
    except (ImportError, AttributeError):  # pragma: no cover - older or newer Solara
        pass


_classroom_server_settings()

CSS = """
.solara-content-main, .v-application--wrap > div { padding: 0 !important; }
div:has(> b > a[href="https://solara.dev"]) { display: none !important; }
.cp-page { display: grid; grid-template-columns: 290px minmax(0, 1fr); gap: 10px;
           height: 100vh; padding: 6px 10px; box-sizing: border-box;
           font-size: clamp(15px, 1.05vw, 21px); }
.cp-controls { overflow-y: auto; min-height: 0; padding-right: 4px; }
.cp-controls .v-card { margin-bottom: 8px !important; }
.cp-main { display: flex; flex-direction: column; min-height: 0; min-width: 0; }
.cp-main .v-tabs { flex: 0 0 auto; }
.cp-main .v-tabs .v-tab { font-size: 15px; min-width: 0; padding: 0 14px; }
.cp-main .v-tabs-bar { height: 36px !important; }
.cp-main .v-window, .cp-main .v-window__container, .cp-main .v-window-item { height: 100%; }
.cp-tabbody { flex: 1 1 auto; min-height: 0; overflow-y: auto; overflow-x: hidden; }
.cp-sim { height: calc(100vh - 56px); display: grid; min-height: 0;
          grid-template-rows: auto minmax(0, 55fr) auto minmax(0, 45fr); gap: 4px; }
.cp-legendrow { display: flex; justify-content: space-between; align-items: center; }
.cp-status { display: flex; gap: 18px; align-items: baseline; flex-wrap: wrap; }
.cp-week { font-size: clamp(26px, 2vw, 40px); font-weight: 700; }
.cp-running { font-size: 1.05em; color: #333; }
.cp-top { display: grid; gap: 10px; min-height: 0; }
.cp-top.one { grid-template-columns: auto minmax(300px, 1fr); grid-template-rows: 100%; }
.cp-top.one > .cp-net { height: 100%; aspect-ratio: 1 / 1; max-width: 60vw; }
.cp-top.two { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr) minmax(300px, 0.9fr);
              grid-template-rows: minmax(0, 1fr) auto; }
.cp-top.two > .cp-side { grid-column: 3; grid-row: 1 / span 2; }
.cp-top.two > .cp-legend { grid-column: 1 / span 2; grid-row: 2; font-size: 0.9em; }
.cp-net { display: flex; flex-direction: column; min-height: 0; min-width: 0; }
.cp-net-title { font-weight: 700; font-size: 1.1em; line-height: 1.2; }
/* a picture fills what its cell leaves (the image widget sits in a wrapper div) */
.cp-net > div:has(> img), .cp-chart > div:has(> img) { flex: 1 1 0; min-height: 0;
                                                       position: relative; }
.cp-net img.cp-fill, .cp-chart img.cp-fill { position: absolute; inset: 0; width: 100%;
           height: 100%; object-fit: contain; object-position: left top; }
.cp-side { overflow-y: auto; min-height: 0; display: flex; flex-direction: column; gap: 6px; }
.cp-legend { display: flex; flex-wrap: wrap; gap: 2px 14px; font-size: 1em; align-items: center; }
.cp-legend .sw { display: inline-block; width: 14px; height: 14px; border-radius: 50%;
                 margin-right: 5px; vertical-align: -2px; }
.cp-tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(8.5em, 1fr));
            gap: 6px; }
.cp-tile { padding: 3px 10px; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,0.25); }
.cp-tile .k { font-size: 0.93em; color: #444; line-height: 1.2; }
.cp-tile .v { font-size: 1.6em; font-weight: 700; line-height: 1.2; }
.cp-tile .g { font-size: 0.87em; color: #666; }
.cp-table { border-collapse: collapse; font-size: 1em; width: 100%; }
.cp-table th, .cp-table td { padding: 1px 6px; border-bottom: 1px solid #ddd; }
.cp-table td:not(:first-child), .cp-table th:not(:first-child) { text-align: right; }
.cp-table td.n { font-weight: 700; font-size: 1.12em; white-space: nowrap; }
.cp-table .g { color: #666; font-size: 0.8em; font-weight: 400; }
.cp-charts { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 10px;
             min-height: 0; }
.cp-chart { display: flex; flex-direction: column; min-height: 0; min-width: 0; }
.cp-chart .t { font-weight: 700; font-size: 1.07em; line-height: 1.2; }
.cp-chart .d { font-size: 0.87em; color: #444; line-height: 1.2; min-height: 3.6em; }
.cp-more { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr));
           gap: 12px; padding: 8px 0 30px 0; }
.cp-more .cp-chart { height: 300px; }
.cp-caption { font-size: 13px; color: #555; line-height: 1.25; margin-bottom: 4px; }
.cp-why { font-size: 13px; color: #8a3b00; line-height: 1.25; margin-bottom: 4px; }
.cp-label { font-size: 14px; font-weight: 600; margin-top: 4px; }
.cp-prose table { border-collapse: collapse; font-size: 16px; }
.cp-prose code { font-size: 0.85em; color: #6a3d9a; background: #f4f0f8; }
.cp-prose { font-size: 16px; }
/* lessons: read from the back of a classroom */
.cp-lessons { display: grid; grid-template-columns: minmax(11em, 15em) minmax(0, 1fr); gap: 14px;
              padding: 6px 4px 30px 0; font-size: clamp(16px, 1.2vw, 24px); line-height: 1.35; }
.cp-lesson-nav { display: flex; flex-direction: column; gap: 2px; }
.cp-lesson-nav .v-btn { text-transform: none; justify-content: flex-start; white-space: normal;
                        height: auto !important; min-height: 32px; padding: 4px 8px;
                        text-align: left; font-size: 0.9em; letter-spacing: 0; }
.cp-lesson-nav .v-btn .v-btn__content { white-space: normal; flex: 1 1 auto; }
.cp-lesson-nav .cp-nav-on { background: #e3eefa; font-weight: 700; }
.cp-lesson-head .n { font-size: 0.85em; color: #555; }
.cp-lesson-head h2 { font-size: 1.5em; margin: 0 0 2px 0; line-height: 1.2; }
.cp-lesson-head .idea { font-size: 0.95em; color: #333; font-style: italic; margin-bottom: 6px; }
.cp-lesson-body { display: grid; grid-template-columns: repeat(auto-fit, minmax(21em, 1fr));
                  gap: 6px 22px; }
.cp-lesson-col { display: flex; flex-direction: column; gap: 6px; align-items: flex-start; }
.cp-lesson-col > div { width: 100%; }
.cp-step .h { font-weight: 700; font-size: 1.1em; color: #0b5394; margin-top: 6px; }
.cp-step p, .cp-then p, .cp-explain p { margin: 2px 0 6px 0; }
.cp-step ul, .cp-then ul, .cp-explain ul { margin: 2px 0 6px 0; padding-left: 1.2em; }
.cp-step.predict { background: #fff6dd; border-left: 5px solid #e69f00; padding: 2px 10px 4px; }
.cp-step .hint, .cp-hint { color: #555; font-size: 0.9em; }
.cp-params { list-style: none; padding-left: 0 !important; }
.cp-explain { background: #eef5ee; border-left: 5px solid #009e73; padding: 4px 10px; }
.cp-lessonstrip { border-left: 5px solid #e69f00; }
"""


@solara.component
def Prose(text: str):
    """Markdown rendered on the server to plain HTML (solara.Markdown would fetch KaTeX from a
    CDN, which fails with no internet)."""
    solara.HTML(tag="div", unsafe_innerHTML=markdown.markdown(text, extensions=["tables"]),
                classes=["cp-prose"])


def _html(text: str, classes: list[str] | None = None, tag: str = "div"):
    """Raw HTML as a widget element (no component layer: fewer components make a faster render
    of the page)."""
    return solara.widgets.HTML.element(tag=tag, unsafe_innerHTML=text,
                                       attributes={"class": " ".join(classes or [])})


def _div(classes: str, style: str = ""):
    return solara.v.Html(tag="div", class_=classes, style_=style)


def load_lessons() -> list:
    """The lessons of ``dashboards/lessons.py`` (its list ``LESSONS``), if that module exists.

    A lesson needs ``title`` and ``setup`` (a dict for ``settings.apply_setup``) and may have
    ``text`` (markdown: the question, what to watch, what to discuss) and ``weeks`` (how far to
    play). With no lessons module there is no Lessons tab: no empty state.
    """
    import importlib

    try:  # by module name, so that a test's stand-in module (sys.modules) is found
        lessons = importlib.import_module("coprosim.dashboards.lessons")
    except ImportError:
        return []
    return list(getattr(lessons, "LESSONS", []))


# --- controls ----------------------------------------------------------------------------------

@solara.component
def ScenarioSelect(label: str, value: str, on_value):
    """A preset selector with the preset's one-line description under it."""
    choices = scenario_choices()
    solara.Select(label=label, value=scenario_label(value),
                  values=[scenario_label(s) for s in choices],
                  on_value=lambda text: on_value(_scenario_named(text)))
    solara.Text(PRESETS.get(value, {}).get("description", ""), classes=["cp-caption"])


def _scenario_named(label: str) -> str:
    for name in scenario_choices():
        if scenario_label(name) == label:
            return name
    return label


@solara.component
def SeedInput(text: str, error: str | None, on_text):
    """The seed as text; a bad value shows an error here and does not change the run."""
    solara.InputText("Seed (whole number)", value=text, on_value=on_text,
                     continuous_update=False, error=bool(error))
    if error:
        solara.Error(error, dense=True)


@solara.component
def ParameterSlider(spec: SliderSpec, value, on_value, why_not: str | None = None,
                    note: str | None = None):
    """One parameter: its value, a slider over the validated range, and its meaning in one line.

    ``why_not``: the slider cannot act now; it is disabled and this says why.
    """
    solara.Text(f"{spec.label}: {format_value(spec.name, value)} {spec.unit}",
                classes=["cp-label"])
    if spec.is_int:
        solara.SliderInt("", value=int(value), min=int(spec.lo), max=int(spec.hi),
                         step=int(spec.step), on_value=on_value, disabled=bool(why_not))
    else:
        solara.SliderFloat("", value=float(value), min=spec.lo, max=spec.hi, step=spec.step,
                           on_value=on_value, disabled=bool(why_not))
    if why_not:
        solara.Text(why_not, classes=["cp-why"])
    solara.Text(" ".join(filter(None, [note, spec.meaning])), classes=["cp-caption"])


@solara.component
def SliderGroup(title: str, open_at_start: bool = False, children=[]):  # noqa: B006 (Solara API)
    """A group of sliders that is built only while open (the page has about a hundred)."""
    is_open, set_open = solara.use_state(open_at_start)
    solara.Button(("▾ " if is_open else "▸ ") + title, text=True, small=True,
                  on_click=lambda: set_open(not is_open),
                  style={"text-transform": "none", "font-size": "15px", "padding": "0 4px"})
    if is_open:
        solara.Column(children=children, gap="0px", style={"padding-left": "10px"})


@solara.component
def ParameterPanels(settings: Settings, on_change):
    """The parameters in groups. A slider that cannot act under the rules chosen is disabled with
    the reason; side by side, the rules that make the two regimes are each regime's own."""
    locked = locked_parameters(settings.scenarios) if settings.compare else {}
    try:
        regimes = [(scenario_label(s), settings.params_for(s)) for s in settings.scenarios]
    except ParameterError:
        regimes = []
    for group, specs in SLIDERS.items():
        with SliderGroup(group, open_at_start=group == "Regime rules"):
            for spec in specs:
                why_not = inert_everywhere(spec.name, regimes)
                if spec.name in locked:
                    values = ", ".join(f"{scenario_label(s)} {format_value(spec.name, v)}"
                                       for s, v in zip(settings.scenarios, locked[spec.name],
                                                       strict=True))
                    why_not = f"Set by each regime: {values}."
                ParameterSlider(spec, settings.shown_value(spec.name),
                                lambda v, name=spec.name: on_change(name, v), why_not=why_not,
                                note=acts_only_in(spec.name, regimes))


# --- headline numbers --------------------------------------------------------------------------

HEADLINES = [
    ("participation_rate", "Participation"),
    ("emergent_value", "Emergent value (per 1,000)"),
    ("mean_wellbeing", "Wellbeing"),
    ("mean_trust", "Trust"),
    ("withdrawn_share", "Withdrawn"),
    ("hidden_need", "Hidden need"),
    ("equity_gap", "Equity gap"),
    ("cost", "Cost per citizen"),
    ("social_cost", "Social cost"),
    ("value_destroyed", "Value destroyed (per 1,000)"),
    ("waiting_time", "Waiting (weeks)"),
    ("volunteers", "Volunteers"),
]


def fmt(name: str, value: float | None) -> str:
    if value is None or value != value:  # missing or NaN
        return "–"
    if name in ("participation_rate", "withdrawn_share"):
        return f"{100 * value:.0f}%"
    if name in ("emergent_value", "value_destroyed"):  # small flows: per 1,000 citizens
        return f"{1000 * value:.2f}"
    if name in ("volunteers", "innovations", "throughput"):
        return f"{value:.0f}"
    if name in ("cost", "social_cost", "waiting_time"):
        return f"{value:.2f}"
    return f"{value:.3f}"


def _ghost_value(session: Session, snap: Snapshot, name: str, index: int,
                 week: int) -> float | None:
    """The ghost's value of ``name`` at ``week`` for the same regime (matched by scenario)."""
    ghost = session.ghost
    if ghost is None:
        return None
    scenario = snap.runs[index][0]
    matches = [i for i, (s, _) in enumerate(ghost.runs) if s == scenario]
    if not matches and len(ghost.runs) == len(snap.runs):
        matches = [index]
    if not matches or name not in ghost.series[matches[0]]:
        return None
    values = ghost.series[matches[0]][name]
    return float(values[min(week, len(values) - 1)]) if len(values) else None


def headlines_html(session: Session, snap: Snapshot) -> str:
    """The headline numbers (those the model reports); with a ghost, its value at the same week.
    One run: tiles (the widget has the class ``cp-tiles``); two: a table."""
    shown = [(k, label) for k, label in HEADLINES if k in snap.metrics[0]]
    ghost = session.ghost
    if len(snap.runs) == 1:
        tiles = []
        for key, label in shown:
            was = _ghost_value(session, snap, key, 0, snap.week)
            extra = f'<div class="g">last run {fmt(key, was)}</div>' if ghost else ""
            tiles.append(f'<div class="cp-tile" title="{html.escape(_meaning(key))}">'
                         f'<div class="k">{label}</div><div class="v">'
                         f'{fmt(key, snap.metrics[0][key])}</div>{extra}</div>')
        return "".join(tiles)
    head = "".join(f'<th><span style="color:{regime_colour(s, i)}">&#9632;</span> '
                   f"{html.escape(label.split(' (')[0])}</th>"
                   for i, (s, label) in enumerate(snap.runs))
    rows = []
    for key, label in shown:
        cells = []
        for i, metrics in enumerate(snap.metrics):
            was = _ghost_value(session, snap, key, i, snap.week)
            extra = f' <span class="g">({fmt(key, was)})</span>' if ghost else ""
            cells.append(f'<td class="n">{fmt(key, metrics.get(key))}{extra}</td>')
        rows.append(f'<tr title="{html.escape(_meaning(key))}"><td>{label}</td>'
                    f'{"".join(cells)}</tr>')
    note = '<div class="cp-caption">(in brackets: last run, same week)</div>' if ghost else ""
    return f'<table class="cp-table"><tr><th></th>{head}</tr>{"".join(rows)}</table>{note}'


def _meaning(key: str) -> str:
    from coprosim.dashboards.charts import DERIVED

    return METRICS.get(key) or DERIVED.get(key, "")


def network_legend_html(snap: Snapshot) -> str:
    """What the network's colours mean, with the counts of each regime."""
    counts = [net.counts() for net in snap.networks]
    items = []
    for state in CITIZEN_STATES:
        shape = "border-radius:0;clip-path:polygon(0 0,100% 0,50% 100%)" if state == "withdrawn" \
            else ""
        number = " / ".join(str(c[state]) for c in counts)
        items.append(f'<span><span class="sw" style="background:{STATE_COLOURS[state]};{shape}">'
                     f"</span>{STATE_LABELS[state]} <b>{number}</b></span>")
    volunteers = " / ".join(str(c["volunteers"]) for c in counts)
    items.append('<span><span class="sw" style="border:2px solid black;background:white"></span>'
                 f"volunteer <b>{volunteers}</b></span>")
    items.append('<span><span class="sw" style="border-radius:0;background:#41ab5d"></span>'
                 "staff (darker = more motivated)</span>")
    return "".join(items)


# --- pictures and the parts that change every week ---------------------------------------------

def _draw(make):
    """PNG bytes, or the error message as text if drawing failed (shown instead of a blank)."""
    try:
        return make()
    except Exception as exc:  # a drawing bug must show on the page, not blank it
        return f"Could not draw this picture: {type(exc).__name__}: {exc}"


class Picture:
    """One picture of the page: the image widget that shows it, and how to draw it from a
    snapshot (a matplotlib figure kept for the life of the run). ``error`` is a one-line
    message when the picture could not be made or drawn; the page shows it instead."""

    def __init__(self, make, kind: str = "png"):
        self.widget = ipywidgets.Image(format=kind, _dom_classes=["cp-fill"])
        self.error: str | None = None
        self.week: int | None = None
        self.draw = None
        try:
            self.draw = make()
        except Exception as exc:  # a drawing bug must show on the page, not blank it
            self.error = f"Could not draw this picture: {type(exc).__name__}: {exc}"

    def render(self, snap: Snapshot):
        """The picture of the snapshot's week (bytes, or an error message), or None if it is
        already shown; ``show`` puts it on the page."""
        if self.draw is None or snap.week == self.week:
            return None
        self.week = snap.week
        return _draw(lambda: self.draw(snap))

    def show(self, image) -> None:
        if isinstance(image, bytes):
            self.error = None
            self.widget.value = image
        elif image is not None:
            self.error = image

    def paint(self, snap: Snapshot) -> None:
        self.show(self.render(snap))

    def close(self) -> None:
        self.widget.close()


class WeeklyParts:
    """What changes on the simulation view from week to week, as widgets made once per run and
    updated in place: the week, the network(s) and their counts, the headline numbers and the
    chart pictures (key charts, and the others while they are open).

    A new week costs the model's step, drawing the pictures (only their changing lines, see
    ``figures``) and one small message per widget. The page's components are not rendered
    again for it: Solara's renderer walks every element of the page (some 270, mostly the
    controls) whenever a component re-renders, which took longer than drawing.
    """

    def __init__(self, session: Session):
        self.session = session
        self.lock = threading.RLock()
        with session.lock:
            self.generation = session.generation
            self.snap = session.snapshot()
        one = len(self.snap.runs) == 1
        self.week = solara.widgets.HTML(tag="span", attributes={"class": "cp-week"})
        self.legend = solara.widgets.HTML(tag="div", attributes={"class": "cp-legend"})
        self.headlines = solara.widgets.HTML(tag="div",
                                             attributes={"class": "cp-tiles" if one else ""})
        self.networks = [self._network(index) for index in range(len(session.runs))]
        self.charts: dict[str, Picture] = {}
        self.hours: dict[int, Picture] = {}
        self.closed = False
        self._paint(self.snap)

    def _network(self, index: int) -> Picture:
        def make():
            picture = NetworkPicture(self.session.runs[index].model)
            return lambda snap: picture.draw(snap.networks[index])
        return Picture(make, "jpeg")

    def chart(self, spec: ChartSpec) -> Picture:
        """The picture of a chart, made (and drawn at the current week) on first use."""
        with self.lock:
            if spec.key not in self.charts:
                def make():
                    picture = ChartPicture(spec, self.snap.runs,
                                           [run.model.params for run in self.session.runs],
                                           self.session.ghost)
                    return lambda snap: picture.draw(snap.series)
                self.charts[spec.key] = Picture(make)
                self.charts[spec.key].paint(self.snap)
            return self.charts[spec.key]

    def hours_chart(self, index: int) -> Picture:
        """'Where the hours go' of one run, made on first use."""
        with self.lock:
            if index not in self.hours:
                def make():
                    columns = ledger_columns()
                    picture = HoursPicture({c: c.removeprefix("hours_").replace("_", " ")
                                            for c in columns})
                    return lambda snap: picture.draw(snap.series[index])
                self.hours[index] = Picture(make)
                self.hours[index].paint(self.snap)
            return self.hours[index]

    def retain(self, charts: tuple[str, ...], hours: tuple[int, ...]) -> None:
        """Close the pictures no longer on the page (the other charts, once hidden)."""
        with self.lock:
            for key in [k for k in self.charts if k not in charts]:
                self.charts.pop(key).close()
            for index in [i for i in self.hours if i not in hours]:
                self.hours.pop(index).close()

    def _paint(self, snap: Snapshot) -> None:
        """Draw everything first, then send it: the browser gets the week's changes together
        (one or two frames to lay out and paint instead of one per picture)."""
        suffix = " (both regimes)" if len(snap.runs) > 1 else ""
        week = f"Week {snap.week}{suffix}"
        legend = network_legend_html(snap)
        headlines = headlines_html(self.session, snap)
        pictures = [*self.networks, *self.charts.values(), *self.hours.values()]
        images = [picture.render(snap) for picture in pictures]
        self.week.unsafe_innerHTML = week
        self.legend.unsafe_innerHTML = legend
        self.headlines.unsafe_innerHTML = headlines
        for picture, image in zip(pictures, images, strict=True):
            picture.show(image)

    def update(self) -> None:
        """Show the session's current week (called for every new week)."""
        with self.lock:
            if self.closed:
                return
            with self.session.lock:
                if self.session.generation != self.generation:
                    return  # a new run: the page makes new parts for it
                snap = self.session.snapshot()
            self.snap = snap
            self._paint(snap)

    def errors(self) -> tuple[str, ...]:
        """The pictures' drawing errors (the page shows each instead of its picture)."""
        with self.lock:
            pictures = [*self.networks, *self.charts.values(), *self.hours.values()]
            return tuple(p.error for p in pictures if p.error)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            for widget in (self.week, self.legend, self.headlines):
                widget.close()
            for picture in [*self.networks, *self.charts.values(), *self.hours.values()]:
                picture.close()
            self.charts, self.hours = {}, {}


def _picture(picture: Picture):
    """A picture's widget as a child of the page (or its drawing error)."""
    if picture.error:
        return solara.Error(picture.error)
    return picture.widget


def _chart(heading: str, definition: str, picture: Picture):
    """One chart: title and one-line definition (HTML), the lines as a picture."""
    return solara.v.Html(tag="div", class_="cp-chart", children=[
        _html(html.escape(heading), ["t"]), _html(html.escape(definition), ["d"]),
        _picture(picture)])


def chart_legend(session: Session, snap: Snapshot) -> str:
    parts = [f'<span><span class="sw" style="border-radius:0;height:5px;'
             f'background:{regime_colour(s, i)}"></span>{html.escape(label)}</span>'
             for i, (s, label) in enumerate(snap.runs)]
    ghost = session.ghost
    if ghost is not None:
        kind = "pinned run" if ghost.pinned else "last run"
        parts.append(f'<span style="opacity:0.75"><span class="sw" style="border-radius:0;'
                     f'height:8px;background:#bbb"></span>faint: {kind} ({html.escape(ghost.description)}, '
                     f"{ghost.week} weeks)</span>")
    return "".join(parts)


def layout_key(session: Session, parts: WeeklyParts) -> tuple:
    """What the simulation view's layout shows besides the weekly parts: the run (its
    generation rises with every new run, pin and cleared ghost), its error, drawing errors."""
    return (session.generation, session.error, parts.errors())


@solara.component
def SimulationView(session: Session, version: solara.Reactive, more: solara.Reactive):
    """Error (if any), week and what runs, networks, headline numbers, the key charts.

    ``version`` rises with every new week or run. This component does not read it while
    rendering: it follows it, and a new week updates the weekly parts (``WeeklyParts``) in
    place; the layout renders again only when the run changes (or ``more`` does).
    """
    _, set_layouts = solara.use_state(0)  # counts the layout's changes (to re-render it)
    parts = solara.use_memo(lambda: WeeklyParts(session), [session.generation])
    shown = solara.use_ref(None)
    shown.current = layout_key(session, parts)

    def follow_weeks():
        def on_version(_value):
            parts.update()
            key = layout_key(session, parts)
            if key != shown.current:  # a new run, an error: the layout changes
                shown.current = key
                set_layouts(lambda count: count + 1)
        unsubscribe = version.subscribe(on_version)

        def cleanup():
            unsubscribe()
            parts.close()
        return cleanup

    solara.use_effect(follow_weeks, [parts])
    snap = parts.snap
    metrics = set(snap.series[0]) if snap.series else set()
    key = available_charts(KEY_CHARTS, metrics)
    others = available_charts(MORE_CHARTS, metrics) if more.value else []
    hours = (tuple(range(len(snap.runs)))
             if more.value and any(c in metrics for c in ledger_columns()) else ())
    charts = tuple(spec.key for spec in key + others)
    solara.use_effect(lambda: parts.retain(charts, hours), [parts, charts, hours])
    runs = len(snap.runs)
    with _div("cp-sim"):
        description = session.settings.describe() if session.settings else ""
        status = [parts.week, _html(f"Running: {html.escape(description)}", ["cp-running"],
                                    tag="span")]
        if session.error:
            status.append(solara.Error(session.error, dense=True))
        solara.v.Html(tag="div", class_="cp-status", children=status)
        top = []
        for index, (scenario, label) in enumerate(snap.runs):
            network = [_picture(parts.networks[index])]
            if runs > 1:
                network.insert(0, _html(
                    f'<span style="color:{regime_colour(scenario, index)}">&#9632;</span> '
                    f"{html.escape(label)}", ["cp-net-title"]))
            top.append(solara.v.Html(tag="div", class_="cp-net", children=network))
        if runs > 1:
            top.append(parts.legend)  # under the twin networks
        side = [parts.legend, parts.headlines] if runs == 1 else [parts.headlines]
        top.append(solara.v.Html(tag="div", class_="cp-side", children=side))
        solara.v.Html(tag="div", class_="cp-top two" if runs > 1 else "cp-top one", children=top)
        with _div("cp-legendrow"):
            _html(chart_legend(session, snap), ["cp-legend"])
            solara.Button("Hide more charts" if more.value else "More charts below ▾",
                          on_click=lambda: more.set(not more.value), text=True, small=True,
                          style={"text-transform": "none", "font-size": "15px"})
        with _div("cp-charts"):
            for spec in key:
                _chart(spec.heading, spec.definition, parts.chart(spec))
    if more.value:
        with _div("cp-more"):
            for spec in others:
                _chart(spec.heading, spec.definition, parts.chart(spec))
            for index in hours:
                _chart(f"Where the hours go: {snap.runs[index][1]}",
                       "Hours per citizen this week, by what they were spent on (they add up "
                       "to the cost).", parts.hours_chart(index))


@solara.component
def ExplainView(on_setup):
    """The seed chapters' ideas, each mapped to its mechanism and parameters, in plain words,
    with a button that sets up its experiment."""
    Prose(
        "### From the chapters to the model\n"
        "Each idea from the two seed chapters is a mechanism in the model, and each mechanism has "
        "a parameter that sets its strength. Change one, keep the seed, press Reset: the run "
        "before stays on the charts as a faint ghost, so you can see what the change did.")
    known = set(Params.field_names())

    def meaning(name):
        if name not in known:
            return None
        spec = Params.spec(name)
        return f"{spec['meaning']} ({spec['unit']})"

    with solara.ColumnsResponsive(default=12, large=6):
        for idea in IDEAS:
            with solara.Card(idea.name):
                Prose(idea_markdown(idea, parameter_label, meaning))
                if idea.setup:
                    solara.Button("Set this up", color="primary", outlined=True,
                                  on_click=lambda setup=idea.setup: on_setup(setup))


LESSON_STEPS = ("Predict", "Run", "Watch", "Explain", "Next experiment")


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


def _list(items) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"


def _parameters(lines: list[tuple[str, str]]) -> str:
    """Parameters as 'Readable label: value' (no code names on the projector)."""
    return '<ul class="cp-params">' + "".join(
        f"<li><b>{html.escape(label)}</b>: {html.escape(value)}</li>" for label, value in lines
    ) + "</ul>"


def _step(number: int, body: str, classes: str = "") -> None:
    _html(f'<div class="h">{number} · {LESSON_STEPS[number - 1]}</div>{body}',
          ["cp-step", *classes.split()])


@solara.component
def LessonCard(lesson, number: int, count: int, on_lesson):
    """One lesson as the cycle of experiential learning: predict, run (one click, and a second
    run where the lesson has one), watch, explain (shown on request, after the run), next."""
    from coprosim.dashboards.lessons import change_lines, parameter_lines, setup_words

    shown, set_shown = solara.use_state(False)
    weeks = getattr(lesson, "weeks", None)
    then = getattr(lesson, "then", None)
    ideas = getattr(lesson, "ideas", "")
    _html(f'<div class="n">Lesson {number} of {count}</div>'
          f"<h2>{html.escape(lesson.title)}</h2>"
          + (f'<div class="idea">From the chapters: {html.escape(ideas)}</div>' if ideas else ""),
          ["cp-lesson-head"])
    with _div("cp-lesson-body"):
        with _div("cp-lesson-col"):
            _step(1, _paragraphs(lesson.predict) + '<p class="hint">Write your prediction '
                  "down before you run.</p>", "predict")
            run = f"<p>{html.escape(setup_words(lesson.setup))}"
            run += f", {weeks} weeks.</p>" if weeks else ".</p>"
            _step(2, run + _parameters(parameter_lines(lesson.setup)))
            with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
                solara.Button("Set this up", color="primary",
                              on_click=lambda: on_lesson(number - 1, "setup"))
                _html("then press Play" + (f": it pauses at week {weeks}." if weeks else "."),
                      ["cp-hint"], tag="span")
            if then:
                changes = change_lines(lesson.setup, then)
                what = "one thing" if len(changes) == 1 else "these"
                _html(f"<p><b>Then change {what} and run again</b> (the first run stays as a "
                      "faint ghost):</p>" + _parameters(changes), ["cp-then"])
                solara.Button(lesson.then_label, color="primary", outlined=True,
                              on_click=lambda: on_lesson(number - 1, "then"),
                              style={"text-transform": "none", "white-space": "normal",
                                     "height": "auto", "min-height": "36px"})
        with _div("cp-lesson-col"):
            _step(3, _list(lesson.watch))
            _step(4, "" if shown else "<p class=\"hint\">After the run: compare with your "
                  "prediction, then open the explanation.</p>")
            solara.Button("Hide the explanation" if shown else "Show what happened, and why",
                          on_click=lambda: set_shown(not shown), outlined=True, small=True,
                          style={"text-transform": "none"})
            if shown:
                effects = [e.text for e in getattr(lesson, "effects", ())]
                _html(("<p><b>What the model shows</b> (on this seed and on average over ten "
                       "seeds):</p>" + _list(effects) if effects else "")
                      + _paragraphs(lesson.explain), ["cp-explain"])
            _step(5, _paragraphs(lesson.next))


@solara.component
def LessonsView(lessons: list, on_lesson, chosen: int = 0, on_choose=None):
    """The lessons of ``dashboards/lessons.py``, one at a time, with a list to choose from.

    A lesson with the whole cycle (``predict``, ``watch``, ``explain``, ``next``; see
    ``lessons.Lesson``) shows it as numbered steps; a simpler one (``title``, ``text``, ``setup``)
    shows its text and its one-click setup. ``on_lesson(index, stage)`` sets a lesson up
    (stage "setup", or "then" for its second run).
    """
    chosen = min(chosen, len(lessons) - 1)
    with _div("cp-lessons"):
        with _div("cp-lesson-nav"):
            _html("Each lesson is one turn of the learning cycle: predict, run, watch, explain, "
                  "try the next experiment (plan, act, observe, reflect).", ["cp-caption"])
            for index, lesson in enumerate(lessons):
                solara.Button(f"{index + 1}. {getattr(lesson, 'title', 'Lesson')}", text=True,
                              on_click=lambda i=index: on_choose and on_choose(i),
                              classes=["cp-nav-on" if index == chosen else "cp-nav"])
        lesson = lessons[chosen]
        with _div("cp-lesson"):
            if getattr(lesson, "predict", None):
                LessonCard(lesson, chosen + 1, len(lessons), on_lesson).key(f"lesson-{chosen}")
            else:
                _html(f"<h2>{html.escape(getattr(lesson, 'title', 'Lesson'))}</h2>",
                      ["cp-lesson-head"])
                if getattr(lesson, "text", ""):
                    Prose(lesson.text)
                solara.Button("Set this up", color="primary",
                              on_click=lambda: on_lesson(chosen, "setup"))


@solara.component
def LessonStrip(lesson, number: int, stage: str, week: int, on_then, on_open, on_close):
    """The lesson running, in the controls: which run it is, where Play pauses, the second run's
    button, and the way back to the lesson's text."""
    weeks = getattr(lesson, "weeks", None)
    then = getattr(lesson, "then", None)
    if stage == "then":
        part = "Second run: the first is the faint ghost."
    else:
        part = "First run." if then else ""
    if weeks:
        part += (f" Week {weeks} reached: back to the lesson to explain." if week >= weeks
                 else f" Press Play: it pauses at week {weeks}.")
    with solara.Card(margin=0, classes=["cp-lessonstrip"]):
        _html(f"<b>Lesson {number}: {html.escape(lesson.title)}</b>", ["cp-label"])
        _html(html.escape(part.strip()), ["cp-caption"])
        if then and stage == "setup":
            solara.Button(lesson.then_label, on_click=on_then, color="primary", outlined=True,
                          small=True, style={"text-transform": "none", "white-space": "normal",
                                             "height": "auto", "min-height": "28px",
                                             "text-align": "left"})
        with solara.Row(gap="6px"):
            solara.Button("Open the lesson", on_click=on_open, small=True, text=True,
                          style={"text-transform": "none"})
            solara.Button("End lesson", on_click=on_close, small=True, text=True,
                          style={"text-transform": "none"})


@solara.component
def PlaySpeed(playing: solara.Reactive, achieved: solara.Reactive):
    """The speed Play reaches, while playing (its own component: it changes several times a
    second, and only this line needs to follow)."""
    if playing.value and achieved.value:
        solara.Text(f"Playing at {achieved.value:g} weeks/s", classes=["cp-caption"])


# --- the page ----------------------------------------------------------------------------------

@solara.component
def Dashboard(session_factory=Session, query: str | None = None, on_location=None):
    """The whole page. ``session_factory`` lets tests hold on to the session they render;
    ``query`` is the address bar's query string (settings and week), ``on_location`` is called
    with a new one whenever the run's settings or paused week change."""
    start = solara.use_memo(lambda: Settings.from_query(query), [])
    initial, replay_weeks, link_problems = start

    def make_session():
        session = (session_factory(initial) if query is not None else session_factory())
        if replay_weeks:
            session.step(replay_weeks)
        return session

    session = solara.use_memo(make_session, [])
    solara.use_effect(lambda: session.close, [])  # free the models when the browser tab closes
    version = solara.use_reactive(0)  # rises with every new week or run (see SimulationView)
    applied = solara.use_reactive(session.settings)  # what runs now (reactive: no stale notes)
    pending = solara.use_reactive(session.settings)  # what the controls show
    seed_text = solara.use_reactive(str(session.settings.seed))
    seed_error = solara.use_reactive(None)
    notes = solara.use_reactive(list(link_problems))
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(DEFAULT_SPEED)
    achieved = solara.use_reactive(0.0)
    tab = solara.use_reactive(0)
    more = solara.use_reactive(False)
    lessons = solara.use_memo(load_lessons, [])
    lesson_on = solara.use_reactive(None)  # (index, stage) of the lesson running, if any
    lesson_shown = solara.use_reactive(0)  # the lesson the Lessons tab shows
    pause_at = solara.use_reactive(None)  # Play pauses at this week (the lesson's length)

    def refresh():
        version.value += 1

    def publish():
        if on_location is not None and session.settings is not None:
            on_location(session.settings.to_query(week=session.week))

    def apply(settings: Settings, extra_notes: list[str] | None = None) -> bool:
        playing.value = False
        started = session.reset(settings)
        if started:
            pending.value = settings
            applied.value = settings
            seed_text.value = str(settings.seed)
            seed_error.value = None
            notes.value = list(extra_notes or [])
            publish()
        refresh()
        return started

    def on_step():
        session.step(1)
        refresh()

    def play_loop():
        """Steps at the chosen weeks per second; when a picture takes longer than a week's
        share of a second, several weeks go into one picture, so the speed holds."""
        started, first_week, rate = time.perf_counter(), session.week, speed.value
        stop = pause_at.value if pause_at.value and session.week < pause_at.value else None
        said = 0.0  # when the page was last told the speed reached
        while playing.value:
            frame_started = time.perf_counter()
            if speed.value != rate:  # the slider moved: count the new speed from now
                started, first_week, rate = frame_started, session.week, speed.value
            due = first_week + int(rate * (frame_started - started)) + 1
            weeks = max(1, min(due - session.week, 4 * rate))
            if stop is not None:  # a lesson's run pauses at its last week
                weeks = max(1, min(weeks, stop - session.week))
            ok = session.step(weeks)
            refresh()
            elapsed = time.perf_counter() - started
            if elapsed > 0.5 and frame_started - said >= 1.0:  # once a second: a new value
                achieved.value = round((session.week - first_week) / elapsed, 1)  # renders
                said = frame_started                                             # the page
            if not ok or (stop is not None and session.week >= stop):
                playing.value = False
                break
            frame = 1.0 / min(rate, MAX_FRAMES_PER_SECOND)
            time.sleep(max(0.0, frame - (time.perf_counter() - frame_started)))
        publish()

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def on_seed(text: str):
        seed_text.value = text
        try:
            seed = parse_seed(text)
        except ParameterError as exc:
            seed_error.value = f"{exc}. The run keeps its old seed."
            return
        seed_error.value = None
        apply(dataclasses.replace(pending.value, seed=seed))

    def on_parameter(name, value):
        pending.value = dataclasses.replace(
            pending.value, overrides={**pending.value.overrides, name: value})

    def set_up(setup: dict) -> bool:
        settings, skipped = apply_setup(pending.value, setup)
        extra = [f"This setup names {', '.join(skipped)}, which the model no longer has; "
                 "skipped."] if skipped else []
        tab.value = 0
        return apply(settings, extra)

    def on_setup(setup: dict):
        """An idea's 'Set this up': ends any lesson."""
        lesson_on.value = None
        pause_at.value = None
        set_up(setup)

    def on_lesson(index: int, stage: str):
        """A lesson's one-click setup ('setup'), or its second run ('then'), which keeps the
        first run as the ghost. A lesson's first run starts with no ghost."""
        lesson = lessons[index]
        setup = getattr(lesson, "then", None) if stage == "then" else lesson.setup
        if not setup:
            return
        if set_up(setup):
            if stage == "setup" and session.ghost is not None:
                session.clear_ghost()
                refresh()
            lesson_on.value = (index, stage)
            lesson_shown.value = index
            pause_at.value = getattr(lesson, "weeks", None)

    def end_lesson():
        lesson_on.value = None
        pause_at.value = None

    settings = pending.value
    changed = settings != applied.value

    solara.Style(CSS)
    with _div("cp-page"):
        with _div("cp-controls"):
            _html(f"<b>{TITLE}</b>", ["cp-caption"])
            with solara.Card(margin=0):
                with solara.Row(gap="6px"):
                    # no ripple: its half-second animation repaints the page in the browser
                    # for every click (a third of the browser's work for a Step); the new
                    # week on the page is the click's feedback
                    solara.Button("Step", on_click=on_step, color="primary",
                                  disabled=playing.value or session.failed(), ripple=False)
                    solara.Button("Pause" if playing.value else "Play",
                                  on_click=lambda: playing.set(not playing.value),
                                  color="primary", disabled=session.failed() and not playing.value,
                                  ripple=False)
                    solara.Button("Reset", on_click=lambda: apply(pending.value),
                                  color="secondary", ripple=False)
                solara.SliderInt(f"Speed: {speed.value} weeks/s", value=speed,
                                 min=SPEED_RANGE[0], max=SPEED_RANGE[1], thumb_label=False)
                PlaySpeed(playing, achieved)
                if changed:
                    changes = _difference(applied.value, settings)
                    solara.Warning(f"Changed, not running yet: {changes}. Press Reset to start "
                                   "a run with them (this run stays as a faint ghost).",
                                   dense=True)
                for note in notes.value:
                    solara.Warning(note, dense=True)
                solara.ToggleButtonsSingle(
                    value="Side by side" if settings.compare else "One regime",
                    values=["One regime", "Side by side"],
                    on_value=lambda v: apply(dataclasses.replace(pending.value,
                                                                 compare=v == "Side by side")))
                if settings.compare:
                    ScenarioSelect("Left regime", settings.left, lambda s: apply(
                        pending.value.with_scenario("left", s)))
                    ScenarioSelect("Right regime", settings.right, lambda s: apply(
                        pending.value.with_scenario("right", s)))
                else:
                    ScenarioSelect("Scenario", settings.scenario, lambda s: apply(
                        pending.value.with_scenario("scenario", s)))
                SeedInput(seed_text.value, seed_error.value, on_seed)
            if lesson_on.value is not None and lesson_on.value[0] < len(lessons):
                index, stage = lesson_on.value
                LessonStrip(lessons[index], index + 1, stage, session.week,
                            on_then=lambda: on_lesson(index, "then"),
                            on_open=lambda: tab.set(2), on_close=end_lesson)
            with solara.Card("Compare and take home", margin=0):
                with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
                    solara.Button("Pin this run", on_click=lambda: (session.pin(), refresh()),
                                  small=True, outlined=True)
                    solara.Button("Clear ghost",
                                  on_click=lambda: (session.clear_ghost(), refresh()),
                                  small=True, outlined=True)
                with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
                    solara.FileDownload(session.metrics_csv, filename=file_stem(session) + ".csv",
                                        label="Metrics (CSV)", mime_type="text/csv")
                    solara.FileDownload(lambda: charts_png(session),
                                        filename=file_stem(session) + ".png",
                                        label="Charts (PNG)", mime_type="image/png")
                solara.Text("The address bar holds this setup: copy it to share it, or reload.",
                            classes=["cp-caption"])
            with solara.Card("Parameters", margin=0):
                solara.Text("Choosing a scenario sets the sliders to its values; a change "
                            "starts a new run when you press Reset.", classes=["cp-caption"])
                ParameterPanels(settings, on_parameter)

        with _div("cp-main"):
            with solara.lab.Tabs(value=tab):
                with solara.lab.Tab("Simulation"):
                    with _div("cp-tabbody"):
                        SimulationView(session, version, more)
                # the other tabs are built only while shown: every element on the page
                # costs time whenever the page renders (Solara walks the whole tree)
                with solara.lab.Tab("Explain the ideas"):
                    if tab.value == 1:
                        with _div("cp-tabbody", "height: calc(100vh - 50px)"):
                            ExplainView(on_setup)
                if lessons:
                    with solara.lab.Tab("Lessons"):
                        if tab.value == 2:
                            with _div("cp-tabbody", "height: calc(100vh - 50px)"):
                                LessonsView(lessons, on_lesson, lesson_shown.value,
                                            lesson_shown.set)


def _difference(before: Settings, after: Settings) -> str:
    """The pending changes, in words ('withness 0 (was 0.05)')."""
    parts = []
    for name in sorted(set(before.overrides) | set(after.overrides)):
        old, new = before.shown_value(name), after.shown_value(name)
        if old != new:
            parts.append(f"{parameter_label(name).lower()} {format_value(name, new)} "
                         f"(was {format_value(name, old)})")
    return ", ".join(parts) or "settings"


@solara.component
def Page():
    """Entry point for ``solara run dashboards/app.py``: settings from and to the address bar."""
    solara.Title("coprosim dashboard")
    router = solara.use_router()
    query = solara.use_memo(lambda: router.search or "", [])
    lock = solara.use_memo(threading.Lock, [])

    def on_location(new_query: str):
        with lock:
            if new_query != (router.search or ""):
                router.push(f"{router.path or '/'}?{new_query}")

    Dashboard(query=query, on_location=on_location)
