"""``coprosim map``: who leads where, on a known synthetic table and on a tiny design.

The tiny design compares the two "neutral" presets (both modes with the same rules, pattern 17)
and samples the co-creating mode's dialogue time (``dialogue_overhead``) around the customer
mode's (0.25), with ``participation_cost`` as a second uncertainty (the same in both modes). Only the co-creating mode's rules
read ``dialogue_overhead``, so where it is below 0.25 co-production spends less staff time per
case and should lead on waiting time, and where it is above, NPM: PRIM must find that parameter
and put its limit near 0.25.
"""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from coprosim.experiments import load_experiment
from coprosim.experiments.design import ExperimentError
from coprosim.experiments.scenario_map import (
    analyse_map,
    lead_shares,
    lead_table,
    map_design,
    map_from_results,
    map_settings,
    run_map,
    wilson,
)

REPO = Path(__file__).resolve().parents[1]
CUSTOMER_DIALOGUE = 0.25  # the neutral presets' dialogue time in both modes (model/params.py)

TINY = """
[experiment]
replications = 2
steps = 30
seed = 5
metrics = ["public_value", "throughput", "waiting_time", "volunteers"]

[base]
n_citizens = 500              # the model's minimum (MIN_CITIZENS)
staff_per_1000 = 10.0         # few enough staff for a queue in both regimes

[scenarios.npm]
preset = "neutral_npm"
[scenarios.coproduction]
preset = "neutral_coproduction"

[map]
samples = 40
parameters = ["dialogue_overhead", "participation_cost"]
ranges = { dialogue_overhead = [0.0, 0.5] }
metrics = ["throughput", "public_value", "waiting_time"]
main_metrics = ["waiting_time"]
focus = "coproduction"
"""


