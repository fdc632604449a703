"""Staff invite citizens' input as far as their own experience teaches them (ODD 1.3, step 5b).

Rules set expectations; staff decide (street-level bureaucracy: Lipsky 1980; Hupe & Hill 2007).
Each staff member's ``invitation`` (how far they invite and use a citizen's offered input) is their
own state. It learns from:

- the outcomes of their own encounters: input that helped (relief above what the staff member has
  come to expect) raises it, encounters that went wrong lower it, more than a success raises it
  (reinforcement learning with an aspiration level: Bush & Mosteller 1955; Macy & Flache 2002;
  losses weigh about twice as much as gains: Tversky & Kahneman 1992);
- what is measured and rewarded: under target pressure, staff attend to pace more than to relief,
  and time an invited case takes beyond the standard counts against them (coping by routinising
  and rationing: Tummers et al. 2015; "hitting the target and missing the point": Bevan & Hood 2006);
- colleagues (team culture: mutual learning of individuals and the organisational code, March 1991);
- what the mode's rule expects (the norm the organisation writes down), a weak weekly pull;
- reflection meetings, where the team compares the relief of encounters with and without citizens'
  input and moves toward what the evidence shows (action research; learning in organisations).
"""

from __future__ import annotations

import numpy as np


def encounter_signal(relief, aspiration, pressure, extra_time, failed, failure_aversion):
    """What one encounter with invited input teaches its staff member, in [-failure_aversion, 1].

    Relief above the staff member's aspiration is a success, below it a disappointment; under
    target pressure ``pressure`` (0-1) the relief is seen less and the case's time beyond a
    standard case (``extra_time``, a share of the service time) is felt more; an encounter that went
    wrong counts as a loss of ``failure_aversion``.
    """
    seen = (1.0 - pressure) * (relief - aspiration) - pressure * extra_time
    return np.where(failed, -failure_aversion, seen)


def learn_from_encounters(invitation, staff_of, invited, signal, rate):
    """Each staff member's invitation moves with the invited-input-weighted mean signal of their
    own encounters this week (Bush-Mosteller: up by ``rate x signal`` of the room left, down by
    ``rate x signal`` of what there is). ``staff_of`` (staff index of each encounter), ``invited``
    (the input invited in it, 0-1) and ``signal`` are aligned. Updates in place."""
    m = invitation.size
    weight = np.bincount(staff_of, weights=invited, minlength=m)
    total = np.bincount(staff_of, weights=invited * signal, minlength=m)
    mean_signal = np.clip(np.divide(total, weight, out=np.zeros(m), where=weight > 0), -1.0, 1.0)
    invitation += rate * np.where(mean_signal > 0, mean_signal * (1.0 - invitation),
                                  mean_signal * invitation)


def update_aspiration(aspiration, staff_of, relief, memory):
    """Each staff member's aspiration (the relief they have come to expect of an encounter) moves
    toward the mean relief of their encounters this week (habituation). Updates in place."""
    m = aspiration.size
    count = np.bincount(staff_of, minlength=m)
    mean_relief = np.divide(np.bincount(staff_of, weights=relief, minlength=m), count,
                            out=aspiration.copy(), where=count > 0)
    aspiration += memory * (mean_relief - aspiration)


def follow_colleagues(invitation, influence):
    """Team culture: each staff member's invitation moves toward the team's mean. In place."""
    invitation += influence * (invitation.mean() - invitation)


def follow_norm(invitation, expected, pull):
    """The mode's rule: invitation moves a little toward what the organisation expects. In place."""
    invitation += pull * (expected - invitation)


def reflection_evidence(relief_with, count_with, relief_without, count_without):
    """What a reflection meeting sees: the relative difference in relief between encounters with
    citizens' input and without (failures count as no relief), in [-1, 1]; 0 without both."""
    if count_with <= 0 or count_without <= 0:
        return 0.0
    with_input, without = relief_with / count_with, relief_without / count_without
    top = max(with_input, without)
    return 0.0 if top <= 0 else (with_input - without) / top


def reflect_on_invitation(invitation, evidence, weight):
    """A reflection cycle moves every staff member's invitation toward inviting more where the
    evidence favours citizens' input and less where it does not, by ``weight`` (the mode's
    reflection rule) times the strength of the evidence. Updates in place."""
    if evidence > 0:
        invitation += weight * evidence * (1.0 - invitation)
    elif evidence < 0:
        invitation += weight * evidence * invitation
