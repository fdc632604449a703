"""Team reviews (MODEL.md step 6).

Co-creating teams run reflection cycles (action research: plan, act, observe, reflect): they
compare results with intentions, redirect outreach to the group that lags, and change their
interactional habits and skills (learning in organizations). Under targets the review is a
performance review: a met target is ratcheted up.
"""

from __future__ import annotations

import numpy as np


def lagging_group(wellbeing, resource_quintile):
    """The resource quintile with the lowest mean wellbeing: where the team redirects outreach."""
    sums = np.bincount(resource_quintile, weights=wellbeing, minlength=5)
    counts = np.bincount(resource_quintile, minlength=5)
    means = np.divide(sums, counts, out=np.full(5, np.inf), where=counts > 0)
    return int(np.argmin(means))


def reflect(coproduction_skill, mode_habit, coproduction_share, reflection_learning):
    """Reflection changes staff skill and interactional habits, in proportion to co-creating time.

    Skill grows with diminishing returns; habits move toward the co-creating mode as far as the
    team works in it. Updates in place.
    """
    step = reflection_learning * coproduction_share
    coproduction_skill += step * (1.0 - coproduction_skill)
    mode_habit += step * (1.0 - mode_habit)


def review_target(target, achieved, ratchet):
    """Performance review: the first review sets the target at what was achieved; a met target rises."""
    if target is None:
        return achieved
    if achieved >= target:
        return target * (1.0 + ratchet)
    return target


def target_pressure(target, achieved, target_strength):
    """Pressure staff feel from targets, in [0, 1]: the strength, scaled up when the target is missed."""
    if target is None or target_strength == 0:
        return 0.0 if target_strength == 0 else target_strength
    if achieved <= 0:
        return min(1.0, 2 * target_strength)
    return float(min(1.0, target_strength * target / achieved))
