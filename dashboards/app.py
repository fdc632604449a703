"""coprosim's teaching dashboard (Solara): one regime, or two side by side from the same seed.

Start it with ``coprosim dashboard`` or ``solara run dashboards/app.py``. Everything a session
needs (its models, its pictures, its settings) lives in component state created per browser
session, so several students can use one server at once. The page draws with matplotlib only and
loads nothing from the internet.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import markdown
import solara
import solara.lab

try:
    import model  # noqa: F401  (the package is installed editable in the project's venv)
except ModuleNotFoundError:  # run from a plain checkout: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coprosim.dashboards.explain import IDEAS, idea_markdown
from coprosim.dashboards.figures import MetricCharts, NetworkPicture, regime_colour
from coprosim.dashboards.session import Session, Snapshot
from coprosim.dashboards.settings import (
    SCENARIO_LABELS,
    SLIDERS,
    Settings,
    SliderSpec,
    locked_parameters,
    parse_seed,
)
from coprosim.model import PRESETS, ParameterError, Params

TITLE = "coprosim: public services under New Public Management and co-production"
SPEED_RANGE = (1, 20)  # weeks per second while playing
DEFAULT_SPEED = 5
SCENARIO_CHOICES = list(PRESETS)


CSS = """
.coprosim-prose table { border-collapse: collapse; font-size: 17px; }
.coprosim-prose th, .coprosim-prose td { padding: 4px 12px; border-bottom: 1px solid #ddd; }
.coprosim-prose td:not(:first-child), .coprosim-prose th:not(:first-child) { text-align: right; }
.coprosim-prose code { font-size: 0.9em; color: #6a3d9a; background: #f4f0f8; }
.coprosim-caption { font-size: 0.8em; color: #555; line-height: 1.25; margin-bottom: 8px; }
.coprosim-label { font-size: 0.9em; font-weight: 500; margin-top: 6px; }
"""


@solara.component
def Prose(text: str):
    """Markdown rendered on the server to plain HTML (solara.Markdown would fetch KaTeX from a
    CDN, which fails with no internet)."""
    solara.HTML(tag="div", unsafe_innerHTML=markdown.markdown(text, extensions=["tables"]),
                classes=["coprosim-prose"])


def scenario_label(name: str) -> str:
    return SCENARIO_LABELS.get(name, name)


# --- controls ----------------------------------------------------------------------------------

@solara.component
def ScenarioSelect(label: str, value: str, on_value):
    """A preset selector with the preset's one-line description under it."""
    solara.Select(label=label, value=scenario_label(value),
                  values=[scenario_label(s) for s in SCENARIO_CHOICES],
                  on_value=lambda text: on_value(_scenario_named(text)))
    solara.Text(PRESETS[value]["description"], classes=["coprosim-caption"])


def _scenario_named(label: str) -> str:
    for name in SCENARIO_CHOICES:
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
def RunButtons(session: Session, version: solara.Reactive, playing: bool, on_step, on_play,
               on_reset):
    """Step one week, play or pause, start again (Step is off after the model failed)."""
    version.value  # noqa: B018  (re-render when the run advances: the run may have failed)
    failed = bool(session.error) and session.error.startswith("The model failed")
    with solara.Row(gap="8px"):
        solara.Button("Step", on_click=on_step, color="primary", disabled=playing or failed)
        solara.Button("Pause" if playing else "Play", on_click=on_play, color="primary",
                      disabled=failed and not playing)
        solara.Button("Reset", on_click=on_reset, color="secondary")


@solara.component
def ParameterSlider(spec: SliderSpec, value, on_value, locked: str | None = None):
    """One parameter: slider over the validated range, its unit and its meaning in one line."""
    shown = int(value) if spec.is_int else round(float(value), 4)
    solara.Text(f"{spec.label}: {shown} {spec.unit}", classes=["coprosim-label"])
    if spec.is_int:
        solara.SliderInt("", value=int(value), min=int(spec.lo), max=int(spec.hi),
                         step=int(spec.step), on_value=on_value, disabled=bool(locked))
    else:
        solara.SliderFloat("", value=float(value), min=spec.lo, max=spec.hi, step=spec.step,
                           on_value=on_value, disabled=bool(locked))
    solara.Text(locked or spec.meaning, classes=["coprosim-caption"])


@solara.component
def ParameterPanels(settings: Settings, on_change):
    """The main parameters in groups; in side-by-side mode each regime keeps its own rules."""
    locked = locked_parameters(settings.scenarios) if settings.compare else {}
    for group, specs in SLIDERS.items():
        with solara.Details(group, expand=group == "Regime rules"):
            for spec in specs:
                note = None
                if spec.name in locked:
                    values = ", ".join(f"{scenario_label(s)} {v}" for s, v in
                                       zip(settings.scenarios, locked[spec.name], strict=True))
                    note = f"Set by each regime: {values}."
                ParameterSlider(spec, settings.shown_value(spec.name),
                                lambda v, name=spec.name: on_change(name, v), locked=note)


# --- views -------------------------------------------------------------------------------------

def _fmt(name: str, value: float) -> str:
    if name == "participation_rate":
        return f"{100 * value:.0f}%"
    if name in ("volunteers", "innovations", "throughput"):
        return f"{value:.0f}"
    return f"{value:.3f}"


HEADLINES = [
    ("public_value", "Public value this week"),
    ("participation_rate", "Participation"),
    ("mean_trust", "Trust"),
    ("mean_efficacy", "Efficacy"),
    ("equity_gap", "Equity gap"),
    ("hidden_need", "Hidden need"),
    ("staff_motivation", "Staff motivation"),
    ("volunteers", "Volunteers"),
    ("innovations", "Innovations so far"),
]


@solara.component
def WeekCounter(week: int, n_runs: int):
    """The step counter, large enough to read from the back of a lecture hall."""
    suffix = " (both regimes)" if n_runs > 1 else ""
    solara.Text(f"Week {week}{suffix}", style={"font-size": "28px", "font-weight": "bold"})


@solara.component
def Headlines(snap: Snapshot):
    """A few headline numbers; side by side, one column per regime."""
    if len(snap.runs) == 1:
        with solara.Row(style={"flex-wrap": "wrap", "gap": "10px"}):
            for key, label in HEADLINES:
                with solara.Column(gap="0px", style={
                        "min-width": "150px", "padding": "8px 14px", "border-radius": "6px",
                        "box-shadow": "0 1px 4px rgba(0,0,0,0.18)"}):
                    solara.Text(label, style={"font-size": "0.9em", "color": "#555"})
                    solara.Text(_fmt(key, snap.metrics[0][key]),
                                style={"font-size": "26px", "font-weight": "bold"})
        return
    head = "| | " + " | ".join(
        f'<span style="color:{regime_colour(s, i)}">&#9632;</span> **{label}**'
        for i, (s, label) in enumerate(snap.runs)) + " |"
    rows = [head, "|---|" + "---:|" * len(snap.runs)]
    for key, label in HEADLINES:
        rows.append(f"| {label} | " + " | ".join(_fmt(key, m[key]) for m in snap.metrics) + " |")
    Prose("\n".join(rows))


@solara.component
def NetworkView(session: Session, snap: Snapshot, index: int):
    """The citizens' network of one run, redrawn only when the week or the run changes."""
    run = session.runs[index] if index < len(session.runs) else None
    picture = solara.use_memo(
        lambda: NetworkPicture(run.model, snap.runs[index][1]) if run else None,
        [session.generation, index])
    image = solara.use_memo(lambda: _draw(lambda: picture.draw(snap.networks[index])),
                            [session.generation, index, snap.week])
    _show(image)


@solara.component
def ChartsView(session: Session, snap: Snapshot):
    """Metrics over the weeks: each regime one colour, overlaid in the same panels."""
    charts = solara.use_memo(
        lambda: MetricCharts(snap.runs, [run.model.params for run in session.runs]),
        [session.generation])
    image = solara.use_memo(lambda: _draw(lambda: charts.draw(snap.series)),
                            [session.generation, snap.week])
    _show(image)


def _draw(make):
    """PNG bytes, or the error message as text if drawing failed (shown instead of a blank)."""
    try:
        return make()
    except Exception as exc:  # a drawing bug must show on the page, not blank it
        return f"Could not draw this picture: {type(exc).__name__}: {exc}"


def _show(image) -> None:
    if isinstance(image, bytes):
        solara.Image(image, width="100%")
    else:
        solara.Error(str(image))


@solara.component
def SimulationView(session: Session, version: solara.Reactive):
    """Error (if any), counter, headline numbers, network(s) and charts.

    Only this part of the page reads ``version``, so a new week re-renders it and not the
    controls or the explain tab.
    """
    snap = solara.use_memo(session.snapshot, [version.value, session.generation])
    if session.error:
        solara.Error(session.error)
    WeekCounter(snap.week, len(snap.runs))
    if len(snap.runs) == 1:
        with solara.Columns([1, 2]):
            NetworkView(session, snap, 0)
            with solara.Column():
                Headlines(snap)
        ChartsView(session, snap)
    else:
        with solara.Columns([1, 1, 1]):
            NetworkView(session, snap, 0)
            NetworkView(session, snap, 1)
            with solara.Column():
                Prose("**Same citizens, same seed, same random events; only the rules "
                      "differ.**")
                Headlines(snap)
        ChartsView(session, snap)


@solara.component
def ExplainView():
    """The seed chapters' ideas, each mapped to its mechanism and parameters, in plain words."""
    Prose(
        "### From the chapters to the model\n"
        "Each idea from the two seed chapters is a mechanism in the model, and each mechanism has "
        "a parameter that sets its strength. Change one, keep the seed, and see what it does.")

    def meaning(name):
        spec = Params.spec(name)
        return f"{spec['meaning']} ({spec['unit']})"

    with solara.ColumnsResponsive(default=12, large=6):
        for idea in IDEAS:
            with solara.Card(idea.name):
                Prose(idea_markdown(idea, meaning))


# --- the page ----------------------------------------------------------------------------------

@solara.component
def Dashboard(session_factory=Session):
    """The whole page. ``session_factory`` lets tests hold on to the session they render."""
    session = solara.use_memo(session_factory, [])
    solara.use_effect(lambda: session.close, [])  # free the models when the browser tab closes
    version = solara.use_reactive(0)
    pending = solara.use_reactive(session.settings)
    seed_text = solara.use_reactive(str(session.settings.seed))
    seed_error = solara.use_reactive(None)
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(DEFAULT_SPEED)
    tab = solara.use_reactive(0)

    def refresh():
        version.value += 1

    def apply(settings: Settings):
        playing.value = False
        if session.reset(settings):
            pending.value = settings
        refresh()

    def on_step():
        session.step(1)
        refresh()

    def play_loop():
        while playing.value:
            started = time.perf_counter()
            ok = session.step(1)
            refresh()
            if not ok:
                playing.value = False
                return
            time.sleep(max(0.0, 1.0 / speed.value - (time.perf_counter() - started)))

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

    settings = pending.value

    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)

    # A two-column layout of our own (not the Sidebar portal), the same in a browser and in tests.
    with solara.Row(style={"align-items": "flex-start", "gap": "16px", "flex-wrap": "nowrap"}):
        with solara.Column(style={"width": "370px", "min-width": "370px", "flex-shrink": "0"}):
            with solara.Card("Run", margin=0):
                solara.ToggleButtonsSingle(
                    value="Side by side" if settings.compare else "One regime",
                    values=["One regime", "Side by side"],
                    on_value=lambda v: apply(dataclasses.replace(pending.value,
                                                                 compare=v == "Side by side")))
                if settings.compare:
                    ScenarioSelect("Left regime", settings.left, lambda s: apply(
                        dataclasses.replace(pending.value, left=s, overrides={})))
                    ScenarioSelect("Right regime", settings.right, lambda s: apply(
                        dataclasses.replace(pending.value, right=s, overrides={})))
                else:
                    ScenarioSelect("Scenario", settings.scenario, lambda s: apply(
                        dataclasses.replace(pending.value, scenario=s, overrides={})))
                SeedInput(seed_text.value, seed_error.value, on_seed)
                RunButtons(session, version, playing.value, on_step,
                           lambda: playing.set(not playing.value), lambda: apply(pending.value))
                solara.SliderInt("Speed (weeks per second)", value=speed, min=SPEED_RANGE[0],
                                 max=SPEED_RANGE[1])
                if pending.value != session.settings:
                    solara.Info("Settings changed: press Reset to start a new run with them.",
                                dense=True)
            with solara.Card("Parameters", margin=0):
                solara.Text("Choosing a scenario sets the sliders to its values.",
                            style={"font-size": "0.85em"})
                ParameterPanels(settings, on_parameter)

        with solara.Column(style={"flex": "1 1 auto", "min-width": "0"}):
            with solara.lab.Tabs(value=tab):
                with solara.lab.Tab("Simulation"):
                    SimulationView(session, version)
                with solara.lab.Tab("Explain the ideas"):
                    ExplainView()


@solara.component
def Page():
    """Entry point for ``solara run dashboards/app.py``."""
    solara.Title("coprosim dashboard")
    Dashboard()
