"""Emergence (MODEL.md step 7; seed chapter 1: emergence creates unexpected value).

A co-creating encounter may produce an innovation, more likely when those present are diverse and
trusting: a lasting local gain in productivity. Innovations spread along the social network to
citizens who take part. The value they add is emergent value: unplanned and varying across runs.
"""

from __future__ import annotations

import numpy as np


def innovate(innovation_gain, encounters, diversity, trust, draw, p_innovation, size, cap):
    """Encounters that innovate raise their citizen's local productivity. Returns the number."""
    chance = p_innovation * diversity * trust
    new = encounters[draw < chance]
    innovation_gain[new] = np.minimum(cap, innovation_gain[new] + size)
    return int(new.size)


def spread_innovations(innovation_gain, indptr, indices, taking_part, draw, p_spread):
    """Citizens taking part adopt the best practice among their neighbours with some chance."""
    if p_spread <= 0 or indices.size == 0:
        return
    best = np.zeros_like(innovation_gain)
    has_neighbours = np.diff(indptr) > 0
    starts = indptr[:-1][has_neighbours]
    best[has_neighbours] = np.maximum.reduceat(innovation_gain[indices], starts)
    adopt = taking_part & (draw < p_spread)
    np.maximum(innovation_gain, np.where(adopt, best, 0.0), out=innovation_gain)
