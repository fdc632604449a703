"""coprosim on Mesa's own SolaraViz: one regime, Mesa's controls, the network and four charts.

Start it with ``coprosim dashboard --mesa`` (port 8766, beside the main page's 8765) or
``.venv/bin/solara run dashboards/mesa_app.py`` (offline: matplotlib only, nothing fetched).

This page is the plain Mesa way of showing the model: ``mesa.visualization.SolaraViz`` with its
ModelController (Reset, Play/Pause, Step), model parameters as Mesa user inputs, page components
that SolaraViz redraws every week (this run's settings, the citizens' network and four charts,
drawn with matplotlib). The teaching dashboard (``dashboards/app.py``) stays the main page: it compares two
regimes from one seed, validates a typed seed and shows a failing step as a message, which
SolaraViz does not do.

How the inputs reach the model: on Reset, SolaraViz calls ``MesaPageModel(**values)``. The
scenario select (input ``preset``) sets the preset (its regime rules); the sliders are the parameters
that no preset sets (population, inequality, ...), so a slider never silently overrides the
scenario's rules. The select is not called ``scenario``: on Mesa 3.5+ SolaraViz's Reset always
passes ``scenario=`` a Mesa ``Scenario`` of its own, which would replace the page's choice.
Their ranges and defaults come from ``Params.spec`` (via ``dashboards.settings``), so a slider
cannot produce a value the model refuses. Changes take effect when Reset is pressed. A bad
seed does not reach the model: the run starts with the default seed and the page says so (Mesa
would otherwise replace the page with a traceback). "This run" lists the values the running
model was built with.

Three changes to how SolaraViz shows things, all in this file:

- **Speed**: Play steps in one thread and draws in another (SolaraViz's ``use_threads``), so the
  weeks go on while a picture is drawn: Play reaches 10 weeks a second or more at the defaults
  (``PLAY_INTERVAL_MS`` between weeks); the model's step and Mesa's reading of its collected
  data take turns under one lock, so a picture never reads a half-collected week.
- **Inputs** (``LabelledUserInputs``, used in place of Mesa's ``UserInputs``): every slider
  shows its value all the time, not only while dragged, and a seed that is not a whole number
  in range is reported as it is typed, before Reset.
- **Plain words**: the charts are the teaching dashboard's (``MetricChart``: title, one-line
  definition, a legend with readable names, drawn by redrawing only the new lines), and the
  network's legend wraps inside its cell.
"""

from __future__ import annotations

import html
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import solara

try:
    import coprosim  # noqa: F401  (the package is installed editable in the project's venv)
except ModuleNotFoundError:  # run from a plain checkout: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with warnings.catch_warnings():  # Solara's hook check flags Mesa's own ComponentsView: not ours
    warnings.filterwarnings("ignore", message=".*ComponentsView.*use_state", category=UserWarning)
    from mesa.visualization import SolaraViz
    from mesa.visualization import solara_viz as _solara_viz
    from mesa.visualization.utils import update_counter

from coprosim.dashboards.charts import KEY_CHARTS, MORE_CHARTS, available_charts
from coprosim.dashboards.components.describe import (
    APP_BAR_ICONS,
    MESA_BUTTONS,
    Describe,
    chart_description,
    network_description,
    picture_class,
)
from coprosim.dashboards.figures import (
    CITIZEN_STATES,
    STATE_COLOURS,
    STATE_LABELS,
    ChartPicture,
    NetworkPicture,
    NetworkSnapshot,
    regime_colour,
)
from coprosim.dashboards.settings import (
    DEFAULT_SCENARIO,
    DEFAULT_SEED,
    SLIDERS,
    format_value,
    parse_seed,
    scenario_label,
)
from coprosim.model import PRESETS, CoproductionModel, ParameterError, Params
from coprosim.model.metrics import METRICS

