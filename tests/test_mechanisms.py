"""Unit tests of each mechanism in isolation, with plain numbers (docs/ODD.md, section 1.3)."""

from __future__ import annotations

import numpy as np
import pytest
from coprosim.model import (
    allocation,
    codestruction,
    costs,
    emergence,
    learning,
    needs,
    participation,
    production,
    reflection,
    staff,
    targets,
    trust,
    volunteering,
)
from coprosim.model.metrics import equity_gap, gini, quintile_of


# --- production: CES after Parks et al. 1981 and Ostrom 1996 ---------------------------------
def test_ces_rho_one_is_perfect_substitutes():
    """rho = 1: Q = A (delta S + (1 - delta) C), and staff alone can produce."""
    s, c = np.array([0.2, 0.8, 1.0]), np.array([0.9, 0.1, 0.0])
    q = production.ces(s, c, rho=1.0, staff_weight=0.6, productivity=2.0)
    np.testing.assert_allclose(q, 2.0 * (0.6 * s + 0.4 * c))
    assert q[2] > 0, "with substitutes, staff input alone must produce value"


def test_ces_near_zero_is_cobb_douglas():
    s, c = 0.7, 0.3
    expected = s**0.6 * c**0.4
    assert production.ces(s, c, 1e-6, 0.6) == pytest.approx(expected, rel=1e-4)
    assert production.ces(s, c, 0.0, 0.6) == pytest.approx(expected, rel=1e-12)


def test_ces_very_negative_rho_is_the_minimum():
    """rho << 0: Leontief, output set by the scarcer input; nothing without the citizen."""
    s, c = np.array([0.9, 0.2, 0.5]), np.array([0.3, 0.8, 0.0])
    q = production.ces(s, c, rho=-60.0, staff_weight=0.5)
    np.testing.assert_allclose(q, np.minimum(s, c), atol=0.02)
    assert q[2] == 0.0


def test_ces_complementarity_rewards_balanced_inputs():
    """With complements, moving input from the abundant to the scarce side raises output."""
    unbalanced = production.ces(0.9, 0.1, -1.0, 0.5)
    balanced = production.ces(0.5, 0.5, -1.0, 0.5)
    assert balanced > unbalanced
    substitutes_unbalanced = production.ces(0.9, 0.1, 1.0, 0.5)
    assert substitutes_unbalanced == pytest.approx(production.ces(0.5, 0.5, 1.0, 0.5))


def test_input_diversity_from_single_actor_to_equal_thirds():
    d = production.input_diversity(np.array([1.0, 1.0, 1.0]), np.array([0.0, 1.0, 1.0]),
                                   np.array([0.0, 0.0, 1.0]))
    np.testing.assert_allclose(d, [0.0, 0.75, 1.0])


def test_wicked_need_is_reduced_less_by_a_single_actor():
    reduction_alone, _, _ = production.need_reduced(0.5, 1.0, 1.0, 0.0, 0.5, 0.0)
    reduction_diverse, _, _ = production.need_reduced(0.5, 1.0, 1.0, 1.0, 0.5, 0.0)
    assert reduction_alone == pytest.approx(0.25)
    assert reduction_diverse == pytest.approx(0.5)


def test_need_reduced_never_exceeds_need_and_splits_emergent_value():
    reduction, emergent, effective = production.need_reduced(
        np.array([0.4, 2.0]), np.array([1.0, 0.5]), np.zeros(2), np.ones(2), 0.0, np.array([0.5, 0.5]))
    np.testing.assert_allclose(reduction, [0.6, 0.5])
    np.testing.assert_allclose(emergent, [0.2, 0.0])
    np.testing.assert_allclose(effective, [0.4, 2.0])


