"""Run every simulation of an experiment in parallel, streaming results to disk; resume later.

Our own runner rather than ``mesa.batch_run``: seeds come from the experiment seed (common random
numbers across scenarios), each model is released after its run (Mesa 3.3.1 keeps models alive
through ``Agent._ids``), and each run's per-step rows are aligned on the model's own step.

Executors: local processes (``concurrent.futures.ProcessPoolExecutor`` with a *spawn* context,
since ``import mesa`` makes spawn the start method anyway) or a dask.distributed cluster. A worker
runs one simulation and returns the Parquet bytes of its results; the parent alone writes files,
so a cluster needs no shared file system and results are bit-identical whichever executor ran them.

Test-only hook: the environment variable ``COPROSIM_INJECT_FAILURE`` holds comma-separated
``fnmatch`` patterns of run ids (``<scenario>__p<point>__r<replication>``, e.g. ``npm__*__r0001``);
a matching run raises ``InjectedFailure`` in the worker after its model is built. It exists so the
tests can show that a failing run is recorded and the others go on; it is never set otherwise.
"""

from __future__ import annotations

import contextlib
import fnmatch
import multiprocessing
import os
import platform
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from . import storage
from .design import Experiment, ExperimentError, Run

FAILURE_HOOK = "COPROSIM_INJECT_FAILURE"
IN_FLIGHT_PER_WORKER = 4  # tasks queued per worker: enough to keep it busy, few to lose on Ctrl-C


class InjectedFailure(RuntimeError):
    """Raised by a run matched by COPROSIM_INJECT_FAILURE (test-only hook)."""


# --- the worker's side ---------------------------------------------------------------------------
def simulate(task: dict[str, Any]) -> dict[str, Any]:
    """Run one simulation; return its results as Parquet bytes, or the traceback if it raised."""
    started = time.perf_counter()
    try:
        metrics, agents = _simulate(task)
        return {"run_id": task["run_id"], "ok": True, "metrics": metrics, "agents": agents,
                "seconds": time.perf_counter() - started}
    except Exception:  # noqa: BLE001 - a failing run is recorded, never fatal to the sweep
        return {"run_id": task["run_id"], "ok": False, "error": traceback.format_exc(),
                "seconds": time.perf_counter() - started}


def _simulate(task: dict[str, Any]) -> tuple[bytes, bytes | None]:
    from coprosim.model import CoproductionModel, Params

    params = Params(**task["params"])
    model = CoproductionModel(params=params, seed=task["seed"], scenario=task["scenario"])
    try:
        _maybe_inject_failure(task["run_id"])
        model.run(task["steps"])
        frame = model.datacollector.get_model_vars_dataframe()[list(task["metrics"])]
        frame = frame.reset_index(drop=True)
        frame.insert(0, "step", range(len(frame)))
        metrics = storage.frame_to_parquet_bytes(_label(frame, task))
        agents = model.agent_dataframe()
        agent_bytes = storage.frame_to_parquet_bytes(_label(agents, task)) if len(agents) else None
        return metrics, agent_bytes
    finally:
        model.release()
        del model


def _label(frame: pd.DataFrame, task: dict[str, Any]) -> pd.DataFrame:
    """Identify each row: scenario, sweep point, replication, seed and the sweep's parameters."""
    labels = {"scenario": task["scenario"], "point": task["point"],
              "replication": task["replication"], "seed": task["seed"], **task["sweep"]}
    for position, (name, value) in enumerate(labels.items()):
        frame.insert(position, name, value)
    frame["point"] = frame["point"].astype("int64")
    frame["replication"] = frame["replication"].astype("int64")
    frame["seed"] = frame["seed"].astype("int64")
    return frame


