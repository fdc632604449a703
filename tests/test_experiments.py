"""Batch experiments: seeds, resume after kill -9, failures, executors, errors, the report.

Small populations and few steps keep the file fast; every run goes through the real runner
(spawned worker processes, a Dask LocalCluster) and the real command line in a subprocess.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from coprosim.experiments import compare, load_experiment, load_results, run_experiment
from coprosim.experiments.design import ExperimentError, end_window
from coprosim.experiments.runner import FAILURE_HOOK
from coprosim.experiments.storage import completed_runs
from scipy import stats

from .conftest import as_from_a_terminal

REPO = Path(__file__).resolve().parent.parent

SMALL = """
[experiment]
description = "test experiment"
replications = {replications}
steps = {steps}
seed = 5
agent_sample_period = {period}

[base]
n_citizens = {citizens}

[scenarios.npm]
[scenarios.coproduction]
outreach_share = 0.3
"""


def write_experiment(folder: Path, name: str = "small", replications: int = 3, steps: int = 20,
                     citizens: int = 100, period: int = 10, extra: str = "") -> Path:
    """An experiment file in a temporary folder."""
    path = folder / f"{name}.toml"
    path.write_text(SMALL.format(replications=replications, steps=steps, citizens=citizens,
                                 period=period) + extra)
    return path


def coprosim(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    """The command line as a user runs it, in a fresh process."""
    return subprocess.run([sys.executable, "-m", "coprosim", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=240,
                          env={**os.environ, **(env or {})}, **kwargs)


def file_hashes(out: Path, kind: str = "metrics") -> str:
    """Hash of the results' content, whichever part files the runs were batched into."""
    frame = load_results(out, kind)
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()
                          + repr(list(frame.dtypes)).encode()).hexdigest()


