"""Dask failure modes with a real scheduler and workers in separate processes.

No workers: a bounded wait, then one line and exit 3. A lost scheduler: one line, exit 3, no run
recorded as a model failure, and a rerun resumes to the same results. A worker running different
model code: refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from coprosim.experiments import load_results
from coprosim.experiments.storage import completed_runs

pytest.importorskip("distributed", reason="needs coprosim[dask]")

REPO = Path(__file__).resolve().parent.parent
DASK = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
EXPERIMENT = """
[experiment]
replications = 6
steps = 40
seed = 5
[base]
n_citizens = 200
[scenarios.npm]
[scenarios.coproduction]
"""



def errors(stderr: str) -> list[str]:
    """The lines of stderr but the one-line warnings (e.g. a population below the model's
    minimum, said once per sweep): an error is still one line."""
    return [line for line in stderr.strip().splitlines() if not line.startswith("coprosim: warning:")]

def start(command: list[str], cwd: Path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, env={**os.environ, **(env or {})})


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture
def scheduler(tmp_path):
    file = tmp_path / "scheduler.json"
    process = start([*DASK, "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                     "--scheduler-file", str(file)], tmp_path)
    deadline = time.time() + 60
    while not file.exists() and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    yield process, json.loads(file.read_text())["address"]
    stop(process)


def worker(address: str, cwd: Path, env: dict | None = None) -> subprocess.Popen:
    return start([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                  "--nworkers", "1", "--no-dashboard"], cwd, env)


def sweep(path: Path, out: Path, *extra: str, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coprosim", "sweep", str(path), "--out", str(out),
                           *extra], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def hashes(out: Path) -> str:
    """Hash of the results' content, whichever part files the runs were batched into."""
    frame = load_results(out)
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()
                          + repr(list(frame.dtypes)).encode()).hexdigest()


def test_scheduler_without_workers_fails_in_bounded_time(scheduler, tmp_path):
    _, address = scheduler
    path = tmp_path / "e.toml"
    path.write_text(EXPERIMENT)
    started = time.time()
    result = sweep(path, tmp_path / "out", "--dask", address, "--dask-wait", "3")
    assert result.returncode == 3, result.stderr
    assert time.time() - started < 60
    lines = errors(result.stderr)
    assert len(lines) == 1 and f"no workers joined the Dask scheduler at {address} within 3 s" in lines[0]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["status"] == "infrastructure error", "the manifest must not say running"


def test_lost_scheduler_is_an_infrastructure_error_and_a_rerun_resumes(scheduler, tmp_path):
    process, address = scheduler
    path = tmp_path / "e.toml"
    path.write_text(EXPERIMENT)
    out = tmp_path / "out"
    workers = worker(address, tmp_path)
    try:
        running = subprocess.Popen([sys.executable, "-m", "coprosim", "sweep", str(path), "--out",
                                    str(out), "--dask", address, "--dask-wait", "20"], cwd=REPO,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while time.time() < deadline and len(completed_runs(out)) < 2:
            time.sleep(0.05)
        stop(process)  # the scheduler dies
        _, stderr = running.communicate(timeout=120)
    finally:
        stop(workers)
    assert running.returncode == 3, stderr
    lines = errors(stderr)
    assert len(lines) == 1 and "lost the Dask scheduler" in lines[0] and "Traceback" not in stderr, stderr
    assert not (out / "failures").exists() or not list((out / "failures").iterdir()), \
        "a lost scheduler was recorded as a model failure"
    kept = len(completed_runs(out))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "infrastructure error" and manifest["done"] == kept < 12

    rerun = sweep(path, out, "--workers", "2")
    assert rerun.returncode == 0, rerun.stderr
    assert f"{12 - kept} run now, {kept} already on disk" in rerun.stdout
    clean = sweep(path, tmp_path / "clean", "--workers", "2")
    assert clean.returncode == 0 and hashes(out) == hashes(tmp_path / "clean")


def test_worker_with_different_model_code_is_refused(scheduler, tmp_path):
    """A worker importing an edited copy of coprosim: its results are refused, none stored."""
    _, address = scheduler
    copy = tmp_path / "other" / "coprosim"
    shutil.copytree(REPO / "coprosim", copy, ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("model", "experiments"):
        shutil.copytree(REPO / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    edited = copy / "model" / "needs.py"
    edited.write_text(edited.read_text() + "\n# a local change on this worker\n")
    path = tmp_path / "e.toml"
    path.write_text(EXPERIMENT)
    workers = worker(address, tmp_path, env={"PYTHONPATH": str(copy.parent)})
    try:
        result = sweep(path, tmp_path / "out", "--dask", address, "--dask-wait", "60")
    finally:
        stop(workers)
    assert result.returncode == 3, result.stderr
    assert "runs different model code" in result.stderr and len(errors(result.stderr)) == 1
    assert not completed_runs(tmp_path / "out"), "a mismatched result was stored"