def test_gaming_under_pressure_withdraws_input_from_wicked_need_only():
    """Bevan & Hood 2006: under pressure the unmeasured (wicked) work suffers, simple work not."""
    simple, _, _ = production.need_reduced(0.5, 1.0, 0.0, 1.0, 0.0, 0.0, wicked_loss=0.5)
    wicked, _, _ = production.need_reduced(0.5, 1.0, 1.0, 1.0, 0.0, 0.0, wicked_loss=0.5)
    assert simple == pytest.approx(0.5)
    assert wicked == pytest.approx(0.25)


# --- needs ---------------------------------------------------------------------------------------
def test_needs_arise_only_on_shocks_and_wicked_part_follows_draw():
    need, wicked = np.zeros(3), np.zeros(3)
    needs.needs_arise(need, wicked, np.array([0.05, 0.5, 0.05]), np.array([1.0, 1.0, 2.0]),
                      np.array([0.9, 0.1, 0.1]), p_shock=0.1, wicked_share=0.3)
    np.testing.assert_allclose(need, [1.0, 0.0, 2.0])
    np.testing.assert_allclose(wicked, [0.0, 0.0, 2.0])


def test_self_help_grows_with_resources():
    need, wicked = np.ones(2), np.ones(2) * 0.5
    needs.self_help(need, wicked, np.array([0.1, 0.9]), 0.5)
    assert need[1] < need[0]
    np.testing.assert_allclose(wicked / need, 0.5)


# --- allocation ----------------------------------------------------------------------------------
def test_voice_allocation_serves_resourceful_citizens_first():
    """NPM critique: staff serve the resourceful first when voice decides the queue."""
    cases = np.array([0, 1, 2])
    need = np.array([1.0, 1.0, 1.0])
    voice = np.array([0.1, 0.9, 0.5])  # resources x efficacy
    priority = allocation.queue_priority(need, np.zeros(3), voice, np.zeros(3), voice_weight=1.0,
                                        need_priority=1.0, pressure=0.0)
    served, used = allocation.serve_in_order(cases, priority, np.full(3, 2.0), 4.0, np.zeros(3))
    assert set(served) == {1, 2}
    assert used == 4.0


def test_without_voice_bias_need_decides():
    need = np.array([2.0, 0.5, 1.0])
    voice = np.array([0.1, 0.9, 0.5])
    priority = allocation.queue_priority(need, np.zeros(3), voice, np.zeros(3), voice_weight=0.0,
                                        need_priority=1.0, pressure=0.0)
    served, _ = allocation.serve_in_order(np.arange(3), priority, np.ones(3), 1.0, np.zeros(3))
    assert list(served) == [0]


def test_customers_are_served_in_turn_without_voice_or_need_priority():
    """Responsiveness: with neither voice nor need deciding, who waited longest comes first."""
    need = np.array([2.0, 0.5, 1.0])
    waiting = np.array([0.0, 3.0, 1.0])
    priority = allocation.queue_priority(need, waiting, np.array([0.9, 0.1, 0.5]), np.zeros(3),
                                        voice_weight=0.0, need_priority=0.0, pressure=0.0)
    served, _ = allocation.serve_in_order(np.arange(3), priority, np.ones(3), 1.0, np.zeros(3))
    assert list(served) == [1]


def test_elite_capture_lets_the_voice_of_those_present_shape_the_agenda():
    """Elite capture (Fung 2004): with voice weighing in, a need-first agenda turns to the vocal."""
    need = np.array([1.0, 0.8])
    voice = np.array([0.05, 0.9])
    fair = allocation.queue_priority(need, np.zeros(2), voice, np.zeros(2), 0.0, 1.0, 0.0)
    captured = allocation.queue_priority(need, np.zeros(2), voice, np.zeros(2), 0.6, 1.0, 0.0)
    assert fair.argmax() == 0 and captured.argmax() == 1


