"""Trust in public institutions (ODD 1.3, step 6; Thomassen & Jensen 2020: 'withness-thinking')."""

from __future__ import annotations


def trust_after_request(trust, served, unmet, relief, practised, trust_gain, trust_loss, withness):
    """Trust moves with how a request was met.

    A request met raises trust by the relief it brought; being treated as a partner (the citizen's
    part in the encounter) adds trust of its own (withness); an unmet request lowers it, faster
    than it was gained (Slovic 1993). Updates in place.
    """
    room = 1.0 - trust[served]
    trust[served] += (trust_gain * relief[served] + withness * practised[served]) * room
    trust[unmet] -= trust_loss * trust[unmet]


def revert_trust(trust, baseline, reversion):
    """Trust drifts back toward each citizen's baseline (about 0.40 on average, lower with fewer
    resources: OECD 2024): one encounter's effect fades. Updates in place."""
    trust += reversion * (baseline - trust)


def lose_trust_after_failure(trust, efficacy, failed, loss):
    """An encounter that went wrong costs the citizen trust and efficacy (co-destruction)."""
    if not failed.any():
        return
    trust[failed] -= loss * trust[failed]
    efficacy[failed] -= loss * efficacy[failed]


def spread_distrust(trust, adjacency, failed, contagion):
    """Negative emergence: neighbours of a citizen whose encounter went wrong lose some trust."""
    if contagion <= 0 or not failed.any():
        return
    exposure = adjacency @ failed.astype(float)
    exposed = exposure > 0
    trust[exposed] *= (1.0 - contagion) ** exposure[exposed]
