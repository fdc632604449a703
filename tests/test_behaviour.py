"""Behaviour that emerges (docs/ODD.md 1.3 and 5): staff learn how far to invite citizens' input,
the network carries behaviour, public value obeys the need-flow identity, and co-production can
lose for its own reasons.

Unit tests check each mechanism with plain numbers; model tests check that the behaviour appears
in runs, on seeds of their own (never the seeds a default or a region was chosen on).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from coprosim.model import (
    CoproductionModel,
    Params,
    emergence,
    invitation,
    participation,
    volunteering,
)
from scipy import stats

from .conftest import run_frames, window_mean


# --- staff learn how far to invite (street-level discretion) -----------------------------------
def test_invitation_rises_after_input_that_helped_and_falls_after_failures():
    """Bush-Mosteller: relief above aspiration raises invitation by rate x signal of the room left;
    a failed encounter lowers it by rate x failure_aversion of what there is."""
    inv = np.array([0.4, 0.4])
    signal = invitation.encounter_signal(relief=np.array([0.8, 0.8]), aspiration=np.array([0.5, 0.5]),
                                         pressure=np.zeros(2), extra_time=np.zeros(2),
                                         failed=np.array([False, True]), failure_aversion=2.0)
    np.testing.assert_allclose(signal, [0.3, -2.0])
    invitation.learn_from_encounters(inv, np.array([0, 1]), np.ones(2), signal, rate=0.1)
    assert inv[0] == pytest.approx(0.4 + 0.1 * 0.3 * 0.6)
    assert inv[1] == pytest.approx(0.4 - 0.1 * 1.0 * 0.4)  # the signal is clipped at -1


def test_under_target_pressure_staff_see_time_more_than_relief():
    """What is measured is what is learned (Bevan & Hood 2006): the same helpful but slower
    encounter teaches 'invite' without pressure and 'do not' under full pressure."""
    args = dict(relief=np.array([0.7]), aspiration=np.array([0.5]), extra_time=np.array([0.5]),
                failed=np.array([False]), failure_aversion=2.0)
    assert invitation.encounter_signal(pressure=np.array([0.0]), **args)[0] > 0
    assert invitation.encounter_signal(pressure=np.array([1.0]), **args)[0] < 0


def test_only_encounters_with_input_taken_up_teach_a_staff_member():
    inv = np.array([0.5, 0.5])
    invitation.learn_from_encounters(inv, np.array([0, 1]), np.array([0.0, 1.0]),
                                     np.array([1.0, 1.0]), rate=0.5)
    assert inv[0] == 0.5 and inv[1] > 0.5


def test_colleagues_and_the_rule_pull_invitation_toward_them():
    inv = np.array([0.0, 1.0, 0.5])
    invitation.follow_colleagues(inv, 0.5)
    np.testing.assert_allclose(inv, [0.25, 0.75, 0.5])
    invitation.follow_norm(inv, 1.0, 0.1)
    np.testing.assert_allclose(inv, [0.325, 0.775, 0.55])


def test_reflection_moves_invitation_with_the_evidence_either_way():
    """Action research: the team invites more where input helped, less where it did not."""
    assert invitation.reflection_evidence(6.0, 10.0, 4.0, 10.0) == pytest.approx(1 / 3)
    assert invitation.reflection_evidence(2.0, 10.0, 4.0, 10.0) == pytest.approx(-0.5)
    assert invitation.reflection_evidence(2.0, 0.0, 4.0, 10.0) == 0.0
    up, down = np.array([0.5]), np.array([0.5])
    invitation.reflect_on_invitation(up, 0.5, 0.2)
    invitation.reflect_on_invitation(down, -0.5, 0.2)
    assert up[0] == pytest.approx(0.55) and down[0] == pytest.approx(0.45)


def _final_invitation(seeds, **overrides):
    values = []
    for seed in seeds:
        model = CoproductionModel(scenario="coproduction", seed=seed, n_citizens=300,
                                  **overrides).run(80)
        values.append(model.metrics["staff_invitation"])
        model.release()
    return np.array(values)


@pytest.mark.slow
def test_invitation_falls_where_encounters_go_badly_and_rises_where_they_go_well():
    """Rules set expectations, staff decide: with no norm pulling and no reflection, staff who start
    half-way end up inviting more where input helps (complements, trained staff, no failures) and
    less where encounters go wrong (untrained staff, low trust, frequent co-destruction)."""
    seeds = range(500, 506)
    free = dict(norm_pull=0.0, reflection_learning=0.0, initial_invitation=0.5)
    good = _final_invitation(seeds, **free, substitution=-1.0, staff_weight=0.5,
                             p_codestruction=0.0, initial_coproduction_skill=0.6)
    bad = _final_invitation(seeds, **free, p_codestruction=0.6, trust_level=0.25,
                            initial_coproduction_skill=0.1, training_hours=0.0)
    assert good.min() > 0.5, f"expected invitation above its start 0.5 where input helps, got {good}"
    assert bad.max() < 0.5, f"expected invitation below its start 0.5 where encounters fail, got {bad}"


def test_a_staff_members_invitation_is_their_own_state_and_practised_is_measured():
    model = CoproductionModel(scenario="npm", seed=11, n_citizens=300, initial_invitation=0.3)
    model.run(30)
    invitations = model.staff_state["invitation"]
    assert invitations.std() > 0, "staff learn from their own encounters, so they differ"
    assert model.staff_members[0].invitation == pytest.approx(invitations[0])
    assert 0.0 <= model.metrics["invitation_practised"] <= 1.0
    model.release()


# --- the network carries behaviour --------------------------------------------------------------
def test_peer_reinforcement_is_a_complex_contagion():
    """Each engaged neighbour persuades with chance q; threshold 2 needs two of them."""
    k = np.array([0, 1, 2, 3, 6])
    simple = participation.peer_reinforcement(k, 0.3, 1)
    complex_ = participation.peer_reinforcement(k, 0.3, 2)
    np.testing.assert_allclose(simple, stats.binom.sf(0, k, 0.3))
    np.testing.assert_allclose(complex_, stats.binom.sf(1, k, 0.3))
    assert complex_[1] == 0.0 and complex_[2] > 0.0


def test_an_innovation_spreads_only_where_enough_neighbours_hold_it():
    """Complex contagion (Centola & Macy 2007): with threshold 2, a practice held by one neighbour
    does not spread; held by two, it does."""
    # citizen 0 has neighbours 1, 2, 3; citizen 4 has neighbours 1 and 5
    dense = np.zeros((6, 6))
    for a, b in ((0, 1), (0, 2), (0, 3), (4, 1), (4, 5)):
        dense[a, b] = dense[b, a] = 1
    graph = sp.csr_matrix(dense)
    gain = np.array([0.0, 0.5, 0.5, 0.0, 0.0, 0.0])
    everyone = np.ones(6, dtype=bool)
    emergence.spread_innovations(gain, graph.indptr, graph.indices, everyone, np.zeros(6), 1.0,
                                 threshold=2)
    assert gain[0] == 0.5, "two neighbours hold 0.5: citizen 0 adopts it"
    assert gain[4] == 0.0, "one neighbour holds it: citizen 4 does not"
    assert gain[3] == 0.0, "citizen 3's only neighbour holds nothing"


def test_volunteers_ask_the_people_they_know():
    """Freeman 1997: people volunteer when asked, most often by someone they know."""
    n = 4
    args = (np.zeros(n, dtype=bool), np.full(n, 0.9), np.full(n, 0.9), np.zeros(n, dtype=bool),
            np.ones(n), 0.0, 0.4, 1.0)
    asked = volunteering.recruit(*args, asked_draw=np.full(n, 0.5),
                                 volunteer_neighbours=np.array([0.0, 1.0, 3.0, 6.0]), peer_ask=0.2)
    # chance 1 - 0.8**k: 0, 0.2, 0.488, 0.738 against a draw of 0.5
    assert list(asked) == [3]


@pytest.mark.slow
def test_denser_ties_raise_participation_and_emergent_value():
    """Pattern 18 (the network carries behaviour): with 12 neighbours instead of 4, more engaged
    neighbours reinforce taking part (complex contagion: Centola & Macy 2007), more volunteers ask
    people they know (Freeman 1997), and more help reaches citizens along ties (Putnam 2000):
    participation and emergent value at least 15% higher, on seeds of their own."""
    seeds = range(900, 906)
    for scenario in ("npm", "coproduction"):
        sparse = run_frames(scenario, seeds, 150, n_citizens=500, network_degree=4)
        dense = run_frames(scenario, seeds, 150, n_citizens=500, network_degree=12)
        for metric in ("participation_rate", "emergent_value"):
            lo, hi = window_mean(sparse, metric, -50).mean(), window_mean(dense, metric, -50).mean()
            assert hi >= 1.15 * lo, (f"{scenario}: expected {metric} at least 15% higher with 12 "
                                     f"ties than with 4, got {hi:.4g} against {lo:.4g}")


def test_participation_clusters_on_the_network():
    """Participants know participants: the clustering metric is above 1 (as by chance)."""
    frames = run_frames("coproduction", range(910, 913), 80, n_citizens=400)
    clustering = window_mean(frames, "participation_clustering", -30)
    assert clustering.min() > 1.0, f"expected clustering above 1, got {clustering}"


# --- value that is not relabelled ---------------------------------------------------------------
@pytest.mark.parametrize("scenario,overrides", [
    ("npm", {}),
    ("coproduction", {}),
    ("hybrid", {"p_codestruction": 0.6, "codestruction_harm": 1.0}),
])
def test_public_value_obeys_the_need_flow_identity_exactly(scenario, overrides):
    """public_value = need_arising - self_help - change in need_stock, every step (docs/ODD.md 4)."""
    model = CoproductionModel(scenario=scenario, seed=21, n_citizens=300, **overrides)
    model.run(60)
    frame = model.datacollector.get_model_vars_dataframe()
    change = frame["need_stock"].diff().iloc[1:]
    rhs = frame["need_arising"].iloc[1:] - frame["self_help"].iloc[1:] - change
    np.testing.assert_allclose(frame["public_value"].iloc[1:], rhs, rtol=0, atol=1e-12)
    parts = (frame["need_met_in_encounters"] + frame["community_help"] + frame["need_prevented"]
             - frame["value_destroyed"])
    np.testing.assert_allclose(frame["public_value"], parts, rtol=0, atol=1e-15)
    model.release()


EMERGENCE_OFF = {"spillover": 0.0, "prevention": 0.0, "p_innovation": 0.0,
                 "p_process_innovation": 0.0}


@pytest.mark.slow
def test_switching_emergence_off_what_is_lost_and_where_the_rest_goes():
    """The counterfactual of emergent value (docs/ODD.md 4): switching every emergence channel off
    (community help, prevention, innovations, process improvements) lowers public value. Under
    co-production public value loses at least half of the emergent value removed (the channels and
    the services work together: innovations make encounters more productive). Under NPM it loses
    less than half: the services meet most of that need instead (substitution), as the need-flow
    identity requires. A claim of what the model does (docs/ODD.md 5)."""
    seeds = range(930, 936)
    result = {}
    for scenario in ("npm", "coproduction"):
        on = run_frames(scenario, seeds, 150, n_citizens=500)
        off = run_frames(scenario, seeds, 150, n_citizens=500, **EMERGENCE_OFF)
        removed = (window_mean(on, "emergent_value", -50) - window_mean(off, "emergent_value", -50))
        lost = window_mean(on, "public_value", -50) - window_mean(off, "public_value", -50)
        met_instead = (window_mean(off, "need_met_in_encounters", -50)
                       - window_mean(on, "need_met_in_encounters", -50))
        assert removed.mean() > 0 and lost.mean() > 0, (scenario, removed.mean(), lost.mean())
        result[scenario] = (lost.mean() / removed.mean(), met_instead.mean())
    assert result["coproduction"][0] >= 0.5, result
    assert result["npm"][0] < 0.5 and result["npm"][1] > 0, result


# --- failure modes with teeth ------------------------------------------------------------------
FAILURE_ENDS = {"trust_level": 0.25, "initial_coproduction_skill": 0.1, "p_codestruction": 0.6,
                "codestruction_harm": 1.0}


@pytest.mark.slow
def test_coproduction_loses_to_its_own_failure_modes():
    """Pattern 19: with co-destruction's conditions at the ends of their plausible ranges (low
    trust, untrained staff, frequent and harmful failures: Järvi et al. 2018; Engen et al. 2021),
    the setting otherwise untouched, NPM leads on wellbeing and public value."""
    for name, value in FAILURE_ENDS.items():
        lo, hi = Params.spec(name)["plausible"]
        assert lo <= value <= hi, f"{name}={value} must lie inside its plausible range [{lo}, {hi}]"
    seeds = range(950, 958)
    npm = run_frames("npm", seeds, 150, n_citizens=500, **FAILURE_ENDS)
    copro = run_frames("coproduction", seeds, 150, n_citizens=500, **FAILURE_ENDS)
    for metric in ("mean_wellbeing", "public_value"):
        gap = window_mean(npm, metric, -50) - window_mean(copro, metric, -50)
        assert stats.ttest_1samp(gap, 0.0, alternative="greater").pvalue < 0.01, (
            f"expected NPM ahead on {metric} at co-production's failure ends, gaps {gap}")


# --- where the model holds ----------------------------------------------------------------------
def test_staff_hours_follow_staff_per_1000_exactly_at_any_population():
    """No rounding to whole people: 300 citizens at 15 per 1,000 have 4.5 full-time staff."""
    for n in (300, 333, 1000, 57):
        p = Params(n_citizens=n)
        assert p.staff_capacities().sum() == pytest.approx(n * p.staff_per_1000 / 1000 * p.staff_hours)


# --- role-play: people decide for agents ----------------------------------------------------------
def test_a_students_choices_replace_the_agents_own_and_are_logged():
    model = CoproductionModel(scenario="coproduction", seed=5, n_citizens=200)
    model.run(5)
    asking = model.citizen_state["need"] > model.params.need_threshold
    model.human_choices.invite[0] = False
    model.human_choices.volunteer[3] = True
    model.step()
    served_by_0 = model.last_week.staff_of == 0
    if served_by_0.any():
        assert (model.last_week.invited[served_by_0] == 0.0).all()
    assert model.volunteer_state["active"][3]
    kinds = {kind for _, kind, _, _ in model.human_choices.log}
    assert "volunteer" in kinds
    del asking
    model.release()


@pytest.mark.slow
def test_where_taking_part_starts_shapes_where_it_ends():
    """Path dependence of a complex contagion: citizens who start with more habit and expectation
    of taking part, or with more skill and efficacy, take part more 100 weeks later (why the
    starting levels are parameters, sampled by coprosim map)."""
    seeds = range(965, 969)
    low = run_frames("coproduction", seeds, 150, n_citizens=500)
    a = window_mean(low, "participation_rate", -50)
    for more in ({"initial_habit": 0.6, "initial_expected_benefit": 0.6},
                 {"initial_skill": 0.2, "initial_efficacy": 0.35}):
        high = run_frames("coproduction", seeds, 150, n_citizens=500, **more)
        b = window_mean(high, "participation_rate", -50)
        assert b.mean() > 1.1 * a.mean(), f"{more}: participation {b.mean():.3f} against {a.mean():.3f}"


def test_a_small_population_gets_one_line_of_warning():
    """Below MIN_CITIZENS the API warns once, in one line naming the field and the minimum."""
    import warnings

    from coprosim.model import MIN_CITIZENS, SmallPopulationWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CoproductionModel(scenario="npm", seed=1, n_citizens=MIN_CITIZENS - 1).release()
        CoproductionModel(scenario="npm", seed=1, n_citizens=MIN_CITIZENS).release()
    small = [w for w in caught if issubclass(w.category, SmallPopulationWarning)]
    assert len(small) == 1
    text = str(small[0].message)
    assert text.startswith("n_citizens:") and str(MIN_CITIZENS) in text and "\n" not in text


@pytest.mark.parametrize("region", ["codestruction", "emergence_negative"])
def test_the_failure_regions_lie_inside_the_plausible_ranges(region):
    """Co-production's failure modes bite inside the plausible ranges (issue 14): every override
    of the co-destruction and negative-emergence regions is a plausible value of its parameter."""
    from coprosim.model.patterns import REGIONS

    for name, value in REGIONS[region].overrides.items():
        lo, hi = Params.spec(name)["plausible"]
        assert lo <= value <= hi, f"{region}: {name}={value} outside its plausible range [{lo}, {hi}]"
