"""Results on disk as Parquet part files of many runs: one-call loading, a kill mid-buffer, the
older one-file-per-run layout.

Small populations and few steps keep the file fast; every run goes through the real runner.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from coprosim.experiments import (
    load_experiment,
    load_results,
    load_runs,
    run_experiment,
    runner,
    storage,
)

REPO = Path(__file__).resolve().parent.parent

EXPERIMENT = """
[experiment]
replications = {replications}
steps = 30
seed = 11
agent_sample_period = 15

[base]
n_citizens = 120

[scenarios.npm]
[scenarios.coproduction]
"""


def experiment_file(folder: Path, replications: int = 5) -> Path:
    path = folder / "parts.toml"
    path.write_text(EXPERIMENT.format(replications=replications))
    return path


def content_hash(frame: pd.DataFrame) -> str:
    frame = frame.reset_index(drop=True)
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()
                          + repr(list(frame.columns)).encode()
                          + repr(list(frame.dtypes)).encode()).hexdigest()


def everything(out: Path) -> tuple[str, str, str]:
    """Content hashes of the metrics, the agents and the runs table (load_runs)."""
    return (content_hash(load_results(out)), content_hash(load_results(out, "agents")),
            content_hash(load_runs(out)))


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """An uninterrupted sweep of 10 runs written 4 runs to a file."""
    folder = tmp_path_factory.mktemp("clean")
    path = experiment_file(folder)
    out = folder / "out"
    runs = run_experiment(load_experiment(path), out=out, workers=2, progress=False, runs_per_file=4)
    assert runs.attrs["done"] == 10 and runs.attrs["failed"] == 0
    return path, out


def test_runs_are_batched_into_part_files_and_load_in_one_call(clean):
    path, out = clean
    for kind in ("metrics", "agents", "runs"):
        names = sorted(p.name for p in (out / kind).glob("*.parquet"))
        assert names == ["part-000001.parquet", "part-000002.parquet", "part-000003.parquet"], kind
    held = [storage.part_runs(p) for p in sorted((out / "metrics").glob("*.parquet"))]
    assert [len(ids) for ids in held] == [4, 4, 2]
    experiment = load_experiment(path)
    assert sorted(sum(held, [])) == sorted(run.run_id for run in experiment.runs())
    assert storage.completed_runs(out) == {run.run_id for run in experiment.runs()}

    metrics = load_results(out)
    assert len(metrics) == 10 * 31 and not metrics.duplicated(["scenario", "replication", "step"]).any()
    assert len(load_results(out, "agents")) == 10 * 2 * 120
    table = load_runs(out)
    assert len(table) == 10 and table["run_id"].is_unique
    assert table["seed"].tolist() == experiment.seeds() * 2
    assert (table.loc[table["scenario"] == "coproduction", "coproduction_share"] == 1.0).all()
    assert table.attrs["model_hash"] == [json.loads((out / "manifest.json").read_text())["model_hash"]]
    per_run = storage.run_provenance(out)
    assert len(per_run) == 10 and per_run["mesa_version"].nunique() == 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs_per_file"] == 4 and manifest["done"] == 10


def test_a_stored_run_equals_the_model_run_directly(clean):
    from coprosim.model import CoproductionModel

    path, out = clean
    experiment = load_experiment(path)
    run = experiment.runs()[7]
    model = CoproductionModel(params=experiment.params_for(run.scenario), seed=run.seed)
    model.run(experiment.steps)
    kept = list(experiment.metrics)
    direct = model.datacollector.get_model_vars_dataframe()[kept].reset_index(drop=True)
    model.release()
    stored = load_results(out, scenarios=[run.scenario])
    stored = stored[stored["replication"] == run.replication].reset_index(drop=True)
    pd.testing.assert_frame_equal(stored[kept], direct, check_exact=True, check_dtype=False)


# Killed (SIGKILL, with its workers) when its fifth result is in the buffer: one part of 3 runs
# is on disk, two finished runs are only in memory. Killing from inside makes the moment exact.
KILLED_SWEEP = """
import os, signal, sys
from coprosim.experiments import load_experiment, run_experiment

def kill_at_fifth(finished, executor):
    if finished == 5:
        os.killpg(os.getpgid(0), signal.SIGKILL)

run_experiment(load_experiment(sys.argv[1]), out=sys.argv[2], workers=1, progress=False,
               runs_per_file=3, flush_seconds=1000, on_result=kill_at_fifth)