def _maybe_inject_failure(run_id: str) -> None:
    patterns = [p for p in os.environ.get(FAILURE_HOOK, "").split(",") if p]
    if any(fnmatch.fnmatchcase(run_id, p) for p in patterns):
        raise InjectedFailure(f"{run_id}: failure injected by {FAILURE_HOOK} (test hook)")


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which stops them cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# --- executors -----------------------------------------------------------------------------------
class LocalPool:
    """Local worker processes (spawn start method)."""

    def __init__(self, workers: int):
        self.workers = workers
        self._pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_interrupts,
                                         mp_context=multiprocessing.get_context("spawn"))

    def submit(self, task):
        return self._pool.submit(simulate, task)

    def wait_any(self, futures):
        return wait_futures(futures, return_when=FIRST_COMPLETED)[0]

    def pids(self) -> list[int]:
        return list(getattr(self._pool, "_processes", None) or {})

    def restart(self) -> None:
        """A fresh pool after a worker died (the old one is broken)."""
        self.close(cancel=True)
        self.__init__(self.workers)

    def close(self, cancel: bool = False) -> None:
        if cancel:
            # Runs in flight are lost anyway; stop them rather than wait (private API, guarded).
            for process in list((getattr(self._pool, "_processes", None) or {}).values()):
                with contextlib.suppress(Exception):
                    process.terminate()
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)


class DaskPool:
    """A dask.distributed cluster: ``local:N`` starts a LocalCluster of N single-threaded workers."""

    def __init__(self, address: str):
        from distributed import Client, LocalCluster

        self._cluster = None
        if address.startswith("local:"):
            count = address.split(":", 1)[1]
            if not count.isdigit() or int(count) < 1:
                raise ExperimentError(f"--dask: local:N needs a positive worker count, got {address!r}")
            self._cluster = LocalCluster(n_workers=int(count), threads_per_worker=1, processes=True,
                                         dashboard_address=None)
            self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(address, timeout="10s")
            except OSError as exc:
                raise ExperimentError(f"--dask: cannot reach the scheduler at {address}: {exc}") from None
        self.workers = max(1, sum(self._client.nthreads().values()))

    def submit(self, task):
        return self._client.submit(simulate, task, pure=False)

    def wait_any(self, futures):
        from distributed import wait

        return wait(list(futures), return_when="FIRST_COMPLETED").done

    def pids(self) -> list[int]:
        return []

    def restart(self) -> None:
        """Dask replaces lost workers itself."""

    def close(self, cancel: bool = False) -> None:
        with contextlib.suppress(Exception):
            self._client.close()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()


# --- the parent's side ---------------------------------------------------------------------------
def run_experiment(experiment: Experiment, out: str | Path | None = None, workers: int | None = None,
                   force: bool = False, dask: str | None = None, progress: bool | None = None,
                   on_result: Callable[[int, Any], None] | None = None) -> pd.DataFrame:
    """Run the experiment's missing runs in parallel; results stream to ``out``.

    Args:
        experiment: from ``load_experiment``.
        out: results folder (default ``results/<experiment name>``).
        workers: local processes (default: all cores); ignored with ``dask``.
        force: discard results of a different experiment in ``out`` instead of refusing.
        dask: a dask.distributed scheduler address, or ``local:N`` for a LocalCluster of N workers.
        progress: show a tqdm bar (default: when stderr is a terminal).
        on_result: called as ``on_result(runs_finished, executor)`` after each run (benchmarks).

    Returns:
        One row per run: scenario, point, replication, seed, sweep parameters, run_id and status
        (``done`` this time, ``skipped`` already on disk, ``failed``, ``not run`` if interrupted).
        ``frame.attrs`` holds ``out``, ``done``, ``failed`` and ``interrupted``.

    Raises:
        ExperimentError: ``out`` holds results of a different experiment and ``force`` is False.
        KeyboardInterrupt: after writing the manifest; finished runs are kept for a resume.
    """
    out = Path(out) if out is not None else Path("results") / experiment.name
    runs = experiment.runs()
    manifest = _prepare(experiment, out, force)
    finished = storage.completed_runs(out)
    todo = [run for run in runs if run.run_id not in finished]
    status = {run.run_id: ("skipped" if run.run_id in finished else "not run") for run in runs}
    executor = None
    interrupted = False
    try:
        if todo:
            executor = DaskPool(dask) if dask else LocalPool(workers or os.cpu_count() or 1)
            manifest["executor"] = f"dask {dask}" if dask else f"{executor.workers} local processes"
            storage.write_manifest(out, manifest)
            _drive(experiment, out, todo, executor, status, progress, on_result)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        if executor is not None:
            executor.close(cancel=interrupted)
        _finish(out, manifest, runs, interrupted)
    return _status_frame(runs, status, out, interrupted)


