"""Needs: how welfare needs arise, how citizens meet part of them, and how communities prevent them."""

from __future__ import annotations

import numpy as np


def needs_arise(need, wicked_need, shock_draw, size_draw, wicked_draw, p_shock, wicked_share,
                prevented=None):
    """New needs strike at random (ODD 1.3, step 1); a share of them are wicked problems.

    ``prevented`` (per citizen, in [0, 1]) is the share by which community capacity lowers the
    chance of a need: a shock whose draw falls in the prevented band never happens, and its size is
    need avoided (prevention, an emergent channel). The draws are passed in so that every scenario
    consumes the same random numbers (common random numbers). Updates ``need`` and ``wicked_need``
    in place and returns the need avoided per citizen.
    """
    chance = p_shock if prevented is None else p_shock * (1.0 - prevented)
    strikes = shock_draw < chance
    new = np.where(strikes, size_draw, 0.0)
    need += new
    wicked_need += np.where(wicked_draw < wicked_share, new, 0.0)
    return np.where(~strikes & (shock_draw < p_shock), size_draw, 0.0)


def self_help(need, wicked_need, resources, rate, community=0.0, innovation_gain=0.0):
    """Citizens meet part of their need themselves, with their own resources and their community's.

    The resourceful help themselves more: the root of inequality before any public service acts.
    ``community`` (spillover x community capacity) adds what neighbours who co-produce teach and
    lend (collective co-production: Bovaird et al. 2015), and local innovations make both go
    further. Wicked need shrinks in the same proportion. Updates in place and returns
    ``(private, communal)``: the need met by one's own resources and the extra need met thanks to
    the community and innovations (emergent value).
    """
    own = np.minimum(1.0, rate * resources)
    total = np.minimum(1.0, rate * (resources + community) * (1.0 + innovation_gain))
    private = own * need
    communal = np.maximum(total - own, 0.0) * need
    keep = 1.0 - np.maximum(total, own)
    need *= keep
    wicked_need *= keep
    return private, communal


def wellbeing_from_need(need):
    """Wellbeing in (0, 1]: 1 with no unmet need, falling as need accumulates."""
    return 1.0 / (1.0 + need)
