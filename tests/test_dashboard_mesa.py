"""Component tests of the Mesa SolaraViz page (``dashboards/mesa_app.py``), with ``solara.render``.

As Mesa tests its own SolaraViz: render the component, find the ipyvuetify widgets, click
Mesa's ModelController buttons and look at the model. The page sits inside ``solara.AppLayout``
(as ``solara run`` puts it) so that SolaraViz's sidebar, which holds the controls, is rendered.
"""

from __future__ import annotations

import ipyvuetify as v
import ipywidgets as widgets
import solara
from coprosim.dashboards import mesa_app
from coprosim.model import PRESETS, CoproductionModel, Params

SMALL = 200


def render(n_citizens: int = SMALL):
    """The page around a small model; returns (render context, reactive model)."""
    model = solara.reactive(mesa_app.MesaPageModel(scenario="coproduction", seed="1",
                                                   n_citizens=n_citizens))

    @solara.component
    def InLayout():
        with solara.AppLayout():
            mesa_app.MesaDashboard(model=model)

    _, rc = solara.render(InLayout(), handle_error=False)
    return rc, model


def click(rc, label: str) -> None:
    rc.find(v.Btn, children=[label]).widget.click()


def steps_text(steps: int) -> str:
    """Mesa's own step counter on the page: "Step: 2" on Mesa 3.3, "Time: 2.0" on Mesa 3.5+."""
    from coprosim.model.mesa_internals import MESA_3_5

    return f"Time: {float(steps)}" if MESA_3_5 else f"Step: {steps}"


def shows(rc, text: str) -> bool:
    """Whether some widget on the page has exactly this text."""
    return bool(rc.find(children=[text]).widgets)


def pictures(rc) -> list[bytes]:
    return [bytes(w.value) for w in rc.find(widgets.Image).widgets]


def test_model_params_are_valid_for_the_model_and_follow_the_parameter_spec():
    from mesa.visualization.solara_viz import _check_model_params  # (imported by mesa_app)

    _check_model_params(CoproductionModel.__init__, mesa_app.MODEL_PARAMS)  # raises if not
    by_preset = mesa_app.preset_parameters()
    sliders = {k: o for k, o in mesa_app.MODEL_PARAMS.items() if o["type"].startswith("Slider")}
    assert sliders and not set(sliders) & by_preset  # a slider never overrides a scenario's rule
    for name, options in sliders.items():
        spec = Params.spec(name)
        lo, hi = spec["range"]
        assert lo <= options["min"] <= options["value"] <= options["max"] <= hi, name
        assert options["value"] == spec["default"], name
    assert mesa_app.MODEL_PARAMS["preset"]["values"] == list(PRESETS)


def test_page_renders_controls_parameters_network_and_plots():
    rc, model = render()
    for label in ("Reset", "▶", "Step"):
        rc.find(v.Btn, children=[label]).assert_single()
    slider_labels = [w.label for w in rc.find(v.Slider).widgets]
    for name, options in mesa_app.MODEL_PARAMS.items():
        if options["type"].startswith("Slider"):
            assert options["label"] in slider_labels, name
    scenario = rc.find(v.Select, label="Scenario (sets the regime rules)").widget
    assert scenario.items == list(PRESETS) and scenario.v_model == "coproduction"
    rc.find(v.TextField, label="Seed (whole number)").assert_single()
    # the run's settings (text), the network (JPEG) and Mesa's matplotlib plots (PNG)
    assert len(pictures(rc)) == len(mesa_app.COMPONENTS) - 1
    kinds = sorted(p[:2] for p in pictures(rc))
    assert kinds.count(b"\xff\xd8") == 1, "one network"
    assert kinds.count(b"\x89P") == len(kinds) - 1, "Mesa's plots"
    assert shows(rc, steps_text(0))
    assert model.value.steps == 0


def test_step_via_mesa_controller_advances_the_model_and_redraws():
    rc, model = render()
    before = pictures(rc)
    click(rc, "Step")
    click(rc, "Step")
    assert model.value.steps == 2
    assert shows(rc, steps_text(2))
    after = pictures(rc)
    assert after[0] != before[0]  # the network shows the new week
    assert len(model.value.datacollector.get_model_vars_dataframe()) == 3  # weeks 0, 1, 2


