"""Staff motivation, burnout and turnover (MODEL.md step 8)."""

from __future__ import annotations

import numpy as np


def update_motivation(motivation, pressure, baseline, recovery, crowding_out):
    """Motivation returns toward the intrinsic baseline and is crowded out by target pressure.

    Crowding-out of intrinsic motivation by contingent rewards and controls (Deci, Koestner & Ryan
    1999; contested for routine tasks: Weibel et al. 2010), a parameter, not a law.
    """
    motivation += recovery * (baseline - motivation) - crowding_out * pressure * motivation
    np.clip(motivation, 0.0, 1.0, out=motivation)


def update_burnout(burnout, workload, burnout_rate, burnout_recovery):
    """Burnout grows with demand beyond capacity and heals when the load is bearable."""
    excess = max(0.0, min(workload, 3.0) - 1.0)
    if excess > 0:
        burnout += burnout_rate * excess * (1.0 - burnout)
    else:
        burnout -= burnout_recovery * burnout
    np.clip(burnout, 0.0, 1.0, out=burnout)


def leaving(motivation, burnout, draw, p_leave, p_quit, quit_motivation, quit_burnout):
    """Who leaves this week: anyone with a small chance, the demotivated or burnt out more often."""
    unhappy = (motivation < quit_motivation) | (burnout > quit_burnout)
    return np.flatnonzero(draw < p_leave + p_quit * unhappy)
