"""How close the defaults sit to the calibration anchors (docs/ODD.md, section 3.4).

    .venv/bin/python docs/calibration_check.py [--seeds 4] [--citizens 1000] [--weeks 260]

Runs the `npm` and `coproduction` presets (1,000 citizens, 260 weeks) and measures, over weeks
105-260, with the summary statistics that `coprosim calibrate` fits
(`coprosim.experiments.calibration.measure`): yearly staff turnover, the share of volunteers who
stop within a year, mean trust and trust in the bottom and top resource quintiles (means over the
measured weeks), and the weekly share of citizens taking part in the bottom and top quintiles.
Prints a Markdown table. The fitted calibration itself: `coprosim calibrate calibration_targets`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coprosim.experiments.calibration import measure  # noqa: E402
from coprosim.model import Params  # noqa: E402

# row label -> (statistic of calibration.measure, anchor)
ROWS = {
    "staff turnover a year": ("staff_turnover_per_year", "about 0.10-0.20 (public-sector separation rates)"),
    "volunteers who stop within a year": ("volunteer_exits_per_year", "about 0.33 (CNCS 2009)"),
    "volunteers": ("volunteers", ""),
    "mean trust": ("mean_trust", "about 0.40 (OECD 2024)"),
    "trust, bottom quintile": ("trust_bottom_quintile", "about 0.33-0.35 (OECD 2024)"),
    "trust, top quintile": ("trust_top_quintile", "about 0.52 (OECD 2024)"),
    "trusting, took part in the last year over not": ("trusting_with_say_ratio", "about 3x (OECD 2024)"),
    "taking part a week, bottom quintile": ("taking_part_bottom_quintile", ""),
    "taking part a week, top quintile": ("taking_part_top_quintile", ""),
    "top / bottom taking part": ("taking_part_top_bottom_ratio", "about 4-5x (9% vs 42%, BLS 2010)"),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--citizens", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=260)
    args = parser.parse_args()
    warm_up = min(104, args.weeks // 2)
    results = {sc: [measure(Params.preset(sc, n_citizens=args.citizens), seed, args.weeks, warm_up)
                    for seed in range(args.seeds)]
               for sc in ("npm", "coproduction")}
    print("| quantity | anchor | npm | coproduction |")
    print("|---|---|---|---|")
    for label, (statistic, anchor) in ROWS.items():
        values = [np.nanmean([r[statistic] for r in results[sc]]) for sc in results]
        print(f"| {label} | {anchor or '—'} | {values[0]:.3g} | {values[1]:.3g} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