def test_target_pressure_shifts_staff_to_short_cases():
    """Cream-skimming: under full target pressure the quickest cases are served first."""
    duration = np.array([6.0, 2.0, 2.0, 4.0])
    need = np.array([3.0, 0.4, 0.5, 2.0])
    voice = np.array([0.9, 0.1, 0.1, 0.9])
    shortness = 1.0 - duration / duration.max()
    calm = allocation.queue_priority(need, np.zeros(4), voice, shortness, 0.5, 1.0, pressure=0.0)
    pressed = allocation.queue_priority(need, np.zeros(4), voice, shortness, 0.5, 1.0, pressure=1.0)
    served_calm, _ = allocation.serve_in_order(np.arange(4), calm, duration, 6.0, np.zeros(4))
    served_pressed, _ = allocation.serve_in_order(np.arange(4), pressed, duration, 6.0, np.zeros(4))
    assert list(served_calm) == [0]
    assert set(served_pressed) == {1, 2}
    assert len(served_pressed) > len(served_calm)


def test_serve_in_order_never_exceeds_hours():
    rng = np.random.default_rng(0)
    duration = rng.uniform(1, 5, 50)
    served, used = allocation.serve_in_order(np.arange(50), rng.random(50), duration, 37.0, rng.random(50))
    assert used <= 37.0
    assert used == pytest.approx(duration[served].sum())


def test_dialogue_wicked_needs_and_few_resources_lengthen_encounters():
    base = allocation.encounter_duration(0.0, 1.0, 2.0, 1.0, 0.5, 0.0)
    assert base == pytest.approx(2.0)
    assert allocation.encounter_duration(0.0, 1.0, 2.0, 1.0, 0.5, 0.5) == pytest.approx(1.5 * base)
    assert allocation.encounter_duration(1.0, 1.0, 2.0, 1.0, 0.5, 0.0) == pytest.approx(2 * base)
    assert allocation.encounter_duration(0.0, 0.0, 2.0, 1.0, 0.5, 0.0) == pytest.approx(1.5 * base)


# --- participation -------------------------------------------------------------------------------
def test_willingness_rises_with_resources_efficacy_and_support():
    args = dict(trust=0.4, habit=0.2, expected_benefit=0.3, peers=0.2, participation_cost=0.7,
                peer_weight=0.5, sensitivity=5.0)
    poor = participation.willingness(efficacy=0.3, resources=0.2, support=0.0, **args)
    rich = participation.willingness(efficacy=0.3, resources=0.8, support=0.0, **args)
    confident = participation.willingness(efficacy=0.9, resources=0.2, support=0.0, **args)
    supported = participation.willingness(efficacy=0.3, resources=0.2, support=0.5, **args)
    assert rich > poor and confident > poor and supported > poor


def test_repeated_disappointment_with_low_trust_leads_to_withdrawal():
    withdrawn = np.zeros(3, dtype=bool)
    participation.withdraw(withdrawn, np.array([5, 5, 1]), np.array([0.1, 0.6, 0.1]), 4, 0.3)
    assert list(withdrawn) == [True, False, False]


def test_neighbour_share_counts_neighbours_taking_part():
    import scipy.sparse as sp

    ring = sp.csr_matrix(np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]], dtype=float))
    share = participation.neighbour_share(ring, np.array([False, True, False]))
    np.testing.assert_allclose(share, [0.5, 0.0, 0.0])


# --- learning and experience ---------------------------------------------------------------------
def test_learning_raises_skill_with_diminishing_returns():
    skill = np.array([0.1])
    gains = []
    for _ in range(5):
        before = skill.copy()
        learning.learn_by_doing(skill, np.array([1.0]), 0.2)
        gains.append(float(skill[0] - before[0]))
    assert all(g > 0 for g in gains)
    assert all(later < earlier for earlier, later in zip(gains, gains[1:], strict=False))
    assert skill[0] < 1.0


def test_passive_receipt_lowers_efficacy():
    """NPM critique: pacification. Passive receipt erodes efficacy; an active part does not."""
    efficacy = np.array([0.5, 0.5])
    learning.pacify(efficacy, np.array([0.0, 1.0]), 0.1)
    assert efficacy[0] < 0.5
    assert efficacy[1] == 0.5


