"""The model as a whole: API, agents, determinism, parameters and the command line."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from coprosim.model import (
    LEDGER,
    METRICS,
    PRESETS,
    Citizen,
    CitizenState,
    CoproductionModel,
    ParameterError,
    Params,
    Staff,
)
from coprosim.model.params import MODE_RULES, mode_rule_names

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = [sys.executable, "-m", "coprosim"]


def _frame(scenario="coproduction", seed=3, steps=30, **kw):
    model = CoproductionModel(scenario=scenario, seed=seed, n_citizens=kw.pop("n_citizens", 300), **kw)
    model.run(steps)
    frame = model.datacollector.get_model_vars_dataframe()
    model.release()
    return frame


def test_python_api_as_documented():
    model = CoproductionModel(params=Params.preset("coproduction", n_citizens=500), seed=1)
    model.step()
    model.run(4)
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame.columns) == [*METRICS, *LEDGER]
    assert len(frame) == 6  # the initial state and five steps
    assert model.steps == 5


def test_every_preset_runs_and_reports_every_metric():
    for name in PRESETS:
        frame = _frame(name, steps=5, n_citizens=100)
        assert list(frame.columns) == [*METRICS, *LEDGER], name
        assert np.isfinite(frame.to_numpy()).all(), name


def test_agents_of_each_kind_on_a_network():
    model = CoproductionModel(scenario="coproduction", seed=2, n_citizens=300)
    model.run(60)
    citizens = model.agents_by_type[Citizen]
    assert len(citizens) == 300
    assert len(model.agents_by_type[Staff]) == model.params.n_staff
    assert model.metrics["volunteers"] == len(model.volunteers) == model.volunteer_state["active"].sum()
    assert len(model.volunteers) > 0, "the coproduction preset should recruit volunteers in 60 weeks"
    # one person, one agent: a volunteer is a citizen with a role, not a second agent
    assert len(model.agents) == 300 + model.params.n_staff
    index, role = next(iter(model.volunteers.items()))
    assert role.citizen is model.citizens[index] and model.citizens[index].volunteer is role
    one = model.citizens[0]
    assert one.cell in model.network.all_cells.cells
    assert len(one.cell.neighborhood) >= 2
    assert one.trust == model.citizen_state["trust"][0]
    assert isinstance(one.state, CitizenState)
    model.release()


def test_same_seed_gives_identical_metrics():
    pd.testing.assert_frame_equal(_frame(seed=11), _frame(seed=11), check_exact=True)


def test_different_seeds_give_different_runs():
    assert not _frame(seed=1).equals(_frame(seed=2))


def _digest_in_subprocess(seed: int) -> str:
    code = (
        f"import hashlib, sys; sys.path.insert(0, {ROOT!r})\n"
        "from coprosim import CoproductionModel\n"
        f"m = CoproductionModel(scenario='hybrid', seed={seed}, n_citizens=300); m.run(30)\n"
        "print(hashlib.sha256(m.datacollector.get_model_vars_dataframe().to_numpy().tobytes()).hexdigest())"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_same_seed_is_identical_across_processes():
    import hashlib

    here = CoproductionModel(scenario="hybrid", seed=5, n_citizens=300)
    here.run(30)
    local = hashlib.sha256(here.datacollector.get_model_vars_dataframe().to_numpy().tobytes()).hexdigest()
    assert _digest_in_subprocess(5) == local == _digest_in_subprocess(5)


def test_agent_state_is_sampled_at_the_configured_period():
    model = CoproductionModel(scenario="npm", seed=1, n_citizens=100, agent_sample_period=5)
    model.run(12)
    agents = model.agent_dataframe()
    assert sorted(agents["step"].unique()) == [5, 10]
    assert len(agents) == 200
    assert {"resources", "wellbeing", "trust", "efficacy", "withdrawn", "quintile"} <= set(agents.columns)


def test_agent_state_reaches_mesas_own_datacollector():
    model = CoproductionModel(scenario="npm", seed=1, n_citizens=100, agent_sample_period=5)
    model.run(12)
    frame = model.datacollector.get_agent_vars_dataframe()
    assert sorted(frame.index.get_level_values("Step").unique()) == [5, 10]
    assert len(frame) == 200 and {"trust", "need", "volunteer"} <= set(frame.columns)
    uid = model.citizens[3].unique_id
    assert frame.loc[(10, uid), "trust"] == model.agent_dataframe().query("step == 10 and citizen == 3")["trust"].item()


# The Mesa internals the model relies on (model/mesa_internals.py) are checked per Mesa version
# in tests/test_mesa_versions.py.


def test_release_frees_the_model():
    import gc
    import weakref

    model = CoproductionModel(scenario="coproduction", seed=1, n_citizens=50)
    model.run(3)
    ref = weakref.ref(model)
    model.release()
    del model
    gc.collect()
    assert ref() is None, "Mesa's Agent._ids must not keep released models alive"


# --- parameters ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"n_citizens": 5}, "n_citizens: must be an integer in [10, 200000], got 5"),
        ({"voice_bias": 1.5}, "voice_bias: must be a number in [0.0, 1.0], got 1.5"),
        ({"voice_bias": "high"}, "voice_bias: must be a number in [0.0, 1.0], got 'high'"),
        ({"reflection_interval": 2.5}, "reflection_interval: must be an integer in [0, 520]"),
        ({"wicked_share": float("nan")}, "wicked_share: must be a number"),
        ({"colour": 1}, "colour: unknown parameter; allowed:"),
    ],
)
def test_bad_parameters_raise_one_line_errors(overrides, fragment):
    with pytest.raises(ParameterError) as err:
        Params(**overrides) if "colour" not in overrides else Params.from_dict(overrides)
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_scenario_is_refused():
    with pytest.raises(ParameterError, match="scenario: unknown scenario 'nmp'; allowed: npm"):
        Params.preset("nmp")


def test_every_parameter_documents_range_unit_and_meaning():
    for name in Params.field_names():
        spec = Params.spec(name)
        lo, hi = spec["range"]
        assert lo <= spec["default"] <= hi, name
        assert spec["unit"] and len(spec["meaning"]) > 20, name


def test_every_parameter_cites_a_source_or_is_free_with_a_plausible_range():
    """A rule without a source decided version 1's headline: each names its source or says 'free'."""
    for name in Params.field_names():
        spec = Params.spec(name)
        lo, hi = spec["range"]
        plo, phi = spec["plausible"]
        assert spec["source"], name
        assert lo <= plo <= phi <= hi, f"{name}: plausible range {spec['plausible']} outside {spec['range']}"
        assert plo <= spec["default"] <= phi, f"{name}: default {spec['default']} outside its plausible range"


