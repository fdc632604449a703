"""Demand and participation: who asks for help, who takes part, who withdraws (ODD 1.3, step 2)."""

from __future__ import annotations

import numpy as np


def asks_for_help(need, withdrawn, threshold):
    """A citizen whose need exceeds the threshold asks for help, unless withdrawn."""
    return (need > threshold) & ~withdrawn


def withdraw(withdrawn, disappointments, trust, withdraw_after, withdraw_trust):
    """Alienation (NPM critique): after repeated unmet requests a distrustful citizen stops asking.

    Their need goes on but is hidden from the service. Updates ``withdrawn`` in place.
    """
    withdrawn |= (disappointments >= withdraw_after) & (trust < withdraw_trust)


def return_unprompted(withdrawn, disappointments, draw, p_return):
    """A withdrawn citizen sometimes tries again by themselves."""
    back = withdrawn & (draw < p_return)
    withdrawn &= ~back
    disappointments[back] = 0


def neighbour_share(adjacency, taking_part, degree=None):
    """Share of each citizen's neighbours who took part last week (what others around me do)."""
    if degree is None:
        degree = np.asarray(adjacency.sum(axis=1)).ravel()
    counts = adjacency @ taking_part.astype(float)
    return np.divide(counts, degree, out=np.zeros_like(counts), where=degree > 0)


def willingness(efficacy, trust, habit, expected_benefit, neighbours, resources, support,
                participation_cost, neighbour_influence, sensitivity, fatigue=0.0):
    """Probability of taking part: expected benefit against the cost of time (ODD 1.3, step 2).

    Benefit: efficacy (sense of agency), trust, habit, the benefit taking part brought before, and
    neighbours taking part (conditional cooperation). Cost: time, higher for fewer resources,
    lowered by outreach support, and participation fatigue (effort that brought little). A
    logistic choice.
    """
    benefit = (efficacy + trust + habit + expected_benefit + neighbour_influence * neighbours) / (
        4.0 + neighbour_influence
    )
    cost = participation_cost * (1.0 - resources) * (1.0 - support) + fatigue
    return 1.0 / (1.0 + np.exp(-sensitivity * (benefit - cost)))
