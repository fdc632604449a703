"""Where each regime wins: the README's headline figure, drawn from ``coprosim map``.

    .venv/bin/python docs/where_each_regime_wins.py [--workers 2] [--points N] [--metric NAME]
                                                    [--plot-only]
        runs (or resumes) coprosim map experiments/regimes_map.toml
        -> results/regimes_map/map.md, map_shares.png, map_lead_probability.png, map_*.csv
        -> results/figures/regimes_map.png (the README figure)

A thin wrapper: the design (a Latin hypercube over every parameter whose plausible range is
narrower than its allowed range; NPM, hybrid and co-production at each point with the same seeds),
the shares, the PRIM boxes and the feature scores are ``coprosim.experiments.scenario_map``'s; this
script only draws the small two-panel figure of the README (share of the space where each regime
leads; probability that co-production leads on one metric against its two most important
uncertainties). ``--plot-only`` redraws from the results on disk without running anything. The
numbers in docs/ODD.md, section 7, come from this map; nothing is tuned to them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coprosim.experiments import load_experiment  # noqa: E402
from coprosim.experiments.design import ExperimentError  # noqa: E402
from coprosim.experiments.scenario_map import (  # noqa: E402
    headline_figure,
    map_from_results,
    run_map,
    shares_table,
)

EXPERIMENT = ROOT / "experiments" / "regimes_map.toml"
FIGURE = ROOT / "results" / "figures" / "regimes_map.png"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--points", type=int, default=None,
                        help="Latin hypercube points (default: the file's map.samples)")
    parser.add_argument("--out", default=str(ROOT / "results" / "regimes_map"))
    parser.add_argument("--figure", default=str(FIGURE))
    parser.add_argument("--metric", default=None,
                        help="metric of the probability panel (default: the file's first main metric)")
    parser.add_argument("--dask", default=None, help="dask scheduler address or local:N")
    parser.add_argument("--plot-only", action="store_true",
                        help="redraw from the results on disk; run nothing")
    args = parser.parse_args(argv)
    experiment = load_experiment(EXPERIMENT)
    try:
        if args.plot_only:
            result = map_from_results(experiment, out=args.out, points=args.points)
        else:
            result = run_map(experiment, out=args.out, points=args.points, workers=args.workers,
                             dask=args.dask)
        metric = args.metric or result.settings["main_metrics"][0]
        if metric not in result.settings["metrics"]:
            raise ExperimentError(f"--metric: must be one of {', '.join(result.settings['metrics'])}, "
                                  f"got {metric!r}")
    except ExperimentError as exc:
        print(f"where_each_regime_wins: error: {exc}", file=sys.stderr)
        return 2
    print(shares_table(result.shares, result.settings["regimes"]))
    if result.boxes is not None:
        print()
        for sentence in result.boxes.drop_duplicates(["metric", "case"])["sentence"]:
            print(sentence)
    figure = headline_figure(result, args.figure, metric)
    print(f"\nreport: {result.files['report']}\nfigure: {figure}")
    return 1 if result.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
