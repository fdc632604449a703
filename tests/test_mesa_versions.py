"""coprosim on both supported Mesa lines (docs/supported-versions.md).

Python 3.11 runs Mesa 3.3.1; Python 3.12 and newer run Mesa 3.5+. ``make test`` runs the whole
suite in both environments (``.venv`` and ``.venv-mesa-new``), and tells each where the other is
(``COPROSIM_OTHER_PYTHON``) so that one seed can be checked to give the same numbers on both.
Tests that only make sense on one Mesa line are skipped on the other, by Mesa version.
"""

from __future__ import annotations

import gc
import json
import os
import random
import subprocess
import sys
import tomllib
import warnings
import weakref
from pathlib import Path

import mesa
import numpy as np
import pytest
from coprosim.model import PRESETS, CoproductionModel, ParameterError, Params
from coprosim.model import mesa_internals as internals
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
MESA = Version(mesa.__version__)
ON_3_5 = pytest.mark.skipif(not internals.MESA_3_5, reason="Mesa 3.5+ only (installed: Mesa "
                                                           f"{mesa.__version__})")
ON_3_3 = pytest.mark.skipif(internals.MESA_3_5, reason="Mesa 3.3 only (installed: Mesa "
                                                       f"{mesa.__version__})")
# Warnings that would tell a Mesa user their Mesa code is out of date.
DEPRECATIONS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


# --- the supported pairs and the dependency ranges ----------------------------------------------
def test_the_installed_python_and_mesa_are_a_supported_pair():
    if sys.version_info[:2] == (3, 11):
        assert MESA == Version("3.3.1"), "Python 3.11 runs Mesa 3.3.1 (the last Mesa for 3.11)"
        assert not internals.MESA_3_5
    else:
        assert sys.version_info[:2] >= (3, 12)
        assert Version("3.5") <= MESA < Version("4"), "Python 3.12+ runs Mesa 3.5 or newer"
        assert internals.MESA_3_5
    assert internals.MESA_VERSION == (MESA.major, MESA.minor)


def mesa_requirements(python: str) -> dict[str, Requirement]:
    """The Mesa requirement that applies on ``python`` ("3.11"), in the core and the dashboard."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = {"core": project["dependencies"],
              "dashboard": project["optional-dependencies"]["dashboard"]}
    found = {}
    for group, lines in groups.items():
        applying = [r for r in map(Requirement, lines) if r.name == "mesa"
                    and (r.marker is None or r.marker.evaluate({"python_version": python}))]
        assert len(applying) == 1, f"{group}: exactly one Mesa requirement on Python {python}"
        found[group] = applying[0]
    return found


@pytest.mark.parametrize("python", ["3.11", "3.12", "3.13"])
def test_the_mesa_range_holds_no_working_mesa_back(python):
    """3.11: exactly 3.3.1 (the newest Mesa that installs there); 3.12+: 3.5 and every later 3.x,
    so installing coprosim beside a newer working Mesa never downgrades it."""
    for group, requirement in mesa_requirements(python).items():
        allowed = requirement.specifier
        if python == "3.11":
            assert "3.3.1" in allowed and "3.5.1" not in allowed, group
        else:
            assert "3.3.1" not in allowed, group
            for newer in ("3.5.0", "3.5.1", "3.6.0", "3.9.2"):
                assert newer in allowed, (group, newer)
            assert "4.0.0" not in allowed, group  # a new major version is checked first
    extras = {g: r.extras for g, r in mesa_requirements(python).items()}
    assert extras == {"core": {"network"}, "dashboard": {"rec"}}


def test_the_installed_mesa_satisfies_the_range_for_this_python():
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for group, requirement in mesa_requirements(python).items():
        assert mesa.__version__ in requirement.specifier, group
    assert Marker("python_version >= '3.12'").evaluate() == internals.MESA_3_5


# --- seeds --------------------------------------------------------------------------------------
def test_seed_arguments_use_each_versions_keyword():
    expected = {"rng": 7} if internals.MESA_3_5 else {"seed": 7}
    assert internals.seed_arguments(7, None) == expected
    generator = np.random.default_rng(3)
    assert internals.seed_arguments(None, generator) == {"rng": generator}
    with pytest.raises(ParameterError, match="seed: give seed or rng, not both"):
        internals.seed_arguments(7, 7)


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**31 - 1])
def test_one_seed_gives_the_generators_mesa_documents(seed):
    """Mesa 3.3.1 (seed=) and 3.5 (rng=) both seed numpy with default_rng(seed) and Python's
    random with Random(seed): the same streams on both versions, without a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = mesa.Model(**internals.seed_arguments(seed, None))
    assert model.rng.random(5).tolist() == np.random.default_rng(seed).random(5).tolist()
    assert model.random.random() == random.Random(seed).random()


