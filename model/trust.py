"""Trust in public institutions (MODEL.md step 8; seed chapter 2: 'withness-thinking')."""

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
