"""What decides the gap between the regimes: each rule pair's share of it (docs/ODD.md, section 7).

Co-production and NPM differ only in their rules (``coprosim.model.params.MODE_RULES``: seven
pairs, the customer mode's value and the co-creating mode's). For each pair this runs co-production
with that one rule set to NPM's value, everything else as it was, on the same seeds (common random
numbers), and reports how much of co-production's lead over NPM on each metric goes away:

    share of the gap = (gap with every rule - gap with this rule made NPM's) / gap with every rule

A share of 100% means the rule alone makes the difference, 0% that it makes none, above 100% that
without it co-production falls behind; shares need not add up to 100% (rules interact). The last
row makes every rule NPM's: the two regimes are then the same model and the gap is exactly zero
(a check, and the reason the shares are read against it).

    coprosim decompose [--replications 10] [--citizens 1000] [--steps 200] [--out DIR]

The runs go through the experiments core (``run_experiment``: resumable, paired seeds, part files).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from coprosim.model import PRESETS, Params
from coprosim.model.params import MODE_RULES, RULE_MEANINGS

from .design import Experiment, parse_experiment

ALL_RULES = "all_rules_npm"
METRICS = ("public_value", "mean_wellbeing", "equity_gap", "mean_trust", "participation_rate",
           "value_per_cost", "invitation_practised")


def _npm_value(customer: str):
    """The customer rule's value in the ``npm`` preset (its default unless the preset sets it)."""
    return PRESETS["npm"]["overrides"].get(customer, Params.spec(customer)["default"])


def decomposition_experiment(replications: int = 10, n_citizens: int = 1000, steps: int = 200,
                             seed: int = 20261207, end_share: float = 0.25,
                             metrics=METRICS) -> Experiment:
    """The experiment: npm, coproduction, co-production with each rule pair made NPM's, and with
    all of them made NPM's; the same seeds for every scenario."""
    scenarios: dict[str, dict] = {"npm": {}, "coproduction": {}}
    everything = {}
    for name, (customer, cocreating) in MODE_RULES.items():
        value = _npm_value(customer)
        scenarios[f"npm_{name}"] = {"preset": "coproduction", cocreating: value}
        everything[cocreating] = value
    scenarios[ALL_RULES] = {"preset": "coproduction", **everything}
    data = {
        "experiment": {"description": "Each rule pair's share of the gap between co-production and NPM.",
                       "replications": replications, "steps": steps, "seed": seed,
                       "metrics": list(metrics)},
        "base": {"n_citizens": n_citizens},
        "scenarios": scenarios,
        "analysis": {"baseline": "npm", "end_share": end_share},
    }
    return parse_experiment(data, "rule decomposition", "", "rule_decomposition")


def rule_shares(ends: pd.DataFrame, metrics=METRICS) -> pd.DataFrame:
    """Each rule pair's share of the gap on each metric, from end values (one row per run).

    ``ends`` has columns ``scenario``, ``replication`` and the metrics. Returns one row per rule
    pair (and the all-rules row) with, per metric, the gap left and the share of the gap removed.
    """
    by = ends.set_index(["scenario", "replication"])
    npm = by.loc["npm"]
    full = (by.loc["coproduction"] - npm).mean()
    rows = [{"rule": "(every rule as it is)", "meaning": "co-production's lead over NPM",
             **{f"{m} gap": full[m] for m in metrics}}]
    for name in [*MODE_RULES, ALL_RULES]:
        scenario = f"npm_{name}" if name != ALL_RULES else ALL_RULES
        if scenario not in by.index.get_level_values(0):
            continue
        gap = (by.loc[scenario] - npm).mean()
        row = {"rule": name if name != ALL_RULES else "all seven",
               "meaning": RULE_MEANINGS.get(name, "every rule pair made NPM's")}
        for m in metrics:
            row[f"{m} gap"] = gap[m]
            row[f"{m} share"] = (full[m] - gap[m]) / full[m] if full[m] != 0 else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def shares_markdown(table: pd.DataFrame, metrics=METRICS) -> str:
    """The table in Markdown: one row per rule pair, one column per metric: the gap left with that
    pair made NPM's, and (in brackets) the share of co-production's lead that goes away. A share is
    large when the lead itself is small: read the gap left first."""
    head = "| rule pair made NPM's: gap left (share of the lead removed) | " + " | ".join(metrics) + " |"
    lines = [head, "|---|" + "---:|" * len(metrics)]
    gap = table.iloc[0]
    lines.append("| co-production's lead (gap) | "
                 + " | ".join(f"{gap[f'{m} gap']:+.3g}" for m in metrics) + " |")
    for _, row in table.iloc[1:].iterrows():
        cells = []
        for m in metrics:
            share = row.get(f"{m} share")
            left = f"{row[f'{m} gap']:+.2g}"
            cells.append(left if pd.isna(share) else f"{left} ({100 * share:.0f}%)")
        lines.append(f"| {row['rule']}: {row['meaning']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def decompose(out: str | Path = "results/rule_decomposition", workers: int | None = None,
              replications: int = 10, n_citizens: int = 1000, steps: int = 200,
              dask: str | None = None) -> pd.DataFrame:
    """Run (or resume) the decomposition, write ``shares.csv`` and ``shares.md``; returns the table."""
    from .runner import run_experiment
    from .storage import load_runs, write_atomic

    experiment = decomposition_experiment(replications, n_citizens, steps)
    out = Path(out)
    run_experiment(experiment, out=out, workers=workers, dask=dask)
    ends = load_runs(out, value="end", metrics=list(experiment.metrics))
    table = rule_shares(ends[["scenario", "replication", *experiment.metrics]], experiment.metrics)
    table.to_csv(out / "shares.csv", index=False)
    write_atomic(out / "shares.md", shares_markdown(table, experiment.metrics))
    return table
