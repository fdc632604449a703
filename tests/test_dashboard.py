"""Component tests of the teaching dashboard, rendered with ``solara.render`` (no browser).

They check what a lecturer relies on: the controls exist and match the parameter validation,
stepping advances the model, reset rebuilds it from the chosen settings, side by side keeps both
regimes on the same week from the same population, and bad input shows a message instead of
breaking the page.
"""

from __future__ import annotations

import ipyvuetify as v
import ipywidgets as widgets
import numpy as np
import pytest
import solara
from coprosim.dashboards import app
from coprosim.dashboards.explain import IDEAS
from coprosim.dashboards.session import Session
from coprosim.dashboards.settings import SLIDER_NAMES, SLIDERS, Settings, parse_seed
from coprosim.model import PRESETS, CoproductionModel, ParameterError, Params

SMALL = {"n_citizens": 200}


def render(settings: Settings | None = None):
    """Render the dashboard with a small population; returns (render context, session)."""
    holder = {}

    def factory():
        holder["session"] = Session(settings or Settings(overrides=dict(SMALL)))
        return holder["session"]

    _, rc = solara.render(app.Dashboard(session_factory=factory), handle_error=False)
    return rc, holder["session"]


def click(rc, label: str) -> None:
    rc.find(v.Btn, children=[label]).widget.click()


def side_by_side(rc) -> None:
    """Choose the side-by-side view (the toggle's model is the chosen button's index)."""
    rc.find(v.BtnToggle).widget.v_model = 1


def type_seed(rc, text: str) -> None:
    """Type a seed and press Enter (the field commits on Enter or on leaving it)."""
    field = rc.find(v.TextField, label="Seed (whole number)").widget
    field.v_model = text
    field.fire_event("keyup.enter", text)


def texts(rc) -> list[str]:
    return [str(w.children[0]) for w in rc.find(v.Html).widgets if w.children]


def week_shown(rc) -> list[str]:
    return [t for t in texts(rc) if t.startswith("Week ")]


def errors_shown(rc) -> list[str]:
    return [str(w.children) for w in rc.find(v.Alert, type="error").widgets]


# --- controls ----------------------------------------------------------------------------------

def test_controls_exist():
    """Scenario selector, seed, step/play/reset, speed, and one slider per main parameter."""
    rc, _ = render()
    for label in ("Step", "Play", "Reset", "One regime", "Side by side"):
        rc.find(v.Btn, children=[label]).assert_single()
    rc.find(v.Select, label="Scenario").assert_single()
    rc.find(v.TextField, label="Seed (whole number)").assert_single()
    sliders = rc.find(v.Slider).widgets
    assert len(sliders) == len(SLIDER_NAMES) + 1, "one slider per parameter plus the speed"
    assert week_shown(rc) == ["Week 0"]
    assert len(rc.find(widgets.Image).widgets) == 2, "network and charts"


def test_slider_ranges_lie_inside_parameter_validation():
    """A slider can never produce a value Params refuses: both ends validate."""
    for specs in SLIDERS.values():
        for spec in specs:
            lo, hi = Params.spec(spec.name)["range"]
            assert lo <= spec.lo < spec.hi <= hi, spec.name
            Params(**{spec.name: spec.lo})
            Params(**{spec.name: spec.hi})


def test_slider_steps_reach_every_preset_value():
    """Choosing a preset must put each slider exactly on one of its steps."""
    for name in PRESETS:
        for specs in SLIDERS.values():
            for spec in specs:
                value = Settings(scenario=name).shown_value(spec.name)
                steps = (value - spec.lo) / spec.step
                assert abs(steps - round(steps)) < 1e-6, (name, spec.name, value, spec.step)


def test_sliders_show_the_validated_range_in_the_page():
    rc, _ = render()
    sliders = rc.find(v.Slider).widgets
    lows_highs = {(s.min, s.max) for s in sliders}
    spec = SLIDERS["Regime rules"][0]
    assert (spec.lo, spec.hi) in lows_highs


# --- stepping, reset, side by side -------------------------------------------------------------

def test_step_advances_the_model_and_the_counter():
    rc, session = render()
    for _ in range(3):
        click(rc, "Step")
    assert session.runs[0].model.steps == 3
    assert week_shown(rc) == ["Week 3"]
    frame = session.runs[0].model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 4, "one row per week including week 0"


def test_reset_rebuilds_from_the_chosen_parameters():
    """A slider change waits for Reset; Reset builds a new model, at week 0, with that value."""
    rc, session = render()
    click(rc, "Step")
    slider = next(s for s in rc.find(v.Slider).widgets if s.max == 5000)  # citizens
    slider.v_model = 300
    assert session.runs[0].model.params.n_citizens == 200, "not applied before Reset"
    assert any("press Reset" in str(w.children) for w in rc.find(v.Alert).widgets)
    click(rc, "Reset")
    model = session.runs[0].model
    assert model.steps == 0 and model.params.n_citizens == 300
    assert week_shown(rc) == ["Week 0"]