def _prepare(experiment: Experiment, out: Path, force: bool) -> dict[str, Any]:
    """Check ``out`` holds nothing or this very experiment; start (or continue) its manifest."""
    previous = storage.read_manifest(out)
    fingerprint = experiment.fingerprint()
    has_runs = bool(storage.completed_runs(out) or storage.failed_runs(out))
    if previous is None and has_runs or previous is not None and previous.get("fingerprint") != fingerprint:
        if not force:
            raise ExperimentError(f"{out}: holds results of a different experiment "
                                  f"({_what_changed(previous, experiment)}); "
                                  "rerun with --force to discard them, or choose --out DIR")
        storage.clear_results(out)
        previous = None
    out.mkdir(parents=True, exist_ok=True)
    storage.remove_temporary_files(out)
    now = _now()
    manifest = {
        "experiment": experiment.name,
        "description": experiment.description,
        "file": experiment.path,
        "fingerprint": fingerprint,
        "replications": experiment.replications,
        "steps": experiment.steps,
        "experiment_seed": experiment.seed,
        "seeds": experiment.seeds(),
        "metrics": list(experiment.metrics),
        "agent_sample_period": experiment.agent_sample_period,
        "scenarios": {name: {"preset": spec["preset"], "overrides": spec["overrides"]}
                      for name, spec in experiment.scenarios.items()},
        "resolved_parameters": experiment.resolved(),
        "sweep_axes": list(experiment.axes),
        "sweep_points": list(experiment.points) if experiment.axes else [],
        "design": experiment.tag,
        "analysis": experiment.analysis,
        "runs_total": len(experiment.runs()),
        "started": previous.get("started", now) if previous else now,
        "sessions": [*(previous.get("sessions", []) if previous else []), {"started": now}],
        "ended": None,
        "status": "running",
        "done": 0,
        "failed": 0,
        "versions": _versions(),
        "git_commit": _git_commit(),
        "host": {"python": sys.version.split()[0], "platform": platform.platform(),
                 "cpus": os.cpu_count()},
        "experiment_file_text": experiment.text,
    }
    storage.write_manifest(out, manifest)
    return manifest


def _what_changed(previous: dict | None, experiment: Experiment) -> str:
    if previous is None:
        return "no manifest.json"
    if previous.get("unreadable"):
        return "manifest.json unreadable"
    changes = []
    if previous.get("experiment_file_text") != experiment.text:
        changes.append("experiment file changed")
    for key in ("replications", "steps"):
        if previous.get(key) != getattr(experiment, key):
            changes.append(f"{key} {previous.get(key)} -> {getattr(experiment, key)}")
    if not changes and previous.get("resolved_parameters") != experiment.resolved():
        changes.append("model parameter defaults changed")
    if not changes:
        changes.append("different design")
    return ", ".join(changes)


