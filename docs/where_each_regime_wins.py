"""Where each regime wins: a Latin hypercube over the plausible ranges, paired seeds.

    .venv/bin/python docs/where_each_regime_wins.py [--points 240] [--seeds 2] [--workers 2]
        -> results/where_each_regime_wins/runs.csv, summary.md, regimes_map.png

Every parameter with a plausible range narrower than its allowed range (docs/ODD.md, section 3.3:
the free parameters, the mode rules and the programmes) is sampled; the two regimes run at each
point with the same seeds (common random numbers), differing only in ``coproduction_share``. For
each metric the script reports the share of points at which co-production leads, with a 95%
Wilson interval, and the share at which the difference is clear (both seeds agree). The numbers
in docs/ODD.md, section 7, come from this script; nothing is tuned to them.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coprosim.model import CoproductionModel, Params  # noqa: E402

STEPS, N_CITIZENS, WINDOW = 200, 800, 50
# metric -> (label, +1 if higher is better, -1 if lower is better)
METRICS = {
    "public_value": ("public value", +1),
    "mean_wellbeing": ("wellbeing", +1),
    "equity_gap": ("equity (gap, lower is better)", -1),
    "mean_trust": ("trust", +1),
    "cost_per_need_met": ("cost per need met (lower is better)", -1),
    "throughput": ("throughput", +1),
    "social_cost": ("social cost (lower is better)", -1),
    "waiting_time": ("waiting time (lower is better)", -1),
}


def sampled_parameters() -> dict[str, tuple[float, float]]:
    """Parameters whose plausible range is narrower than their allowed range."""
    out = {}
    for name in Params.field_names():
        spec = Params.spec(name)
        if name == "coproduction_share":
            continue
        if tuple(spec["plausible"]) != tuple(spec["range"]):
            out[name] = tuple(spec["plausible"])
    return out


def design(points: int, seed: int = 20261123) -> list[dict]:
    from scipy.stats import qmc

    ranges = sampled_parameters()
    names = list(ranges)
    unit = qmc.LatinHypercube(d=len(names), seed=seed).random(points)
    rows = []
    for u in unit:
        row = {}
        for name, x in zip(names, u, strict=True):
            lo, hi = ranges[name]
            value = lo + x * (hi - lo)
            row[name] = int(round(value)) if Params.spec(name)["kind"] is int else float(value)
        rows.append(row)
    return rows


def run_one(job):
    point, regime, seed, overrides = job
    share = 0.0 if regime == "npm" else 1.0
    model = CoproductionModel(params=Params(n_citizens=N_CITIZENS, coproduction_share=share,
                                            **overrides), seed=seed)
    model.run(STEPS)
    frame = model.datacollector.get_model_vars_dataframe().iloc[-WINDOW:]
    model.release()
    result = {m: float(frame[m].mean()) for m in METRICS if m in frame}
    pv = float(frame["public_value"].mean())
    result["cost_per_need_met"] = float(frame["cost"].mean()) / pv if pv > 0 else math.inf
    return point, regime, seed, result


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=240)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "results" / "where_each_regime_wins"))
    args = parser.parse_args()
    import pandas as pd

    points = design(args.points)
    seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(7).spawn(args.seeds)]
    jobs = [(i, regime, seed, overrides) for i, overrides in enumerate(points)
            for seed in seeds for regime in ("npm", "coproduction")]
    context = multiprocessing.get_context("spawn")
    rows = []
    with context.Pool(args.workers) as pool:
        for k, (point, regime, seed, result) in enumerate(pool.imap_unordered(run_one, jobs, chunksize=4)):
            rows.append({"point": point, "regime": regime, "seed": seed, **result})
            if (k + 1) % 100 == 0:
                print(f"{k + 1}/{len(jobs)} runs", flush=True)
    runs = pd.DataFrame(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    design_frame = pd.DataFrame(points)
    design_frame.index.name = "point"
    runs.merge(design_frame, left_on="point", right_index=True).to_csv(out / "runs.csv", index=False)

    wide = runs.pivot_table(index=["point", "seed"], columns="regime", values=list(METRICS))
    lines = [f"{len(points)} points x {len(seeds)} paired seeds, {N_CITIZENS} citizens, {STEPS} weeks "
             f"(mean of the last {WINDOW}); {len(sampled_parameters())} parameters sampled over "
             "their plausible ranges.", "",
             "| metric | co-production leads | 95% CI | clearly (both seeds agree) | NPM clearly |",
             "|---|---|---|---|---|"]
    for metric, (label, sign) in METRICS.items():
        diff = sign * (wide[(metric, "coproduction")] - wide[(metric, "npm")])
        per_point = diff.groupby(level="point")
        mean = per_point.mean()
        lead = int((mean > 0).sum())
        n = int(mean.size)
        lo, hi = wilson(lead, n)
        co_clear = int(per_point.apply(lambda d: (d > 0).all()).sum())
        npm_clear = int(per_point.apply(lambda d: (d < 0).all()).sum())
        lines.append(f"| {label} | {lead / n:.0%} | {lo:.0%}-{hi:.0%} | {co_clear / n:.0%} | "
                     f"{npm_clear / n:.0%} |")
    summary = "\n".join(lines)
    (out / "summary.md").write_text(summary + "\n", encoding="utf-8")
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