def test_a_generator_given_as_rng_is_used_as_is():
    generator = np.random.default_rng(5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = mesa.Model(**internals.seed_arguments(None, generator))
    assert model.rng is generator


FINGERPRINT = """
import json, sys, warnings
warnings.simplefilter("error", FutureWarning)
import mesa, numpy
from coprosim.model import CoproductionModel
out = {"mesa": mesa.__version__, "python": sys.version.split()[0], "numpy": numpy.__version__,
       "runs": {}}
for preset, seed in (("npm", 3), ("coproduction", 3), ("hybrid", 8)):
    model = CoproductionModel(scenario=preset, seed=seed, n_citizens=300, agent_sample_period=10)
    model.run(30)
    frame = model.datacollector.get_model_vars_dataframe()
    agents = model.datacollector.get_agent_vars_dataframe()
    out["runs"][f"{preset}/{seed}"] = {
        "metrics": {c: frame[c].tolist() for c in frame.columns},
        "agents": {c: agents[c].astype(float).tolist() for c in agents.columns},
        "agent_ids": agents.index.get_level_values("AgentID").tolist(),
    }
    model.release()
print(json.dumps(out))
"""


def fingerprint(python: str) -> dict:
    """Every metric of every week and the sampled citizen state of three small runs."""
    done = subprocess.run([python, "-c", FINGERPRINT], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)
    assert done.returncode == 0, f"{python} failed:\n{done.stderr[-2000:]}"
    return json.loads(done.stdout)


def test_one_seed_gives_the_same_numbers_on_the_other_mesa():
    """Item 3 of issue 17: the same seed, the same run on Mesa 3.3.1 and on Mesa 3.5+.

    Every citizen's sampled state is identical to the last bit, so every decision is the same.
    A metric may differ in its last bit or two: the hours-and-cost ledger adds a few floats with
    Python's ``sum``, which Python 3.12 made more exact (Neumaier summation), so Python 3.11 and
    3.12+ round those sums differently (docs/supported-versions.md). Nothing more is allowed.
    """
    other = os.environ.get("COPROSIM_OTHER_PYTHON")
    if not other:
        pytest.skip("COPROSIM_OTHER_PYTHON not set: make test sets it to the other environment")
    assert Path(other).exists(), f"COPROSIM_OTHER_PYTHON={other} does not exist (make setup-mesa-new)"
    here, there = fingerprint(sys.executable), fingerprint(other)
    assert here["mesa"] != there["mesa"], "the other environment has the same Mesa"
    versions = (f"Mesa {here['mesa']} / numpy {here['numpy']} / Python {here['python']} against "
                f"Mesa {there['mesa']} / numpy {there['numpy']} / Python {there['python']}")
    for run, ours in here["runs"].items():
        theirs = there["runs"][run]
        assert ours["agent_ids"] == theirs["agent_ids"], f"{run}: agent ids differ ({versions})"
        for name, values in ours["agents"].items():
            assert values == theirs["agents"][name], f"{run}: citizens' {name} differs ({versions})"
        assert ours["metrics"].keys() == theirs["metrics"].keys()
        for name, values in ours["metrics"].items():
            np.testing.assert_allclose(values, theirs["metrics"][name], rtol=1e-12, atol=1e-15,
                                       err_msg=f"{run}: {name} differs ({versions})")


# --- the two Mesa internals (model/mesa_internals.py) ---------------------------------------------
def test_network_cells_are_mesas_cells_of_every_node():
    from mesa.discrete_space import Cell

    model = CoproductionModel(scenario="npm", seed=1, n_citizens=30)
    assert isinstance(model.network._cells, dict), "Mesa's Network no longer keeps _cells"
    cells = internals.network_cells(model.network)
    assert sorted(cells) == list(range(30))
    assert all(isinstance(cell, Cell) for cell in cells.values())
    assert set(cells.values()) == set(model.network.all_cells.cells)
    assert all(model.citizens[i].cell is cells[i] for i in range(30))
    if internals.MESA_3_5:  # no positions: Mesa 3.5 would otherwise run a spring layout
        assert internals.network_arguments() == {"layout": None}
        assert all(cell._position is None for cell in cells.values())
    else:
        assert internals.network_arguments() == {}
    model.release()


def test_agent_registry_per_mesa_version():
    """Mesa 3.3.1 keeps each model in the class-level Agent._ids (forget_model drops it); Mesa 3.5
    numbers agents per model and has no such registry. Either changing fails here."""
    from mesa.agent import Agent

    model = CoproductionModel(scenario="npm", seed=1, n_citizens=30)
    ids = [agent.unique_id for agent in model.agents]
    assert sorted(ids) == list(range(1, len(ids) + 1)), "agents numbered 1, 2, ... per model"
    if internals.MESA_3_5:
        assert not hasattr(Agent, "_ids"), "Mesa 3.5+ has a class-level Agent._ids again"
        assert model.agent_id_counter == len(ids) + 1
    else:
        assert model in Agent._ids, "Mesa 3.3 no longer keeps Agent._ids per model"
        internals.forget_model(model)
        assert model not in Agent._ids


def test_a_released_model_is_freed_after_a_run():
    model = CoproductionModel(scenario="coproduction", seed=2, n_citizens=60)
    model.run(5)
    ref = weakref.ref(model)
    model.release()
    del model
    gc.collect()
    assert ref() is None, f"something in Mesa {mesa.__version__} keeps released models alive"


# --- nothing of ours shadows Mesa; no warnings ------------------------------------------------------
def test_no_attribute_the_model_sets_is_one_of_mesas():
    """Mesa 3.5 made Model.scenario a property (our preset name lives in preset_name); this finds
    any attribute the model's own code sets that a Mesa Model already has."""
    base = mesa.Model(**internals.seed_arguments(1, None))
    mesas = set(dir(mesa.Model)) | set(vars(base))
    ours_set: list[str] = []

    class Recording(CoproductionModel):
        def __setattr__(self, name, value):
            caller = sys._getframe(1).f_code.co_filename
            if name in mesas and f"{os.sep}mesa{os.sep}" not in caller:
                ours_set.append(name)
            super().__setattr__(name, value)

    model = Recording(scenario="npm", seed=1, n_citizens=40)
    model.run(3)
    assert ours_set == [], f"coprosim sets Mesa's own attributes: {sorted(set(ours_set))}"
    class Plain(mesa.Model):  # what any subclass gets from Python and Mesa (e.g. observables)
        pass

    own = set(vars(CoproductionModel)) - set(vars(Plain)) - {"__init__", "step"}
    assert not own & set(dir(mesa.Model)), sorted(own & set(dir(mesa.Model)))
    assert model.preset_name == "npm"
    if internals.MESA_3_5:
        from mesa.experimental.scenarios import Scenario

        assert isinstance(model.scenario, Scenario)


@pytest.mark.parametrize("preset", ["npm", "coproduction", "hybrid"])
def test_no_deprecation_warning_building_stepping_and_reading_a_model(preset):
    with warnings.catch_warnings():
        for category in DEPRECATIONS:
            warnings.simplefilter("error", category)
        model = CoproductionModel(scenario=preset, seed=4, n_citizens=120, agent_sample_period=2)
        model.run(4)
        model.datacollector.get_model_vars_dataframe()
        model.datacollector.get_agent_vars_dataframe()
        model.agent_dataframe()
        model.release()


def test_the_mesa_page_imports_without_a_deprecation_warning():
    """In a fresh interpreter (an import already done here would hide its warnings)."""
    flags = [f"-Werror::{c.__name__}" for c in DEPRECATIONS]
    done = subprocess.run([sys.executable, *flags, "-c", "import coprosim.dashboards.mesa_app"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_mesa_page_steps_and_resets_without_a_deprecation_warning():
    """Mesa's SolaraViz around the model: Step, then Reset to another preset (on Mesa 3.5, Reset
    also passes a Mesa Scenario of its own; the page's preset select still decides)."""
    pytest.importorskip("solara")
    import ipyvuetify as v
    import solara
    from coprosim.dashboards import mesa_app

    with warnings.catch_warnings():
        for category in DEPRECATIONS:
            warnings.simplefilter("error", category)
        model = solara.reactive(mesa_app.MesaPageModel(preset="coproduction", seed="1",
                                                       n_citizens=100))

        @solara.component
        def InLayout():
            with solara.AppLayout():
                mesa_app.MesaDashboard(model=model)

        _, rc = solara.render(InLayout(), handle_error=False)
        rc.find(v.Btn, children=["Step"]).widget.click()
        assert model.value.steps == 1
        rc.find(v.Select, label="Scenario (sets the regime rules)").widget.v_model = "npm"
        rc.find(v.Btn, children=["Reset"]).widget.click()
        assert model.value.steps == 0 and model.value.preset_name == "npm"
        assert model.value.input_error is None
        rc.find(v.Btn, children=["Step"]).widget.click()
        assert model.value.steps == 1
        rc.close()


# --- presets as Mesa Scenarios (Mesa 3.5+) ----------------------------------------------------------
@ON_3_3
def test_a_mesa_scenario_on_mesa_3_3_is_a_one_line_error():
    from coprosim.model.scenarios import as_mesa_scenario

    with pytest.raises(ParameterError, match=r"^scenario: Mesa's Scenario needs Mesa 3\.5"):
        as_mesa_scenario("npm", rng=1)
    with pytest.raises(ParameterError, match="needs Mesa 3.5"):
        internals.seed_arguments(None, None, scenario=object())


@ON_3_5
@pytest.mark.parametrize("preset", list(PRESETS))
def test_each_preset_is_a_mesa_scenario_with_the_presets_parameters(preset):
    from coprosim.model.scenarios import as_mesa_scenario, class_name, params_of
    from mesa.experimental.scenarios import Scenario

    scenario = as_mesa_scenario(preset, rng=5)
    assert isinstance(scenario, Scenario) and type(scenario).__name__ == class_name(preset)
    assert scenario.preset == preset and scenario.rng == 5
    assert params_of(scenario) == Params.preset(preset)
    for name, value in Params.preset(preset).as_dict().items():
        assert getattr(scenario, name) == value, name
    # Mesa's SolaraViz reads a scenario class's defaults: here every parameter, the preset's value
    assert type(scenario)._scenario_defaults == Params.preset(preset).as_dict()


@ON_3_5
def test_a_mesa_scenario_takes_overrides_and_checks_them():
    from coprosim.model.scenarios import as_mesa_scenario, params_of

    scenario = as_mesa_scenario("npm", rng=1, n_citizens=500, outreach_share=0.3)
    assert params_of(scenario) == Params.preset("npm", n_citizens=500, outreach_share=0.3)
    with pytest.raises(ParameterError, match=r"^n_citizens: must be an integer in \[10, 200000\]"):
        as_mesa_scenario("npm", n_citizens=5)
    with pytest.raises(ParameterError, match="^preset: unknown preset 'nope'; allowed: npm, "):
        as_mesa_scenario("nope")
    with pytest.raises(ParameterError, match="unknown parameter"):
        as_mesa_scenario("npm", citizens=5)
    scenario.n_citizens = 3  # a Scenario can be changed before its model runs: checked again
    with pytest.raises(ParameterError, match="^n_citizens: "):
        params_of(scenario)


@ON_3_5
def test_a_mesa_scenario_seeds_a_mesa_model_as_mesa_does():
    from coprosim.model.scenarios import as_mesa_scenario

    scenario = as_mesa_scenario("hybrid", rng=9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = mesa.Model(**internals.seed_arguments(None, None, scenario))
    assert model.scenario is scenario and scenario.model is model
    assert model.rng.random(3).tolist() == np.random.default_rng(9).random(3).tolist()
    assert internals.seed_arguments(9, None, scenario) == {"scenario": scenario}  # the same seed
    with pytest.raises(ParameterError, match="^seed: the scenario has rng=9; give the seed once"):
        internals.seed_arguments(10, None, scenario)


@ON_3_5
def test_a_mesa_scenario_gives_the_model_its_preset_and_parameters():
    from coprosim.model.scenarios import as_mesa_scenario, preset_and_params
    from mesa.experimental.scenarios import Scenario

    scenario = as_mesa_scenario("coproduction_no_outreach", rng=2, n_citizens=300)
    assert preset_and_params(scenario) == ("coproduction_no_outreach",
                                           Params.preset("coproduction_no_outreach", n_citizens=300))
    plain = Scenario(rng=1, **Params.preset("npm").as_dict())  # a Mesa user's own Scenario
    assert preset_and_params(plain) == (None, Params.preset("npm"))
    with pytest.raises(ParameterError, match=r"^scenario: .* not beside it \(got n_citizens\)$"):
        preset_and_params(scenario, None, {"n_citizens": 100})
    with pytest.raises(ParameterError, match=r"not beside it \(got params\)$"):
        preset_and_params(scenario, Params(), {})
    with pytest.raises(ParameterError, match="^density: unknown parameter"):
        preset_and_params(Scenario(rng=1, density=0.8))


@ON_3_5
def test_the_model_runs_from_a_mesa_scenario_as_from_its_preset():
    from coprosim.model.scenarios import as_mesa_scenario

    scenario = as_mesa_scenario("npm", rng=3, n_citizens=200)
    from_scenario = CoproductionModel(scenario=scenario).run(5)
    from_preset = CoproductionModel(scenario="npm", seed=3, n_citizens=200).run(5)
    assert from_scenario.scenario is scenario and from_scenario.preset_name == "npm"
    assert from_scenario.params == from_preset.params
    assert from_scenario.metrics == from_preset.metrics
