"""Benchmark of the experiment runner against the bare model, and of a 20-parameter Sobol sweep.

Default mode: a five-preset sweep (``--runs`` runs of ``--citizens`` citizens x ``--steps``
weeks, agent samples every steps/4 weeks, as the comparison report takes them) timed

(a) as the bare model: plain processes (1, then 2) each running ``CoproductionModel(...).run(steps)``
    on its share of the same runs (same parameters, same seeds), no runner, nothing written;
(b) through the runner (``run_experiment``) on 1, then 2 workers, everything written to disk;
(c) their ratio (runner's whole-sweep rate / bare model's rate on the same cores, target >= 0.85;
    ``--rounds`` rounds of bare model and runner back to back, alternating which goes first, and
    the median ratio, so that changing load from other work favours neither side),
    the runner's overhead per run against the model's own time per run, and, measured in one
    process (so less disturbed by other load), where that overhead goes: building and labelling
    the result tables in the worker, sending them to the parent, and the parent's buffering and
    Parquet part writes.

Memory (summed RSS of the parent and its workers, psutil) after 20 runs and after the last is
reported for the runner on 2 workers (target: flat over a long sweep).

``--sobol``: the 20-parameter Sobol design of ``experiments/sobol_20.toml`` (plausible ranges,
N = 512 with second-order indices: N x (2D + 2) = 21,504 runs of 1,000 citizens x 200 weeks).
``--sample K`` runs K randomly chosen design points through the runner (and the bare model, unless
``--no-bare``) and projects the whole design's time; ``--full`` runs all of it. ``--load-test``
writes 21,504 runs' worth of results in the part-file layout (random numbers in the sweep's
columns) and times the one-call loaders on it.

    .venv/bin/python benchmarks/bench_sweep.py [--runs 120] [--rounds 2] [--citizens 1000] [--steps 150]
    .venv/bin/python benchmarks/bench_sweep.py --sobol --sample 600 [--workers 2]
    .venv/bin/python benchmarks/bench_sweep.py --sobol --full
    .venv/bin/python benchmarks/bench_sweep.py --load-test

Timings are wall-clock on whatever else the machine is doing: run it on a quiet machine, and
read a ratio measured in one run (runner against bare model) rather than rates from different days.
Results are written under a temporary folder and removed afterwards.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coprosim.experiments import load_experiment, run_experiment, runner, storage  # noqa: E402

PRESETS = ("npm", "coproduction", "coproduction_no_outreach", "hybrid", "npm_with_volunteers")
SOBOL_FILE = ROOT / "experiments" / "sobol_20.toml"
SOBOL_N = 512


def experiment_file(folder: Path, runs: int, citizens: int, steps: int) -> Path:
    """A five-scenario experiment of ``runs`` runs, sampling agents as the comparison does."""
    replications = max(1, runs // len(PRESETS))
    text = (f"[experiment]\nreplications = {replications}\nsteps = {steps}\nseed = 1\n"
            f"agent_sample_period = {steps // 4 or 1}\n[base]\nn_citizens = {citizens}\n"
            + "".join(f"[scenarios.{name}]\n" for name in PRESETS))
    path = folder / "bench.toml"
    path.write_text(text)
    return path


def sobol_design(sample: int | None, seed: int = 1):
    """The Sobol design of sobol_20.toml (second order on), or ``sample`` of its points at random."""
    from coprosim.experiments.sensitivity import _design_experiment, sensitivity_settings
    from SALib.sample import sobol

    experiment = load_experiment(SOBOL_FILE)
    settings = sensitivity_settings(experiment, "sobol", None, None)
    names = list(settings["ranges"])
    problem = {"num_vars": len(names), "names": names,
               "bounds": [list(settings["ranges"][n]) for n in names]}
    x = sobol.sample(problem, SOBOL_N, calc_second_order=True, seed=experiment.seed)
    total = len(x)
    if sample is not None and sample < total:
        x = x[np.sort(np.random.default_rng(seed).choice(total, size=sample, replace=False))]
    return _design_experiment(experiment, settings, x), total


# --- (a) the bare model ------------------------------------------------------------------------
def _bare_worker(jobs, start, done) -> None:
    """Import, wait for the start signal, run the models, report the seconds they took."""
    from coprosim.model import CoproductionModel, Params

    start.wait()
    began = time.perf_counter()
    for params, seed, steps in jobs:
        model = CoproductionModel(params=Params(**params), seed=seed)
        model.run(steps)
        model.release()
    done.put(time.perf_counter() - began)


def bare_rate(jobs: list[tuple[dict, int, int]], processes: int) -> float:
    """Runs per second of plain processes running the models (imports not timed)."""
    context = multiprocessing.get_context("spawn")
    start, done = context.Event(), context.Queue()
    shares = [jobs[i::processes] for i in range(processes)]
    workers = [context.Process(target=_bare_worker, args=(share, start, done)) for share in shares]
    for worker in workers:
        worker.start()
    time.sleep(3.0)  # let every process import coprosim before the clock starts
    began = time.perf_counter()
    start.set()
    for _ in workers:
        done.get()
    elapsed = time.perf_counter() - began
    for worker in workers:
        worker.join()
    return len(jobs) / elapsed


def jobs_of(experiment) -> list[tuple[dict, int, int]]:
    maker = runner._TaskMaker(experiment)
    return [(task["params"], task["seed"], task["steps"])
            for task in (maker(run) for run in experiment.runs())]


# --- (b) the runner ----------------------------------------------------------------------------
def family_rss() -> int:
    """Resident memory of this process and all its children, in bytes."""
    me = psutil.Process()
    total = me.memory_info().rss
    for child in me.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:
            pass
    return total


def sweep(experiment, out: Path, workers: int) -> dict:
    """One timed sweep through the runner; memory sampled after 20 runs and after the last one."""
    marks: dict[int, tuple[float, int]] = {}
    total = len(experiment.runs())
    early = min(20, total)

    def on_result(finished: int, executor) -> None:
        if finished in (early, total):
            marks[finished] = (time.perf_counter(), family_rss())

    started = time.perf_counter()
    runs = run_experiment(experiment, out=out, workers=workers, progress=False, on_result=on_result)
    elapsed = time.perf_counter() - started
    assert runs.attrs["done"] == total and runs.attrs["failed"] == 0, runs.attrs
    (t20, rss20), (tend, rss_end) = marks[early], marks[total]
    steady = (total - early) / (tend - t20) if total > early else float("nan")
    files = len(list((out / "metrics").glob("*.parquet")))
    every = sum(1 for path in out.rglob("*") if path.is_file())
    return {"workers": workers, "runs": total, "seconds": elapsed, "rate": total / elapsed,
            "steady_rate": steady, "rss20": rss20, "rss_end": rss_end, "files": files,
            "all_files": every}


# --- (c) where the runner's time goes, in one process --------------------------------------------
def overhead_breakdown(experiment, runs: int = 6, repeats: int = 5) -> dict[str, float]:
    """Milliseconds per run, in this process: the model (set-up and run), the worker's extra work
    (the result tables: ``runner.result_tables``), the result's trip to the parent (pickle both
    ways) and the parent's buffering and part writes. Each extra step is timed ``repeats`` times on
    the same finished model and the least disturbed (fastest) time kept."""
    from coprosim.model import CoproductionModel, Params

    maker = runner._TaskMaker(experiment)
    model_s, tables_s, pickle_s, results = [], [], [], []
    for run in experiment.runs()[:runs]:
        task = maker(run)
        began = time.perf_counter()
        params = Params(**task["params"])
        model = CoproductionModel(params=params, seed=task["seed"], scenario=task["scenario"])
        model.run(task["steps"])
        model_s.append(time.perf_counter() - began)
        tables_s.append(min(timed(lambda m=model, t=task, p=params: runner.result_tables(m, t, p))
                            for _ in range(repeats)))
        metrics, agents, row = runner.result_tables(model, task, params)
        model.release()
        result = {"run_id": task["run_id"], "ok": True, "metrics": metrics, "agents": agents,
                  "run": row}
        pickle_s.append(min(timed(lambda r=result, t=task: (pickle.loads(pickle.dumps(r, protocol=5)),
                                                            pickle.loads(pickle.dumps(t, protocol=5))))
                            for _ in range(repeats)))
        results.append(result)
    write_s = float("inf")
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="bench_write_") as tmp:
            writer = storage.PartWriter(Path(tmp), len(results), 1e9)
            began = time.perf_counter()
            for result in results:
                writer.add(result["run_id"], result["metrics"], result["agents"], result["run"])
            writer.flush()
            write_s = min(write_s, (time.perf_counter() - began) / len(results))
    return {"model": 1000 * min(model_s), "worker extra": 1000 * statistics.median(tables_s),
            "transfer": 1000 * statistics.median(pickle_s), "parent write": 1000 * write_s}


def report_comparison(rounds: list[dict], breakdown: dict | None) -> None:
    """Rates, the runner / bare ratio of each round (bare and runner timed back to back, so that
    they see about the same load) and their median, overhead per run, memory, files."""
    def median(w, key):
        return statistics.median(r[w][key] for r in rounds)

    print("\nrate (runs/s, median of rounds)  1 core/worker   2 cores/workers")
    print(f"bare model                      {median(1, 'bare'):>13.2f}   {median(2, 'bare'):>15.2f}")
    print(f"runner, whole sweep             {median(1, 'rate'):>13.2f}   {median(2, 'rate'):>15.2f}")
    print(f"runner, steady state            {median(1, 'steady_rate'):>13.2f}   {median(2, 'steady_rate'):>15.2f}")
    for w in (1, 2):
        ratios = [r[w]["rate"] / r[w]["bare"] for r in rounds]
        steady = [r[w]["steady_rate"] / r[w]["bare"] for r in rounds]
        overhead = [w * (1 / r[w]["rate"] - 1 / r[w]["bare"]) * 1000 for r in rounds]
        print(f"{w} worker(s): runner / bare = {statistics.median(ratios):.2f} whole sweep "
              f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)}), {statistics.median(steady):.2f} "
              f"steady state (target >= 0.85); overhead {statistics.median(overhead):+.0f} ms per run "
              f"against the model's {w * 1000 / median(w, 'bare'):.0f} ms (core-time per run)")
    two = rounds[-1][2]
    print(f"parallel efficiency of the runner on 2 workers: {median(2, 'rate') / (2 * median(1, 'rate')):.2f}; "
          f"memory of parent + workers {two['rss20'] / 2**20:.0f} MiB after 20 runs, "
          f"{two['rss_end'] / 2**20:.0f} MiB after {two['runs']} "
          f"({two['rss_end'] / two['rss20'] - 1:+.1%}); {two['files']} metrics files for {two['runs']} runs, "
          f"{two['all_files']} files in all (parts of every kind and the manifest; target <= 30 "
          "at 120 runs)")
    if breakdown:
        print_breakdown(breakdown)


def print_breakdown(breakdown: dict[str, float]) -> None:
    extra = sum(v for k, v in breakdown.items() if k != "model")
    print("in one process, per run: " + ", ".join(f"{k} {v:.1f} ms" for k, v in breakdown.items())
          + f"; runner's work {extra:.1f} ms = {extra / breakdown['model']:.1%} of the model's "
          "time (model: fastest run)")


def main_default(args) -> None:
    print(f"{args.runs} runs of {args.citizens} citizens x {args.steps} weeks, five presets, agent "
          f"samples every {args.steps // 4} weeks; {args.rounds} round(s); {psutil.cpu_count()} "
          f"cores, load average {os.getloadavg()[0]:.1f} at the start")
    rounds = []
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        folder = Path(tmp)
        experiment = load_experiment(experiment_file(folder, args.runs, args.citizens, args.steps))
        jobs = jobs_of(experiment)
        for r in range(args.rounds):
            result = {}
            for w in (1, 2):
                out = folder / f"out{r}_{w}"
                if r % 2 == 0:  # alternate which goes first, so a trend in load favours neither
                    bare = bare_rate(jobs, w)
                    swept = sweep(experiment, out, w)
                else:
                    swept = sweep(experiment, out, w)
                    bare = bare_rate(jobs, w)
                result[w] = {**swept, "bare": bare}
                print(f"round {r + 1}, {w} worker(s): bare {bare:.2f} runs/s, runner {swept['rate']:.2f} "
                      f"runs/s (load average {os.getloadavg()[0]:.1f})", flush=True)
            rounds.append(result)
        breakdown = overhead_breakdown(experiment)
    report_comparison(rounds, breakdown)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


def main_sobol(args) -> None:
    design, total = sobol_design(None if args.full else args.sample)
    runs = len(design.runs())
    print(f"Sobol design of {SOBOL_FILE.name}: {len(design.axes)} parameters, N = {SOBOL_N}, second "
          f"order: {total} runs of {design.params_for('sampled', 0).n_citizens} citizens x "
          f"{design.steps} weeks; timing {runs} of them on {args.workers} worker(s); "
          f"load average {os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory(prefix="bench_sobol_") as tmp:
        out = Path(tmp) / "out"
        result = sweep(design, out, args.workers)
        load_seconds = timed(lambda: storage.load_runs(out))
    rate = result["rate"]
    print(f"runner: {runs} runs in {result['seconds']:.0f} s = {rate:.2f} runs/s "
          f"(steady state {result['steady_rate']:.2f}); {result['files']} metrics files; "
          f"load_runs {load_seconds:.2f} s")
    if not args.full:
        print(f"projected time of all {total} runs: {total / rate / 60:.0f} min whole-sweep rate, "
              f"{total / result['steady_rate'] / 60:.0f} min steady-state rate (target < 60 min)")
    if not args.no_bare:
        bare = bare_rate(jobs_of(design), args.workers)
        print(f"bare model on the same runs, {args.workers} process(es): {bare:.2f} runs/s; runner / "
              f"bare = {rate / bare:.2f} (target >= 0.85); bare model alone would take "
              f"{total / bare / 60:.0f} min for all {total}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


def timed(function) -> float:
    began = time.perf_counter()
    function()
    return time.perf_counter() - began


def main_load_test(args) -> None:
    """21,504 runs' worth of results in the part layout; time the loaders on them."""
    design, total = sobol_design(None)
    experiment = design
    maker = runner._TaskMaker(experiment)
    rng = np.random.default_rng(0)
    steps = experiment.steps
    metrics = list(experiment.metrics)
    per_file = runner.automatic_runs_per_file(total)
    import pandas as pd
    from coprosim.experiments.runner import _label

    with tempfile.TemporaryDirectory(prefix="bench_load_") as tmp:
        out = Path(tmp) / "out"
        manifest = runner._prepare(experiment, out, force=True)
        writer = storage.PartWriter(out, per_file, 1e9, {"experiment": experiment.name})
        provenance = runner._provenance()
        began = time.perf_counter()
        for run in experiment.runs():
            task = maker(run)
            frame = pd.DataFrame(rng.random((steps + 1, len(metrics))), columns=metrics)
            for count in storage.count_metrics():
                if count in frame:
                    frame[count] = (frame[count] * 100).astype(np.int64)
            frame.insert(0, "step", range(steps + 1))
            writer.add(run.run_id, _label(frame, task), None,
                       storage.run_row(task, task["params"], provenance))
            if writer.due():
                writer.flush()
        writer.flush()
        runner._finish(out, manifest, experiment.runs(), "normal")
        written = time.perf_counter() - began
        size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
        files = sum(1 for _ in out.rglob("*.parquet"))
        print(f"{total} runs x {steps + 1} steps x {len(metrics)} metrics: {files} files "
              f"({per_file} runs each), {size / 2**20:.0f} MiB; written in {written:.0f} s "
              f"(including making the random tables)")
        for name, function in (("completed_runs(out)", lambda: storage.completed_runs(out)),
                               ("load_results(out)", lambda: storage.load_results(out)),
                               ("load_runs(out)", lambda: storage.load_runs(out))):
            print(f"  {name:<22} {timed(function):6.2f} s")
        frame = storage.load_runs(out)
        print(f"  load_runs: {len(frame)} rows x {frame.shape[1]} columns")
    print(f"load average {os.getloadavg()[0]:.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=120)
    parser.add_argument("--citizens", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of (bare model, runner) back to back; the median ratio is reported")
    parser.add_argument("--sobol", action="store_true", help="time the 20-parameter Sobol design")
    parser.add_argument("--sample", type=int, default=600, help="--sobol: runs to time (projected)")
    parser.add_argument("--full", action="store_true", help="--sobol: run every one of the 21,504 runs")
    parser.add_argument("--no-bare", action="store_true", help="--sobol: skip timing the bare model")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--breakdown", action="store_true",
                        help="only the in-process breakdown of the runner's work per run")
    parser.add_argument("--load-test", action="store_true",
                        help="time load_runs/load_results on 21,504 runs' worth of part files")
    args = parser.parse_args()
    for name, value, low in (("--runs", args.runs, 5), ("--citizens", args.citizens, 10),
                             ("--steps", args.steps, 1), ("--sample", args.sample, 1),
                             ("--workers", args.workers, 1), ("--rounds", args.rounds, 1)):
        if value < low:
            parser.error(f"{name}: must be at least {low}, got {value}")
    if args.breakdown:
        with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
            path = experiment_file(Path(tmp), args.runs, args.citizens, args.steps)
            print_breakdown(overhead_breakdown(load_experiment(path)))
    elif args.load_test:
        main_load_test(args)
    elif args.sobol:
        main_sobol(args)
    else:
        main_default(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
