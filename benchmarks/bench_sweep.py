"""Benchmark of the experiment runner: a 200-run sweep on 1 and on 2 local workers.

Reports runs per second (whole sweep, and steady state after the first 20 runs, which excludes
starting the worker processes), the parallel efficiency (rate on 2 workers / (2 x rate on 1);
target >= 0.85 on 2 cores) and the memory of the parent plus its workers (summed RSS, psutil)
after 20 and after 200 runs (target: within 10%, i.e. flat over a long sweep).

    .venv/bin/python benchmarks/bench_sweep.py [--runs 200] [--citizens 1000] [--steps 150]

Results are written under a temporary folder and removed afterwards.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coprosim.experiments import load_experiment, run_experiment  # noqa: E402

PRESETS = ("npm", "coproduction", "coproduction_no_outreach", "hybrid", "npm_with_volunteers")


def experiment_file(folder: Path, runs: int, citizens: int, steps: int) -> Path:
    """A five-scenario experiment of ``runs`` runs, sampling agents as the comparison does."""
    replications = runs // len(PRESETS)
    text = (f"[experiment]\nreplications = {replications}\nsteps = {steps}\nseed = 1\n"
            f"agent_sample_period = {steps // 4 or 1}\n[base]\nn_citizens = {citizens}\n"
            + "".join(f"[scenarios.{name}]\n" for name in PRESETS))
    path = folder / "bench.toml"
    path.write_text(text)
    return path


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


def sweep(path: Path, out: Path, workers: int) -> dict:
    """One timed sweep; memory sampled after 20 runs and after the last one."""
    marks: dict[int, tuple[float, int]] = {}
    experiment = load_experiment(path)
    total = len(experiment.runs())

    def on_result(finished: int, executor) -> None:
        if finished in (20, total):
            marks[finished] = (time.perf_counter(), family_rss())

    started = time.perf_counter()
    runs = run_experiment(experiment, out=out, workers=workers, progress=False, on_result=on_result)
    elapsed = time.perf_counter() - started
    assert runs.attrs["done"] == total and runs.attrs["failed"] == 0
    (t20, rss20), (tend, rss_end) = marks[20], marks[total]
    return {"workers": workers, "runs": total, "seconds": elapsed, "rate": total / elapsed,
            "steady_rate": (total - 20) / (tend - t20), "rss20": rss20, "rss_end": rss_end}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--citizens", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=150)
    args = parser.parse_args()
    print(f"{args.runs} runs of {args.citizens} citizens x {args.steps} steps, five presets, "
          f"agent samples every {args.steps // 4} steps; {psutil.cpu_count()} cores")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        folder = Path(tmp)
        path = experiment_file(folder, args.runs, args.citizens, args.steps)
        for workers in (1, 2):
            result = sweep(path, folder / f"out{workers}", workers)
            results.append(result)
            growth = result["rss_end"] / result["rss20"] - 1
            print(f"{workers} worker(s): {result['seconds']:.1f} s, {result['rate']:.2f} runs/s "
                  f"(steady state {result['steady_rate']:.2f} runs/s); memory of parent + workers "
                  f"{result['rss20'] / 2**20:.0f} MiB after 20 runs, "
                  f"{result['rss_end'] / 2**20:.0f} MiB after {result['runs']} ({growth:+.1%})")
    one, two = results
    efficiency = two["rate"] / (2 * one["rate"])
    steady = two["steady_rate"] / (2 * one["steady_rate"])
    print(f"parallel efficiency on 2 workers: {efficiency:.2f} whole sweep, {steady:.2f} steady state "
          f"(target >= 0.85)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
