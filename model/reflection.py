"""Team reviews (ODD 1.3, step 6): reflection cycles.

Teams that reflect (a rule of the co-creating mode: action research, plan, act, observe, reflect)
compare results with intentions, redirect outreach to the group that lags, and change their
interactional habits and skills (learning in organizations). Performance reviews under targets are
in ``targets``.
"""

from __future__ import annotations

import numpy as np


def lagging_group(wellbeing, resource_quintile):
    """The resource quintile with the lowest mean wellbeing: where the team redirects outreach."""
    sums = np.bincount(resource_quintile, weights=wellbeing, minlength=5)
    counts = np.bincount(resource_quintile, minlength=5)
    means = np.divide(sums, counts, out=np.full(5, np.inf), where=counts > 0)
    return int(np.argmin(means))


def reflect(coproduction_skill, reflection_weight):
    """Reflection raises staff's facilitation skill, with diminishing returns.

    ``reflection_weight`` is the reflection learning of each mode weighted by the time worked in
    it. What reflection does to staff's invitation of citizens' input depends on the evidence the
    team looks at (``invitation.reflect_on_invitation``). Updates in place.
    """
    coproduction_skill += reflection_weight * (1.0 - coproduction_skill)
