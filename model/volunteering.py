"""Volunteers (MODEL.md steps 4 and 8): recruited from engaged citizens, partners in encounters.

Volunteers join encounters on the community side of the production function, learn by doing,
lose heart when unused and leave at a base rate (about a third a year: CNCS 2009).
"""

from __future__ import annotations

import numpy as np


def recruit(is_volunteer, efficacy, habit, resources, withdrawn, draw, recruitment, engagement,
            max_share):
    """Engaged citizens (efficacy and habit high on average, some free resources) may volunteer.

    Returns the indices of new volunteers, at most up to ``max_share`` of citizens in all.
    """
    if recruitment <= 0:
        return np.empty(0, dtype=np.int64)
    room = int(max_share * is_volunteer.size) - int(is_volunteer.sum())
    if room <= 0:
        return np.empty(0, dtype=np.int64)
    eligible = (~is_volunteer & ~withdrawn & ((efficacy + habit) / 2 > engagement)
                & (resources > 0.3))
    return np.flatnonzero(eligible & (draw < recruitment))[:room]


def match_to_encounters(volunteer_ids, slots_each, encounters, order_draw):
    """Volunteers join encounters, at most one each, encounters picked in a random order.

    Returns ``(encounter_citizens, volunteer_of_each)`` aligned arrays.
    """
    if volunteer_ids.size == 0 or slots_each <= 0 or encounters.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    slots = np.repeat(volunteer_ids, slots_each)
    k = min(slots.size, encounters.size)
    chosen = encounters[np.argsort(order_draw[encounters], kind="stable")[:k]]
    return chosen, slots[:k]


def after_week(motivation, skill, used, learning_rate):
    """Used volunteers learn and find meaning; unused ones lose heart."""
    skill[used] += learning_rate * (1.0 - skill[used])
    motivation += 0.1 * (used.astype(float) - motivation)


def volunteers_leaving(volunteer_ids, motivation, draw, churn):
    """Volunteers leave at a base rate, and for sure once demotivated."""
    return volunteer_ids[(draw[volunteer_ids] < churn) | (motivation[volunteer_ids] < 0.3)]
