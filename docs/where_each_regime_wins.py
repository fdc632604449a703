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
    parser.add_argument("--plot-only", action="store_true",
                        help="redraw the figure and summary from an earlier run's runs.csv")
    args = parser.parse_args()
    import pandas as pd

    out = Path(args.out)
    if args.plot_only:
        runs = pd.read_csv(out / "runs.csv")
        summarise(runs, out)
        return 0
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
    out.mkdir(parents=True, exist_ok=True)
    design_frame = pd.DataFrame(points)
    design_frame.index.name = "point"
    runs = runs.merge(design_frame, left_on="point", right_index=True)
    runs.to_csv(out / "runs.csv", index=False)
    summarise(runs, out)
    return 0


def summarise(runs, out: Path) -> None:
    """The summary table (summary.md) and the figure (regimes_map.png) from the runs."""
    wide = runs.pivot_table(index=["point", "seed"], columns="regime", values=list(METRICS))
    n_points, n_seeds = runs["point"].nunique(), runs["seed"].nunique()
    lines = [f"{n_points} points x {n_seeds} paired seeds, {N_CITIZENS} citizens, {STEPS} weeks "
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
    plot(runs, wide, out / "regimes_map.png")


def plot(runs, wide, path: Path) -> None:
    """Left: share of the plausible space where each regime leads, per metric (95% CI).
    Right: co-production's lead in wellbeing against the two parameters that predict it best."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    params = runs.drop_duplicates("point").set_index("point")[list(sampled_parameters())]
    labels, shares, errors = [], [], []
    for metric, (label, sign) in METRICS.items():
        mean = (sign * (wide[(metric, "coproduction")] - wide[(metric, "npm")])).groupby(level="point").mean()
        k, n = int((mean > 0).sum()), int(mean.size)
        lo, hi = wilson(k, n)
        labels.append(label)
        shares.append(k / n)
        errors.append((k / n - lo, hi - k / n))
    lead = (wide[("mean_wellbeing", "coproduction")] - wide[("mean_wellbeing", "npm")]).groupby(level="point").mean()
    ranks = params.rank().corrwith(lead.rank()).abs().sort_values(ascending=False)
    x_name, y_name = ranks.index[:2]

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [1.1, 1]})
    y = np.arange(len(labels))[::-1]
    left.barh(y, shares, xerr=np.array(errors).T, color="#5e3c99", alpha=0.85, capsize=3,
              label="co-production leads")
    left.barh(y, [1 - v for v in shares], left=shares, color="#e66101", alpha=0.6,
              label="NPM leads")
    left.axvline(0.5, color="k", lw=0.8, ls=":")
    left.set_yticks(y, labels)
    left.set_xlim(0, 1)
    left.set_xlabel("share of the plausible parameter space")
    left.set_title("Who leads where: share of sampled points (95% CI)")
    left.legend(loc="lower right", fontsize=8)
    limit = float(np.nanpercentile(np.abs(lead.to_numpy()), 90)) or 1.0  # outliers saturate
    points = right.scatter(params.loc[lead.index, x_name], params.loc[lead.index, y_name], c=lead,
                           cmap="PuOr", vmin=-limit, vmax=limit, s=28, edgecolors="none")
    right.set_xlabel(x_name)
    right.set_ylabel(y_name)
    right.set_title("Lead in wellbeing (purple: co-production, orange: NPM)")
    fig.colorbar(points, ax=right, label="wellbeing, co-production minus NPM")
    fig.suptitle(f"{runs['point'].nunique()} points of a Latin hypercube over the plausible ranges, "
                 f"{runs['seed'].nunique()} paired seeds each, {N_CITIZENS} citizens, {STEPS} weeks",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