def runs_on_disk(out: Path) -> int:
    return len(completed_runs(out))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted sweep of a 2-scenario x 8-replication experiment on 2 local processes."""
    folder = tmp_path_factory.mktemp("reference")
    path = write_experiment(folder, name="kill", replications=8, steps=60, citizens=300, period=30)
    out = folder / "out"
    runs = run_experiment(load_experiment(path), out=out, workers=2, progress=False)
    assert runs.attrs["done"] == 16 and runs.attrs["failed"] == 0
    return path, out


# --- seeds -----------------------------------------------------------------------------------------
def test_seeds_distinct_across_replications_and_equal_across_scenarios(reference):
    """Common random numbers: replication r has one seed in every scenario; replications differ."""
    path, out = reference
    experiment = load_experiment(path)
    seeds = experiment.seeds()
    assert len(set(seeds)) == len(seeds) == 8, f"replication seeds not distinct: {seeds}"
    expected = [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
                for c in np.random.SeedSequence(5).spawn(8)]
    assert seeds == expected, "seeds must come from SeedSequence(experiment seed).spawn(replications)"
    frame = load_results(out, columns=["scenario", "replication", "seed"]).drop_duplicates()
    by_scenario = frame.pivot(index="replication", columns="scenario", values="seed")
    assert (by_scenario["npm"] == by_scenario["coproduction"]).all(), "seeds differ across scenarios"
    assert by_scenario["npm"].tolist() == seeds
    metrics = load_results(out)
    first = metrics[metrics["step"] == 60].groupby("scenario")["mean_wellbeing"].nunique()
    assert (first == 8).all(), "replications with distinct seeds should give distinct results"


def test_results_are_tidy_and_aligned_on_steps(reference):
    """One row per run and step 0..T (step 0 = initial state), labels on every row."""
    _, out = reference
    frame = load_results(out)
    counts = frame.groupby(["scenario", "replication"])["step"].agg(["count", "min", "max"])
    assert (counts["count"] == 61).all() and (counts["min"] == 0).all() and (counts["max"] == 60).all()
    assert {"scenario", "point", "replication", "seed", "step", "public_value"} <= set(frame.columns)
    agents = load_results(out, "agents")
    assert sorted(agents["step"].unique()) == [30, 60]
    assert len(agents) == 16 * 2 * 300


# --- resume after kill -9 ------------------------------------------------------------------------
def test_sweep_killed_with_sigkill_resumes_to_identical_results(reference, tmp_path):
    """kill -9 midway loses at most the runs in flight; the rerun completes each run exactly once."""
    path, reference_out = reference
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "coprosim", "sweep", str(path), "--workers", "2",
               "--out", str(out)]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and runs_on_disk(out) < 3:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # the parent and its workers, as a crash would
    process.wait()
    finished_before = runs_on_disk(out)
    assert 3 <= finished_before < 16, f"expected a partial sweep, found {finished_before} runs"

    rerun = coprosim("sweep", str(path), "--workers", "2", "--out", str(out))
    assert rerun.returncode == 0, rerun.stderr
    assert f"{16 - finished_before} run now, {finished_before} already on disk" in rerun.stdout
    assert file_hashes(out) == file_hashes(reference_out), "resumed results differ from a clean sweep"
    assert file_hashes(out, "agents") == file_hashes(reference_out, "agents")
    frame = load_results(out)
    assert not frame.duplicated(["scenario", "replication", "step"]).any()
    assert frame.groupby(["scenario", "replication"]).ngroups == 16
    assert not list(out.rglob(".*.tmp*")), "temporary files left behind"


def live_processes(session: int) -> list[str]:
    """Processes of a session that are still running (zombies waiting to be reaped don't count)."""
    ps = subprocess.run(["ps", "-ww", "-o", "pid=,stat=,args=", "-s", str(session)], capture_output=True,
                        text=True).stdout.splitlines()
    return [line for line in ps if line.split()[1:2] and not line.split()[1].startswith("Z")]


def assert_no_process_left(session: int, within: float = 15.0) -> None:
    deadline = time.time() + within
    while (left := live_processes(session)) and time.time() < deadline:
        time.sleep(0.1)
    if left:
        os.killpg(session, signal.SIGKILL)
    assert not left, f"processes left behind: {left}"


@pytest.mark.parametrize("when, to_group", [("starting", True), ("after_two_runs", False),
                                            ("after_two_runs", True)])
def test_interrupt_keeps_finished_runs(tmp_path, when, to_group):
    """Ctrl-C stops the sweep with status 130, keeps finished runs, marks the manifest, and
    leaves no process behind: whether it comes while the workers start or between results, and
    whether it reaches only the parent or (as from a terminal) every process of the group."""
    path = write_experiment(tmp_path, replications=10, steps=80, citizens=300)
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "coprosim", "sweep", str(path),
                                "--workers", "2", "--out", str(out)], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, preexec_fn=as_from_a_terminal)
    try:
        deadline = time.time() + 120
        if when == "starting":  # the manifest is written just before the workers start
            while time.time() < deadline and not (out / "manifest.json").exists():
                time.sleep(0.01)
        else:
            while time.time() < deadline and runs_on_disk(out) < 2:
                time.sleep(0.02)
        if to_group:
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert_no_process_left(process.pid)
    assert process.returncode == 130, stderr
    import json

    manifest = json.loads((out / "manifest.json").read_text())
    kept = runs_on_disk(out)
    assert manifest["status"] == "interrupted" and manifest["done"] == kept
    assert kept >= (2 if when == "after_two_runs" else 0)
    assert "Traceback" not in stderr and "interrupted" in stderr, stderr
    assert f"stopped; {kept} of 20 runs kept" in stderr, stderr
    assert not list(out.rglob(".*.tmp*")), "temporary files left behind"


def test_a_worker_never_gets_the_terminals_ctrl_c():
    """A Ctrl-C to the terminal's process group while a worker still imports coprosim must not
    reach it (CI failure: a KeyboardInterrupt traceback from a worker in its imports). The worker
    is in a process group of its own from its first instruction (so a Ctrl-C to the group reaches
    only the parent: test_interrupt_keeps_finished_runs), and the parent's SIGINT handling is
    untouched."""
    from coprosim.experiments.runner import _Worker

    before = signal.getsignal(signal.SIGINT)
    worker = _Worker()
    try:
        assert os.getpgid(worker.process.pid) == worker.process.pid != os.getpgid(0)
        assert signal.getsignal(signal.SIGINT) is before
        assert not signal.pthread_sigmask(signal.SIG_BLOCK, set()) & {signal.SIGINT}
        worker.conn.send(None)  # told to stop, it stops cleanly
        worker.join(timeout=60)
        assert worker.exitcode == 0
    finally:
        worker.stop(now=True)


