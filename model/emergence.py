"""Emergence (ODD 1.3, step 7; Jensen & Thomassen 2020: emergence creates unexpected value).

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


def spread_innovations(innovation_gain, indptr, indices, taking_part, draw, p_spread,
                       threshold=1):
    """Citizens taking part adopt a neighbour's better practice with some chance, once enough
    neighbours hold it: a complex contagion (Centola & Macy 2007; Centola 2010).

    Only the week's adopters (taking part, a draw below ``p_spread``, at least ``threshold``
    neighbours) look at their neighbours, and take the best practice that at least ``threshold``
    of them hold (the ``threshold``-th highest gain among them; threshold 1: the best, a simple
    contagion). Everyone's gain is read before anyone's changes.
    """
    threshold = max(1, int(threshold))
    if p_spread <= 0 or indices.size == 0 or not innovation_gain.any():
        return
    lengths_all = indptr[1:] - indptr[:-1]
    adopters = (taking_part & (draw < p_spread) & (lengths_all >= threshold)).nonzero()[0]
    if adopters.size == 0:
        return
    starts = indptr[adopters]
    lengths = lengths_all[adopters]
    firsts = np.cumsum(lengths) - lengths  # where each adopter's neighbours start, laid end to end
    neighbours = indices[np.repeat(starts - firsts, lengths) + np.arange(int(lengths.sum()))]
    gains = innovation_gain[neighbours]
    if threshold == 1:
        held = np.maximum.reduceat(gains, firsts)
    else:
        segment = np.repeat(np.arange(adopters.size), lengths)
        order = np.lexsort((-gains, segment))  # each adopter's neighbours, best first
        held = gains[order][firsts + threshold - 1]
    innovation_gain[adopters] = np.maximum(innovation_gain[adopters], held)


def community_capacity(adjacency, skill, habit, tie_help):
    """Community capacity around each citizen, in [0, 1]: the chance that help reaches them along
    at least one tie, each neighbour helping with chance ``tie_help x skill x habit`` (what
    neighbours who co-produce know and do: collective co-production, Bovaird et al. 2015). Help
    flows only along ties, so more ties to skilled, engaged neighbours give more (social capital:
    Putnam 2000)."""
    per_tie = np.clip(tie_help * skill * habit, 0.0, 1.0 - 1e-12)
    return -np.expm1(adjacency @ np.log1p(-per_tie))


def process_innovation(process_gain, draw, chance, size, cap):
    """A team review may find a process improvement (benchmarking, lean): routine work gets
    quicker. ``chance`` is already scaled by the routine share of the work. Returns the new gain."""
    if draw < chance:
        return min(cap, process_gain + size)
    return process_gain