NAME = "coprosim on Mesa SolaraViz"
PLAY_INTERVAL_MS = 25  # Mesa's Play: the pause between weeks (its slider changes it)
CSS = """
/* every slider shows its value (Vuetify's thumb label, normally only while dragged) */
.v-slider__thumb-label-container { display: block !important; }
.v-input__slider { margin-top: 26px; }
.cp-mesa-runsettings { columns: 2 14em; column-gap: 1.5em; font-size: 14px; line-height: 1.35; }
.cp-mesa-legend { display: flex; flex-wrap: wrap; gap: 2px 12px; font-size: 14px; }
"""


def preset_parameters() -> set[str]:
    """Parameters that some preset sets: they belong to the scenario, not to a slider."""
    names: set[str] = set()
    for preset in PRESETS.values():
        names |= set(preset["overrides"])
    return names


def model_params() -> dict:
    """SolaraViz ``model_params``: scenario select, seed, and one slider per shared parameter."""
    params: dict = {
        "preset": {"type": "Select", "value": DEFAULT_SCENARIO, "values": list(PRESETS),
                   "label": "Scenario (sets the regime rules)"},
        "seed": {"type": "InputText", "value": str(DEFAULT_SEED), "label": "Seed (whole number)"},
    }
    by_preset = preset_parameters()
    for specs in SLIDERS.values():
        for spec in specs:
            if spec.name in by_preset:
                continue
            default = Params.spec(spec.name)["default"]
            params[spec.name] = {
                "type": "SliderInt" if spec.is_int else "SliderFloat",
                "value": int(default) if spec.is_int else float(default),
                "min": int(spec.lo) if spec.is_int else float(spec.lo),
                "max": int(spec.hi) if spec.is_int else float(spec.hi),
                "step": spec.step,
                "label": spec.label,  # short: Mesa puts the label and the slider on one line
            }
    return params


class MesaPageModel(CoproductionModel):
    """The model as SolaraViz builds it on Reset, with a typed seed checked first.

    A seed that is not a whole number in range does not raise (which would put a traceback in
    the page): the run uses the default seed and ``input_error`` says why, for the page to show.

    ``preset`` is the page's scenario select. ``scenario`` is accepted as the model's own keyword
    for a preset name (``CoproductionModel(scenario="npm")``); on Mesa 3.5+ SolaraViz's Reset
    passes a Mesa ``Scenario`` there, rebuilt from the model's (which holds only its ``rng``):
    the page's own inputs decide the run, so that one is not used.
    """

    def __init__(self, preset: str = DEFAULT_SCENARIO, seed=DEFAULT_SEED, scenario=None,
                 **kwargs):
        scenario = scenario if isinstance(scenario, str) else preset
        self.input_error = None
        try:
            seed = parse_seed(str(seed))
        except ParameterError as exc:
            self.input_error = f"{exc}. This run uses seed {DEFAULT_SEED} instead."
            seed = DEFAULT_SEED
        if scenario not in PRESETS:
            self.input_error = f"scenario: unknown scenario {scenario!r}; using {DEFAULT_SCENARIO}"
            scenario = DEFAULT_SCENARIO
        super().__init__(scenario=scenario, seed=seed, **kwargs)
        self.seed_used = seed
        # Play steps in one thread while the page draws in another: a week and a reading of
        # the collected data take turns (a plot never sees a half-collected week)
        self.turns = threading.RLock()
        collected = self.datacollector.get_model_vars_dataframe

        def read_collected():
            with self.turns:
                return collected()

        self.datacollector.get_model_vars_dataframe = read_collected

    def step(self) -> None:
        with self.turns:
            super().step()


def seed_problem(text) -> str | None:
    """The one-line message for a typed seed that the run would refuse, else None."""
    try:
        parse_seed(str(text))
    except ParameterError as exc:
        return f"{exc}. Reset would use seed {DEFAULT_SEED} instead."
    return None