def test_efficacy_grows_with_part_played_and_relief():
    efficacy = np.array([0.4, 0.4, 0.4])
    learning.gain_efficacy(efficacy, np.array([1.0, 1.0, 0.1]), np.array([1.0, 0.1, 1.0]), 0.2)
    assert efficacy[0] > efficacy[1] > 0.4 and efficacy[0] > efficacy[2] > 0.4


def test_habits_move_toward_practice_and_fade_with_disuse():
    habit = np.array([0.5, 0.5, 0.5])
    served = np.array([True, True, False])
    learning.practise_habit(habit, served, np.array([1.0, 0.0, 0.0]), 0.2, 0.1)
    assert habit[0] > 0.5 > habit[2] and habit[1] < 0.5


def test_invitation_decides_how_much_of_the_offered_input_counts():
    """Co-production is inherent (Parks et al. 1981): both modes take input, as far as they invite it."""
    inp, practised = learning.citizen_input(np.array([0.8, 0.8]), np.array([0.5, 0.5]), 1.0,
                                            np.array([0.25, 1.0]))
    np.testing.assert_allclose(practised, [0.2, 0.8])
    assert 0 < inp[0] < inp[1]


def test_facilitation_makes_the_same_effort_count_more():
    weak, _ = learning.citizen_input(np.array([0.8]), np.array([0.5]), 0.0, 1.0)
    strong, _ = learning.citizen_input(np.array([0.8]), np.array([0.5]), 1.0, 1.0)
    assert strong[0] == pytest.approx(2 * weak[0])


def test_fatigue_grows_with_effort_that_brings_little_and_fades():
    """Participation fatigue: effort without relief tires; effort with full relief does not."""
    fatigue = np.zeros(3)
    learning.tire(fatigue, np.array([1.0, 1.0, 0.0]), np.array([0.0, 1.0, 0.0]), 0.2, 0.0)
    assert fatigue[0] > 0 and fatigue[1] == 0 and fatigue[2] == 0
    learning.tire(fatigue, np.zeros(3), np.zeros(3), 0.2, 0.5)
    assert fatigue[0] == pytest.approx(0.1)


def test_fatigue_lowers_the_willingness_to_take_part():
    args = (np.array([0.6]), np.array([0.5]), np.array([0.5]), np.array([0.5]), np.array([0.3]),
            np.array([0.5]), np.array([0.0]), 0.7, 1.0, 5.0)
    assert participation.willingness(*args, fatigue=np.array([0.4]))[0] < participation.willingness(*args)[0]


def test_expected_benefit_follows_payoff_only_for_those_who_took_part():
    eb = np.array([0.5, 0.5])
    learning.reinforce_expected_benefit(eb, np.array([True, False]), np.array([0.0, 0.0]), 0.5)
    np.testing.assert_allclose(eb, [0.25, 0.5])


# --- trust -------------------------------------------------------------------------------------------
def test_trust_is_lost_faster_than_gained():
    """Slovic 1993: with default rates, one disappointment outweighs one request met."""
    t = np.array([0.5, 0.5])
    trust.trust_after_request(t, np.array([True, False]), np.array([False, True]),
                              np.array([1.0, 0.0]), np.zeros(2), 0.05, 0.1, 0.0)
    assert (t[0] - 0.5) < (0.5 - t[1])


def test_withness_adds_trust_beyond_relief():
    t = np.array([0.5, 0.5])
    trust.trust_after_request(t, np.array([True, True]), np.array([False, False]),
                              np.array([0.5, 0.5]), np.array([1.0, 0.0]), 0.05, 0.1, 0.05)
    assert t[0] > t[1] > 0.5


# --- reflection and targets ----------------------------------------------------------------------
def test_reflection_finds_the_lagging_group():
    wellbeing = np.array([0.9, 0.9, 0.3, 0.8, 0.7])
    assert reflection.lagging_group(wellbeing, np.arange(5)) == 2