def test_npm_and_coproduction_differ_only_in_the_rules_of_one_mode():
    """Symmetric programmes: the two regimes' presets differ in the share of time in each mode and in
    nothing else; every rule of a mode is a parameter pair listed in MODE_RULES (docs/ODD.md 3.3)."""
    npm, co = Params.preset("npm").as_dict(), Params.preset("coproduction").as_dict()
    differing = {name for name in npm if npm[name] != co[name]}
    assert differing <= mode_rule_names() | {"coproduction_share"}, differing
    for customer, cocreating in MODE_RULES.values():
        assert Params.spec(customer)["group"] == "customer rule", customer
        assert Params.spec(cocreating)["group"] == "co-creating rule", cocreating
    rules = {n for n in Params.field_names() if Params.spec(n)["group"].endswith(" rule")}
    assert rules == mode_rule_names(), "every rule of a mode belongs to a pair"


def test_programmes_are_the_same_in_every_regime_unless_the_name_says_so():
    programmes = [n for n in Params.field_names() if Params.spec(n)["group"] == "programme"]
    base = Params().as_dict()
    for name in ("npm", "coproduction", "hybrid", "coproduction_no_outreach", "npm_with_volunteers"):
        values = Params.preset(name).as_dict()
        changed = [p for p in programmes if values[p] != base[p]]
        for programme in changed:
            word = programme.split("_")[0]  # outreach, volunteer, training
            assert word in name, f"preset {name} changes programme {programme} without saying so"


def test_neutral_presets_have_equal_rules_in_both_modes():
    for name in ("neutral_npm", "neutral_coproduction", "null_npm", "null_coproduction"):
        values = Params.preset(name)
        for customer, cocreating in MODE_RULES.values():
            assert getattr(values, customer) == getattr(values, cocreating), (name, customer)