@solara.component
def LabelledUserInputs(user_params, on_change=None):
    """Mesa's user inputs (``mesa.visualization.solara_viz.UserInputs``) with each slider's value
    always shown and a bad seed reported as it is typed (see the module's docstring)."""
    seed_text, set_seed_text = solara.use_state(None)
    for name, options in user_params.items():
        def change(value, name=name):
            if on_change is not None:
                on_change(name, value)

        label = options.get("label", name) if isinstance(options, dict) else name
        kind = options.get("type") if isinstance(options, dict) else None
        if kind == "SliderInt":
            solara.SliderInt(label, value=options.get("value"), on_value=change,
                             min=options.get("min"), max=options.get("max"),
                             step=options.get("step"), thumb_label="always")
        elif kind == "SliderFloat":
            solara.SliderFloat(label, value=options.get("value"), on_value=change,
                               min=options.get("min"), max=options.get("max"),
                               step=options.get("step"), thumb_label="always")
        elif kind == "Select":
            solara.Select(label, value=options.get("value"), on_value=change,
                          values=options.get("values"))
        elif kind == "Checkbox":
            solara.Checkbox(label=label, on_value=change, value=options.get("value"))
        elif kind == "InputText" and name == "seed":
            def typed(text, change=change):
                set_seed_text(text)
                change(text)

            shown = options.get("value") if seed_text is None else seed_text
            problem = seed_problem(shown)
            solara.InputText(label=label, value=shown, on_value=typed, continuous_update=True,
                             error=bool(problem))
            if problem:
                solara.Error(problem, dense=True)
        elif kind == "InputText":
            solara.InputText(label=label, on_value=change, value=options.get("value"))
        else:
            raise ValueError(f"{kind} is not a supported input type")


# SolaraViz's model inputs are drawn by ``mesa.visualization.solara_viz.UserInputs`` (looked up
# when the page renders): the page draws them with ``LabelledUserInputs`` instead.
_solara_viz.UserInputs = LabelledUserInputs


@solara.component
def NetworkView(model: CoproductionModel):
    """The citizens' network with matplotlib (the same picture as the teaching dashboard).

    Mesa's space components look for ``model.grid`` / ``model.space`` and lay a network out anew
    on every step; this keeps one layout per model and redraws only the node colours. It also
    frees a model once Reset has replaced it (Mesa keeps a class-level reference to its agents).
    """
    update_counter.get()
    picture = solara.use_memo(
        lambda: NetworkPicture(model, size_px=360), [model])
    solara.use_effect(lambda: model.release, [model])
    with solara.Column(style={"max-width": "300px", "margin": "0 auto"}):  # fits Mesa's grid cell
        solara.Image(picture.draw(NetworkSnapshot.of(model)), width="100%", format="jpeg",
                     classes=[picture_class("network")])
        legend = "".join(
            f'<span><span style="color:{STATE_COLOURS[state]}">'
            f'{"&#9660;" if state == "withdrawn" else "&#9679;"}</span> {STATE_LABELS[state]}'
            "</span>" for state in CITIZEN_STATES)
        solara.HTML(tag="div", unsafe_innerHTML=legend + "<span>&#9675; volunteer</span>",
                    classes=["cp-mesa-legend"])


@solara.component
def RunSettings(model: CoproductionModel):
    """This run: scenario, seed, week, and the sliders the running model was built with that are
    not at their starting values (each slider shows its own value); a bad seed's message
    first."""
    update_counter.get()
    error = getattr(model, "input_error", None)
    if error:
        solara.Error(error)
    seed = getattr(model, "seed_used", None)
    lines = [f"<b>This run</b>: {html.escape(scenario_label(model.preset_name or DEFAULT_SCENARIO))}"
             f", seed {seed if seed is not None else '?'}, week {model.steps}"]
    changed = [(name, options) for name, options in MODEL_PARAMS.items()
               if options["type"].startswith("Slider")
               and getattr(model.params, name) != options["value"]]
    for name, options in changed:
        lines.append(f"{html.escape(options['label'])}: "
                     f"<b>{format_value(name, getattr(model.params, name))}</b>")
    if not changed:
        lines.append("Every slider at its starting value.")
    solara.HTML(tag="div", unsafe_innerHTML="<br>".join(lines), classes=["cp-mesa-runsettings"])


