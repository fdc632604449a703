"""Sensitivity indices whose confidence interval is as wide as the index say so, and what N would do.

Issue 8: "The documented Sobol example gives first-order indices of 0.13-0.17 with CIs of
+-0.33-0.43 and no warning." The half-width of a Sobol index's CI shrinks as 1/sqrt(N), so the N
that brings it below the index is N x (half-width / index)^2, rounded up to a power of 2.
"""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from coprosim.experiments import load_experiment
from coprosim.experiments.sensitivity import precision_warnings

pytest.importorskip("SALib")


def sobol_settings(samples: int = 32, k: int = 5) -> dict:
    return {"method": "sobol", "samples": samples, "trajectories": 10, "levels": 4,
            "ranges": {f"p{i}": (0.0, 1.0) for i in range(k)}}


def test_a_sobol_index_narrower_than_its_ci_is_named_with_the_n_that_would_do():
    indices = pd.DataFrame({
        "parameter": ["p0", "p1", "p2", "p3", "p4"],
        "S1": [0.15, 0.60, -0.02, 0.13, 0.40],
        "S1_conf": [0.38, 0.10, 0.20, 0.43, 0.40],
        "ST": [0.50, 0.70, 0.01, 0.20, 0.45],
        "ST_conf": [0.20, 0.10, 0.30, 0.10, 0.10],
        "target": "mean_wellbeing: coproduction - npm"})
    notes = precision_warnings(indices, sobol_settings(), runs_per_point=4)
    lines = notes["mean_wellbeing: coproduction - npm"]
    # p0: 32 x (0.38 / 0.15)^2 = 205.4 -> 256; runs 256 x (5 + 2) x 4 = 7,168
    assert indices.loc[0, "S1_N_needed"] == 256
    p0 = next(line for line in lines if "S1 of p0" in line)
    assert "0.15 +- 0.38" in p0 and "N = 32" in p0 and "N = 256" in p0 and "7,168 runs" in p0
    # p3: 32 x (0.43 / 0.13)^2 = 350.1 -> 512
    assert indices.loc[3, "S1_N_needed"] == 512
    # p4: a CI exactly as wide as the index still reaches 0: the next power of 2 above 32
    assert indices.loc[4, "S1_N_needed"] == 64
    # p1 is fine; p2 is not above zero: no N shows an effect, but the CI can be narrowed
    assert math.isnan(indices.loc[1, "S1_N_needed"]) and not any("S1 of p1" in x for x in lines)
    p2 = next(line for line in lines if "S1 of p2" in line)
    assert "not above zero" in p2 and "N = 512 would narrow the CI to +-0.05" in p2  # 32 x (0.2 / 0.05)^2 = 512
    assert math.isnan(indices.loc[2, "S1_N_needed"])
    # total-order indices too: only p2's ST (0.01 +- 0.3) is too uncertain
    assert [x for x in lines if x.startswith("WARNING ST")] == [
        next(x for x in lines if "ST of p2" in x)]
    assert indices.loc[2, "ST_N_needed"] == 32 * 1024  # 32 x (0.3 / 0.01)^2 = 28,800 -> 32,768
    assert all(line.count("\n") == 0 for line in lines)


def test_morris_mu_star_narrower_than_its_ci_is_named_with_the_trajectories_that_would_do():
    indices = pd.DataFrame({"parameter": ["a", "b", "c"], "mu": [0.1, 0.5, 0.0],
                            "mu_star": [0.1, 0.5, 0.0], "mu_star_conf": [0.3, 0.1, 0.0],
                            "sigma": [0.2, 0.3, 0.0], "target": "public_value: npm"})
    settings = {**sobol_settings(k=3), "method": "morris", "trajectories": 10}
    notes = precision_warnings(indices, settings, runs_per_point=2)
    lines = notes["public_value: npm"]
    # a: 10 x (0.3 / 0.1)^2 = 90 trajectories; runs 90 x (3 + 1) x 2 = 720
    assert len(lines) == 1 and "mu_star of a" in lines[0]
    assert "trajectories = 90" in lines[0] and "720 runs" in lines[0]
    assert indices.loc[0, "mu_star_trajectories_needed"] == 90
    assert math.isnan(indices.loc[2, "mu_star_trajectories_needed"])  # no effect, no CI: no warning