def test_reflection_raises_facilitation_skill_by_its_weight():
    skill = np.array([0.2])
    reflection.reflect(skill, 0.2)
    assert skill[0] == pytest.approx(0.36)
    s2 = np.array([0.2])
    reflection.reflect(s2, 0.0)
    assert s2[0] == 0.2


def test_first_target_is_a_stretch_and_met_targets_ratchet_up():
    assert targets.review_target(None, 2.0, 0.1, 0.05) == pytest.approx(2.2)
    assert targets.review_target(2.0, 2.5, 0.1, 0.1) == pytest.approx(2.2)
    assert targets.review_target(2.0, 1.5, 0.1, 0.1) == 2.0


def test_pressure_follows_the_gap_to_the_target():
    """A real feedback loop: behind the target pressure rises, ahead of it pressure eases."""
    on = targets.target_pressure(2.0, 2.0, 0.4)
    behind = targets.target_pressure(2.0, 1.5, 0.4)
    ahead = targets.target_pressure(2.0, 2.5, 0.4)
    assert on == pytest.approx(0.4)
    assert ahead < on < behind
    assert targets.target_pressure(2.0, 0.0, 0.5) == 1.0
    assert targets.target_pressure(2.0, 1.0, 0.0) == 0.0


def test_effort_is_an_inverted_u_of_pressure():
    """Moderate pressure raises pace (Gerrish 2016: small, positive); extreme pressure lowers it."""
    none = targets.effort(0.0, 0.1, 0.4)
    peak = targets.effort(0.4, 0.1, 0.4)
    extreme = targets.effort(1.0, 0.1, 0.4)
    assert none == 1.0 and peak == pytest.approx(1.1)
    assert extreme < none < peak


# --- staff ---------------------------------------------------------------------------------------
def test_target_pressure_crowds_out_motivation():
    calm, pressed = np.array([0.7]), np.array([0.7])
    for _ in range(20):
        staff.update_motivation(calm, 0.0, 0.7, 0.05, 0.05)
        staff.update_motivation(pressed, 1.0, 0.7, 0.05, 0.05)
    assert calm[0] == pytest.approx(0.7)
    assert pressed[0] < 0.5


def test_overload_burns_staff_out_and_rest_heals():
    b = np.array([0.2])
    staff.update_burnout(b, 2.0, 0.1, 0.1)
    assert b[0] > 0.2
    high = b[0]
    staff.update_burnout(b, 0.5, 0.1, 0.1)
    assert b[0] < high


def test_unhappy_staff_leave_more_often():
    draw = np.full(3, 0.03)
    leavers = staff.leaving(np.array([0.1, 0.7, 0.7]), np.array([0.0, 0.0, 0.9]), draw,
                            0.002, 0.05, 0.7, 0.35)
    assert list(leavers) == [0, 2]


def test_the_chance_of_leaving_rises_continuously_as_motivation_falls():
    """No threshold cliff: cost and turnover move with conditions, not only past a line."""
    motivation = np.array([0.7, 0.6, 0.5, 0.4])
    chances = [np.mean([j in staff.leaving(motivation, np.zeros(4), np.full(4, u), 0.0, 0.1, 0.7, 0.3)
                        for u in np.linspace(0, 0.1, 201)]) for j in range(4)]
    assert chances[0] == 0 and chances[0] < chances[1] < chances[2] < chances[3]


def test_burnout_wears_down_motivation():
    """Exhaustion turns into cynicism (Maslach et al. 2001): motivation can fall in either mode."""
    fresh, worn = np.array([0.7]), np.array([0.7])
    for _ in range(50):
        staff.update_motivation(fresh, 0.0, 0.7, 0.05, 0.0, burnout=np.array([0.0]))
        staff.update_motivation(worn, 0.0, 0.7, 0.05, 0.0, burnout=np.array([0.5]))
    assert fresh[0] == pytest.approx(0.7) and worn[0] < 0.45