def test_every_metric_moves_over_time_in_some_preset():
    """A metric constant over time in every preset measures nothing (issue: cost and turnover were)."""
    frames = [_frame(name, seed=5, steps=80, n_citizens=300) for name in PRESETS]
    for column in METRICS:
        assert any(frame[column].iloc[1:].nunique() > 1 for frame in frames), (
            f"{column} is constant over time in every preset")


def test_cost_differs_between_the_regimes():
    npm, co = _frame("npm", steps=80), _frame("coproduction", steps=80)
    assert not np.allclose(npm["cost"].iloc[1:], co["cost"].iloc[1:])


def test_innovation_is_a_property_of_encounters_and_teams_not_of_a_label():
    """Process improvements and encounter innovations arise under NPM too (benchmarking, lean)."""
    model = CoproductionModel(scenario="npm", seed=4, n_citizens=300, p_process_innovation=1.0)
    model.run(60)
    assert model.process_gain > 0, "an NPM team's reviews should find process improvements"
    assert model.innovations > 0, "customer-mode encounters should innovate sometimes"
    model.release()


def test_routines_make_npm_encounters_quicker_over_time():
    """Standardisation: with routine learning the customer mode closes simple cases faster."""
    learning = _frame("npm", seed=2, steps=120, n_citizens=300, wicked_share=0.0, staff_per_1000=8)
    flat = _frame("npm", seed=2, steps=120, n_citizens=300, wicked_share=0.0, staff_per_1000=8,
                  routine_learning=0.0, p_process_innovation=0.0)
    assert learning["throughput"].iloc[-40:].mean() > flat["throughput"].iloc[-40:].mean()


def test_coproduction_share_is_continuous():
    assert Params(coproduction_share=0.37).coproduction_share == 0.37


# --- command line --------------------------------------------------------------------------------
def test_cli_run_prints_summary_and_writes_metrics(tmp_path):
    result = subprocess.run(CLI + ["run", "--scenario", "npm", "--steps", "5", "--seed", "2",
                                   "--set", "n_citizens=100", "--out", str(tmp_path)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "public_value" in result.stdout and "equity_gap" in result.stdout
    frame = pd.read_parquet(tmp_path / "npm_seed2.parquet")
    assert len(frame) == 6 and set(METRICS) <= set(frame.columns)
    assert (tmp_path / "npm_seed2.csv").exists()


def test_cli_lists_scenarios():
    result = subprocess.run(CLI + ["scenarios"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0
    assert all(name in result.stdout for name in PRESETS)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["run", "--scenario", "nmp"], "scenario: unknown scenario 'nmp'"),
        (["run", "--set", "colour=red"], "colour: unknown parameter"),
        (["run", "--set", "n_citizens=3"], "n_citizens: must be an integer in [10, 200000], got 3"),
        (["run", "--set", "voice_bias=loud"], "voice_bias: must be a number in [0.0, 1.0]"),
        (["run", "--steps", "-4"], "--steps: must be an integer in [1, 100000]"),
        (["run", "--seed", "abc"], "--seed: must be an integer"),
        (["run", "--set", "novalue"], "--set: expected key=value"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(args, fragment):
    result = subprocess.run(CLI + args, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_odd_documents_every_parameter_and_metric():
    odd = open(os.path.join(ROOT, "docs", "ODD.md"), encoding="utf-8").read()
    for name in Params.field_names():
        assert f"| `{name}` | {Params.spec(name)['default']} |" in odd, f"docs/ODD.md lacks parameter {name}"
    for name in METRICS:
        assert f"`{name}`" in odd, f"docs/ODD.md lacks metric {name}"


def test_every_metric_has_a_unit_a_direction_and_stays_inside_its_bounds():
    from coprosim.model import LEDGER, METRIC_INFO, METRICS

    assert set(METRIC_INFO) == set(METRICS) | set(LEDGER)
    frames = []
    for scenario in ("npm", "coproduction"):
        model = CoproductionModel(scenario=scenario, seed=3, n_citizens=300)
        model.run(60)
        frames.append(model.datacollector.get_model_vars_dataframe())
        model.release()
    for name, info in METRIC_INFO.items():
        assert info.unit and info.better in (-1, 0, 1), name
        for frame in frames:
            values = frame[name].dropna()
            if info.low is not None:
                assert values.min() >= info.low - 1e-12, name
            if info.high is not None:
                assert values.max() <= info.high + 1e-12, name