def _drive(experiment: Experiment, out: Path, todo: list[Run], executor, status: dict,
           progress: bool | None, on_result) -> None:
    """Keep every worker busy with a bounded queue; write each result as it arrives."""
    from tqdm import tqdm

    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=len(todo), desc=experiment.name, unit="run", disable=not show,
               dynamic_ncols=True, file=sys.stderr)
    pending: dict[Any, Run] = {}
    queue: Iterator[Run] = iter(todo)
    limit = max(1, executor.workers) * IN_FLIGHT_PER_WORKER
    failures = finished = 0
    attempts: dict[str, int] = {}
    try:
        while True:
            for run in queue:
                pending[executor.submit(_task(experiment, run))] = run
                if len(pending) >= limit:
                    break
            if not pending:
                break
            retry = []
            for future in executor.wait_any(pending):
                run = pending.pop(future)
                result = _result_of(future, run)
                if result.get("broken") and attempts.get(run.run_id, 0) < 1:
                    attempts[run.run_id] = 1  # the pool broke: retry once in a fresh pool
                    retry.append(run)
                    continue
                ok = _store(out, run, result)
                status[run.run_id] = "done" if ok else "failed"
                failures += not ok
                finished += 1
                bar.set_postfix(failed=failures, refresh=False)
                bar.update()
                if on_result is not None:
                    on_result(finished, executor)
            if retry:
                for run in list(pending.values()):
                    retry.append(run)
                    attempts.setdefault(run.run_id, 1)
                pending.clear()
                executor.restart()
                for run in retry:
                    pending[executor.submit(_task(experiment, run))] = run
    finally:
        bar.close()


def _task(experiment: Experiment, run: Run) -> dict[str, Any]:
    return {"run_id": run.run_id, "scenario": run.scenario, "point": run.point,
            "replication": run.replication, "seed": run.seed, "sweep": run.sweep,
            "params": experiment.params_for(run.scenario, run.point).as_dict(),
            "steps": experiment.steps, "metrics": list(experiment.metrics)}


def _result_of(future, run: Run) -> dict[str, Any]:
    """A worker's result; a worker that died is recorded as a failure of its run."""
    try:
        return future.result()
    except BrokenProcessPool:
        return {"run_id": run.run_id, "ok": False, "broken": True,
                "error": f"a worker process died while running {run.run_id} (out of memory?)\n"}
    except Exception:  # noqa: BLE001 - e.g. a dask worker lost; record and go on
        return {"run_id": run.run_id, "ok": False, "error": traceback.format_exc()}


def _store(out: Path, run: Run, result: dict[str, Any]) -> bool:
    """Write one run's files (agents first, metrics last: the metrics file marks completion)."""
    failure = storage.run_file(out, "failures", run.run_id)
    if not result["ok"]:
        storage.write_atomic(failure, f"run {run.run_id} (seed {run.seed})\n{result['error']}")
        return False
    if result.get("agents") is not None:
        storage.write_atomic(storage.run_file(out, "agents", run.run_id), result["agents"])
    storage.write_atomic(storage.run_file(out, "metrics", run.run_id), result["metrics"])
    failure.unlink(missing_ok=True)
    return True


def _finish(out: Path, manifest: dict[str, Any], runs: list[Run], interrupted: bool) -> None:
    """Final counts from what is on disk, so the manifest tells the truth after any ending."""
    ids = {run.run_id for run in runs}
    done = len(storage.completed_runs(out) & ids)
    failed = len(storage.failed_runs(out) & ids)
    manifest.update(done=done, failed=failed, ended=_now(),
                    status="interrupted" if interrupted else
                    "complete" if done == len(runs) else "incomplete")
    manifest["sessions"][-1]["ended"] = manifest["ended"]
    storage.write_manifest(out, manifest)


def _status_frame(runs: list[Run], status: dict, out: Path, interrupted: bool) -> pd.DataFrame:
    rows = [{"scenario": r.scenario, "point": r.point, "replication": r.replication,
             "seed": r.seed, **r.sweep, "run_id": r.run_id, "status": status[r.run_id]} for r in runs]
    frame = pd.DataFrame(rows)
    frame.attrs.update(out=str(out), done=int(frame["status"].isin(["done", "skipped"]).sum()),
                       failed=int((frame["status"] == "failed").sum()), interrupted=interrupted)
    return frame


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("coprosim", "mesa", "numpy", "pandas", "pyarrow", "scipy", "networkx",
                    "dask", "distributed", "SALib", "tqdm"):
        with contextlib.suppress(PackageNotFoundError):
            found[package] = version(package)
    return found


def _git_commit() -> str | None:
    """The commit of the code that ran, with ``+dirty`` if the tree had changes."""
    here = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                                text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}+dirty" if commit and dirty else commit or None