def test_role_strain_burns_staff_out_without_overload():
    """Co-creating that goes wrong strains professionals (Steen & Tuurnas 2018)."""
    b = np.zeros(2)
    staff.update_burnout(b[:1], 1.0, 0.1, 0.05, strain=0.1)
    assert b[0] > 0 and b[1] == 0


def test_training_raises_facilitation_skill_with_diminishing_returns():
    skill = np.array([0.2, 0.8])
    staff.train(skill, 2.0, 0.05)
    np.testing.assert_allclose(skill, [0.28, 0.82])


# --- co-destruction ------------------------------------------------------------------------------
def test_codestruction_is_likelier_with_untrained_staff_low_trust_and_poor_fit():
    """Järvi et al. 2018; Engen et al. 2021: each gap raises the chance an encounter goes wrong."""
    base = codestruction.codestruction_chance(1.0, 0.2, 0.3, 0.3, 0.5)
    assert codestruction.codestruction_chance(1.0, 0.8, 0.3, 0.3, 0.5) < base
    assert codestruction.codestruction_chance(1.0, 0.2, 0.8, 0.3, 0.5) < base
    assert codestruction.codestruction_chance(1.0, 0.2, 0.3, 0.8, 0.5) < base


def test_a_passive_encounter_cannot_be_codestroyed():
    assert codestruction.codestruction_chance(0.0, 0.0, 0.0, 0.0, 1.0) == 0.0


def test_failures_are_noticed_less_often_when_many_share_the_task():
    """Diffuse accountability: a lone professional notices a failure; three actors less often."""
    chances = codestruction.noticed_chance(np.array([1, 2, 3]), 0.5)
    np.testing.assert_allclose(chances, [1.0, 1 / 1.5, 0.5])


def test_an_unnoticed_failure_adds_need_and_a_noticed_one_does_not():
    harm = codestruction.harm_done(np.array([1.0, 1.0, 1.0]), np.array([True, True, False]),
                                   np.array([False, True, False]), 0.5)
    np.testing.assert_allclose(harm, [0.5, 0.0, 0.0])


def test_a_failure_costs_trust_and_efficacy_and_distrust_spreads_to_neighbours():
    import scipy.sparse as sp

    path = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float))
    t, e = np.full(3, 0.5), np.full(3, 0.5)
    failed = np.array([True, False, False])
    trust.lose_trust_after_failure(t, e, failed, 0.2)
    assert t[0] == pytest.approx(0.4) and e[0] == pytest.approx(0.4)
    trust.spread_distrust(t, path, failed, 0.1)
    assert t[1] == pytest.approx(0.45) and t[2] == 0.5


def test_trust_reverts_toward_each_citizens_baseline():
    t = np.array([0.9, 0.1])
    for _ in range(200):
        trust.revert_trust(t, np.array([0.4, 0.3]), 0.05)
    np.testing.assert_allclose(t, [0.4, 0.3], atol=1e-3)


# --- emergence -----------------------------------------------------------------------------------
def test_innovation_needs_diversity_and_trust():
    gain = np.zeros(3)
    n = emergence.innovate(gain, np.array([0, 1, 2]), np.array([1.0, 0.0, 1.0]),
                           np.array([1.0, 1.0, 0.0]), np.full(3, 0.05), 0.1, 0.2, 1.0)
    assert n == 1 and list(gain) == [0.2, 0.0, 0.0]


def test_innovations_spread_to_neighbours_taking_part():
    import scipy.sparse as sp

    path = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float))
    gain = np.array([0.5, 0.0, 0.0])
    emergence.spread_innovations(gain, path.indptr, path.indices, np.array([False, True, True]),
                                 np.zeros(3), 1.0)
    assert list(gain) == [0.5, 0.5, 0.0]  # only direct neighbours adopt in one week