def write(folder: Path, text: str, name: str = "tiny.toml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def coprosim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coprosim", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


# --- the shares on a table whose answer is known ---------------------------------------------------
def synthetic_ends() -> pd.DataFrame:
    """Three regimes, six points, two replications; public_value (higher is better) and
    waiting_time (lower is better) built so the leader and its clarity are known."""
    rows = []
    # point: (npm, hybrid, coproduction) per replication
    public_value = {
        0: [(1, 2, 3), (1, 2, 3)],      # coproduction, clearly
        1: [(1, 2, 3), (1, 4, 3.5)],    # coproduction on the mean (3.25 vs 3), not clearly
        2: [(5, 2, 3), (5, 2, 3)],      # npm, clearly
        3: [(1, 5, 3), (1, 5, 3)],      # hybrid, clearly
        4: [(2, 2, 1), (2, 2, 1)],      # tie npm/hybrid
        5: [(1, 2, 4), (1, 2, 2.5)],    # coproduction, clearly
    }
    waiting_time = {p: [tuple(-v for v in rep) for rep in reps] for p, reps in public_value.items()}
    for point in public_value:
        for rep in range(2):
            for j, regime in enumerate(("npm", "hybrid", "coproduction")):
                rows.append({"scenario": regime, "point": point, "replication": rep,
                             "public_value": float(public_value[point][rep][j]),
                             "waiting_time": float(waiting_time[point][rep][j])})
    return pd.DataFrame(rows)


def test_leaders_and_clear_leads_on_a_known_table():
    regimes = ["npm", "hybrid", "coproduction"]
    leads = lead_table(synthetic_ends(), regimes, ["public_value", "waiting_time"])
    pv = leads[leads["metric"] == "public_value"].set_index("point")
    assert list(pv["leader"]) == ["coproduction", "coproduction", "npm", "hybrid", "tie",
                                  "coproduction"]
    assert list(pv["clear"]) == [True, False, True, True, False, True]
    assert pv.loc[1, "coproduction"] == pytest.approx(3.25)  # the mean over the paired seeds
    # waiting time is the negative of public value and lower is better: the same leaders
    wt = leads[leads["metric"] == "waiting_time"].set_index("point")
    assert list(wt["leader"]) == list(pv["leader"])
    assert list(wt["clear"]) == list(pv["clear"])


def test_shares_and_wilson_intervals_on_a_known_table():
    regimes = ["npm", "hybrid", "coproduction"]
    leads = lead_table(synthetic_ends(), regimes, ["public_value"])
    shares = lead_shares(leads, regimes, ["public_value"]).set_index("regime")
    assert shares.loc["coproduction", "leads"] == 3 and shares.loc["coproduction", "points"] == 6
    assert shares.loc["coproduction", "share"] == pytest.approx(0.5)
    assert shares.loc["coproduction", "clear_share"] == pytest.approx(2 / 6)
    assert shares.loc["npm", "share"] == pytest.approx(1 / 6)
    assert shares.loc["tie", "share"] == pytest.approx(1 / 6)
    assert shares["share"].sum() == pytest.approx(1.0)
    # Wilson 95% interval of 3/6, by the textbook formula
    z, n, p = 1.959964, 6, 0.5
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert shares.loc["coproduction", "ci_low"] == pytest.approx(centre - half)
    assert shares.loc["coproduction", "ci_high"] == pytest.approx(centre + half)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == pytest.approx(1.0)


def test_an_incomplete_replication_or_point_is_left_out():
    ends = synthetic_ends()
    ends = ends[~((ends["point"] == 2) & (ends["scenario"] == "hybrid") & (ends["replication"] == 1))]
    ends = ends[~((ends["point"] == 3) & (ends["scenario"] == "npm"))]
    leads = lead_table(ends, ["npm", "hybrid", "coproduction"], ["public_value"]).set_index("point")
    assert 3 not in leads.index and len(leads) == 5  # no replication of point 3 has every regime
    assert leads.loc[2, "replications"] == 1 and leads.loc[0, "replications"] == 2


def test_prim_finds_the_deciding_parameter_on_a_synthetic_space():
    pytest.importorskip("ema_workbench")
    from coprosim.experiments.scenario_map import prim_boxes

    rng = np.random.default_rng(3)
    n = 300
    x = pd.DataFrame({"a": rng.random(n), "b": rng.random(n), "c": rng.random(n),
                      "d": rng.integers(0, 10, n)})
    x.index.name = "point"
    wins = ((x["a"] < 0.4) & (x["b"] > 0.5)).to_numpy() ^ (rng.random(n) < 0.03)
    leads = pd.DataFrame({"metric": "public_value", "point": range(n),
                          "leader": np.where(wins, "coproduction", "npm"), "clear": True})
    boxes = prim_boxes(x, leads, "coproduction", ["public_value"])
    box = boxes[boxes["case"] == "leads"].set_index("parameter")
    assert set(box.index) == {"a", "b"}
    assert box.loc["a", "high"] == pytest.approx(0.4, abs=0.05) and pd.isna(box.loc["a", "low"])
    assert box.loc["b", "low"] == pytest.approx(0.5, abs=0.05) and pd.isna(box.loc["b", "high"])
    assert box["density"].iloc[0] > 0.85 and box["coverage"].iloc[0] >= 0.5
    sentence = box["sentence"].iloc[0]
    assert sentence.startswith("coproduction leads on public value in ") and "where a < 0." in sentence
    assert " and b > 0.5" in sentence and "of the points where it leads" in sentence


# --- a tiny design through the runner -------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("map")
    path = write(folder, TINY)
    experiment = load_experiment(path)
    result = run_map(experiment, out=folder / "out", workers=2, progress=False)
    return folder, path, experiment, result


def test_tiny_map_runs_every_regime_at_every_point_with_paired_seeds(tiny):
    folder, _, experiment, result = tiny
    settings = map_settings(experiment)
    design = map_design(experiment, settings)
    assert len(design.runs()) == 40 * 2 * 2
    assert result.failed == 0
    points = result.points
    assert len(points) == 40
    assert points["dialogue_overhead"].between(0.0, 0.5).all()
    assert points["participation_cost"].between(0.4, 1.0).all()  # its plausible range
    # the shares are the leaders' counts in the points table
    for metric in settings["metrics"]:
        share = result.shares.set_index(["metric", "regime"]).loc[(metric, "coproduction"), "share"]
        assert share == pytest.approx((points[f"{metric}:leader"] == "coproduction").mean())
    for name in ("map.md", "map_points.csv", "map_shares.csv", "map_shares.png"):
        assert (folder / "out" / name).is_file()


def test_tiny_map_prim_finds_the_rule_only_one_regime_uses(tiny):
    pytest.importorskip("ema_workbench")
    _, _, _, result = tiny
    points = result.points
    below = points["dialogue_overhead"] < CUSTOMER_DIALOGUE - 0.05
    above = points["dialogue_overhead"] > CUSTOMER_DIALOGUE + 0.05
    leader = points["waiting_time:leader"]
    # less dialogue time per case than the customer mode: shorter queues
    assert (leader[below] == "coproduction").mean() >= 0.8
    assert (leader[above] == "npm").mean() >= 0.8
    boxes = result.boxes[(result.boxes["metric"] == "waiting_time")]
    leads = boxes[boxes["case"] == "leads"].set_index("parameter")
    assert "dialogue_overhead" in leads.index
    assert pd.isna(leads.loc["dialogue_overhead", "low"])
    assert leads.loc["dialogue_overhead", "high"] == pytest.approx(CUSTOMER_DIALOGUE, abs=0.1)
    fails = boxes[boxes["case"] == "does not lead"].set_index("parameter")
    assert "dialogue_overhead" in fails.index
    assert fails.loc["dialogue_overhead", "low"] == pytest.approx(CUSTOMER_DIALOGUE, abs=0.1)
    features = result.features[result.features["metric"] == "waiting_time"]
    assert features.iloc[0]["parameter"] == "dialogue_overhead"
    report = (result.out / "map.md").read_text()
    assert "coproduction leads on waiting time in " in report and "dialogue_overhead <" in report
    assert (result.out / "map_lead_probability.png").is_file()


def test_map_without_the_ema_workbench_still_gives_the_shares(tiny, monkeypatch, tmp_path):
    from coprosim.experiments import scenario_map

    from coprosim._extras import MissingExtraError, missing_extra_message

    folder, _, experiment, result = tiny

    def missing(extra, module, feature=None):
        raise MissingExtraError(missing_extra_message(extra, module, feature))

    monkeypatch.setattr(scenario_map, "require", missing)
    settings = map_settings(experiment)
    again = analyse_map(map_design(experiment, settings), settings, folder / "out")
    assert again.boxes is None and again.features is None
    assert "needs the optional dependency 'ema_workbench'" in again.missing_extra
    assert "coprosim[ema]" in again.missing_extra
    pd.testing.assert_frame_equal(again.shares, result.shares)
    report = (folder / "out" / "map.md").read_text()
    assert "Not computed:" in report and "coprosim[ema]" in report
    assert (folder / "out" / "map_lead_probability.png").is_file()  # rank correlations instead


def test_map_from_results_redraws_without_running(tiny):
    folder, _, experiment, result = tiny
    again = map_from_results(experiment, out=folder / "out")
    pd.testing.assert_frame_equal(again.shares, result.shares)
    with pytest.raises(ExperimentError, match="holds no results of this map"):
        map_from_results(experiment, out=folder / "out", points=15)


def test_cli_map_resumes_and_prints_the_shares(tiny):
    folder, path, _, _ = tiny
    done = coprosim("map", str(path), "--out", "out", "--workers", "1", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "| throughput (higher is better) |" in done.stdout
    assert "report: out/map.md" in done.stdout
    assert "Traceback" not in done.stderr
    assert "Warning" not in done.stderr, done.stderr  # quiet: no pandas or library warnings
    said = [line for line in done.stderr.splitlines() if "warning" in line]
    assert len(said) <= 1 and all("n_citizens: 150 is below" in line for line in said), said
    changed = coprosim("map", str(path), "--out", "out", "--points", "15", cwd=folder)
    assert changed.returncode == 2
    assert changed.stderr.count("\n") == 1 and "--force" in changed.stderr


def test_prim_warns_when_points_are_few_for_the_uncertainties():
    """Ten points per uncertainty or more: no warning; fewer: one line naming both counts and
    how many points would do (16 points over 95 parameters was reported without a word)."""
    from coprosim.experiments.scenario_map import small_sample_warning

    assert small_sample_warning(40, 2) is None and small_sample_warning(950, 95) is None
    warning = small_sample_warning(16, 95)
    assert "16 points over 95 uncertainties" in warning and "--points 950" in warning
    assert "\n" not in warning and len(warning) < 200


# --- bad [map] tables ------------------------------------------------------------------------------
MAP = {"samples": "40", "parameters": '["dialogue_overhead", "participation_cost"]',
       "ranges": "{ dialogue_overhead = [0.0, 0.5] }",
       "metrics": '["throughput", "public_value", "waiting_time"]',
       "main_metrics": '["waiting_time"]', "focus": '"coproduction"'}
HEAD = TINY.split("[map]")[0]

BAD = [  # (changes to the [map] table (None: remove the key), what the one-line error says)
    ({"colour": "1"}, "map.colour: unknown key; allowed: regimes, samples"),
    ({"regimes": '["npm"]'}, "map.regimes: must list at least two different scenarios"),
    ({"regimes": '["npm", "nonsense"]'}, "map.regimes: must list at least two different scenarios"),
    ({"samples": "1"}, "map.samples: must be an integer in [2, 100000], got 1"),
    ({"samples": "2.5"}, "map.samples: must be an integer in [2, 100000], got 2.5"),
    ({"parameters": '["coproduction_share"]', "ranges": None},
     "map.parameters: coproduction_share differs between the regimes"),
    ({"parameters": '["staff_per_100"]'}, "map.parameters[0]: staff_per_100: unknown parameter; allowed: one of"),
    ({"parameters": '["n_citizens"]', "ranges": None},
     "n_citizens has no plausible range narrower than its allowed range [10, 200000]"),
    ({"parameters": '"all"'}, 'map.parameters: must be "plausible" or a non-empty list'),
    ({"parameters": None, "groups": '["staff", "cats"]'},
     "map.groups: must be a list of parameter groups; allowed: setting"),
    ({"groups": '["staff"]'}, 'map.groups: use groups with parameters = "plausible"'),
    ({"exclude": '"staff_per_1000"'}, "map.exclude: must be a list of parameter names"),
    ({"ranges": "{ staff_per_1000 = [30, 5] }"}, "map.ranges.staff_per_1000: low must be below high"),
    ({"ranges": "{ staff_per_1000 = [0.1, 5] }"}, "map.ranges.staff_per_1000[0]: must be"),
    ({"exclude": '["dialogue_overhead", "participation_cost"]'}, "map.parameters: nothing left to sample"),
    ({"metrics": '["volunteers"]', "main_metrics": None},
     "map.metrics[0]: 'volunteers' cannot be mapped (no better direction"),
    ({"metrics": '["cost"]', "main_metrics": None},
     "map.metrics[0]: 'cost' cannot be mapped; allowed: public_value, throughput, waiting_time"),
    ({"metrics": '["throughput", "public_value"]', "main_metrics": '["waiting_time"]'},
     "map.main_metrics[0]: 'waiting_time' cannot be mapped; allowed: throughput, public_value"),
    ({"focus": '"hybrid"'}, "map.focus: must be one of the regimes (npm, coproduction), got 'hybrid'"),
    ({"min_coverage": "1.5"}, "map.min_coverage: must be a number in (0, 1], got 1.5"),
    ({"mass_min": "0"}, "map.mass_min: must be a number in (0, 0.5], got 0"),
    ({"prim_dims": "0"}, "map.prim_dims: must be an integer in [1, 1000], got 0"),
]


def map_file(folder: Path, changes: dict) -> Path:
    table = {**MAP, **changes}
    lines = [f"{key} = {value}" for key, value in table.items() if value is not None]
    return write(folder, HEAD + "[map]\n" + "\n".join(lines) + "\n")


@pytest.mark.parametrize(("changes", "message"), BAD, ids=[m.split(":")[0] + f"-{i}"
                                                           for i, (_, m) in enumerate(BAD)])
def test_bad_map_keys_give_one_line_errors(tmp_path, changes, message):
    path = map_file(tmp_path, changes)
    experiment = load_experiment(path)
    with pytest.raises(ExperimentError) as caught:
        map_design(experiment, map_settings(experiment))
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(str(path) + ": ")
    assert message in text


def test_a_file_without_a_map_table_is_refused(tmp_path):
    experiment = load_experiment(write(tmp_path, HEAD))
    with pytest.raises(ExperimentError, match=r"map: missing; add a \[map\] table"):
        map_settings(experiment)


def test_the_good_map_table_of_these_tests_is_accepted(tmp_path):
    experiment = load_experiment(map_file(tmp_path, {}))
    settings = map_settings(experiment)
    assert list(settings["ranges"]) == ["dialogue_overhead", "participation_cost"]
    assert settings["ranges"]["dialogue_overhead"] == (0.0, 0.5)


def test_bad_map_key_on_the_command_line_is_one_line(tmp_path):
    path = write(tmp_path, TINY + "min_coverage = -1\n")
    done = coprosim("map", str(path), "--out", "out", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "map.min_coverage: must be a number in (0, 1], got -1" in done.stderr
    bad_points = coprosim("map", str(path), "--points", "0", cwd=tmp_path)
    assert bad_points.returncode == 2 and "--points" in bad_points.stderr
    assert not (tmp_path / "out").exists()


def test_default_map_samples_every_plausible_parameter_but_the_regimes_difference():
    experiment = load_experiment(REPO / "experiments" / "regimes_map.toml")
    settings = map_settings(experiment)
    from coprosim.model import Params

    narrower = [n for n in Params.field_names()
                if tuple(Params.spec(n)["plausible"]) != tuple(Params.spec(n)["range"])]
    assert set(settings["ranges"]) == set(narrower) - {"coproduction_share"}
    assert settings["left_out"]["differ between regimes"] == ["coproduction_share"]
    for name, (lo, hi) in settings["ranges"].items():
        assert (lo, hi) == tuple(float(v) for v in Params.spec(name)["plausible"])
    design = map_design(experiment, settings)
    assert len(design.points) == 200 and set(design.scenarios) == {"npm", "hybrid", "coproduction"}
    # one seed gives one design
    assert map_design(experiment, settings).points == design.points
    groups = map_settings(load_experiment_with(experiment, 'groups = ["staff"]'))
    assert {Params.spec(n)["group"] for n in groups["ranges"]} == {"staff"}


def load_experiment_with(experiment, line: str):
    import tomllib

    from coprosim.experiments.design import parse_experiment

    text = experiment.text + line + "\n"
    return parse_experiment(tomllib.loads(text), experiment.path, text, experiment.name)
