"""Allocation of staff time (ODD 1.3, step 3): whose request is met, in which order.

Both modes queue with one formula whose weights are the mode's rules: the customer mode puts
voice first (resourceful, confident citizens press demands better) and otherwise serves in turn;
the co-creating mode starts from need, with the voice of those who show up shaping the agenda
(elite capture). Target pressure, in either mode, pulls the queue toward quick cases
(cream-skimming). An outreach programme reaches the target group first, in both modes.
"""

from __future__ import annotations

import numpy as np


def encounter_duration(wicked_fraction, resources, standard_duration, wicked_extra_time,
                       disadvantage_extra_time, dialogue_overhead=0.0, routine_saving=0.0):
    """Staff hours an encounter takes.

    Wicked cases and citizens with few resources take longer; dialogue adds its overhead;
    routine skill and process improvements save time on the simple part of a case
    (standardisation: a strength of the customer mode where it learns routines).
    """
    extra = wicked_extra_time * wicked_fraction + disadvantage_extra_time * (1.0 - resources)
    routine = 1.0 - routine_saving * (1.0 - wicked_fraction)
    return standard_duration * (1.0 + extra) * routine * (1.0 + dialogue_overhead)


def rank01(values):
    """Each value's rank among ``values``, scaled to [0, 1] (ties share their mean rank; 0.5 for a
    lone value). Ranks, not values over their maximum: the largest of more values is larger, so
    scaling by the maximum made the queue depend on the number of citizens."""
    n = values.size
    if n <= 1:
        return np.full(n, 0.5)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = np.empty(n, dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], n)
    ranks = np.empty(n)
    ranks[order] = np.repeat((starts + ends - 1) / 2.0, ends - starts)  # ties: their mean rank
    return ranks / (n - 1.0)


def queue_priority(need, waiting, voice, shortness, voice_weight, need_priority, pressure):
    """Queue order in one mode: voice, then need or turn, and quick cases as pressure rises.

    ``voice_weight`` and ``need_priority`` are the mode's rules (arrays or scalars): the customer
    mode weighs voice and serves in turn, the co-creating mode starts from need. Need and waiting
    enter as ranks among the cases in the queue (``rank01``); ``shortness`` is already a rank.
    ``pressure`` is the mode's target pressure, pulling toward short cases (cream-skimming).
    """
    merit = need_priority * rank01(need) + (1.0 - need_priority) * rank01(waiting)
    return (1.0 - pressure) * (voice_weight * voice + (1.0 - voice_weight) * merit) + pressure * shortness


def serve_in_order(candidates, priority, duration, hours, jitter):
    """Serve candidates from highest priority down while the hours last.

    ``candidates`` are citizen indices, ``priority`` and ``duration`` aligned with them; ``jitter``
    (uniform draws) breaks ties at random. The queue stops at the first case that no longer fits
    in the hours left. Returns the served indices and the hours used.
    """
    if candidates.size == 0 or hours <= 0:
        return candidates[:0], 0.0
    order = np.lexsort((jitter, -priority))
    cum = np.cumsum(duration[order])
    n_served = int(np.searchsorted(cum, hours, side="right"))
    used = float(cum[n_served - 1]) if n_served else 0.0
    return candidates[order[:n_served]], used


def outreach_candidates(need, target_group, threshold):
    """Citizens of the outreach target group with a need worth reaching out for, asked or not."""
    return (target_group & (need > threshold)).nonzero()[0]