def test_community_capacity_is_the_chance_help_reaches_a_citizen_along_a_tie():
    """Help flows only along ties: each neighbour helps with chance tie_help x skill x habit."""
    import scipy.sparse as sp

    star = sp.csr_matrix(np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]], dtype=float))
    capacity = emergence.community_capacity(star, np.array([0.2, 0.8, 0.4]),
                                            np.array([1.0, 0.5, 0.5]), 0.5)
    # the centre: 1 - (1 - 0.5*0.4)(1 - 0.5*0.2); the leaves: 0.5 * 0.2 from the centre
    np.testing.assert_allclose(capacity, [1 - 0.8 * 0.9, 0.1, 0.1])


def test_prevention_avoids_the_needs_that_would_have_struck():
    """Need avoided is value: a shock prevented is counted, at the size it would have had."""
    need, wicked = np.zeros(3), np.zeros(3)
    avoided = needs.needs_arise(need, wicked, np.array([0.05, 0.08, 0.5]), np.array([1.0, 2.0, 3.0]),
                                np.ones(3), p_shock=0.1, wicked_share=0.0,
                                prevented=np.array([0.0, 0.5, 0.5]))
    np.testing.assert_allclose(need, [1.0, 0.0, 0.0])
    np.testing.assert_allclose(avoided, [0.0, 2.0, 0.0])


def test_community_help_and_innovations_add_to_self_help_as_communal_value():
    need, wicked = np.ones(3), np.zeros(3)
    private, communal = needs.self_help(need, wicked, np.full(3, 0.5), 0.1,
                                        community=np.array([0.0, 0.5, 0.0]),
                                        innovation_gain=np.array([0.0, 0.0, 1.0]))
    np.testing.assert_allclose(private, [0.05, 0.05, 0.05])
    np.testing.assert_allclose(communal, [0.0, 0.05, 0.05])
    np.testing.assert_allclose(need, [0.95, 0.9, 0.9])


def test_a_review_can_find_a_process_improvement_up_to_its_cap():
    assert emergence.process_innovation(0.0, 0.05, 0.1, 0.05, 0.3) == pytest.approx(0.05)
    assert emergence.process_innovation(0.0, 0.5, 0.1, 0.05, 0.3) == 0.0
    assert emergence.process_innovation(0.28, 0.0, 0.1, 0.05, 0.3) == pytest.approx(0.3)


def test_routines_save_time_on_simple_needs_only():
    """Standardisation: routine skill shortens simple encounters; wicked ones take as long."""
    simple = allocation.encounter_duration(0.0, 1.0, 2.0, 1.0, 0.0, 0.0, routine_saving=0.3)
    wicked = allocation.encounter_duration(1.0, 1.0, 2.0, 1.0, 0.0, 0.0, routine_saving=0.3)
    assert simple == pytest.approx(1.4)
    assert wicked == pytest.approx(4.0)


# --- volunteers ----------------------------------------------------------------------------------
def test_volunteers_fill_the_encounters_asked_for_by_their_real_hours():
    """Slots come from encounter durations: long co-creating encounters take more volunteer time."""
    durations = np.array([4.0, 4.0, 2.0, 2.0, 2.0])
    chosen, volunteer_of, load = volunteering.match_to_encounters(
        np.array([10, 11]), 4.0, np.arange(5), durations, np.array([True, True, True, False, True]),
        np.array([0.1, 0.2, 0.3, 0.4, 0.5]))
    assert list(chosen) == [0, 1] and list(volunteer_of) == [10, 11]
    assert load == pytest.approx(12.0 / 8.0)


def test_the_programme_recruits_efficacious_citizens_only_while_it_has_work_for_them():
    is_volunteer = np.array([False, False, False, True])
    efficacy = np.array([0.6, 0.2, 0.6, 0.9])
    resources = np.array([0.5, 0.5, 0.1, 0.5])
    args = (is_volunteer, efficacy, resources, np.zeros(4, dtype=bool), np.zeros(4), 0.5, 0.4, 1.0)
    assert list(volunteering.recruit(*args, work_for_more=1.0, min_resources=0.3)) == [0]
    assert list(volunteering.recruit(*args, work_for_more=0.0, min_resources=0.3)) == []
    assert volunteering.work_for_more(0.5, True) == 0.0
    assert volunteering.work_for_more(1.2, True) == 1.0 == volunteering.work_for_more(0.0, False)


