"""How close the defaults sit to the calibration anchors (docs/ODD.md, section 3.4).

    .venv/bin/python docs/calibration_check.py [--seeds 4]

Runs the `npm` and `coproduction` presets (1,000 citizens, 260 weeks) and measures, over weeks
105-260: yearly staff turnover, yearly volunteer exits per volunteer, mean trust and trust in the
bottom and top resource quintiles, and the weekly share of citizens taking part in the bottom and
top quintiles. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coprosim.model import CoproductionModel  # noqa: E402

WARM_UP, WEEKS = 104, 260


def measure(scenario: str, seed: int) -> dict[str, float]:
    model = CoproductionModel(scenario=scenario, seed=seed, n_citizens=1000)
    took, exits, volunteer_weeks = np.zeros(5), 0, 0
    for week in range(WEEKS):
        before = set(model.volunteers)
        model.step()
        if week >= WARM_UP:
            exits += len(before - set(model.volunteers))
            volunteer_weeks += len(before)
            took += np.bincount(model.quintile, weights=model.citizen_state["took_part"], minlength=5)
    frame = model.datacollector.get_model_vars_dataframe().iloc[WARM_UP + 1:]
    per_quintile = np.bincount(model.quintile, minlength=5) * (WEEKS - WARM_UP)
    taking_part = took / per_quintile
    trust = model.citizen_state["trust"]
    model.release()
    return {
        "staff turnover a year": frame["staff_turnover"].mean() * 52,
        "volunteer exits a year, per volunteer": exits / volunteer_weeks * 52 if volunteer_weeks else np.nan,
        "volunteers": frame["volunteers"].mean(),
        "mean trust": frame["mean_trust"].mean(),
        "trust, bottom quintile": trust[model.quintile == 0].mean(),
        "trust, top quintile": trust[model.quintile == 4].mean(),
        "taking part a week, bottom quintile": taking_part[0],
        "taking part a week, top quintile": taking_part[4],
        "top / bottom taking part": taking_part[4] / taking_part[0],
    }


ANCHORS = {
    "staff turnover a year": "about 0.10-0.20 (public-sector separation rates)",
    "volunteer exits a year, per volunteer": "about 0.33 (CNCS 2009)",
    "volunteers": "",
    "mean trust": "about 0.40 (OECD 2024)",
    "trust, bottom quintile": "about 0.33-0.35 (OECD 2024)",
    "trust, top quintile": "about 0.52 (OECD 2024)",
    "taking part a week, bottom quintile": "",
    "taking part a week, top quintile": "",
    "top / bottom taking part": "about 4-5x (9% vs 42%, BLS 2010)",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    args = parser.parse_args()
    results = {sc: [measure(sc, seed) for seed in range(args.seeds)] for sc in ("npm", "coproduction")}
    print("| quantity | anchor | npm | coproduction |")
    print("|---|---|---|---|")
    for key, anchor in ANCHORS.items():
        values = [np.nanmean([r[key] for r in results[sc]]) for sc in results]
        print(f"| {key} | {anchor or '—'} | {values[0]:.3g} | {values[1]:.3g} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