def test_choosing_a_scenario_starts_that_regime():
    rc, session = render()
    rc.find(v.Select, label="Scenario").widget.v_model = app.scenario_label("npm")
    run = session.runs[0]
    assert run.scenario == "npm" and run.model.params.coproduction_share == 0.0
    assert run.model.steps == 0


def test_side_by_side_keeps_both_regimes_on_the_same_week_from_the_same_population():
    rc, session = render()
    side_by_side(rc)
    assert [r.scenario for r in session.runs] == ["npm", "coproduction"]
    for _ in range(5):
        click(rc, "Step")
    npm, copro = (r.model for r in session.runs)
    assert npm.steps == copro.steps == 5
    assert week_shown(rc) == ["Week 5 (both regimes)"]
    assert np.array_equal(npm.citizen_state["resources"], copro.citizen_state["resources"])
    assert (npm.adjacency != copro.adjacency).nnz == 0, "same social network"
    assert npm.params.coproduction_share == 0.0 and copro.params.coproduction_share == 1.0
    assert len(rc.find(widgets.Image).widgets) == 3, "two networks and the overlaid charts"


def test_side_by_side_locks_the_parameters_that_make_the_regimes():
    """A shared slider must not erase the difference between the compared regimes."""
    settings = Settings(compare=True, overrides={"coproduction_share": 0.3, "wicked_share": 0.6})
    npm, copro = (settings.params_for(s) for s in settings.scenarios)
    assert (npm.coproduction_share, copro.coproduction_share) == (0.0, 1.0)
    assert npm.wicked_share == copro.wicked_share == 0.6


# --- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["abc", "1.5", "-3", ""])
def test_bad_seed_shows_an_error_and_keeps_the_run(text):
    rc, session = render()
    click(rc, "Step")
    before = session.runs[0].model
    type_seed(rc, text)
    assert any("seed: must be a whole number" in e for e in errors_shown(rc)), errors_shown(rc)
    assert session.runs[0].model is before and before.steps == 1
    click(rc, "Step")
    assert before.steps == 2, "the page still works"


def test_good_seed_starts_a_new_run_with_that_seed():
    rc, session = render()
    type_seed(rc, "42")
    model = session.runs[0].model
    twin = CoproductionModel(params=model.params, seed=42)
    assert np.array_equal(model.citizen_state["resources"], twin.citizen_state["resources"])
    assert not errors_shown(rc)


def test_failing_step_shows_the_error_instead_of_a_blank_page(monkeypatch):
    rc, session = render()

    def broken(self):
        raise RuntimeError("mechanism exploded")

    monkeypatch.setattr(CoproductionModel, "step", broken)
    click(rc, "Reset")  # Mesa binds a model's step when it is built: build one with the fault
    click(rc, "Step")
    shown = errors_shown(rc)
    assert any("mechanism exploded" in e and "week 1" in e for e in shown), shown
    assert len(week_shown(rc)) == 1 and rc.find(widgets.Image).widgets, "the page is still drawn"
    rc.find(v.Btn, children=["Step"]).assert_single()
    monkeypatch.undo()
    click(rc, "Reset")
    click(rc, "Step")
    assert week_shown(rc) == ["Week 1"] and not errors_shown(rc)


def test_parse_seed():
    assert parse_seed(" 7 ") == 7
    with pytest.raises(ParameterError, match="seed"):
        parse_seed("seven")


# --- sessions ---------------------------------------------------------------------------------

def test_each_session_has_its_own_models():
    """Two browser sessions: stepping one leaves the other untouched."""
    rc_a, a = render()
    rc_b, b = render()
    click(rc_a, "Step")
    click(rc_a, "Step")
    assert a.runs[0].model is not b.runs[0].model
    assert (a.week, b.week) == (2, 0)
    assert week_shown(rc_b) == ["Week 0"]


def test_play_runs_weeks_until_paused():
    rc, session = render()
    click(rc, "Play")
    rc.find(v.Btn, children=["Pause"]).wait_for(timeout=5)
    deadline = 50
    while session.week < 2 and deadline:
        import time

        time.sleep(0.1)
        deadline -= 1
    click(rc, "Pause")
    assert session.week >= 2
    stopped = session.week
    import time

    time.sleep(0.5)
    assert session.week <= stopped + 1  # at most the step in flight when Pause was pressed


# --- explain -----------------------------------------------------------------------------------

def test_explain_panel_names_real_parameters_and_every_seed_idea():
    names = set(Params.field_names())
    for idea in IDEAS:
        for parameter in idea.parameters:
            assert parameter in names, f"{idea.name}: unknown parameter {parameter}"
    covered = " ".join(i.name.lower() for i in IDEAS)
    for concept in ("experience", "reflection", "emergence", "contextualization",
                    "learning in organizations", "withness", "alienated", "resourceful",
                    "left behind", "action research", "pacified"):
        assert concept in covered, concept