def test_overloaded_volunteers_lose_heart_and_leave():
    """Overload, not only disuse, drives volunteers away."""
    motivation, skill = np.array([0.8, 0.8]), np.zeros(2)
    used = np.array([True, True])
    fine, heavy = motivation[:1].copy(), motivation[1:].copy()
    for _ in range(10):
        volunteering.after_week(fine, skill[:1], used[:1], 0.1, overload=0.0, overload_strain=0.3)
        volunteering.after_week(heavy, skill[1:], used[1:], 0.1, overload=1.0, overload_strain=0.3)
    assert fine[0] > 0.8 and heavy[0] < 0.3
    leaving = volunteering.volunteers_leaving(np.array([0, 1]), np.r_[fine, heavy], np.ones(2), 0.0)
    assert list(leaving) == [1]


# --- the ledger ----------------------------------------------------------------------------------
def test_ledger_lines_sum_to_capacity_overtime_at_its_price_and_hiring():
    worked = {"service": 80.0, "dialogue": 10.0, "target_audit": 5.0, "outreach": 10.0,
              "volunteer_coordination": 5.0, "training": 5.0, "reflection": 0.0}
    rows = costs.ledger(worked, capacity=100.0, overtime=15.0, premium=1.5, hires=1,
                        hiring_cost=400.0, n_citizens=10)
    assert set(rows) == set(costs.LEDGER)
    assert rows["hours_idle"] == 0.0
    assert sum(rows.values()) == pytest.approx((100.0 + 1.5 * 15.0 + 400.0) / 10)
    quiet = costs.ledger({k: v / 2 for k, v in worked.items()}, 100.0, 0.0, 1.5, 0, 400.0, 10)
    assert quiet["hours_idle"] == pytest.approx(4.25) and sum(quiet.values()) == pytest.approx(10.0)


# --- metrics -------------------------------------------------------------------------------------
def test_gini_of_equal_and_concentrated_values():
    assert gini(np.ones(10)) == pytest.approx(0.0)
    assert gini(np.r_[np.zeros(99), 1.0]) == pytest.approx(0.99)


def test_quintiles_and_equity_gap():
    resources = np.linspace(0, 1, 10)
    q = quintile_of(resources)
    assert list(q) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    wellbeing = np.linspace(0.5, 1.0, 10)
    assert equity_gap(wellbeing, q) > 0


def test_queue_ranks_are_scipys_average_ranks_scaled_to_one():
    """The queue ranks need, waiting and case length (ties share their mean rank), so it does not
    depend on the number of citizens the way a division by the maximum did."""
    from scipy.stats import rankdata

    rng = np.random.default_rng(3)
    for n in (2, 3, 17, 200):
        for values in (rng.random(n), rng.integers(0, 4, n).astype(float)):
            expected = (rankdata(values, method="average") - 1.0) / (n - 1.0)
            np.testing.assert_array_equal(allocation.rank01(values), expected)
    assert list(allocation.rank01(np.array([5.0]))) == [0.5]


def test_ces_with_a_vanishing_complement_gives_zero_without_a_warning():
    """Complements (rho < 0): an input so small that input**rho overflows gives the Leontief
    limit, zero output, and no overflow warning (issue 16: a property test hit one)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = production.ces(np.array([1.0, 1.0, 0.5]), np.array([1e-300, 0.0, 0.3]), -5.0, 0.5)
    assert out[0] == 0.0 and out[1] == 0.0
    assert out[2] == pytest.approx((0.5 * 0.5**-5 + 0.5 * 0.3**-5) ** (1 / -5.0), rel=1e-12)
