"""The EMA Workbench adapter, driven by the EMA Workbench itself (tiny runs)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from coprosim.experiments import replication_seeds
from coprosim.experiments.design import end_window

from coprosim import CoproductionModel, ParameterError, Params

ema_workbench = pytest.importorskip("ema_workbench", reason="needs coprosim[ema]")

from coprosim.experiments.ema import ema_model  # noqa: E402

SMALL = {"n_citizens": 60}
STEPS = 12


def direct_end_value(preset: str, values: dict, seed: int, metric: str) -> float:
    """The end value of one run made without EMA (the reference for the adapter)."""
    model = CoproductionModel(params=Params.preset(preset, **SMALL, **values), seed=seed)
    model.run(STEPS)
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    model.release()
    return float(frame[metric].iloc[end_window(STEPS, 0.2):].mean())


def test_perform_experiments_with_uncertainties_levers_and_paired_seeds():
    """EMA samples scenarios x policies; every row's outcome is the mean over the same seeds."""
    from ema_workbench import SequentialEvaluator, perform_experiments

    model = ema_model(uncertainties={"resource_inequality": (0.2, 1.6), "network_degree": (2, 8)},
                      levers={"outreach_share": (0.0, 0.6), "preset": ["npm", "coproduction"]},
                      outcomes={"mean_wellbeing": "maximize", "equity_gap": "minimize"},
                      steps=STEPS, replications=2, seed=3, base=SMALL)
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = perform_experiments(model, scenarios=3, policies=2,
                                                    evaluator=evaluator)
    assert len(experiments) == 6
    assert {"resource_inequality", "network_degree", "outreach_share", "preset"} <= set(experiments)
    assert experiments["network_degree"].map(lambda v: float(v).is_integer()).all()
    assert set(outcomes) == {"mean_wellbeing", "equity_gap"}
    assert all(len(v) == 6 and np.isfinite(v).all() for v in outcomes.values())
    seeds = replication_seeds(3, 2)
    for row in (0, 5):
        case = experiments.iloc[row]
        values = {"resource_inequality": float(case["resource_inequality"]),
                  "network_degree": int(case["network_degree"]),
                  "outreach_share": float(case["outreach_share"])}
        expected = np.mean([direct_end_value(case["preset"], values, s, "equity_gap") for s in seeds])
        assert outcomes["equity_gap"][row] == pytest.approx(expected, rel=1e-12, abs=1e-15), (
            f"row {row}: the outcome is not the mean over the replication seeds {seeds}")


def test_per_replication_outcomes_are_paired_across_policies():
    """ArrayOutcome keeps each replication; the same seed appears in the same column everywhere."""
    from ema_workbench import Policy, Scenario, perform_experiments

    model = ema_model(uncertainties={"resource_inequality": (0.2, 1.6)},
                      levers={"preset": ["npm", "null_npm"]}, outcomes=["mean_trust"],
                      steps=STEPS, replications=3, seed=11, base=SMALL, per_replication=True)
    policies = [Policy("a", preset="npm"), Policy("b", preset="npm")]
    scenario = Scenario("s", resource_inequality=0.8)
    _, outcomes = perform_experiments(model, scenarios=[scenario], policies=policies)
    trust = outcomes["mean_trust"]
    assert trust.shape == (2, 3)
    np.testing.assert_array_equal(trust[0], trust[1])  # same rules, same seeds: identical
    assert len(set(trust[0])) == 3, "replications must use distinct seeds"


def test_bad_ranges_are_one_line_parameter_errors():
    with pytest.raises(ParameterError, match=r"uncertainties\.voice_bias: must be a number in \[0\.0, 1\.0\], got 1\.5"):
        ema_model(uncertainties={"voice_bias": (0.2, 1.5)})
    with pytest.raises(ParameterError, match=r"unknown"):
        ema_model(levers={"voice_biass": (0.0, 1.0)})
    with pytest.raises(ParameterError, match=r"levers\.preset: unknown preset 'nmp'"):
        ema_model(levers={"preset": ["nmp"]})
    with pytest.raises(ParameterError, match=r"outcomes: unknown metric 'welbeing'"):
        ema_model(outcomes=["welbeing"])


def test_multiprocessing_evaluator_works_after_importing_coprosim(tmp_path):
    """EMA's MultiprocessingEvaluator in a user's script that imported coprosim (which imports
    Mesa 3.3.1, which forces the spawn start method unless coprosim puts it back)."""
    script = tmp_path / "study.py"
    script.write_text(textwrap.dedent(f"""
        import multiprocessing
        from ema_workbench import MultiprocessingEvaluator, perform_experiments
        from coprosim.experiments.ema import ema_model

        assert multiprocessing.get_start_method() == "fork", multiprocessing.get_start_method()
        model = ema_model(uncertainties={{"resource_inequality": (0.2, 1.6)}},
                          outcomes=["mean_wellbeing"], steps={STEPS}, replications=1, seed=1,
                          base={SMALL!r})
        if __name__ == "__main__":
            with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
                experiments, outcomes = evaluator.perform_experiments(scenarios=4)
            print("rows", len(experiments), "finite", bool((outcomes["mean_wellbeing"] > 0).all()))
    """))
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "rows 4 finite True" in result.stdout, result.stdout + result.stderr[-2000:]
