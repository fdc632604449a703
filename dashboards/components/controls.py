"""The controls column: run buttons and speed, view, scenario(s), seed, the lesson running, the
take-home files and the parameter sliders."""

from __future__ import annotations

import solara
from coprosim.dashboards.components.base import html_element as _html
from coprosim.dashboards.components.lessons import LessonStrip
from coprosim.dashboards.components.reality import RealityCard
from coprosim.dashboards.components.state import SPEED_RANGE, TABS, DashboardState
from coprosim.dashboards.export import charts_png, file_stem
from coprosim.dashboards.regimes import acts_only_in, inert_everywhere
from coprosim.dashboards.settings import (
    SLIDERS,
    Settings,
    SliderSpec,
    format_value,
    locked_parameters,
    parameter_label,
    scenario_choices,
    scenario_label,
)
from coprosim.model import PRESETS, ParameterError, small_population_message

TITLE = "coprosim: public services under NPM and co-production"


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
    with solara.Column(gap="0px", classes=["cp-slider"]):
        solara.Text(f"{spec.label}: {format_value(spec.name, value)} {spec.unit}",
                    classes=["cp-label"])
        # the slider's own label is its accessible name (hidden: the line above shows it)
        if spec.is_int:
            solara.SliderInt(spec.label, value=int(value), min=int(spec.lo), max=int(spec.hi),
                             step=int(spec.step), on_value=on_value, disabled=bool(why_not))
        else:
            solara.SliderFloat(spec.label, value=float(value), min=spec.lo, max=spec.hi,
                               step=spec.step, on_value=on_value, disabled=bool(why_not))
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


def slider_note(name: str, settings: Settings, regimes) -> str | None:
    """The line under a slider: which regime it acts in, or, for the population, the model's own
    one-line warning below ``MIN_CITIZENS`` citizens."""
    note = acts_only_in(name, regimes)
    if name == "n_citizens":
        note = small_population_message(int(settings.shown_value(name))) or note
    return note


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
                                note=slider_note(spec.name, settings, regimes))



@solara.component
def PlaySpeed(playing: solara.Reactive, achieved: solara.Reactive):
    """The speed Play reaches, while playing (its own component: it changes several times a
    second, and only this line needs to follow)."""
    if playing.value and achieved.value:
        solara.Text(f"Playing at {achieved.value:g} weeks/s", classes=["cp-caption"])




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
def RunCard(state: DashboardState):
    """Step, Play and Reset, the speed, what is changed but not running, the view (one regime or
    side by side), the scenario(s) and the seed."""
    session, settings, playing = state.session, state.pending.value, state.playing.value
    with solara.Card(margin=0):
        with solara.Row(gap="6px", classes=["cp-runbuttons"]):
            # no ripple: its half-second animation repaints the page in the browser for every
            # click (a third of the browser's work for a Step); the new week is the feedback
            solara.Button("Step", on_click=state.step, color="primary",
                          disabled=playing or session.failed(), ripple=False)
            solara.Button("Pause" if playing else "Play", on_click=state.toggle_play,
                          color="primary", disabled=session.failed() and not playing,
                          ripple=False)
            solara.Button("Reset", on_click=state.reset, color="secondary", ripple=False)
        solara.SliderInt(f"Speed: {state.speed.value} weeks/s", value=state.speed,
                         min=SPEED_RANGE[0], max=SPEED_RANGE[1], thumb_label=False)
        PlaySpeed(state.playing, state.achieved)
        if settings != state.applied.value:
            changes = _difference(state.applied.value, settings)
            solara.Warning(f"Changed, not running yet: {changes}. Press Reset to start a run "
                           "with them (this run stays as a faint ghost).", dense=True)
        for note in state.notes.value:
            solara.Warning(note, dense=True)
        question = state.mode_question.value
        solara.ToggleButtonsSingle(
            value="Side by side" if settings.compare else "One regime",
            values=["One regime", "Side by side"],
            on_value=lambda v: state.set_compare(v == "Side by side")).key(f"mode-{question}")
        if question is not None:
            ModeQuestion(state, question)
        if settings.compare:
            ScenarioSelect("Left regime", settings.left,
                           lambda s: state.set_scenario("left", s))
            ScenarioSelect("Right regime", settings.right,
                           lambda s: state.set_scenario("right", s))
        else:
            ScenarioSelect("Scenario", settings.scenario,
                           lambda s: state.set_scenario("scenario", s))
        SeedInput(state.seed_text.value, state.seed_error.value, state.type_seed)