MESA_CHARTS = ("value", "participation", "trust", "equity")  # chart keys (dashboards/charts.py)


@solara.component
def MetricChart(model: CoproductionModel, key: str):
    """One of the teaching dashboard's charts of the running model, redrawn each week by
    drawing only its new lines (``figures.ChartPicture``), with its title, definition and a
    legend in plain words. Mesa's ``make_plot_component`` draws each plot afresh every week
    (some 150 ms each), which held Play to about one week a second."""
    update_counter.get()
    metrics = set(model.datacollector.model_vars)
    spec = solara.use_memo(lambda: next(
        (c for c in available_charts(KEY_CHARTS + MORE_CHARTS, metrics) if c.key == key), None),
        [model])
    picture = solara.use_memo(
        lambda: ChartPicture(spec, [(model.preset_name, scenario_label(model.preset_name))],
                             [model.params], size_px=(400, 220)) if spec else None, [model])
    if spec is None or picture is None:
        return
    with model.turns:
        series = {line.metric: np.asarray(model.datacollector.model_vars[line.metric],
                                          dtype=float) for line in spec.lines}
    colour = regime_colour(model.preset_name)
    legend = "".join(
        f'<span><span style="display:inline-block;width:22px;border-top:3px '
        f'{"solid" if k == 0 else "dashed"} {colour};vertical-align:middle"></span> '
        f"{html.escape(line.label)}</span>" for k, line in enumerate(spec.lines))
    with solara.Column(gap="2px", style={"max-width": "440px"}):
        solara.HTML(tag="div", unsafe_innerHTML=f"<b>{html.escape(spec.heading)}</b>",
                    style={"font-size": "15px"})
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(spec.definition),
                    style={"font-size": "13px", "color": "#444", "line-height": "1.25"})
        solara.HTML(tag="div", unsafe_innerHTML=legend, classes=["cp-mesa-legend"])
        solara.Image(picture.draw([series]), width="100%", classes=[picture_class(f"chart-{key}")])


def _chart_component(key: str):
    def component(model):
        return MetricChart(model, key)
    component.__name__ = f"Chart_{key}"
    return component


# The page's components: this run's settings, the network and a few key metrics over the weeks.
COMPONENTS = [RunSettings, NetworkView, *(_chart_component(key) for key in MESA_CHARTS)]
MODEL_PARAMS = model_params()


def picture_descriptions() -> dict[str, str]:
    """Alt text of the page's pictures (the network and each chart), by CSS class."""
    found = {picture_class("network"): network_description()}
    for spec in available_charts(KEY_CHARTS + MORE_CHARTS, set(METRICS)):
        if spec.key in MESA_CHARTS:
            found[picture_class(f"chart-{spec.key}")] = chart_description(
                spec.heading, spec.definition, [line.label for line in spec.lines])
    return found


PICTURES = picture_descriptions()


def make_model() -> MesaPageModel:
    """The model the page starts with: the same as the inputs' starting values."""
    return MesaPageModel(preset=DEFAULT_SCENARIO, seed=str(DEFAULT_SEED))


@solara.component
def MesaDashboard(model: solara.Reactive | None = None):
    """SolaraViz around one coprosim model. ``model`` (reactive) lets tests hold on to it."""
    first = solara.use_memo(lambda: make_model() if model is None else None, [])
    solara.Style(CSS)
    solara.v.Html(tag="div", style_="display: none", children=[Describe.element(
        pictures=PICTURES, buttons=MESA_BUTTONS, icons=APP_BAR_ICONS)])
    SolaraViz(model if model is not None else first, components=COMPONENTS,
              model_params=MODEL_PARAMS, name=NAME, play_interval=PLAY_INTERVAL_MS,
              use_threads=True)


@solara.component
def Page():
    """Entry point for ``solara run dashboards/mesa_app.py``: one model per browser session."""
    solara.Title(NAME)
    MesaDashboard()
