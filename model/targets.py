"""Performance targets (ODD 1.3, step 6): a feedback loop with an inverted U (Gerrish 2016;
Bevan & Hood 2006).

A target on cases closed per hour is set at a stretch above what was first achieved and ratcheted
up when met. Pressure follows the gap between target and achievement. Effort rises with moderate
pressure and falls when pressure is extreme; the gain goes to what is measured (pace), while
unmeasured value on wicked needs suffers (gaming).
"""

from __future__ import annotations

# How pressure follows the gap: a shortfall of 50% doubles it (1 + 2 x 0.5). A shape constant of the
# target loop; target_strength sets its level.
GAP_SENSITIVITY = 2.0
# Pace never falls below a tenth of normal, however extreme the pressure (the inverted U's floor).
MIN_PACE = 0.1


def review_target(target, achieved, stretch, ratchet):
    """Performance review: the first target is a stretch above what was achieved; a met one rises."""
    if target is None:
        return achieved * (1.0 + stretch)
    if achieved >= target:
        return target * (1.0 + ratchet)
    return target


def target_pressure(target, achieved, strength):
    """Pressure in [0, 1] that follows the gap: ``strength`` on target, more when behind, less ahead.

    A relative shortfall of 50% doubles the pressure; a target beaten by 50% halves it.
    """
    if strength <= 0 or target is None or target <= 0:
        return 0.0
    gap = (target - achieved) / target
    return float(min(1.0, max(0.0, strength * (1.0 + GAP_SENSITIVITY * gap))))


def effort(pressure, gain, peak):
    """Pace of work under pressure: an inverted U (Yerkes & Dodson 1908; Gerrish 2016).

    1 without pressure, ``1 + gain`` at ``peak``, back to 1 at twice the peak and below 1 beyond.
    """
    x = pressure / peak
    return max(MIN_PACE, 1.0 + gain * x * (2.0 - x))