def test_workers_exit_when_the_parent_is_killed(tmp_path):
    """kill -9 of the sweep's parent alone: its workers notice and exit, never orphans."""
    path = write_experiment(tmp_path, replications=10, steps=80, citizens=300)
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "coprosim", "sweep", str(path),
                                "--workers", "2", "--out", str(out)], cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True, preexec_fn=as_from_a_terminal)
    try:
        deadline = time.time() + 120
        while (time.time() < deadline and process.poll() is None
               and runs_on_disk(out) < 1):
            time.sleep(0.02)
        assert process.poll() is None, "the sweep ended before it could be killed"
        workers = [line for line in live_processes(process.pid) if "_worker_main" in line]
        assert workers, f"expected worker processes while the sweep runs: {live_processes(process.pid)}"
        process.kill()  # the parent only
        process.wait()
        assert_no_process_left(process.pid, within=20)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


# --- failures ----------------------------------------------------------------------------------
def test_failing_run_is_recorded_and_the_others_go_on(tmp_path):
    """A run that raises leaves its traceback in failures/ and exit status 1; a rerun retries it."""
    path = write_experiment(tmp_path)
    out = tmp_path / "out"
    failing = coprosim("sweep", str(path), "--workers", "2", "--out", str(out),
                       env={FAILURE_HOOK: "npm__*__r0001"})
    assert failing.returncode == 1, failing.stderr
    assert "1 failed" in failing.stdout
    failure = out / "failures" / "npm__p00000__r0001.txt"
    assert "InjectedFailure" in failure.read_text() and "Traceback" in failure.read_text()
    assert runs_on_disk(out) == 5
    import json

    assert json.loads((out / "manifest.json").read_text())["failed"] == 1

    retry = coprosim("sweep", str(path), "--workers", "2", "--out", str(out))
    assert retry.returncode == 0, retry.stderr
    assert "1 run now, 5 already on disk" in retry.stdout
    assert not failure.exists()


# --- executors -----------------------------------------------------------------------------------
def test_dask_local_cluster_equals_process_pool(reference, tmp_path):
    """Results are bit-identical whichever executor ran them."""
    path, reference_out = reference
    out = tmp_path / "dask"
    runs = run_experiment(load_experiment(path), out=out, dask="local:2", progress=False)
    assert runs.attrs["done"] == 16
    assert file_hashes(out) == file_hashes(reference_out)
    assert file_hashes(out, "agents") == file_hashes(reference_out, "agents")


def test_one_worker_equals_direct_model_run(reference):
    """A stored run equals the model run directly with its seed and parameters."""
    from coprosim.model import CoproductionModel

    path, out = reference
    experiment = load_experiment(path)
    run = experiment.runs()[3]
    model = CoproductionModel(params=experiment.params_for(run.scenario), seed=run.seed)
    model.run(experiment.steps)
    kept = list(experiment.metrics)
    direct = model.datacollector.get_model_vars_dataframe()[kept].reset_index(drop=True)
    model.release()
    stored = load_results(out, scenarios=[run.scenario])
    stored = stored[stored["replication"] == run.replication].reset_index(drop=True)
    pd.testing.assert_frame_equal(stored[kept], direct, check_exact=True, check_dtype=False)
    for count in ("volunteers", "throughput", "innovations"):
        assert stored[count].dtype == "int64", f"{count} is a count: stored as an integer"


