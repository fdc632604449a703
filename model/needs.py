"""Needs: how welfare needs arise and how citizens' own resources meet part of them."""

from __future__ import annotations

import numpy as np


def needs_arise(need, wicked_need, shock_draw, size_draw, wicked_draw, p_shock, wicked_share):
    """New needs strike at random (MODEL.md step 1); a share of them are wicked problems.

    ``shock_draw`` and ``wicked_draw`` are uniform draws, ``size_draw`` the exponential sizes; they
    are passed in so that every scenario consumes the same random numbers (common random numbers).
    Updates ``need`` and ``wicked_need`` in place.
    """
    new = np.where(shock_draw < p_shock, size_draw, 0.0)
    need += new
    wicked_need += np.where(wicked_draw < wicked_share, new, 0.0)


def self_help(need, wicked_need, resources, rate):
    """Citizens meet part of their need with their own resources (time, money, networks).

    The resourceful help themselves more: the root of inequality before any public service acts.
    Wicked need shrinks in the same proportion. Updates in place.
    """
    keep = 1.0 - rate * resources
    need *= keep
    wicked_need *= keep


def wellbeing_from_need(need):
    """Wellbeing in (0, 1]: 1 with no unmet need, falling as need accumulates."""
    return 1.0 / (1.0 + need)