"""


def test_kill_mid_buffer_loses_only_the_buffer_and_resumes_to_identical_results(clean, tmp_path):
    path, clean_out = clean
    out = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(KILLED_SWEEP), str(path), str(out)],
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        assert process.wait(timeout=120) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    kept = len(storage.completed_runs(out))
    assert kept == 3, f"one whole part only (the two buffered runs are lost): {kept} runs"
    assert len(load_results(out)) == kept * 31

    # a sweep killed between writing a part's agents file and its metrics file
    orphan = f"part-{storage.next_part_number(out):06d}.parquet"
    shutil.copy(next((out / "agents").glob("part-*.parquet")), out / "agents" / orphan)
    assert len(load_results(out, "agents")) == kept * 2 * 120, "an agents part without metrics counts"

    storage.remove_temporary_files(out)  # what a resumed sweep does first
    assert not (out / "agents" / orphan).exists(), "the orphan part should be removed on resume"

    runs = run_experiment(load_experiment(path), out=out, workers=2, progress=False)
    assert (runs["status"] == "skipped").sum() == kept and (runs["status"] == "done").sum() == 10 - kept
    assert ({p.name for p in (out / "agents").glob("*.parquet")}
            == {p.name for p in (out / "metrics").glob("*.parquet")})
    assert everything(out) == everything(clean_out), "resumed results differ from a clean sweep"
    assert not list(out.rglob(".*.tmp*")), "temporary files left behind"


def test_interrupt_writes_the_buffer(tmp_path):
    """Ctrl-C (here raised after the fourth result) writes the runs still in the buffer."""
    path = experiment_file(tmp_path)
    out = tmp_path / "out"

    def interrupt(finished, executor):
        if finished == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_experiment(load_experiment(path), out=out, workers=1, progress=False,
                       runs_per_file=100, on_result=interrupt)
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(storage.completed_runs(out)) == 4 == manifest["done"]
    assert manifest["status"] == "interrupted"
    assert len(list((out / "metrics").glob("*.parquet"))) == 1


def write_old_layout(parts: Path, out: Path) -> None:
    """The same results as the older layout wrote them: one metrics and agents file per run, each
    carrying its run's metadata, and no runs tables."""
    shutil.copy(parts / "manifest.json", out / "manifest.json")
    metrics, agents = load_results(parts), load_results(parts, "agents")
    inputs = pd.read_parquet(parts / "runs")
    for row in inputs.to_dict("records"):
        parameters = {k.split(".", 1)[1]: v for k, v in row.items() if k.startswith("parameters.")}
        meta = {**{k: row[k] for k in ("experiment", "fingerprint", "run_id", "scenario", "preset",
                                       "point", "replication", "seed", "steps", *storage.PROVENANCE)},
                "sweep": json.loads(row["sweep"]), "parameters": parameters}
        for kind, frame in (("metrics", metrics), ("agents", agents)):
            mine = frame[(frame["scenario"] == row["scenario"]) & (frame["replication"] == row["replication"])]
            storage.write_atomic(storage.run_file(out, kind, row["run_id"]),
                                 storage.frame_to_parquet_bytes(mine.reset_index(drop=True),
                                                                {**meta, "kind": kind}))


def test_older_one_file_per_run_folders_still_load_and_resume(clean, tmp_path):
    path, clean_out = clean
    out = tmp_path / "old"
    out.mkdir()
    write_old_layout(clean_out, out)
    assert len(list((out / "metrics").glob("*.parquet"))) == 10 and not (out / "runs").exists()
    assert everything(out) == everything(clean_out)
    assert load_runs(out).attrs["model_hash"] == load_runs(clean_out).attrs["model_hash"]

    # resuming an older folder: missing runs are added as a part file beside the per-run files
    for stale in sorted((out / "metrics").glob("coproduction__*.parquet"))[:3]:
        stale.unlink()
        (out / "agents" / stale.name).unlink()
    runs = run_experiment(load_experiment(path), out=out, workers=2, progress=False)
    assert (runs["status"] == "done").sum() == 3 and (runs["status"] == "skipped").sum() == 7
    assert (out / "metrics" / "part-000001.parquet").exists()
    assert everything(out) == everything(clean_out), "mixed layouts load as the clean sweep"


def test_automatic_batch_size():
    """Small sweeps in a few parts (each file has a fixed cost: 120 runs in 8 parts, at most 30
    files of all kinds), large ones in about a hundred; never so many runs in one part that a
    crash loses much (parts are also written by time)."""
    assert runner.automatic_runs_per_file(5) == 1
    assert runner.automatic_runs_per_file(16) == 2
    assert runner.automatic_runs_per_file(120) == 15  # 8 parts x 3 kinds = 24 files
    assert runner.automatic_runs_per_file(1_000) == 16
    assert runner.automatic_runs_per_file(21_504) == 216  # the Sobol design: 100 files
    assert runner.automatic_runs_per_file(10**6) == runner.MAX_RUNS_PER_FILE


def test_counts_stay_integers_across_parts(clean):
    _, out = clean
    schema = pq.read_schema(out / "metrics" / "part-000001.parquet")
    for count in ("volunteers", "throughput", "innovations"):
        assert str(schema.field(count).type) == "int64"
        assert load_results(out)[count].dtype == "int64"


@pytest.mark.parametrize("option, value, message", [
    ("runs_per_file", 0, "runs_per_file: must be an integer in [1, 1000000], got 0"),
    ("runs_per_file", 2.5, "runs_per_file: must be an integer in [1, 1000000], got 2.5"),
    ("flush_seconds", -1, "flush_seconds: must be a number of seconds in [0, 1e9], got -1"),
])
def test_bad_buffering_options_are_one_line_errors_before_anything_is_written(tmp_path, option, value,
                                                                              message):
    from coprosim.experiments import ExperimentError

    out = tmp_path / "out"
    with pytest.raises(ExperimentError) as error:
        run_experiment(load_experiment(experiment_file(tmp_path)), out=out, workers=1, progress=False,
                       **{option: value})
    assert str(error.value) == message and not out.exists()
