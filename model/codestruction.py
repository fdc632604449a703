"""How co-production fails (ODD 2.11): co-destruction of value and diffuse accountability.

A co-creating encounter can leave the citizen worse off (need up, trust down) when facilitation is
poor, trust is low or the citizen's competence does not fit what is asked (Järvi, Kähkönen &
Torvinen 2018; Engen et al. 2021; Williams et al. 2016). The chance grows with the mean of those
three gaps and with how far the citizen took part: an encounter with no invited effort cannot be
co-destroyed. When many
share a task, a failure is noticed and corrected less often (diffuse accountability).
"""

from __future__ import annotations

import numpy as np


def codestruction_chance(practised, staff_skill, trust, citizen_skill, p_codestruction):
    """Chance an encounter goes wrong: ``p_codestruction`` times how far the citizen took part,
    times the mean of three gaps: the staff member's facilitation skill, the citizen's trust, and
    the citizen's skill (fit). Any one gap can make an encounter go wrong (Järvi, Kähkönen &
    Torvinen 2018 list such reasons side by side: missing skill, missing trust, mismatched
    expectations), so the gaps add rather than multiply. ``practised`` is the effort the
    staff member invited: a passive citizen's small effort (``passive_effort`` x invitation) can
    still go wrong, rarely; an encounter with no invited effort cannot."""
    gaps = ((1.0 - staff_skill) + (1.0 - trust) + (1.0 - citizen_skill)) / 3.0
    return p_codestruction * practised * gaps


def noticed_chance(actors, accountability_diffusion):
    """Chance a failure is noticed and corrected at once: 1 for a lone actor, less with more actors."""
    return 1.0 / (1.0 + accountability_diffusion * (np.asarray(actors, dtype=float) - 1.0))


def harm_done(output, went_wrong, noticed, harm):
    """Need added by encounters that went wrong and were not corrected at once."""
    return np.where(went_wrong & ~noticed, harm * output, 0.0)
