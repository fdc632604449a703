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
    """Share of each citizen's neighbours who took part (what others around me do)."""
    if degree is None:
        degree = np.asarray(adjacency.sum(axis=1)).ravel()
    counts = adjacency @ taking_part.astype(float)
    return np.divide(counts, degree, out=np.zeros_like(counts), where=degree > 0)


def clustering(adjacency, engaged, degree) -> float:
    """How far taking part clusters on the network: the mean share of engaged citizens' neighbours
    who are engaged (took part at their last request), over the share of all citizens who are
    (1: no more than chance; above 1: participants know participants). 0 when nobody is."""
    rate = np.count_nonzero(engaged) / engaged.size
    if rate == 0:
        return 0.0
    shares = neighbour_share(adjacency, engaged, degree)[engaged]
    return float(shares.mean() / rate)


def peer_reinforcement(engaged_neighbours, persuasion, threshold):
    """Social reinforcement of taking part, a complex contagion (Centola & Macy 2007; Centola 2010).

    Each engaged neighbour (one who took part at their last request) persuades independently with
    chance ``persuasion``; a citizen feels the reinforcement once at least ``threshold`` of them do
    (threshold 1: a simple contagion). Returns that chance, ``P(Binomial(k, q) >= threshold)``,
    for each citizen's count ``k`` of engaged neighbours: more ties to engaged people, and ties
    that overlap (clustered neighbourhoods), give more reinforcement.
    """
    k = np.asarray(engaged_neighbours, dtype=float)
    q = float(persuasion)
    if threshold <= 0 or q >= 1.0:
        return (k >= threshold).astype(float)
    if q <= 0.0:
        return np.zeros_like(k)
    below = np.zeros_like(k)
    term = (1.0 - q) ** k  # P(exactly 0 persuade)
    for i in range(int(threshold)):
        below += term
        term = term * np.maximum(k - i, 0.0) / (i + 1) * q / (1.0 - q)
    return np.clip(1.0 - below, 0.0, 1.0)


def willingness(efficacy, trust, habit, expected_benefit, peers, resources, support,
                participation_cost, peer_weight, sensitivity, fatigue=0.0):
    """Probability of taking part: expected benefit against the cost of time (ODD 1.3, step 2).

    Benefit: the mean of four personal terms (efficacy, the sense of agency; trust; habit; the
    benefit taking part brought before), mixed with the social reinforcement of engaged neighbours
    (``peers``, from ``peer_reinforcement``) at weight ``peer_weight`` (conditional cooperation:
    about half of people contribute as far as others do, Fischbacher, Gaechter & Fehr 2001).
    Cost: time, higher for fewer resources, lowered by outreach support, and participation fatigue
    (effort that brought little). A logistic choice.
    """
    personal = (efficacy + trust + habit + expected_benefit) / 4.0
    benefit = (1.0 - peer_weight) * personal + peer_weight * peers
    cost = participation_cost * (1.0 - resources) * (1.0 - support) + fatigue
    return 1.0 / (1.0 + np.exp(-sensitivity * (benefit - cost)))
