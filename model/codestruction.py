"""How co-production fails (ODD 2.11): co-destruction of value and diffuse accountability.

A co-creating encounter can leave the citizen worse off (need up, trust down) when facilitation is
poor, trust is low and the citizen's competence does not fit what is asked (Järvi, Kähkönen &
Torvinen 2018; Engen et al. 2021; Williams et al. 2016). The chance is a product of those three
gaps and of how far the citizen took part: a passive encounter cannot be co-destroyed. When many
share a task, a failure is noticed and corrected less often (diffuse accountability).
"""

from __future__ import annotations

import numpy as np


def codestruction_chance(practised, staff_skill, trust, citizen_skill, p_codestruction):
    """Chance an encounter goes wrong: falls with staff skill, the citizen's trust and skill (fit)."""
    return p_codestruction * practised * (1.0 - staff_skill) * (1.0 - trust) * (1.0 - citizen_skill)


def noticed_chance(actors, accountability_diffusion):
    """Chance a failure is noticed and corrected at once: 1 for a lone actor, less with more actors."""
    return 1.0 / (1.0 + accountability_diffusion * (np.asarray(actors, dtype=float) - 1.0))


def harm_done(output, went_wrong, noticed, harm):
    """Need added by encounters that went wrong and were not corrected at once."""
    return np.where(went_wrong & ~noticed, harm * output, 0.0)
