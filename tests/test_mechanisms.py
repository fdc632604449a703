"""Unit tests of each mechanism in isolation, with plain numbers (MODEL.md section 3)."""

from __future__ import annotations

import numpy as np
import pytest
from coprosim.model import (
    allocation,
    emergence,
    learning,
    needs,
    participation,
    production,
    reflection,
    staff,
    trust,
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
    reduction_alone, _ = production.need_reduced(0.5, 1.0, 1.0, 0.0, 0.5, 0.0)
    reduction_diverse, _ = production.need_reduced(0.5, 1.0, 1.0, 1.0, 0.5, 0.0)
    assert reduction_alone == pytest.approx(0.25)
    assert reduction_diverse == pytest.approx(0.5)


def test_need_reduced_never_exceeds_need_and_splits_emergent_value():
    reduction, emergent = production.need_reduced(np.array([0.4, 2.0]), np.array([1.0, 0.5]),
                                                  np.zeros(2), np.ones(2), 0.0, np.array([0.5, 0.5]))
    np.testing.assert_allclose(reduction, [0.6, 0.5])
    np.testing.assert_allclose(emergent, [0.2, 0.0])


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
    priority = allocation.customer_priority(need, voice, np.zeros(3), voice_bias=1.0, pressure=0.0)
    served, used = allocation.serve_in_order(cases, priority, np.full(3, 2.0), 4.0, np.zeros(3))
    assert set(served) == {1, 2}
    assert used == 4.0


def test_without_voice_bias_need_decides():
    need = np.array([2.0, 0.5, 1.0])
    voice = np.array([0.1, 0.9, 0.5])
    priority = allocation.customer_priority(need, voice, np.zeros(3), voice_bias=0.0, pressure=0.0)
    served, _ = allocation.serve_in_order(np.arange(3), priority, np.ones(3), 1.0, np.zeros(3))
    assert list(served) == [0]


def test_target_pressure_shifts_staff_to_short_cases():
    """Cream-skimming: under full target pressure the quickest cases are served first."""
    duration = np.array([6.0, 2.0, 2.0, 4.0])
    need = np.array([3.0, 0.4, 0.5, 2.0])
    voice = np.array([0.9, 0.1, 0.1, 0.9])
    shortness = 1.0 - duration / duration.max()
    calm = allocation.customer_priority(need, voice, shortness, voice_bias=0.5, pressure=0.0)
    pressed = allocation.customer_priority(need, voice, shortness, voice_bias=0.5, pressure=1.0)
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
    args = dict(trust=0.4, habit=0.2, expected_benefit=0.3, neighbours=0.2, participation_cost=0.7,
                neighbour_influence=1.0, sensitivity=5.0)
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


def test_customer_cap_limits_the_citizens_input():
    inp, practised = learning.citizen_input(np.array([0.8, 0.8]), np.array([0.5, 0.5]), 1.0,
                                            np.array([0.1, 1.0]))
    np.testing.assert_allclose(practised, [0.1, 0.8])
    assert inp[0] < inp[1]


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


def test_reflection_changes_skill_and_habits_in_proportion_to_cocreating_time():
    skill, habit = np.array([0.2, 0.2]), np.array([0.0, 0.0])
    reflection.reflect(skill[:1], habit[:1], 1.0, 0.2)
    assert skill[0] == pytest.approx(0.36) and habit[0] == pytest.approx(0.2)
    s2, h2 = np.array([0.2]), np.array([0.0])
    reflection.reflect(s2, h2, 0.0, 0.2)
    assert s2[0] == 0.2 and h2[0] == 0.0


def test_met_targets_ratchet_up():
    assert reflection.review_target(None, 2.0, 0.1) == 2.0
    assert reflection.review_target(2.0, 2.5, 0.1) == pytest.approx(2.2)
    assert reflection.review_target(2.0, 1.5, 0.1) == 2.0
    assert reflection.target_pressure(2.0, 1.0, 0.5) == 1.0
    assert reflection.target_pressure(2.0, 4.0, 0.5) == 0.25
    assert reflection.target_pressure(2.0, 1.0, 0.0) == 0.0


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
    draw = np.full(2, 0.03)
    leavers = staff.leaving(np.array([0.1, 0.9]), np.zeros(2), draw, 0.002, 0.05, 0.35, 0.8)
    assert list(leavers) == [0]


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