@solara.component
def ModeQuestion(state: DashboardState, compare: bool):
    """Switching view mid-run starts a new run: say so, and go on only if asked to."""
    mode = "side by side" if compare else "one regime"
    with solara.Card(margin=0, classes=["cp-question"]):
        _html(f"Week {state.session.week}: switching to {mode} starts a new run at week 0 (this "
              "run stays on the charts as a faint ghost).", ["cp-label"])
        with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
            solara.Button(f"Switch to {mode}", color="primary", small=True,
                          on_click=lambda: state.set_compare(compare, confirmed=True))
            solara.Button("Keep this run", small=True, outlined=True,
                          on_click=lambda: state.mode_question.set(None))


@solara.component
def PresentButton(state: DashboardState):
    """Presentation mode on and off (key P): full screen, large type, the controls a class
    needs."""
    on = state.present.value
    solara.Button("Leave presentation" if on else "Presentation", small=True, outlined=True,
                  icon_name="mdi-fullscreen-exit" if on else "mdi-presentation",
                  on_click=state.toggle_present, classes=["cp-presentbutton"],
                  attributes={"title": "Full screen and large type for a projector (key P). "
                              "Keys: Space play/pause, right arrow step, R reset."})


@solara.component
def TakeHomeCard(state: DashboardState):
    """Pin or clear the ghost; the run's metrics (CSV) and charts (PNG)."""
    session = state.session
    with solara.Card("Compare and take home", margin=0):
        with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
            solara.Button("Pin this run", on_click=state.pin, small=True, outlined=True)
            solara.Button("Clear ghost", on_click=state.clear_ghost, small=True, outlined=True)
        with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
            solara.FileDownload(session.metrics_csv, filename=file_stem(session) + ".csv",
                                label="Metrics (CSV)", mime_type="text/csv")
            solara.FileDownload(lambda: charts_png(session), filename=file_stem(session) + ".png",
                                label="Charts (PNG)", mime_type="image/png")
        solara.Text("The address bar holds this setup: copy it to share it, or reload.",
                    classes=["cp-caption"])


@solara.component
def Controls(state: DashboardState):
    """The controls column, top to bottom: the run, the lesson running (if any), take-home,
    the parameters."""
    with solara.Row(gap="6px", style={"align-items": "center", "justify-content": "space-between"}):
        _html(f"<b>{TITLE}</b>", ["cp-caption", "cp-title"])
        PresentButton(state)
    RunCard(state)
    # read: the lesson strip's week is current when Play stops (or reaches the lesson's end)
    _ = state.playing.value, state.pause_at.value
    running = state.running_lesson()
    if running is not None:
        index, stage, lesson = running
        LessonStrip(lesson, index + 1, stage, state.session.week,
                    on_then=lambda: state.start_lesson(index, "then"),
                    on_open=lambda: state.tab.set(TABS["lessons"]), on_close=state.end_lesson)
    RealityCard(state)
    if state.present.value:  # a projector shows the run, not the settings
        return
    TakeHomeCard(state)
    with solara.Card("Parameters", margin=0):
        solara.Text("Choosing a scenario sets the sliders to its values; a change starts a new "
                    "run when you press Reset.", classes=["cp-caption"])
        ParameterPanels(state.pending.value, state.set_parameter)
