"""Emergence (ODD 1.3, step 7; seed chapter 1: emergence creates unexpected value).

Emergent value is value no single encounter planned. It flows through channels each switchable by
a parameter: innovations (an encounter, in either mode, may produce one, more likely when those
present are diverse and trusting; they spread along the network: diffusion), process improvements
found at team reviews, and community capacity (what co-producing neighbours know and do helps a
citizen meet needs and prevents new ones: spillover and prevention). Negative emergence
(co-destruction and the spread of distrust) is in ``codestruction`` and ``trust``.
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
    """Citizens taking part adopt the best practice among their neighbours with some chance.

    Only the week's adopters (taking part, a draw below ``p_spread``, at least one neighbour) look
    at their neighbours; everyone's gain is read before anyone's changes.
    """
    if p_spread <= 0 or indices.size == 0 or not innovation_gain.any():
        return
    adopters = (taking_part & (draw < p_spread) & (indptr[1:] > indptr[:-1])).nonzero()[0]
    if adopters.size == 0:
        return
    starts = indptr[adopters]
    lengths = indptr[adopters + 1] - starts
    firsts = np.cumsum(lengths) - lengths  # where each adopter's neighbours start, laid end to end
    neighbours = indices[np.repeat(starts - firsts, lengths) + np.arange(int(lengths.sum()))]
    best = np.maximum.reduceat(innovation_gain[neighbours], firsts)
    innovation_gain[adopters] = np.maximum(innovation_gain[adopters], best)


def community_capacity(adjacency, degree, skill, habit):
    """Community capacity around each citizen: the mean co-production skill x habit of neighbours
    (collective co-production: Bovaird et al. 2015), in [0, 1]."""
    contribution = adjacency @ (skill * habit)
    return np.divide(contribution, degree, out=np.zeros_like(contribution), where=degree > 0)


def process_innovation(process_gain, draw, chance, size, cap):
    """A team review may find a process improvement (benchmarking, lean): routine work gets
    quicker. ``chance`` is already scaled by the routine share of the work. Returns the new gain."""
    if draw < chance:
        return min(cap, process_gain + size)
    return process_gain