# --- bad files -----------------------------------------------------------------------------------
BAD_FILES = {
    "toml_syntax": ("[experiment\nsteps = 3\n", "invalid TOML"),
    "unknown_scenario": ("[scenarios.nmp]\n", "scenarios.nmp: unknown preset 'nmp'; allowed: npm"),
    "unknown_parameter": ("[scenarios.npm]\nvoice_biass = 0.5\n",
                          "scenarios.npm.voice_biass: unknown parameter; allowed: one of"),
    "unknown_axis": ("[scenarios.npm]\n[sweep.grid]\noutreachshare = [0.1]\n",
                     "sweep.grid.outreachshare: unknown parameter; allowed: one of"),
    "out_of_range": ("[scenarios.npm]\nvoice_bias = 2.0\n",
                     "scenarios.npm.voice_bias: must be a number in [0.0, 1.0], got 2.0"),
    "empty_axis": ("[scenarios.npm]\n[sweep.grid]\noutreach_share = []\n",
                   "sweep.grid.outreach_share: empty axis"),
    "axis_out_of_range": ("[scenarios.npm]\n[sweep.grid]\noutreach_share = [0.1, 1.5]\n",
                          "sweep.grid.outreach_share[1]: must be a number in [0.0, 1.0], got 1.5"),
    "bad_replications": ("[experiment]\nreplications = 0\n[scenarios.npm]\n",
                         "experiment.replications: must be an integer in [1, 100000], got 0"),
    "unknown_metric": ("[experiment]\nmetrics = [\"welbeing\"]\n[scenarios.npm]\n",
                       "experiment.metrics[0]: unknown metric 'welbeing'"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_experiment_file_is_one_line_exit_2(case, tmp_path):
    """Rejected before any run, one line naming the file and the key, exit status 2."""
    text, expected = BAD_FILES[case]
    path = tmp_path / f"{case}.toml"
    path.write_text(text)
    result = coprosim("sweep", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert str(path) in lines[0] and expected in lines[0], lines[0]
    assert not (tmp_path / "out" / "metrics").exists(), "runs started despite a bad file"


@pytest.mark.parametrize(("typo", "meant"), [("voice_biass", "voice_bias"),
                                              ("outreachshare", "outreach_share"),
                                              ("staff_per_100", "staff_per_1000")])
def test_unknown_parameter_names_the_closest_in_one_short_line(typo, meant, tmp_path):
    """An unknown name: one line under 200 characters with the closest names (difflib), not a
    list of every parameter; the same message from a file, a sweep axis and --set."""
    from coprosim.model import Params

    path = tmp_path / "typo.toml"
    path.write_text(f"[scenarios.npm]\n[sweep.grid]\n{typo} = [1]\n")
    with pytest.raises(ExperimentError) as caught:
        load_experiment(path)
    message = str(caught.value).replace(str(path), "typo.toml")
    assert "\n" not in message and len(message) < 200, message
    assert meant in message.split("closest:")[1], message
    assert sum(name in message for name in Params.field_names()) <= 4, "lists too many names"
    result = coprosim("run", "--steps", "2", "--set", f"{typo}=1")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert meant in result.stderr and len(result.stderr.strip()) < 200, result.stderr


def test_a_small_population_is_said_once_per_sweep(tmp_path):
    """Below the model's minimum population the sweep says so in one line, once (the workers
    build their models without warning), not once per run or per worker."""
    path = write_experiment(tmp_path, replications=3, steps=3, citizens=100, period=0)
    result = coprosim("sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "2")
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if "below" in line]
    assert len(said) == 1 and said[0].startswith("coprosim: warning: n_citizens: 100"), said
    assert "Warning" not in result.stderr, result.stderr


def test_result_tables_raise_no_pandas_warnings():
    """Labelling a run's rows with many swept parameters (a map sweeps about a hundred) builds the
    table at once: no pandas PerformanceWarning (the map printed two per run)."""
    import warnings

    from coprosim.experiments.runner import _simulate, _task
    from coprosim.model import Params

    experiment = load_experiment(REPO / "experiments" / "smoke.toml")
    task = _task(experiment, experiment.runs()[0])
    task.update(steps=3, sweep={name: 0.5 for name in Params.field_names()[:100]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        metrics, _, _ = _simulate(task)
    assert not [w for w in caught if issubclass(w.category, pd.errors.PerformanceWarning)]
    assert list(metrics.columns[:5]) == ["scenario", "point", "replication", "seed",
                                         next(iter(task["sweep"]))]
    assert metrics["seed"].dtype == "int64" and metrics["point"].dtype == "int64"


def test_bad_files_rejected_in_process(tmp_path):
    """The Python API raises ExperimentError (a ParameterError) with the same message."""
    path = tmp_path / "bad.toml"
    path.write_text("[scenarios.npm]\n[sweep.latin]\nsamples = 4\nranges = { wicked_share = [0.5, 0.2] }\n")
    with pytest.raises(ExperimentError, match=r"sweep.latin.ranges.wicked_share: low must be below high"):
        load_experiment(path)


# --- resume identity -----------------------------------------------------------------------------
def test_resume_refuses_changed_file_without_force(tmp_path):
    """A changed file, --steps or --replications is refused (exit 2) unless --force starts afresh."""
    path = write_experiment(tmp_path, replications=2, steps=10)
    out = tmp_path / "out"
    assert coprosim("sweep", str(path), "--out", str(out), "--workers", "2").returncode == 0
    again = coprosim("sweep", str(path), "--out", str(out), "--workers", "2")
    assert again.returncode == 0 and "0 run now, 4 already on disk" in again.stdout

    path.write_text(path.read_text().replace("outreach_share = 0.3", "outreach_share = 0.4"))
    changed = coprosim("sweep", str(path), "--out", str(out))
    assert changed.returncode == 2
    assert "different experiment (experiment file changed)" in changed.stderr
    assert "--force" in changed.stderr and len(changed.stderr.strip().splitlines()) == 1

    more = coprosim("sweep", str(path), "--out", str(out), "--replications", "3")
    assert more.returncode == 2 and "replications 2 -> 3" in more.stderr

    forced = coprosim("sweep", str(path), "--out", str(out), "--force", "--workers", "2")
    assert forced.returncode == 0 and "4 run now, 0 already on disk" in forced.stdout, forced.stderr
    params = load_results(out, columns=["scenario", "seed"])
    assert len(params) == 4 * 11


def test_more_replications_add_only_the_new_seeds_and_resume_is_one_word(tmp_path):
    """--resume is accepted by sweep (an error where there is nothing to resume); raising the
    replications (on the command line or in the file) keeps the runs on disk and runs only the
    new seeds; the result equals a sweep made at the larger size in one go (pairs kept)."""
    path = write_experiment(tmp_path, replications=2, steps=8, period=0)
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    nothing = coprosim("sweep", str(path), "--out", str(out), "--resume")
    assert nothing.returncode == 2 and "nothing to resume" in nothing.stderr
    assert len(nothing.stderr.strip().splitlines()) == 1
    assert coprosim("sweep", str(path), "--out", str(out), "--workers", "2").returncode == 0
    resumed = coprosim("sweep", str(path), "--out", str(out), "--resume")
    assert resumed.returncode == 0 and "0 run now, 4 already on disk" in resumed.stdout
    before = {p.name: p.stat().st_mtime_ns for p in (out / "metrics").glob("*.parquet")}

    more = coprosim("sweep", str(path), "--out", str(out), "--replications", "3", "--resume")
    assert more.returncode == 0, more.stderr
    assert "2 run now, 4 already on disk" in more.stdout and "raised from 2" in more.stdout
    after = {p.name: p.stat().st_mtime_ns for p in (out / "metrics").glob("*.parquet")}
    assert all(after[name] == stamp for name, stamp in before.items()), "old parts rewritten"

    path.write_text(path.read_text().replace("replications = 2", "replications = 4"))
    in_file = coprosim("sweep", str(path), "--out", str(out), "--workers", "2")
    assert in_file.returncode == 0 and "2 run now, 6 already on disk" in in_file.stdout
    assert coprosim("sweep", str(path), "--out", str(fresh), "--workers", "2").returncode == 0
    extended, whole = load_results(out), load_results(fresh)
    pd.testing.assert_frame_equal(extended, whole)
    seeds = extended.groupby(["replication", "scenario"])["seed"].first().unstack()
    assert (seeds["npm"] == seeds["coproduction"]).all() and seeds["npm"].is_unique

    fewer = coprosim("sweep", str(path), "--out", str(out), "--replications", "3")
    assert fewer.returncode == 2 and "replications 4 -> 3" in fewer.stderr


# --- sweeps --------------------------------------------------------------------------------------
def test_grid_and_latin_hypercube_points(tmp_path):
    """The grid is full-factorial; the Latin hypercube puts one sample in each of n strata."""
    path = write_experiment(tmp_path, extra=(
        "[sweep.grid]\ncoproduction_share = [0.0, 0.5, 1.0]\noutreach_share = [0.1, 0.2]\n"
        "[sweep.latin]\nsamples = 8\nranges = { resource_inequality = [0.4, 1.2] }\n"))
    experiment = load_experiment(path)
    assert experiment.axes == ("coproduction_share", "outreach_share", "resource_inequality")
    assert len(experiment.points) == 3 * 2 * 8
    assert len(experiment.runs()) == 2 * 48 * 3
    latin = sorted({p["resource_inequality"] for p in experiment.points})
    strata = sorted(int((v - 0.4) / 0.8 * 8) for v in latin)
    assert strata == list(range(8)), f"Latin hypercube strata not each hit once: {latin}"
    assert experiment.params_for("npm", 47).coproduction_share == 1.0, "sweep values override presets"


# --- the report ----------------------------------------------------------------------------------
def test_report_numbers_match_recomputation_from_parquet(reference):
    """report.md and end_summary.csv agree with a direct recomputation from the Parquet files."""
    from coprosim.experiments.analysis import fmt

    path, out = reference
    experiment = load_experiment(path)
    table = compare(experiment, out=out, run=False)
    report = (out / "report.md").read_text()
    raw = pd.concat(pd.read_parquet(f) for f in sorted((out / "metrics").glob("part-*.parquet")))
    first = end_window(60, 0.2)
    assert first == 49
    ends = raw[raw["step"] >= first].groupby(["scenario", "replication"])[
        ["public_value", "equity_gap"]].mean()
    for scenario in ("npm", "coproduction"):
        for metric in ("public_value", "equity_gap"):
            x = ends.loc[scenario, metric].to_numpy()
            half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
            row = table[(table["condition"] == scenario) & (table["metric"] == metric)].iloc[0]
            assert row["mean"] == pytest.approx(x.mean(), rel=1e-12)
            assert row["ci_high"] == pytest.approx(x.mean() + half, rel=1e-12)
            cell = f"{fmt(x.mean())} [{fmt(x.mean() - half)}, {fmt(x.mean() + half)}]"
            assert cell in report, f"{scenario} {metric}: expected {cell} in report.md"
    d = (ends.loc["coproduction", "equity_gap"] - ends.loc["npm", "equity_gap"]).to_numpy()
    row = table[(table["condition"] == "coproduction") & (table["metric"] == "equity_gap")].iloc[0]
    assert row["diff"] == pytest.approx(d.mean(), rel=1e-12)
    assert row["d_z"] == pytest.approx(d.mean() / d.std(ddof=1), rel=1e-12)
    assert f"d_z {fmt(d.mean() / d.std(ddof=1))}" in report

    agents = pd.concat(pd.read_parquet(f) for f in sorted((out / "agents").glob("part-*.parquet")))
    bottom = agents[(agents["step"] == 60) & (agents["quintile"] == 0) & (agents["scenario"] == "npm")]
    per_run = bottom.groupby("replication")["wellbeing"].mean()
    quintiles = pd.read_csv(out / "wellbeing_by_quintile.csv")
    q1 = quintiles[(quintiles["condition"] == "npm") & (quintiles["quintile"] == 0)].iloc[0]
    assert q1["mean"] == pytest.approx(per_run.mean(), rel=1e-12)
    for figure in ("timeseries", "differences", "wellbeing_by_quintile"):
        assert (out / "figures" / f"{figure}.png").stat().st_size > 10_000


def test_compare_command_prints_headline_table(reference, tmp_path):
    """``coprosim compare FILE`` resumes (nothing to run) and prints the headline table."""
    path, out = reference
    result = coprosim("compare", str(path), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "0 run now, 16 already on disk" in result.stdout
    assert "public_value" in result.stdout and "coproduction" in result.stdout
    assert (out / "report.md").exists()


# --- sensitivity ---------------------------------------------------------------------------------
def test_sensitivity_morris_on_a_paired_difference(tmp_path):
    """Morris indices for coproduction minus npm; a range outside the allowed one is refused."""
    from coprosim.experiments.sensitivity import run_sensitivity

    extra = ("[sensitivity]\nmetric = \"mean_wellbeing\"\ndifference = [\"coproduction\", \"npm\"]\n"
             "trajectories = 2\n[sensitivity.ranges]\noutreach_share = [0.0, 0.6]\n"
             "substitution = [-2.0, 1.0]\n")
    path = write_experiment(tmp_path, replications=1, steps=10, extra=extra)
    indices = run_sensitivity(load_experiment(path), out=tmp_path / "sens", workers=2, progress=False)
    assert list(indices["parameter"]) == ["outreach_share", "substitution"]
    assert np.isfinite(indices["mu_star"]).all() and (indices["mu_star"] >= 0).all()
    assert Path(indices.attrs["csv"]).exists() and Path(indices.attrs["figure"]).exists()

    bad = write_experiment(tmp_path, name="bad", extra=extra.replace("[0.0, 0.6]", "[0.0, 1.6]"))
    result = coprosim("sensitivity", str(bad), "--out", str(tmp_path / "bad"))
    assert result.returncode == 2
    assert "sensitivity.ranges.outreach_share[1]: must be a number in [0.0, 1.0], got 1.6" in result.stderr


def test_shipped_experiment_files_are_valid():
    """Every experiment file we ship loads; the policy comparison names the five main presets."""
    from coprosim.experiments import shipped_experiments

    shipped = shipped_experiments()
    assert "calibration_targets" not in shipped      # a targets file, read by coprosim calibrate
    assert {"policy_comparison", "regimes_map", "smoke"} <= set(shipped)
    for path in shipped.values():
        load_experiment(path)
    policy = load_experiment(REPO / "experiments" / "policy_comparison.toml")
    assert list(policy.scenarios) == ["npm", "coproduction", "coproduction_no_outreach", "hybrid",
                                      "npm_with_volunteers"]
    assert policy.replications == 30 and policy.steps == 200
    assert policy.steps % policy.agent_sample_period == 0, "final step must be sampled"