SMALL = """
[experiment]
replications = 1
steps = 20
seed = 3
metrics = ["mean_wellbeing"]

[base]
n_citizens = 100

[scenarios.coproduction]

[sensitivity]
method = "sobol"
metric = "mean_wellbeing"
samples = 8

[sensitivity.ranges]
outreach_share = [0.0, 0.6]
participation_cost = [0.2, 1.5]
"""


@pytest.fixture(scope="module")
def small_sobol(tmp_path_factory):
    from coprosim.experiments.sensitivity import run_sensitivity

    folder = tmp_path_factory.mktemp("sobol")
    path = folder / "small.toml"
    path.write_text(textwrap.dedent(SMALL), encoding="utf-8")
    indices = run_sensitivity(load_experiment(path), out=folder / "out", workers=2, progress=False)
    return folder, path, indices


def test_a_small_sobol_run_warns_for_every_index_its_ci_cannot_tell_from_zero(small_sobol):
    folder, _, indices = small_sobol
    uncertain = [(row["parameter"], index) for _, row in indices.iterrows()
                 for index in ("S1", "ST") if row[f"{index}_conf"] >= row[index]]
    assert uncertain, "8 base samples should leave at least one index within its CI of zero"
    table = indices.attrs["table"]
    written = Path(indices.attrs["csv"]).with_suffix(".md").read_text()
    for parameter, index in uncertain:
        line = next(x for x in indices.attrs["warnings"] if f"WARNING {index} of {parameter}" in x)
        assert line in table and line in written
        row = indices[indices["parameter"] == parameter].iloc[0]
        if row[index] > 0:
            n = int(row[f"{index}_N_needed"])
            assert n > 8 and n & (n - 1) == 0  # a power of 2 above the sample used
            assert n >= 8 * (row[f"{index}_conf"] / row[index]) ** 2
            assert f"{int(n) * (2 + 2) * 1:,} runs" in line  # N x (k + 2) x 1 scenario x 1 rep
    assert len(indices.attrs["warnings"]) == len(uncertain)
    saved = pd.read_csv(indices.attrs["csv"])
    assert {"S1_N_needed", "ST_N_needed"} <= set(saved.columns)


def test_the_command_line_prints_the_warnings(small_sobol):
    folder, path, indices = small_sobol
    done = subprocess.run([sys.executable, "-m", "coprosim", "sensitivity", str(path), "--out",
                           str(folder / "out")], capture_output=True, text=True, timeout=300,
                          cwd=folder)
    assert done.returncode == 0, done.stderr
    for line in indices.attrs["warnings"]:
        assert line in done.stdout


def test_second_order_sobol_runs_n_times_2k_plus_2_and_reports_every_pair(tmp_path):
    """second_order = true: Saltelli's design with the cross matrices (N x (2k + 2) points) and an
    S2 table of every pair; the warnings count the runs of that design."""
    from coprosim.experiments.sensitivity import run_sensitivity

    text = textwrap.dedent(SMALL).replace("samples = 8\n", "samples = 8\nsecond_order = true\n")
    text = text.replace("participation_cost = [0.2, 1.5]\n",
                        "participation_cost = [0.2, 1.5]\nresource_inequality = [0.2, 1.6]\n")
    path = tmp_path / "second.toml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    indices = run_sensitivity(load_experiment(path), out=out, workers=1, progress=False)
    from coprosim.experiments import load_runs

    assert len(load_runs(out)) == 8 * (2 * 3 + 2)
    pairs = indices.attrs["S2"]
    assert len(pairs) == 3 and set(map(frozenset, zip(pairs["parameter"], pairs["with"], strict=True))) == {
        frozenset({"outreach_share", "participation_cost"}),
        frozenset({"outreach_share", "resource_inequality"}),
        frozenset({"participation_cost", "resource_inequality"})}
    assert pairs["S2_conf"].gt(0).all()
    assert "second-order indices S2" in indices.attrs["table"]
    assert len(pd.read_csv(out / "indices_mean_wellbeing_S2.csv")) == 3
    for line in indices.attrs["warnings"]:
        if "N = " in line and "runs." in line and "would bring" in line:
            n = int(line.split("would bring")[0].split("N = ")[-1].split()[0].replace(",", ""))
            assert f"{n * (2 * 3 + 2):,} runs" in line


