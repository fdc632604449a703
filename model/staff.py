"""Staff motivation, burnout and turnover (ODD 1.3, step 8)."""

from __future__ import annotations

import numpy as np


def update_motivation(motivation, pressure, baseline, recovery, crowding_out, burnout=0.0):
    """Motivation returns toward the intrinsic baseline, is crowded out by target pressure, and
    wears down with burnout (exhaustion turns into cynicism: Maslach, Schaufeli & Leiter 2001).

    Crowding-out of intrinsic motivation by contingent rewards and controls (Deci, Koestner & Ryan
    1999; contested for routine tasks: Weibel et al. 2010), a parameter, not a law. Motivation can
    fall in either mode: by pressure where targets bite, by burnout wherever work overloads.
    """
    motivation += (recovery * (baseline * (1.0 - burnout) - motivation)
                   - crowding_out * pressure * motivation)
    np.clip(motivation, 0.0, 1.0, out=motivation)


# Demand beyond three times the hours adds no more burnout: past that, work is simply not done.
MAX_WORKLOAD = 3.0


def update_burnout(burnout, workload, burnout_rate, burnout_recovery, strain=0.0):
    """Burnout grows with demand beyond capacity and with role strain; it heals otherwise.

    ``strain`` (per staff member) is the role strain of co-creating without skill and of failed
    encounters (Steen & Tuurnas 2018).
    """
    excess = max(0.0, min(workload, MAX_WORKLOAD) - 1.0)
    burnout += (burnout_rate * excess + strain) * (1.0 - burnout) - burnout_recovery * burnout
    np.clip(burnout, 0.0, 1.0, out=burnout)


def train(coproduction_skill, hours, effect):
    """A training programme raises facilitation skill, with diminishing returns."""
    coproduction_skill += min(1.0, hours * effect) * (1.0 - coproduction_skill)


def leaving(motivation, burnout, draw, p_leave, p_quit, baseline, quit_motivation):
    """Who leaves this week: anyone at a base rate, more the further motivation has fallen from
    its baseline toward ``quit_motivation``, or the more burnt out (continuous, so that cost and
    turnover move with conditions)."""
    span = max(baseline - quit_motivation, 1e-9)
    demotivation = np.clip((baseline - motivation) / span, 0.0, 1.0)
    return (draw < p_leave + p_quit * np.maximum(demotivation, burnout)).nonzero()[0]
