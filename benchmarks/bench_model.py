"""Benchmark: citizen-steps per second of coprosim against Mesa's Boltzmann wealth example.

Runs the default ``coproduction`` and ``npm`` presets at 1,000 and 10,000 citizens and, in the
same process, ``mesa.examples.basic.boltzmann_wealth_model`` at the same agent counts (on a grid
sized to one agent per cell on average, so that its per-agent work does not grow with crowding),
and prints agent-steps per second, the ratio of per-agent-step costs, the scaling from 1,000 to
10,000 agents, and the wall time of the default 1,000-citizen, 200-step run.

Targets (issue 2): a citizen-step at most 1.5x the reference's agent-step at both sizes; our
1,000 -> 10,000 per-step cost growth at most 1.2x the reference's; the default run under 1 s.
Target of version 3 (issue 14, behaviour that emerges): a citizen-step at most 1.5x what version 2's
cost (version 2 itself was held to 2x version 1's), measured in
the same run: ``--baseline DIR`` loads the ``model`` package of an earlier checkout (e.g.
``git worktree add /tmp/coprosim-v1 7b51166``) and times its presets beside the current ones.

    python benchmarks/bench_model.py [--repeats R] [--baseline /tmp/coprosim-v1]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coprosim.model import CoproductionModel  # noqa: E402
from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannWealth  # noqa: E402

SIZES = (1_000, 10_000)


def time_steps(model, steps: int) -> float:
    """Seconds per step, over ``steps`` steps of an already built model."""
    start = time.perf_counter()
    for _ in range(steps):
        model.step()
    return (time.perf_counter() - start) / steps


def per_step(build, steps: int, repeats: int) -> float:
    """Median seconds per step over ``repeats`` fresh models (construction not timed)."""
    times = []
    for r in range(repeats):
        model = build(r)
        model.step()  # warm-up
        times.append(time_steps(model, steps))
        if hasattr(model, "release"):
            model.release()
    return statistics.median(times)


def boltzmann(n: int):
    side = math.ceil(math.sqrt(n))
    return lambda seed: BoltzmannWealth(n=n, width=side, height=side, seed=seed)


def coprosim(scenario: str, n: int):
    return lambda seed: CoproductionModel(scenario=scenario, seed=seed, n_citizens=n)


def load_baseline(folder: str):
    """The ``model`` package of an earlier checkout, imported under another name."""
    import importlib.util

    init = Path(folder) / "model" / "__init__.py"
    spec = importlib.util.spec_from_file_location(
        "baseline_model", init, submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["baseline_model"] = module
    spec.loader.exec_module(module)
    return module.CoproductionModel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", help="folder of an earlier checkout to time beside this one")
    args = parser.parse_args()
    baseline = load_baseline(args.baseline) if args.baseline else None

    steps = {1_000: 100, 10_000: 20}
    rows = []
    cost = {}
    for n in SIZES:
        ref = per_step(boltzmann(n), steps[n], args.repeats)
        cost[("boltzmann", n)] = ref
        rows.append(("boltzmann (Mesa example)", n, n / ref, 1.0))
        for scenario in ("coproduction", "npm"):
            ours = per_step(coprosim(scenario, n), steps[n], args.repeats)
            cost[(scenario, n)] = ours
            rows.append((scenario, n, n / ours, ours / ref))
            if baseline is not None:
                def build(seed, scenario=scenario, n=n):
                    return baseline(scenario=scenario, seed=seed, n_citizens=n)
                theirs = per_step(build, steps[n], args.repeats)
                cost[("baseline " + scenario, n)] = theirs
                rows.append((f"baseline {scenario}", n, n / theirs, theirs / ref))

    print(f"{'model':<26}{'agents':>8}{'agent-steps/s':>16}{'cost vs reference':>20}")
    for name, n, rate, ratio in rows:
        print(f"{name:<26}{n:>8}{rate:>16,.0f}{ratio:>19.2f}x")

    ref_growth = cost[("boltzmann", 10_000)] / cost[("boltzmann", 1_000)]
    print(f"\nper-step cost growth 1,000 -> 10,000: reference {ref_growth:.2f}x")
    for scenario in ("coproduction", "npm"):
        growth = cost[(scenario, 10_000)] / cost[(scenario, 1_000)]
        print(f"  {scenario:<14} {growth:.2f}x  (relative to reference {growth / ref_growth:.2f}, target <= 1.2)")

    if baseline is not None:
        print("\nthis checkout against the baseline, cost of a citizen-step "
              "(target <= 1.5x of version 2, e.g. a582894):")
        for n in SIZES:
            for scenario in ("coproduction", "npm"):
                ratio = cost[(scenario, n)] / cost[("baseline " + scenario, n)]
                print(f"  {scenario:<14}{n:>8}  {ratio:.2f}x")

    walls = []
    for seed in range(args.repeats):
        start = time.perf_counter()
        model = CoproductionModel(scenario="coproduction", seed=seed)
        model.run(200)
        walls.append(time.perf_counter() - start)
        model.release()
    print(f"\ndefault run (coproduction, 1,000 citizens, 200 steps, incl. set-up): "
          f"median {statistics.median(walls):.2f} s (target < 1 s)")


if __name__ == "__main__":
    main()
