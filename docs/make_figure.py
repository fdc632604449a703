"""Make the README's second figure: both regimes at the default point, mean and 95% band over 10
seeds. One point of the plausible space, for illustration; the headline is the map made by
``docs/where_each_regime_wins.py``.

    .venv/bin/python docs/make_figure.py   ->  results/figures/regimes.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coprosim.model import CoproductionModel  # noqa: E402

SCENARIOS = {"npm": "#e66101", "coproduction": "#5e3c99", "coproduction_no_outreach": "#7f7f7f"}
PANELS = [
    ("mean_wellbeing", "Mean wellbeing (higher is better)"),
    ("equity_gap", "Equity gap, top - bottom quintile (lower is better)"),
    ("mean_trust", "Mean trust"),
    ("emergent_value", "Emergent value per citizen-week"),
    ("cost", "Cost, paid hours per citizen-week"),
    ("waiting_time", "Waiting time, weeks"),
]
SEEDS = range(10)
STEPS = 200


def main() -> None:
    series = {}
    for scenario in SCENARIOS:
        frames = []
        for seed in SEEDS:
            model = CoproductionModel(scenario=scenario, seed=seed)
            model.run(STEPS)
            frames.append(model.datacollector.get_model_vars_dataframe())
            model.release()
        series[scenario] = frames

    fig, axes = plt.subplots(2, 3, figsize=(13, 7), constrained_layout=True)
    for ax, (metric, title) in zip(axes.flat, PANELS, strict=True):
        for scenario, colour in SCENARIOS.items():
            values = np.array([f[metric].to_numpy() for f in series[scenario]])
            mean = values.mean(axis=0)
            half = 1.96 * values.std(axis=0, ddof=1) / np.sqrt(len(values))
            steps = np.arange(values.shape[1])
            ax.plot(steps, mean, color=colour, label=scenario, lw=1.8)
            ax.fill_between(steps, mean - half, mean + half, color=colour, alpha=0.2, lw=0)
        ax.set_title(title, fontsize=11)
        ax.set_xlabel("week")
        ax.grid(alpha=0.3)
    axes.flat[0].legend(frameon=False)
    fig.suptitle("One point of the space: 1,000 citizens, default parameters, mean and 95% CI over "
                 "10 paired seeds", fontsize=12)
    out = ROOT / "results" / "figures" / "regimes.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
