"""Experience and learning (ODD 1.3, step 5; Jensen & Thomassen 2020: experience, habits).

Citizens learn by doing: taking part raises skill and efficacy with diminishing returns, passive
receipt erodes efficacy (pacification), habits move toward what was practised and fade with disuse. How much staff invite citizens'
input is learned too, from their own encounters, colleagues, the rule and reflection: see
``invitation``.
"""

from __future__ import annotations


def learn_by_doing(skill, practised, learning_rate):
    """Skill rises with the part a citizen played, with diminishing returns (room left: 1 - skill)."""
    skill += learning_rate * practised * (1.0 - skill)


def gain_efficacy(efficacy, practised, relief, efficacy_gain):
    """Taking part and seeing value created raises the sense of agency (Bovaird et al. 2015)."""
    efficacy += efficacy_gain * practised * relief * (1.0 - efficacy)


def pacify(efficacy, practised, pacification):
    """Receiving a service passively erodes efficacy (NPM critique: pacified citizens)."""
    efficacy -= pacification * (1.0 - practised) * efficacy


def practise_habit(habit, served, practised, habit_rate, habit_decay):
    """Habits move toward what was practised in an encounter, and fade a little without one."""
    habit[served] += habit_rate * (practised[served] - habit[served])
    idle = ~served
    habit[idle] -= habit_decay * habit[idle]


def reinforce_expected_benefit(expected_benefit, took_part, payoff, memory):
    """A citizen who took part updates the benefit they expect from it (reinforcement learning).

    When taking part brings little visible value, the expectation, and so participation, decays
    (as contributions do in repeated public-goods games: Ledyard 1995; Fehr & Gaechter 2000).
    """
    expected_benefit[took_part] += memory * (payoff[took_part] - expected_benefit[took_part])


def citizen_input(willing_effort, skill, facilitation, invitation, unskilled_input=0.3,
                  unfacilitated_input=0.5):
    """What a citizen contributes: the effort offered, as far as the staff member invites it, times
    what skill and facilitation make of it.

    Co-production is inherent in every service (Parks et al. 1981; Osborne, Radnor & Strokosch
    2016): the same formula holds in both modes. ``invitation`` is how far the staff member who
    handles the case invites and uses the input (their own, learned: ``invitation``). Effort counts
    ``unskilled_input`` with no skill and fully at full skill; facilitation (the staff member's
    co-production skill) makes it count from ``unfacilitated_input`` up to fully. Returns
    ``(input, practised)``, ``practised`` the effort actually exercised.
    """
    practised = willing_effort * invitation
    counts = (unskilled_input + (1.0 - unskilled_input) * skill) * (
        unfacilitated_input + (1.0 - unfacilitated_input) * facilitation)
    return practised * counts, practised


def tire(fatigue, practised, relief, fatigue_rate, fatigue_recovery):
    """Participation fatigue: effort that brought little relief piles up, and fades with rest."""
    fatigue += fatigue_rate * practised * (1.0 - relief) * (1.0 - fatigue)
    fatigue -= fatigue_recovery * fatigue