def test_second_order_sobol_of_two_scenarios_gives_each_its_pairs(tmp_path):
    """Two scenarios and no difference: two targets, each with its own S2 table (a ``target``
    column names it, in the CSV too), the same as each scenario's Sobol run alone (the same seeds
    in every scenario, so the same outputs); the markdown has a section per target."""
    from coprosim.experiments.sensitivity import run_sensitivity

    text = textwrap.dedent(SMALL).replace("samples = 8\n", "samples = 4\nsecond_order = true\n")
    path = tmp_path / "two.toml"
    path.write_text(text.replace("[scenarios.coproduction]\n", "[scenarios.coproduction]\n[scenarios.npm]\n"))
    indices = run_sensitivity(load_experiment(path), out=tmp_path / "out", workers=2, progress=False)
    assert list(dict.fromkeys(indices["target"])) == ["mean_wellbeing: coproduction",
                                                      "mean_wellbeing: npm"]
    pairs = indices.attrs["S2"]
    saved = pd.read_csv(tmp_path / "out" / "indices_mean_wellbeing_S2.csv")
    pd.testing.assert_frame_equal(saved, pairs, check_exact=False, rtol=1e-12)
    for scenario in ("coproduction", "npm"):
        alone = tmp_path / f"{scenario}.toml"
        alone.write_text(text.replace("[scenarios.coproduction]\n", f"[scenarios.{scenario}]\n"))
        own = run_sensitivity(load_experiment(alone), out=tmp_path / scenario, workers=2,
                              progress=False).attrs["S2"]
        target = f"mean_wellbeing: {scenario}"
        assert own["target"].eq(target).all() and len(own) == 1
        pd.testing.assert_frame_equal(pairs[pairs["target"] == target].reset_index(drop=True), own,
                                      check_exact=True)
        assert f"### {target}\n\n| parameter | with | S2 | S2_conf |" in indices.attrs["table"]
    assert pairs["S2"].nunique() == 2  # two scenarios, two estimates: a mix-up would show


def test_second_order_must_be_true_or_false(tmp_path):
    from coprosim.experiments.design import ExperimentError
    from coprosim.experiments.sensitivity import sensitivity_settings

    path = tmp_path / "bad.toml"
    path.write_text(textwrap.dedent(SMALL).replace("samples = 8\n", "samples = 8\nsecond_order = 2\n"))
    with pytest.raises(ExperimentError, match=r"sensitivity.second_order: must be true or false, got 2"):
        sensitivity_settings(load_experiment(path), None, None, None)


def test_ctrl_c_says_what_was_kept_and_the_same_command_resumes(tmp_path):
    """Ctrl-C during a sensitivity run (SIGINT to the process group, as from a terminal): status
    130, the finished runs kept, and the same line as sweep, compare and map give: how many runs
    were kept where, and that the same command resumes."""
    import os
    import signal
    import time

    from coprosim.experiments.storage import completed_runs

    from .conftest import as_from_a_terminal

    repo = Path(__file__).resolve().parent.parent
    out = tmp_path / "sens"
    command = [sys.executable, "-m", "coprosim", "sensitivity", "sensitivity_example",
               "--workers", "2", "--out", str(out)]
    process = subprocess.Popen(command, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True, preexec_fn=as_from_a_terminal)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and len(completed_runs(out)) < 2:
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    kept = len(completed_runs(out))
    assert process.returncode == 130, stderr
    assert kept >= 2 and "Traceback" not in stderr, stderr
    assert f"stopped; {kept} of 240 runs kept in {out}/ (rerun the same command to resume)" in stderr
    first = {run_id: path.stat().st_mtime_ns for run_id, path in _run_files(out).items()}
    again = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert len(completed_runs(out)) == 240 and "mu_star" in again.stdout
    assert all(_run_files(out)[run_id].stat().st_mtime_ns == mtime  # kept, not run again
               for run_id, mtime in first.items())


def _run_files(out: Path) -> dict:
    """Each part file of finished runs' metrics, by name."""
    return {path.name: path for path in (out / "metrics").glob("*.parquet")}
