"""Run every simulation of an experiment in parallel, streaming results to disk; resume later.

Our own runner rather than ``mesa.batch_run``: seeds come from the experiment seed (common random
numbers across scenarios), each model is released after its run (Mesa 3.3.1 keeps models alive
through ``Agent._ids``), and each run's per-step rows are aligned on the model's own step.

Executors:

- ``LocalPool``: worker processes started afresh (never forked, and never through the
  process-wide multiprocessing start method, which coprosim leaves as the user had it), each in a
  process group of its own (a terminal's Ctrl-C reaches only the parent, which stops them) and
  with its own pipe. Nothing is shared between workers, so stopping them can never leave a
  half-written message in a shared queue (the race that could hang ``ProcessPoolExecutor`` at exit
  after Ctrl-C). A worker exits as soon as its parent is gone: a killed sweep leaves no orphans.
- ``DaskPool``: a dask.distributed cluster (``local:N`` starts a LocalCluster). It waits a bounded
  time for workers, and treats a lost scheduler or workers as an infrastructure error.

A worker runs one simulation and returns its result tables with the hash of the model source it
ran; the parent alone writes files, buffering finished runs and writing them as Parquet part files
of many runs each (``storage.PartWriter``: about a hundred files for a whole sweep, each written
atomically), so a cluster needs no shared file system and results are bit-identical whichever
executor ran them. A result made by different model code is refused.

Interruption: Ctrl-C (SIGINT) is noted and acted on between results, never in the middle of
writing a file or starting a worker; the workers are stopped, the manifest says ``interrupted``
and ``KeyboardInterrupt`` is raised. Finished runs are kept; rerunning resumes.

Test-only hook: the environment variable ``COPROSIM_INJECT_FAILURE`` holds comma-separated
``fnmatch`` patterns of run ids (``<scenario>__p<point>__r<replication>``, e.g. ``npm__*__r0001``);
a matching run raises ``InjectedFailure`` in the worker after its model is built. It exists so the
tests can show that a failing run is recorded and the others go on; it is never set otherwise.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
import traceback
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing.connection import Connection, Pipe
from multiprocessing.connection import wait as wait_connections
from pathlib import Path
from typing import Any

import pandas as pd

from coprosim.errors import InfrastructureError

from . import provenance, storage
from .design import Experiment, ExperimentError, Run

FAILURE_HOOK = "COPROSIM_INJECT_FAILURE"
IN_FLIGHT_PER_WORKER = 2   # tasks queued per worker: enough to keep it busy, few to lose on Ctrl-C
POLL_SECONDS = 0.2         # how often the parent looks at Ctrl-C and the cluster's health
DASK_WAIT_SECONDS = 60.0   # default bound on waiting for Dask workers (--dask-wait)
FILES_PER_SWEEP = 100      # a large sweep's runs are batched into about this many part files,
SMALL_SWEEP_PARTS = 8      # a small sweep's into about this many (each file has a fixed cost) ...
SMALL_PART_RUNS = 16       # ... of at most this many runs (what a crash can lose) ...
MAX_RUNS_PER_FILE = 256    # ... and no part of more than this many runs ...
FLUSH_SECONDS = 30.0       # ... and no run waits longer than this to be written


class InjectedFailure(RuntimeError):
    """Raised by a run matched by COPROSIM_INJECT_FAILURE (test-only hook)."""


# --- the worker's side ---------------------------------------------------------------------------
def simulate(task: dict[str, Any]) -> dict[str, Any]:
    """Run one simulation; return its results as tables, or the traceback if it raised.

    Every result names the model code that made it (``model_hash``) and where it ran. The tables
    (labelled per-step metrics, sampled agents or None, and the run's row of the runs table) are
    plain pandas objects: the parent buffers them and writes many runs to one Parquet part.
    """
    started = time.perf_counter()
    where = {"model_hash": provenance.model_hash(), "host": socket.gethostname(), "pid": os.getpid()}
    try:
        metrics, agents, run = _simulate(task)
        return {"run_id": task["run_id"], "ok": True, "metrics": metrics, "agents": agents,
                "run": run, "seconds": time.perf_counter() - started, **where}
    except Exception:  # noqa: BLE001 - a failing run is recorded, never fatal to the sweep
        return {"run_id": task["run_id"], "ok": False, "error": traceback.format_exc(),
                "seconds": time.perf_counter() - started, **where}


def perform(task) -> dict[str, Any]:
    """What a worker does with a task: run a simulation (a dict, see ``simulate``), or call a
    function (``("call", bytes)``: cloudpickle's bytes of ``(function, args)``, see ``Calls``)."""
    if isinstance(task, tuple) and task[0] == "call":
        import cloudpickle

        try:
            function, args = cloudpickle.loads(task[1])
            return {"ok": True, "value": function(*args)}
        except Exception:  # noqa: BLE001 - reported to the parent, which raises it
            return {"ok": False, "error": traceback.format_exc()}
    return simulate(task)


class CallFailed(RuntimeError):
    """A function called on a worker (``Calls``) raised, or its worker died; the message holds
    the worker's traceback."""


class Calls:
    """Function calls on the runner's executors (``LocalPool``, ``DaskPool``), keyed, at most
    the pool's capacity in flight: the same workers, Ctrl-C handling and Dask checks as a sweep.

    ``submit(key, function, *args)`` when ``room()``; ``results(timeout)`` gives the calls that
    finished as ``(key, value)``; a call that raised raises ``CallFailed``. The calls queued
    behind a worker that died are sent again.
    """

    def __init__(self, pool):
        self.pool = pool
        self.workers = pool.workers
        self.pending: dict[Any, tuple] = {}

    def room(self) -> bool:
        return len(self.pending) < self.pool.capacity()

    def submit(self, key, function, *args) -> None:
        import cloudpickle

        task = ("call", cloudpickle.dumps((function, args)))
        self.pending[key] = task
        self.pool.submit(key, task)

    def results(self, timeout: float) -> list[tuple[Any, Any]]:
        done = []
        for key, result in self.pool.wait(timeout):
            for again in result.get("requeue", []):
                self.pool.submit(again, self.pending[again])
            self.pending.pop(key, None)
            if not result["ok"]:
                raise CallFailed(f"a call on a worker failed:\n{result['error']}")
            done.append((key, result["value"]))
        return done

    def map(self, calls: dict[Any, tuple]) -> dict[Any, Any]:
        """Every call of ``{key: (function, *args)}``; their values by key."""
        waiting, values = deque(calls.items()), {}
        while waiting or self.pending:
            while waiting and self.room():
                key, (function, *args) = waiting.popleft()
                self.submit(key, function, *args)
            values.update(self.results(POLL_SECONDS))
        return {key: values[key] for key in calls}

    def close(self, cancel: bool = False) -> None:
        self.pool.close(cancel=cancel)


def make_pool(workers: int | None = None, dask: str | None = None,
              dask_wait: float = DASK_WAIT_SECONDS):
    """The runner's executor: ``DaskPool`` with ``dask``, else ``LocalPool`` of ``workers``
    processes (default: all cores)."""
    return DaskPool(dask, dask_wait) if dask else LocalPool(workers or os.cpu_count() or 1)


def _simulate(task: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame | None, dict[str, Any]]:
    from coprosim.model import CoproductionModel, Params

    params = Params(**task["params"])
    model = CoproductionModel(params=params, seed=task["seed"], scenario=task["scenario"],
                              warn_small_population=False)  # said once, by the parent
    try:
        _maybe_inject_failure(task["run_id"])
        model.run(task["steps"])
        return result_tables(model, task, params)
    finally:
        model.release()
        del model


def result_tables(model, task: dict[str, Any], params) -> tuple[pd.DataFrame, pd.DataFrame | None,
                                                                 dict[str, Any]]:
    """A finished model's results as the runner stores them: per-step metrics and sampled agents,
    each row labelled with its run, and the run's row of the runs table."""
    frame = model.datacollector.get_model_vars_dataframe()[list(task["metrics"])]
    frame = storage.integer_counts(frame.reset_index(drop=True))
    frame = pd.concat([pd.DataFrame({"step": range(len(frame))}), frame], axis=1)
    agents = model.agent_dataframe()
    agents = _label(agents, task) if len(agents) else None
    return _label(frame, task), agents, storage.run_row(task, params.as_dict(), _provenance())


def _provenance() -> dict[str, str]:
    """The model code and package versions behind a run (the same for every run of a worker)."""
    import mesa

    import coprosim

    return {"model_hash": provenance.model_hash(), "coprosim_version": coprosim.__version__,
            "mesa_version": mesa.__version__}


def _label(frame: pd.DataFrame, task: dict[str, Any]) -> pd.DataFrame:
    """Identify each row: scenario, sweep point, replication, seed and the sweep's parameters."""
    labels = {"scenario": task["scenario"], "point": task["point"],
              "replication": task["replication"], "seed": task["seed"], **task["sweep"]}
    head = pd.DataFrame(labels, index=frame.index)  # built at once: no fragmented frame
    head = head.astype({"point": "int64", "replication": "int64", "seed": "int64"})
    return pd.concat([head, frame.drop(columns=[c for c in labels if c in frame])], axis=1)


def _maybe_inject_failure(run_id: str) -> None:
    patterns = [p for p in os.environ.get(FAILURE_HOOK, "").split(",") if p]
    if any(fnmatch.fnmatchcase(run_id, p) for p in patterns):
        raise InjectedFailure(f"{run_id}: failure injected by {FAILURE_HOOK} (test hook)")


def _worker_main(conn_fd: int, lifeline_fd: int, exit_fd: int) -> None:
    """A local worker: run the tasks that arrive on its pipe until told to stop or orphaned.

    Its three file descriptors come from ``_Worker``: the duplex pipe to the parent, the read end
    of the parent's lifeline (end of file when the parent is gone, however it ends) and the write
    end of its own exit line (held until it exits, so the parent sees it end).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    del exit_fd  # held open, never written: closed by the operating system when this process ends
    threading.Thread(target=_exit_with_parent, args=(lifeline_fd,), daemon=True).start()
    conn = Connection(conn_fd)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return  # the parent closed the pipe or died
        if task is None:
            return
        try:
            conn.send(perform(task))
        except (BrokenPipeError, EOFError, OSError):
            return


def _exit_with_parent(lifeline_fd: int) -> None:
    """End the worker when its parent ends: the lifeline's only writer is the parent."""
    with contextlib.suppress(OSError):
        while os.read(lifeline_fd, 1):
            pass
    os._exit(0)


# A worker's command: the parent's interpreter and import path, then ``_worker_main``.
_WORKER_BOOT = ("import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
                "from coprosim.experiments.runner import _worker_main; "
                "_worker_main(*map(int, sys.argv[2:5]))")


# --- executors -----------------------------------------------------------------------------------
class _Worker:
    """One local worker process, in a process group of its own, and its own duplex pipe.

    Started as a plain child process (``subprocess``, not ``multiprocessing``) so that it can be
    given its own process group before it runs a single instruction: a Ctrl-C at a terminal goes
    to the terminal's foreground process group, so it reaches the sweep's parent, which stops the
    workers itself, and never a worker that is still importing coprosim (where it would print a
    KeyboardInterrupt traceback). Nothing of the user's ``__main__`` runs in a worker, so a script
    without an ``if __name__ == "__main__":`` guard works.
    """

    def __init__(self):
        self.conn, child_end = Pipe(duplex=True)
        lifeline_read, self._lifeline = os.pipe()  # the parent holds the write end
        self._exit_line, exit_write = os.pipe()  # the worker holds the write end
        child_fds = (child_end.fileno(), lifeline_read, exit_write)
        command = [sys.executable, *subprocess._args_from_interpreter_flags(), "-c", _WORKER_BOOT,
                   json.dumps(sys.path), *map(str, child_fds)]
        try:
            self.process = subprocess.Popen(command, pass_fds=child_fds, process_group=0,
                                            stdin=subprocess.DEVNULL)
        except BaseException:
            self.conn.close()
            os.close(self._lifeline)
            os.close(self._exit_line)
            raise
        finally:
            child_end.close()
            os.close(lifeline_read)
            os.close(exit_write)
        self.sentinel = self._exit_line  # ready (end of file) once the worker has exited
        self.in_flight: deque = deque()  # (key, run) in the order sent; answers come in order

    @property
    def exitcode(self) -> int | None:
        """As ``multiprocessing``: None while running, the exit status, or -N if killed by signal N."""
        return self.process.poll()

    def is_alive(self) -> bool:
        return self.process.poll() is None

    def join(self, timeout: float) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=timeout)

    def stop(self, now: bool) -> None:
        if not now:
            with contextlib.suppress(OSError):
                self.conn.send(None)
            self.join(timeout=10)
        if self.is_alive():
            self.process.terminate()
            self.join(timeout=5)
        if self.is_alive():
            self.process.kill()
            self.join(timeout=5)
        self.conn.close()
        for fd in (self._lifeline, self._exit_line):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._lifeline = self._exit_line = -1


class LocalPool:
    """Local worker processes of an explicit spawn context, one pipe each."""

    def __init__(self, workers: int):
        self.workers = workers
        self._pool: list[_Worker] = []

    def capacity(self) -> int:
        return self.workers * IN_FLIGHT_PER_WORKER

    def start(self) -> LocalPool:
        """Start every worker now (each imports coprosim while the parent gets ready)."""
        while len(self._pool) < self.workers:
            self._pool.append(_Worker())
        return self

    def submit(self, key, task) -> None:
        self.start()
        worker = min(self._pool, key=lambda w: len(w.in_flight))
        worker.in_flight.append(key)
        try:
            worker.conn.send(task)
        except (BrokenPipeError, OSError):
            pass  # the worker died: its sentinel reports it in wait()

    def wait(self, timeout: float) -> list[tuple[Any, dict[str, Any]]]:
        """Results that arrived (key, result); a dead worker's current run comes back failed."""
        busy = [w for w in self._pool if w.in_flight]
        if not busy:
            return []
        ready = set(wait_connections([w.conn for w in busy] + [w.sentinel for w in busy],
                                     timeout=timeout))
        done = []
        for worker in busy:
            if worker.conn in ready:
                try:
                    while worker.in_flight and worker.conn.poll():
                        result = worker.conn.recv()
                        done.append((worker.in_flight.popleft(), result))
                    continue
                except (EOFError, OSError):
                    pass  # died while answering
            if worker.sentinel in ready or not worker.is_alive():
                done.extend(self._replace_dead(worker))
        return done

    def _replace_dead(self, worker: _Worker) -> list[tuple[Any, dict[str, Any]]]:
        """The run the dead worker was on fails; the ones queued behind it are resent."""
        worker.join(timeout=5)
        code = worker.exitcode
        self._pool.remove(worker)
        worker.stop(now=True)
        if not worker.in_flight:
            return []
        key = worker.in_flight.popleft()
        if code == -signal.SIGKILL:
            how = "killed by SIGKILL: out of memory?"
        elif code is not None and code < 0:
            how = f"killed by signal {signal.Signals(-code).name}"
        else:
            how = f"exit status {code}; its error output is on the sweep's stderr"
        failed = [(key, {"ok": False, "requeue": list(worker.in_flight),
                         "error": f"the worker process died while running this run ({how})\n"})]
        return failed

    def close(self, cancel: bool = False) -> None:
        for worker in self._pool:
            worker.stop(now=cancel)
        self._pool.clear()


class DaskPool:
    """A dask.distributed cluster: ``local:N`` starts a LocalCluster of N single-threaded workers.

    Waits at most ``wait_seconds`` for a first worker, and fails the same way if the cluster has
    no workers for that long during the sweep; a lost scheduler is an infrastructure error.
    """

    def __init__(self, address: str, wait_seconds: float = DASK_WAIT_SECONDS):
        from coprosim._extras import require

        require("dask", "distributed", "--dask (running on a Dask cluster)")
        from distributed import Client, LocalCluster

        self.address = address
        self.wait_seconds = wait_seconds
        self._cluster = None
        self._quiet = _quiet_dask_logs()  # failures are reported by us, in one line
        self._futures: dict[Any, Any] = {}
        self._no_workers_since: float | None = None
        if address.startswith("local:"):
            count = address.split(":", 1)[1]
            if not count.isdigit() or not 1 <= int(count) <= 1024:
                self.close()
                raise ExperimentError(f"--dask: local:N needs a worker count in [1, 1024], got {address!r}")
            self._cluster = LocalCluster(n_workers=int(count), threads_per_worker=1, processes=True,
                                         dashboard_address=None)
            self._client = Client(self._cluster)
        else:
            if "://" not in address and ":" not in address:
                self.close()
                raise ExperimentError(f"--dask: expected a scheduler address like "
                                      f"tcp://host:8786, or local:N; got {address!r}")
            try:
                self._client = Client(address, timeout=f"{max(5.0, min(wait_seconds, 30.0))}s")
            except (OSError, TimeoutError) as exc:
                self.close()
                raise InfrastructureError(f"cannot reach the Dask scheduler at {address} "
                                          f"({_short_error(exc)})") from None
        try:
            self._client.wait_for_workers(1, timeout=wait_seconds)
        except (TimeoutError, OSError):
            self.close()
            raise InfrastructureError(
                f"no workers joined the Dask scheduler at {address} within {wait_seconds:g} s "
                f"(start some with: dask worker {address}; or wait longer with --dask-wait)") from None
        self.workers = max(1, sum(self._client.nthreads().values()))

    def capacity(self) -> int:
        return max(1, self.workers) * IN_FLIGHT_PER_WORKER

    def submit(self, key, task) -> None:
        self._futures[self._client.submit(perform, task, pure=False, key=f"coprosim-{key}-{time.time_ns()}")] = key

    def wait(self, timeout: float) -> list[tuple[Any, dict[str, Any]]]:
        from distributed import wait
        from distributed.client import FutureCancelledError

        if not self._futures:
            return []
        try:
            wait(list(self._futures), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            pass
        except Exception as exc:  # noqa: BLE001 - e.g. FuturesCancelledError: scheduler lost
            raise self._lost("the connection to the scheduler was lost"
                             if "connection-lost" in str(exc) or "cancelled" in type(exc).__name__.lower()
                             else _short_error(exc)) from None
        done = []
        for future in [f for f in self._futures if f.done()]:
            key = self._futures.pop(future)
            try:
                if future.status == "finished":
                    done.append((key, future.result(timeout=self.wait_seconds)))
                    continue
                error = future.exception(timeout=5) if future.status == "error" else None
            except Exception as exc:  # noqa: BLE001 - fetching the result failed: the network
                raise self._lost(_short_error(exc)) from None
            if type(error).__name__ == "KilledWorker":  # the run itself kept killing workers
                done.append((key, {"ok": False, "error": f"{type(error).__name__}: {error} "
                                   "(workers died running this run: out of memory?)\n"}))
                continue
            raise self._lost("the connection to the scheduler was lost"
                             if future.status == "cancelled" or isinstance(error, FutureCancelledError)
                             else _short_error(error))
        if not done:
            self._check_health()
        return done

    def _lost(self, reason: str) -> InfrastructureError:
        return InfrastructureError(f"lost the Dask scheduler at {self.address} ({reason})")

    def _check_health(self) -> None:
        if self._client.status not in ("running", "connecting"):
            raise self._lost(f"client {self._client.status}")
        try:
            workers = len(self._client.scheduler_info(n_workers=-1).get("workers", {}))
        except TypeError:  # older distributed: no n_workers argument
            workers = len(self._client.scheduler_info().get("workers", {}))
        except (OSError, TimeoutError) as exc:
            raise self._lost(_short_error(exc)) from None
        now = time.monotonic()
        if workers:
            self._no_workers_since = None
        elif self._no_workers_since is None:
            self._no_workers_since = now
        elif now - self._no_workers_since > self.wait_seconds:
            raise InfrastructureError(f"the Dask cluster at {self.address} has had no workers for "
                                      f"{self.wait_seconds:g} s")

    def close(self, cancel: bool = False) -> None:
        if cancel and self._futures:
            with contextlib.suppress(Exception):
                self._client.cancel(list(self._futures))
        self._futures.clear()
        with contextlib.suppress(Exception):
            self._client.close(timeout=5)
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close(timeout=10)
        for logger, level in self._quiet.items():
            logger.setLevel(level)
        self._quiet = {}


def _quiet_dask_logs() -> dict:
    """Silence distributed's own logging (tracebacks of lost connections); returns old levels."""
    import logging

    import distributed  # noqa: F401 - creates its loggers

    names = ["distributed", *[n for n in logging.root.manager.loggerDict if n.startswith("distributed.")]]
    previous = {}
    for name in names:
        logger = logging.getLogger(name)
        previous[logger] = logger.level
        logger.setLevel(logging.CRITICAL)
    return previous


def _short_error(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _Interrupts:
    """Note Ctrl-C while the sweep runs, to act on it at a safe point (main thread only).

    A second Ctrl-C while the first is being handled raises KeyboardInterrupt at once.
    """

    def __init__(self):
        self.requested = False
        self._previous = None

    def _handler(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


# --- the parent's side ---------------------------------------------------------------------------
def run_experiment(experiment: Experiment, out: str | Path | None = None, workers: int | None = None,
                   force: bool = False, dask: str | None = None, progress: bool | None = None,
                   on_result: Callable[[int, Any], None] | None = None,
                   dask_wait: float = DASK_WAIT_SECONDS, runs_per_file: int | None = None,
                   flush_seconds: float = FLUSH_SECONDS, resume: bool = False) -> pd.DataFrame:
    """Run the experiment's missing runs in parallel; results stream to ``out``.

    Args:
        experiment: from ``load_experiment``.
        out: results folder (default ``results/<experiment name>``).
        workers: local processes (default: all cores); ignored with ``dask``.
        force: discard results of a different experiment (or of different model code) in ``out``
            instead of refusing.
        dask: a dask.distributed scheduler address, or ``local:N`` for a LocalCluster of N workers
            (needs ``coprosim[dask]``).
        progress: show a tqdm bar (default: when stderr is a terminal or in a notebook).
        on_result: called as ``on_result(runs_finished, executor)`` after each run (benchmarks).
        dask_wait: seconds to wait for Dask workers to join (and the longest time the cluster may
            have no workers during the sweep) before giving up.
        runs_per_file: finished runs written together to one Parquet part file (default: about
            ``FILES_PER_SWEEP`` files for the sweep, at most ``MAX_RUNS_PER_FILE`` runs each).
        flush_seconds: the longest a finished run waits in the buffer before it is written (a
            killed sweep loses at most this much work, or ``runs_per_file`` runs).
        resume: insist on continuing what ``out`` holds (an error if it holds nothing). Resuming
            is what happens anyway when ``out`` holds this experiment; more replications than the
            results on disk extend them (see ``extends``), so ``--resume`` never discards.

    Returns:
        One row per run: scenario, point, replication, seed, sweep parameters, run_id and status
        (``done`` this time, ``skipped`` already on disk, ``failed``, ``not run`` if interrupted).
        ``frame.attrs`` holds ``out``, ``done``, ``failed`` and ``interrupted``.

    Raises:
        ExperimentError: ``out`` holds results of a different experiment and ``force`` is False.
        InfrastructureError: the executor failed (Dask scheduler unreachable, without workers or
            lost; a worker running different model code). Finished runs are kept, nothing is
            recorded as a failed run, and the manifest says ``infrastructure error``.
        KeyboardInterrupt: after stopping the workers and writing the manifest; finished runs are
            kept for a resume.
    """
    out = Path(out) if out is not None else Path("results") / experiment.name
    _check_buffering(runs_per_file, flush_seconds)
    if resume and force:
        raise ExperimentError("--resume and --force: choose one (--force discards what --resume "
                              "would continue)")
    if resume and storage.read_manifest(out) is None and not storage.completed_runs(out):
        raise ExperimentError(f"{out}: nothing to resume (no results there); run without "
                              "--resume to start")
    runs = experiment.runs()
    # Local workers start before the parent prepares the folder: their imports overlap its work.
    early = (LocalPool(workers or os.cpu_count() or 1).start()
             if not dask and len(storage.completed_runs(out)) < len(runs) else None)
    try:
        manifest = _prepare(experiment, out, force)
    except BaseException:
        if early is not None:
            early.close(cancel=True)
        raise
    executor = early  # from here on, whatever happens (Ctrl-C too), the finally below stops it
    ending = "normal"
    status = dict.fromkeys((run.run_id for run in runs), "not run")
    try:
        finished = storage.completed_runs(out)
        todo = [run for run in runs if run.run_id not in finished]
        status.update(dict.fromkeys(finished & set(status), "skipped"))
        if not todo and executor is not None:
            executor.close(cancel=True)  # nothing to run after all
            executor = None
        if todo:
            executor = executor or make_pool(workers, dask, dask_wait)
            warn_small_populations(experiment.population_sizes())
            manifest["executor"] = (f"dask {dask} ({executor.workers} threads)" if dask
                                    else f"{executor.workers} local processes")
            storage.write_manifest(out, manifest)
            per_file = runs_per_file or automatic_runs_per_file(len(todo))
            manifest["runs_per_file"] = int(per_file)
            writer = storage.PartWriter(out, per_file, flush_seconds,
                                        {"experiment": experiment.name,
                                         "fingerprint": experiment.fingerprint(),
                                         "model_hash": manifest["model_hash"]})
            _drive(experiment, out, todo, executor, status, progress, on_result, writer)
    except KeyboardInterrupt:
        ending = "interrupted"
        raise
    except InfrastructureError as exc:
        ending = "infrastructure error"
        manifest["error"] = str(exc)
        if executor is not None:
            executor.close(cancel=True)
            executor = None
        done = _finish(out, manifest, runs, ending)
        raise InfrastructureError(f"{exc}; {done} of {len(runs)} runs are kept in {out}/ "
                                  "(rerun the same command to resume)") from None
    finally:
        if executor is not None:
            executor.close(cancel=ending != "normal")
        if ending != "infrastructure error":
            _finish(out, manifest, runs, ending)
    frame = _status_frame(runs, status, out, ending == "interrupted")
    frame.attrs["extended_from"] = manifest.get("extended_from")
    return frame


def warn_small_populations(sizes) -> None:
    """One ``SmallPopulationWarning`` for the smallest population below the model's minimum
    (the workers build their models without warning, so a sweep says it once, not per run)."""
    import warnings

    from coprosim.model import SmallPopulationWarning, small_population_message

    message = small_population_message(min(sizes, default=10**9))
    if message:
        warnings.warn(message, SmallPopulationWarning, stacklevel=3)


def _check_buffering(runs_per_file, flush_seconds) -> None:
    """One-line errors for the buffering options, before anything is written."""
    if runs_per_file is not None and (isinstance(runs_per_file, bool)
                                      or not isinstance(runs_per_file, int)
                                      or not 1 <= runs_per_file <= 1_000_000):
        raise ExperimentError(f"runs_per_file: must be an integer in [1, 1000000], got {runs_per_file!r}")
    if (isinstance(flush_seconds, bool) or not isinstance(flush_seconds, int | float)
            or not 0 <= flush_seconds <= 1e9):
        raise ExperimentError(f"flush_seconds: must be a number of seconds in [0, 1e9], got {flush_seconds!r}")


def automatic_runs_per_file(runs: int) -> int:
    """Runs per part file. A small sweep: about ``SMALL_SWEEP_PARTS`` parts of at most
    ``SMALL_PART_RUNS`` runs (120 runs: 15 a part, 8 parts); a large one: about
    ``FILES_PER_SWEEP`` parts of at most ``MAX_RUNS_PER_FILE`` runs (21,504 runs: 216 a part,
    100 parts). Whatever the size, a part is also written once its oldest run has waited
    ``FLUSH_SECONDS``, so a crash loses little work and a resume redoes little."""
    small = min(SMALL_PART_RUNS, -(-runs // SMALL_SWEEP_PARTS))
    return max(1, min(MAX_RUNS_PER_FILE, max(small, -(-runs // FILES_PER_SWEEP))))


def _prepare(experiment: Experiment, out: Path, force: bool) -> dict[str, Any]:
    """Check ``out`` holds nothing or this very experiment; start (or continue) its manifest."""
    previous = storage.read_manifest(out)
    fingerprint = experiment.fingerprint()
    model_hash = provenance.model_hash()
    has_runs = bool(storage.completed_runs(out) or storage.failed_runs(out))
    different = (previous is None and has_runs
                 or previous is not None and previous.get("fingerprint") != fingerprint)
    extended = different and not force and extends(previous, experiment)
    held = None  # what out holds instead of this experiment's results, if anything
    if different and not extended:
        held = f"results of a different experiment ({_what_changed(previous, experiment)})"
    elif (previous is not None and storage.completed_runs(out)
          and previous.get("model_hash", model_hash) != model_hash):
        held = (f"results of different model code (model hash {previous['model_hash'][:12]}, "
                f"now {model_hash[:12]})")
    if held:
        if not force:
            raise ExperimentError(f"{out}: holds {held}; rerun with --force to discard them, or "
                                  "choose --out DIR")
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
        "model_hash": model_hash,
        "versions": provenance.versions(),
        "git_commit": provenance.coprosim_commit(),
        "host": {"python": sys.version.split()[0], "platform": platform.platform(),
                 "cpus": os.cpu_count()},
        "experiment_file_text": experiment.text,
    }
    if extended:
        manifest["extended_from"] = previous["replications"]
    storage.write_manifest(out, manifest)
    return manifest


def extends(previous: dict | None, experiment: Experiment) -> bool:
    """True when ``experiment`` is the previous one with more replications, and nothing else
    changed (file apart from its replications, steps, resolved parameters, sweep points, design,
    model code): the runs on disk are then runs of this experiment too. Replication r's seed is
    child r of ``SeedSequence(seed)`` however many children there are, so the finished runs keep
    their seeds and their pairs; only the new replications run."""
    if not previous or previous.get("unreadable") or "experiment_file_text" not in previous:
        return False
    old = previous.get("replications")
    if not isinstance(old, int) or not old < experiment.replications:
        return False
    try:
        before, now = tomllib.loads(previous["experiment_file_text"]), tomllib.loads(experiment.text)
    except tomllib.TOMLDecodeError:
        return False
    for data in (before, now):
        data.get("experiment", {}).pop("replications", None)
    return (before == now and previous.get("steps") == experiment.steps
            and previous.get("resolved_parameters") == json.loads(json.dumps(experiment.resolved(), default=str))
            and previous.get("sweep_points") == json.loads(json.dumps(
                list(experiment.points) if experiment.axes else [], default=str))
            and previous.get("design") == experiment.tag
            and previous.get("model_hash") == provenance.model_hash())


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
           progress: bool | None, on_result, writer: storage.PartWriter) -> None:
    """Keep every worker busy with a bounded queue; buffer results and write them in parts.

    Whatever ends the loop (the last run, Ctrl-C, a lost cluster), the buffered runs are written
    before returning, so only a hard kill can lose them.
    """
    bar = _progress_bar(len(todo), experiment.name, progress)
    runs = {run.run_id: run for run in todo}
    queue: deque[str] = deque(runs)
    in_flight = 0
    failures = finished = 0
    expected_hash = provenance.model_hash()
    tasks = _TaskMaker(experiment)
    try:
        with _Interrupts() as interrupts:
            while queue or in_flight:
                while queue and in_flight < executor.capacity() and not interrupts.requested:
                    run_id = queue.popleft()
                    executor.submit(run_id, tasks(runs[run_id]))
                    in_flight += 1
                if interrupts.requested:
                    raise KeyboardInterrupt
                for run_id, result in executor.wait(POLL_SECONDS):
                    in_flight -= 1
                    for again in result.pop("requeue", []):  # queued behind a worker that died
                        queue.appendleft(again)
                        in_flight -= 1
                    _check_model_code(result, expected_hash)
                    ok = _store(out, runs[run_id], result, writer)
                    status[run_id] = "done" if ok else "failed"
                    failures += not ok
                    finished += 1
                    bar.set_postfix(failed=failures, refresh=False)
                    bar.update()
                    if on_result is not None:
                        on_result(finished, executor)
                    if writer.due():  # per result: a part never holds more than runs_per_file
                        _flush(out, writer)
                if writer.due():      # the oldest buffered run has waited flush_seconds
                    _flush(out, writer)
    finally:
        _flush(out, writer)
        bar.close()


def _progress_bar(total: int, name: str, progress: bool | None):
    """tqdm.auto: a widget in a notebook, text on a terminal; off when nobody can see it."""
    from tqdm.auto import tqdm

    if progress is None:
        progress = sys.stderr.isatty() or _in_notebook()
    return tqdm(total=total, desc=name, unit="run", disable=not progress, dynamic_ncols=True,
                file=sys.stderr)


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    try:
        ip = shell.get_ipython() if shell is not None else None
    except Exception:  # noqa: BLE001
        return False
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def _check_model_code(result: dict[str, Any], expected: str) -> None:
    """Refuse a result made by different model code than the parent's."""
    theirs = result.get("model_hash")
    if theirs is not None and theirs != expected:
        raise InfrastructureError(
            f"a worker ({result.get('host')}, pid {result.get('pid')}) runs different model code "
            f"(model hash {theirs[:12]}, here {expected[:12]}); install the same coprosim on "
            "every worker. Its result was not stored")


class _TaskMaker:
    """A run's task for a worker: plain data (its resolved parameters, seed, labels). What is the
    same for every run (the fingerprint, metric names) and each (scenario, point)'s parameters are
    computed once."""

    def __init__(self, experiment: Experiment):
        self.experiment = experiment
        self.fingerprint = experiment.fingerprint()
        self.metrics = list(experiment.metrics)
        self._params: dict[tuple[str, int], dict[str, Any]] = {}

    def __call__(self, run: Run) -> dict[str, Any]:
        key = (run.scenario, run.point)
        if key not in self._params:
            self._params[key] = self.experiment.params_for(run.scenario, run.point).as_dict()
        return {"run_id": run.run_id, "scenario": run.scenario, "point": run.point,
                "replication": run.replication, "seed": run.seed, "sweep": run.sweep,
                "preset": self.experiment.scenarios[run.scenario]["preset"],
                "params": self._params[key], "steps": self.experiment.steps,
                "metrics": self.metrics, "experiment": self.experiment.name,
                "fingerprint": self.fingerprint}


def _task(experiment: Experiment, run: Run) -> dict[str, Any]:
    return _TaskMaker(experiment)(run)


def _store(out: Path, run: Run, result: dict[str, Any], writer: storage.PartWriter) -> bool:
    """A failure is written at once; a finished run goes to the writer's buffer."""
    if not result["ok"]:
        storage.write_atomic(storage.run_file(out, "failures", run.run_id),
                             f"run {run.run_id} (seed {run.seed})\n{result['error']}")
        return False
    writer.add(run.run_id, result["metrics"], result["agents"], result["run"])
    return True


def _flush(out: Path, writer: storage.PartWriter) -> None:
    """Write the buffered runs; a run that failed before and is now on disk loses its failure."""
    for run_id in writer.flush():
        storage.run_file(out, "failures", run_id).unlink(missing_ok=True)


def _finish(out: Path, manifest: dict[str, Any], runs: list[Run], ending: str) -> int:
    """Final counts from what is on disk, so the manifest tells the truth after any ending."""
    ids = {run.run_id for run in runs}
    done = len(storage.completed_runs(out) & ids)
    failed = len(storage.failed_runs(out) & ids)
    manifest.update(done=done, failed=failed, ended=_now(),
                    status=ending if ending != "normal" else
                    "complete" if done == len(runs) else "incomplete")
    manifest["sessions"][-1]["ended"] = manifest["ended"]
    manifest["sessions"][-1]["status"] = manifest["status"]
    storage.write_manifest(out, manifest)
    return done


def _status_frame(runs: list[Run], status: dict, out: Path, interrupted: bool) -> pd.DataFrame:
    rows = [{"scenario": r.scenario, "point": r.point, "replication": r.replication,
             "seed": r.seed, **r.sweep, "run_id": r.run_id, "status": status[r.run_id]} for r in runs]
    frame = pd.DataFrame(rows)
    frame.attrs.update(out=str(out), done=int(frame["status"].isin(["done", "skipped"]).sum()),
                       failed=int((frame["status"] == "failed").sum()), interrupted=interrupted)
    return frame


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
