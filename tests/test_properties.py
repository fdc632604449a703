"""Property-based tests over random valid parameters (hypothesis): invariants of every step."""

from __future__ import annotations

import os

import numpy as np
import pytest
from coprosim.model import LEDGER, Citizen, CoproductionModel, Params, Staff, Volunteer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

UNIT_METRICS = ("participation_rate", "mean_trust", "mean_efficacy", "mean_wellbeing",
                "gini_wellbeing", "staff_motivation", "staff_turnover")
# kept small so that a hypothesis run stays quick; every other field is drawn from its full range
SMALL = {"n_citizens": (20, 150), "agent_sample_period": (0, 5)}


@st.composite
def valid_params(draw):
    values = {}
    for name in Params.field_names():
        spec = Params.spec(name)
        lo, hi = SMALL.get(name, spec["range"])
        if spec["kind"] is int:
            values[name] = draw(st.integers(min_value=int(lo), max_value=int(hi)))
        else:
            values[name] = draw(st.floats(min_value=lo, max_value=hi, allow_nan=False))
    return Params(**values)


def check_invariants(model: CoproductionModel) -> None:
    c, s, m = model.citizen_state, model.staff_state, model.metrics
    assert (c["need"] >= 0).all(), "need must never be negative"
    assert (c["wicked_need"] >= 0).all() and (c["wicked_need"] <= c["need"] + 1e-9).all()
    for key in ("trust", "efficacy", "skill", "habit", "wellbeing", "resources", "fatigue"):
        assert ((c[key] >= 0) & (c[key] <= 1)).all(), key
    for key in UNIT_METRICS:
        assert 0.0 <= m[key] <= 1.0, (key, m[key])
    assert -1.0 <= m["equity_gap"] <= 1.0
    assert (c["waiting"] >= 0).all()
    for key in ("unmet_need", "hidden_need", "cost", "throughput", "value_destroyed", "waiting_time",
                *LEDGER):
        assert m[key] >= 0, key
    # emergent value can be negative (co-destruction), but never more than the need destroyed
    assert m["emergent_value"] >= -m["value_destroyed"] - 1e-12
    assert abs(sum(m[k] for k in LEDGER) - m["cost"]) <= 1e-9 * max(1.0, m["cost"]), "ledger sums to cost"
    assert m["social_cost"] >= m["cost"] - 1e-12
    most = s["capacity"] * (1.0 + model.params.overtime_max) + 1e-9
    assert (s["hours_worked"] <= most).all(), "staff hours must not exceed capacity plus overtime"
    assert ((s["motivation"] >= 0) & (s["motivation"] <= 1)).all()
    assert ((s["burnout"] >= 0) & (s["burnout"] <= 1)).all()
    n = model.params.n_citizens
    assert len(model.agents_by_type[Citizen]) == n
    assert len(model.agents_by_type[Staff]) == model.params.n_staff
    assert len(model.agents) == n + model.params.n_staff, "a volunteer is a role, not a second agent"
    assert len(model.volunteers) == int(model.volunteer_state["active"].sum()) == m["volunteers"]
    assert all(isinstance(role, Volunteer) for role in model.volunteers.values())
    assert m["throughput"] <= n


@settings(max_examples=int(os.environ.get("COPROSIM_HYPOTHESIS_EXAMPLES", 40)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=valid_params(), seed=st.integers(0, 2**32 - 1), steps=st.integers(1, 25))
@pytest.mark.filterwarnings("error::RuntimeWarning")  # no overflow or invalid value, anywhere
def test_invariants_hold_for_any_valid_parameters(params, seed, steps):
    model = CoproductionModel(params=params, seed=seed)
    check_invariants(model)
    for _ in range(steps):
        model.step()
        check_invariants(model)
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == steps + 1 and np.isfinite(frame.to_numpy()).all()
    model.release()
