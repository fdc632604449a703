"""Metrics (docs/ODD.md, section 4): names, the hours ledger, and the helpers that compute them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .costs import LEDGER  # noqa: F401  (re-exported: the ledger's columns beside the metrics)

METRICS: dict[str, str] = {
    "public_value": "Need met in encounters, plus need met by community help and need avoided by prevention, less need added by co-destruction, this step, per citizen.",
    "emergent_value": "Unplanned part of public_value: innovations, community help and prevention, less value destroyed (can be negative), per citizen.",
    "participation_rate": "Share of citizens with a need above the threshold who took part this step.",
    "volunteers": "Number of active volunteers.",
    "mean_trust": "Mean trust in public institutions, in [0, 1].",
    "mean_efficacy": "Mean sense of agency (efficacy), in [0, 1].",
    "mean_wellbeing": "Mean wellbeing, in (0, 1].",
    "gini_wellbeing": "Gini coefficient of wellbeing.",
    "equity_gap": "Mean wellbeing of the top minus the bottom resource quintile.",
    "unmet_need": "Need of citizens still asking for help, per citizen.",
    "hidden_need": "Need of withdrawn citizens (no longer asking), per citizen.",
    "staff_motivation": "Mean staff motivation, in [0, 1].",
    "staff_turnover": "Share of staff who left this step.",
    "cost": "Paid staff hours (capacity), overtime at its premium and hiring, this step, per citizen (the sum of the ledger).",
    "value_per_cost": "public_value / cost.",
    "throughput": "Encounters held this step (cases closed: the NPM indicator).",
    "innovations": "Innovations so far (cumulative).",
    "social_cost": "cost plus citizens' and volunteers' hours at their shadow price, per citizen.",
    "waiting_time": "Mean weeks from asking to being served, of those served this step.",
    "value_destroyed": "Need added by co-destruction this step, per citizen.",
    "need_met_in_encounters": "Need met in encounters this step (the part due to innovations included), per citizen.",
    "community_help": "Need met by help reaching citizens along their ties (beyond their own self-help) this step, per citizen (emergent).",
    "need_prevented": "Need that shocks would have brought but community capacity prevented this step, per citizen (emergent).",
    "need_arising": "Need that shocks would have brought this step without prevention, per citizen (the inflow of the need-flow identity).",
    "self_help": "Need citizens met with their own resources this step, per citizen.",
    "need_stock": "Unmet need of all citizens at the end of the step, per citizen.",
    "invitation_practised": "Mean share of citizens' input the staff member invited, over the encounters held this step (voice).",
    "staff_invitation": "Mean of staff's learned invitation of citizens' input, in [0, 1].",
    "participation_clustering": "Mean share of engaged citizens' neighbours who are engaged (took part at their last request), over the share of all citizens who are (1: as by chance).",
    "community_capacity": "Mean chance that help reaches a citizen along at least one tie, in [0, 1].",
    "citizen_skill": "Mean co-production skill of citizens, in [0, 1].",
}


@dataclass(frozen=True)
class MetricInfo:
    """How to read a metric: its unit, which direction is better, and the values it can take.

    ``better`` is +1 (higher is better), -1 (lower is better) or 0 (neither: an input or a
    count whose size is not a verdict). ``low``/``high`` are the bounds the metric cannot leave
    (None: unbounded), used to keep confidence intervals inside them.
    """

    unit: str
    better: int
    low: float | None = None
    high: float | None = None


NEED = "need units per citizen per week"
HOURS = "staff hours per citizen per week"
METRIC_INFO: dict[str, MetricInfo] = {
    "public_value": MetricInfo(NEED, +1),
    "emergent_value": MetricInfo(NEED, +1),
    "participation_rate": MetricInfo("share of citizens in need", +1, 0.0, 1.0),
    "volunteers": MetricInfo("volunteers", 0, 0.0),
    "mean_trust": MetricInfo("score 0-1", +1, 0.0, 1.0),
    "mean_efficacy": MetricInfo("score 0-1", +1, 0.0, 1.0),
    "mean_wellbeing": MetricInfo("score 0-1", +1, 0.0, 1.0),
    "gini_wellbeing": MetricInfo("Gini 0-1", -1, 0.0, 1.0),
    "equity_gap": MetricInfo("wellbeing points (top minus bottom quintile)", -1, -1.0, 1.0),
    "unmet_need": MetricInfo("need units per citizen", -1, 0.0),
    "hidden_need": MetricInfo("need units per citizen", -1, 0.0),
    "staff_motivation": MetricInfo("score 0-1", +1, 0.0, 1.0),
    "staff_turnover": MetricInfo("share of staff per week", -1, 0.0, 1.0),
    "cost": MetricInfo(HOURS, -1, 0.0),
    "value_per_cost": MetricInfo("need units per staff hour", +1),
    "throughput": MetricInfo("encounters per week", +1, 0.0),
    "innovations": MetricInfo("innovations (cumulative)", +1, 0.0),
    "social_cost": MetricInfo("staff-hour equivalents per citizen per week", -1, 0.0),
    "waiting_time": MetricInfo("weeks", -1, 0.0),
    "value_destroyed": MetricInfo(NEED, -1, 0.0),
    "need_met_in_encounters": MetricInfo(NEED, +1, 0.0),
    "community_help": MetricInfo(NEED, +1, 0.0),
    "need_prevented": MetricInfo(NEED, +1, 0.0),
    "need_arising": MetricInfo(NEED, 0, 0.0),
    "self_help": MetricInfo(NEED, 0, 0.0),
    "need_stock": MetricInfo("need units per citizen", -1, 0.0),
    "invitation_practised": MetricInfo("share 0-1", 0, 0.0, 1.0),
    "staff_invitation": MetricInfo("share 0-1", 0, 0.0, 1.0),
    "participation_clustering": MetricInfo("ratio (1: as by chance)", 0, 0.0),
    "community_capacity": MetricInfo("chance 0-1", +1, 0.0, 1.0),
    "citizen_skill": MetricInfo("score 0-1", +1, 0.0, 1.0),
    **{name: MetricInfo(HOURS, 0, 0.0) for name in LEDGER},
}


# Metrics that count things (stored as integers by the experiments layer).
COUNTS = ("volunteers", "throughput", "innovations")


def mean(values) -> float:
    """Mean of a float array, the same number as ``values.mean()`` (the same sum divided by the
    count) without numpy's per-call bookkeeping, which costs more than the sum on 1,000 values."""
    return float(np.add.reduce(values, axis=None) / values.size)


def gini(values) -> float:
    """Gini coefficient of non-negative values (0 equal, toward 1 concentrated)."""
    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    total = x.sum()
    if n == 0 or total <= 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2.0 * (ranks * x).sum() / (n * total)) - (n + 1.0) / n)


def quintile_of(resources) -> np.ndarray:
    """Resource quintile 0 (fewest) to 4 (most) of each citizen, by rank."""
    n = len(resources)
    ranks = np.empty(n, dtype=np.int64)
    ranks[np.argsort(resources, kind="stable")] = np.arange(n)
    return (ranks * 5 // n).astype(np.int64)


def equity_gap(wellbeing, quintile, members=None) -> float:
    """Mean wellbeing of the top minus the bottom resource quintile (who is left behind).

    ``members``: optionally ``(top, bottom)``, the indices of the two quintiles' citizens in
    index order (``quintile_members``), for a model that asks every week.
    """
    top, bottom = members if members is not None else quintile_members(quintile)
    return float(mean(wellbeing[top]) - mean(wellbeing[bottom]))


def quintile_members(quintile) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the citizens of the top and of the bottom resource quintile."""
    return np.flatnonzero(quintile == 4), np.flatnonzero(quintile == 0)