def test_reset_builds_a_new_model_from_the_scenario_seed_and_sliders():
    rc, model = render()
    click(rc, "Step")
    old = model.value
    rc.find(v.Select, label="Scenario (sets the regime rules)").widget.v_model = "npm"
    rc.find(v.Slider, label=mesa_app.MODEL_PARAMS["n_citizens"]["label"]).widget.v_model = 150
    type_seed(rc, "7")
    click(rc, "Reset")
    new = model.value
    assert new is not old and new.steps == 0
    assert new.preset_name == "npm" and new.params.n_citizens == 150
    expected = CoproductionModel(scenario="npm", seed=7, n_citizens=150)
    assert new.params == expected.params
    click(rc, "Step")
    expected.step()
    assert new.metrics == expected.metrics  # the typed seed reached the model
    assert shows(rc, steps_text(1))


def html_shown(rc) -> str:
    return " ".join(w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets)


def type_seed(rc, text: str) -> None:
    """Type a seed (the field takes each key as typed: no Enter needed)."""
    rc.find(v.TextField, label="Seed (whole number)").widget.v_model = text


def test_bad_seed_then_reset_gives_a_message_not_a_traceback():
    rc, model = render()
    type_seed(rc, "not a seed")
    click(rc, "Reset")  # raised inside the page before: a traceback replaced it
    assert isinstance(model.value, mesa_app.MesaPageModel) and model.value.steps == 0
    errors = [str(w.children) for w in rc.find(v.Alert, type="error").widgets]
    assert any("seed: must be a whole number" in e and "uses seed 1" in e for e in errors), errors
    click(rc, "Step")
    assert model.value.steps == 1, "the page still works"
    type_seed(rc, "3")
    click(rc, "Reset")
    assert not rc.find(v.Alert, type="error").widgets and model.value.seed_used == 3


def test_the_page_shows_the_values_the_run_was_built_with():
    rc, model = render()
    rc.find(v.Slider, label=mesa_app.MODEL_PARAMS["n_citizens"]["label"]).widget.v_model = 150
    click(rc, "Reset")
    shown = html_shown(rc)
    assert f"{mesa_app.MODEL_PARAMS['n_citizens']['label']}: <b>150</b>" in shown
    assert "seed 1" in shown and "Co-production" in shown


def test_cli_serves_the_mesa_page_on_its_own_port():
    import argparse

    from coprosim.dashboards import cli

    parser = argparse.ArgumentParser()
    cli.add_commands(parser.add_subparsers())
    args = parser.parse_args(["dashboard", "--mesa"])
    assert args.mesa and args.port is None
    command = cli.dashboard_command(args.host, cli.DEFAULT_MESA_PORT, mesa=True)
    assert command[2].endswith("mesa_app.py") and str(cli.DEFAULT_MESA_PORT) in command
    assert cli.DEFAULT_MESA_PORT != cli.DEFAULT_PORT
    env = cli.server_environment({})
    assert env["SOLARA_KERNEL_CULL_TIMEOUT"] == cli.SESSION_CULL
    assert env["SOLARA_THEME_SHOW_BANNER"] == "False"
    assert env["MALLOC_ARENA_MAX"] == cli.MALLOC_ARENAS
    assert cli.server_environment({"MALLOC_ARENA_MAX": "8"})["MALLOC_ARENA_MAX"] == "8"


def test_a_bad_seed_is_reported_as_it_is_typed_before_reset():
    """The message shows at once (Mesa would only build the model on Reset); a good seed
    clears it; the run on screen is untouched until Reset."""
    rc, model = render()
    first = model.value
    seed = rc.find(v.TextField, label="Seed (whole number)").widget
    seed.v_model = "12x"  # typed, not yet Reset
    errors = [str(w.children) for w in rc.find(v.Alert, type="error").widgets]
    assert any("seed: must be a whole number" in e for e in errors), errors
    assert model.value is first
    seed.v_model = "12"
    assert not rc.find(v.Alert, type="error").widgets


def test_every_slider_shows_its_value_and_the_charts_use_plain_words():
    rc, _ = render()
    sliders = [w for w in rc.find(v.Slider).widgets
               if w.label in {o.get("label") for o in mesa_app.MODEL_PARAMS.values()}]
    assert sliders and all(w.thumb_label == "always" for w in sliders)
    shown = html_shown(rc)
    for name in ("public_value", "participation_rate", "mean_trust", "equity_gap"):
        assert name not in shown, f"code name {name} on the page"
    assert "Participation" in shown and "Public value" in shown
