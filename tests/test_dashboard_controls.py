"""The dashboard's honest controls, checked against the model itself.

Every row of ``dashboards/regimes.py`` claims that a slider cannot act under some rules. Here
each claim is tried: in a preset where the row says "no effect", the parameter is moved to the
other end of its range, and every metric of a short run must stay exactly the same. A row that
claims too much fails here (so the table follows the model as it changes).
"""

from __future__ import annotations

import numpy as np
import pytest
from coprosim.dashboards.regimes import RULES, acts_only_in, inert_everywhere, inert_reason
from coprosim.dashboards.settings import SLIDER_BY_NAME
from coprosim.model import PRESETS, CoproductionModel, Params

WEEKS = 30
SMALL = 150


def _trajectory(params: Params) -> np.ndarray:
    model = CoproductionModel(params=params, seed=5)
    model.run(WEEKS)
    frame = model.datacollector.get_model_vars_dataframe()
    model.release()
    return frame.to_numpy(dtype=float)


def _other_end(name: str, value):
    spec = Params.spec(name)
    lo, hi = spec["range"]
    other = hi if value != hi else lo
    if spec["kind"] is int:
        other = int(min(hi, max(lo, (value or 1) * 3)))
    return other


def _claims():
    """(preset, parameter) pairs where some row says the parameter cannot act."""
    for preset in PRESETS:
        params = Params.preset(preset, n_citizens=SMALL)
        for name in sorted({row.name for row in RULES}):
            if inert_reason(name, params) is not None:
                yield preset, name


CLAIMS = sorted(set(_claims()))


@pytest.mark.parametrize(("preset", "name"), CLAIMS, ids=[f"{p}-{n}" for p, n in CLAIMS])
def test_a_disabled_slider_really_cannot_act(preset, name):
    base = Params.preset(preset, n_citizens=SMALL)
    changed = base.with_(**{name: _other_end(name, getattr(base, name))})
    assert inert_reason(name, changed) is not None, "moving it must not switch itself on"
    assert np.allclose(_trajectory(base), _trajectory(changed), equal_nan=True), (
        f"{name} changed the run under {preset}, but the dashboard disables it there")


def test_rows_cover_both_modes_and_the_programmes():
    """The table is not empty: each mode's rules and a programme's details can be disabled."""
    npm = Params.preset("npm")
    copro = Params.preset("coproduction")
    assert any(inert_reason(n, npm) for n in Params.field_names()), "co-creating rules under NPM"
    assert any(inert_reason(n, copro) for n in Params.field_names()), "customer rules under co-pro"
    assert inert_reason("coproduction_share", npm) is None, "the regime slider is always live"


def test_reasons_name_the_regime_side_by_side():
    npm, copro = Params.preset("npm"), Params.preset("coproduction")
    customer_rule = next(n for n in Params.field_names()
                         if inert_reason(n, copro) and not inert_reason(n, npm))
    assert inert_everywhere(customer_rule, [("NPM", npm), ("Co-production", copro)]) is None
    assert acts_only_in(customer_rule, [("NPM", npm), ("Co-production", copro)]) == "Acts only in NPM."
    assert inert_everywhere(customer_rule, [("Co-production", copro)]).startswith("No effect here")


def test_every_row_names_a_slider():
    for row in RULES:
        assert row.name in SLIDER_BY_NAME, row.name


def test_the_population_slider_says_when_results_drift():
    """Below MIN_CITIZENS the dashboard shows the model's own one-line warning under the slider."""
    from dataclasses import replace

    from coprosim.dashboards.components.controls import slider_note
    from coprosim.dashboards.settings import Settings
    from coprosim.model import MIN_CITIZENS

    small = replace(Settings(), overrides={"n_citizens": MIN_CITIZENS - 100})
    large = replace(Settings(), overrides={"n_citizens": MIN_CITIZENS})
    assert f"is below {MIN_CITIZENS}" in slider_note("n_citizens", small, [])
    assert slider_note("n_citizens", large, []) is None
    assert slider_note("withness", small, []) is None
