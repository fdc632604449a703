"""Each rule pair's share of the gap between co-production and NPM (experiments/decomposition.py)."""

from __future__ import annotations

import numpy as np
from coprosim.experiments.decomposition import decompose, decomposition_experiment
from coprosim.model.params import MODE_RULES


def test_the_decomposition_makes_one_rule_npms_at_a_time_and_all_of_them_closes_the_gap(tmp_path):
    """With every rule pair made NPM's the two regimes are the same model: the gap is exactly zero,
    so that row's share is 100% on every metric; each other row changes one pair only."""
    experiment = decomposition_experiment(replications=2, n_citizens=60, steps=12)
    assert len(experiment.scenarios) == len(MODE_RULES) + 3
    for name, (_customer, cocreating) in MODE_RULES.items():
        overrides = experiment.scenarios[f"npm_{name}"]["overrides"]
        assert list(overrides) == [cocreating]
    table = decompose(out=tmp_path, workers=1, replications=2, n_citizens=60, steps=12)
    last = table.iloc[-1]
    assert last["rule"] == "all seven"
    for column in (c for c in table.columns if c.endswith(" gap")):
        assert last[column] == 0.0, column
    shares = [c for c in table.columns if c.endswith(" share")]
    gaps = table.iloc[0][[c.replace(" share", " gap") for c in shares]].to_numpy(dtype=float)
    np.testing.assert_allclose(last[shares].to_numpy(dtype=float)[gaps != 0], 1.0)
    assert (tmp_path / "shares.md").read_text().count("\n") == len(MODE_RULES) + 4


def test_a_comparison_asking_for_it_reports_each_rule_pairs_share(tmp_path):
    """``[analysis] decomposition = N`` makes coprosim compare run the decomposition and put it in
    the report (the README's table comes from the same code)."""
    from coprosim.experiments import load_experiment
    from coprosim.experiments.report import compare

    path = tmp_path / "small.toml"
    path.write_text(
        '[experiment]\nreplications = 2\nsteps = 10\nseed = 1\n'
        'metrics = ["public_value", "mean_wellbeing", "equity_gap", "mean_trust", '
        '"participation_rate", "value_per_cost", "invitation_practised"]\n'
        '[base]\nn_citizens = 60\n[scenarios.npm]\n[scenarios.coproduction]\n'
        '[analysis]\ndecomposition = 2\n', encoding="utf-8")
    out = tmp_path / "out"
    compare(load_experiment(path), out=out, workers=1)
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## What decides the gap: each rule pair's share" in report
    assert "invitation: invitation of the citizen's input" in report
    assert (out / "rule_decomposition" / "shares.csv").exists()


def test_a_bad_decomposition_setting_gets_one_line():
    import pytest
    from coprosim.experiments.design import ExperimentError, parse_experiment

    data = {"experiment": {"replications": 1, "steps": 5, "seed": 1},
            "scenarios": {"npm": {}}, "analysis": {"decomposition": -1}}
    with pytest.raises(ExperimentError, match=r"analysis.decomposition: must be an integer in \[0, 1000\]"):
        parse_experiment(data, "x.toml", "", "x")
