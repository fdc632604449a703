"""coprosim on Mesa's own SolaraViz: one regime, Mesa's controls and Mesa's matplotlib plots.

Start it with ``coprosim dashboard --mesa`` (port 8766, beside the main page's 8765) or
``.venv/bin/solara run dashboards/mesa_app.py`` (offline: matplotlib only, nothing fetched).

This page is the plain Mesa way of showing the model: ``mesa.visualization.SolaraViz`` with its
ModelController (Reset, Play/Pause, Step), model parameters as Mesa user inputs, Mesa's
``make_plot_component(..., backend="matplotlib")`` charts, and the citizens' network drawn with
matplotlib. The teaching dashboard (``dashboards/app.py``) stays the main page: it compares two
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
model was built with (Mesa's sliders show their value only while dragged).
"""

from __future__ import annotations

import html
import sys
import warnings
from pathlib import Path

import solara

try:
    import coprosim  # noqa: F401  (the package is installed editable in the project's venv)
except ModuleNotFoundError:  # run from a plain checkout: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with warnings.catch_warnings():  # Solara's hook check flags Mesa's own ComponentsView: not ours
    warnings.filterwarnings("ignore", message=".*ComponentsView.*use_state", category=UserWarning)
    from mesa.visualization import SolaraViz, make_plot_component
    from mesa.visualization.utils import update_counter

from coprosim.dashboards.figures import (
    CITIZEN_STATES,
    STATE_COLOURS,
    STATE_LABELS,
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

NAME = "coprosim on Mesa SolaraViz"


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


def _titled(title: str, ylim: tuple[float, float] | None = None):
    def post_process(ax) -> None:
        ax.set_title(title, fontsize=11, loc="left")
        if ylim:
            ax.set_ylim(*ylim)
        ax.grid(alpha=0.3)

    return post_process


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
    with solara.Column(style={"max-width": "340px", "margin": "0 auto"}):  # fits Mesa's grid cell
        solara.Image(picture.draw(NetworkSnapshot.of(model)), width="100%", format="jpeg")
        legend = " &nbsp; ".join(
            f'<span style="color:{STATE_COLOURS[state]}">{"&#9660;" if state == "withdrawn" else "&#9679;"}'
            f"</span> {STATE_LABELS[state]}" for state in CITIZEN_STATES)
        solara.HTML(tag="div", unsafe_innerHTML=legend + " &nbsp; &#9675; volunteer",
                    style={"font-size": "14px"})


@solara.component
def RunSettings(model: CoproductionModel):
    """This run: scenario, seed and the value of each slider the running model was built with;
    a bad seed's message first."""
    update_counter.get()
    error = getattr(model, "input_error", None)
    if error:
        solara.Error(error)
    seed = getattr(model, "seed_used", None)
    lines = [f"<b>This run</b>: {html.escape(scenario_label(model.preset_name or DEFAULT_SCENARIO))}"
             f", seed {seed if seed is not None else '?'}, week {model.steps}"]
    for name, options in MODEL_PARAMS.items():
        if options["type"].startswith("Slider"):
            lines.append(f"{html.escape(options['label'])}: "
                         f"<b>{format_value(name, getattr(model.params, name))}</b>")
    solara.HTML(tag="div", unsafe_innerHTML="<br>".join(lines),
                style={"font-size": "15px", "line-height": "1.4"})


# The page's components: this run's settings, the network and a few key metrics over the weeks.
COMPONENTS = [
    RunSettings,
    NetworkView,
    make_plot_component({"public_value": regime_colour("coproduction"),
                         "emergent_value": regime_colour("npm")},
                        post_process=_titled("Public value per citizen (need reduced)"),
                        backend="matplotlib"),
    make_plot_component({"participation_rate": "#0072B2", "mean_trust": "#009E73",
                         "mean_efficacy": "#CC79A7", "staff_motivation": "#777777"},
                        post_process=_titled("Shares and means", (0.0, 1.0)),
                        backend="matplotlib"),
    make_plot_component({"equity_gap": "#D55E00", "hidden_need": "#E69F00"},
                        post_process=_titled("Equity gap and hidden need"),
                        backend="matplotlib"),
]
MODEL_PARAMS = model_params()


def make_model() -> MesaPageModel:
    """The model the page starts with: the same as the inputs' starting values."""
    return MesaPageModel(preset=DEFAULT_SCENARIO, seed=str(DEFAULT_SEED))


@solara.component
def MesaDashboard(model: solara.Reactive | None = None):
    """SolaraViz around one coprosim model. ``model`` (reactive) lets tests hold on to it."""
    first = solara.use_memo(lambda: make_model() if model is None else None, [])
    SolaraViz(model if model is not None else first, components=COMPONENTS,
              model_params=MODEL_PARAMS, name=NAME, play_interval=200)


@solara.component
def Page():
    """Entry point for ``solara run dashboards/mesa_app.py``: one model per browser session."""
    solara.Title(NAME)
    MesaDashboard()
