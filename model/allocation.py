"""Allocation of staff time (MODEL.md step 3): whose request is met, in which order.

Customer mode (NPM): the strongest voice first (resourceful, confident citizens press demands
better), shifting to the shortest cases as target pressure rises (cream-skimming). Co-creating
mode: by need, after an outreach share of time reserved for citizens with few resources.
"""

from __future__ import annotations

import numpy as np


def encounter_duration(wicked_fraction, resources, standard_duration, wicked_extra_time,
                       disadvantage_extra_time, dialogue_overhead):
    """Staff hours an encounter takes: wicked cases and citizens with few resources take longer,
    and dialogue adds its overhead."""
    extra = wicked_extra_time * wicked_fraction + disadvantage_extra_time * (1.0 - resources)
    return standard_duration * (1.0 + extra) * (1.0 + dialogue_overhead)


def customer_priority(need, voice, shortness, voice_bias, pressure):
    """Queue order under customer rules: voice over need, and quick cases as pressure rises."""
    need_rank = need / need.max() if need.size and need.max() > 0 else need
    return (1.0 - pressure) * (voice_bias * voice + (1.0 - voice_bias) * need_rank) + pressure * shortness


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
    return np.flatnonzero(target_group & (need > threshold))
