"""Which sliders can act in which regime (the dashboard's view of ``coprosim.model.levers``).

A slider that cannot change anything under the chosen rules (voice bias when no staff time
follows customer rules, outreach support when no time goes to outreach, volunteer hours with no
volunteering programme) is shown disabled with the reason, instead of silently doing nothing.

The table itself (``Inert``, ``TABLE``, ``rules()``, ``RULES``, ``inert_reason``) lives in
``coprosim.model.levers`` (pure model code, also used by the experiments layer to drop sweep
combinations where a lever cannot act); it is re-exported here unchanged.
``tests/test_dashboard_controls.py`` checks every row against the model.
"""

from __future__ import annotations

from coprosim.model import Params
from coprosim.model.levers import (  # noqa: F401  (re-exported)
    COCREATING_GROUPS,
    CUSTOMER_GROUPS,
    NO_COCREATING_TIME,
    NO_CUSTOMER_TIME,
    NO_TARGETS,
    NO_VOLUNTEERING,
    RULES,
    TABLE,
    VOLUNTEERING,
    Inert,
    _all_customer_time_gone,
    _mode_of,
    _no_cocreating_time,
    _no_targets,
    _zero,
    inert_reason,
    rules,
)


def inert_everywhere(name: str, params_by_regime: list[tuple[str, Params]]) -> str | None:
    """The reason to disable a slider: it acts in none of the regimes running; else None.

    One regime: 'No effect here: <reason>.' Side by side: the reason for each regime.
    """
    reasons = [(label, inert_reason(name, params)) for label, params in params_by_regime]
    if not reasons or any(reason is None for _, reason in reasons):
        return None
    if len(reasons) == 1:
        return f"No effect here: {reasons[0][1]}."
    if len({reason for _, reason in reasons}) == 1:
        return f"No effect in either regime: {reasons[0][1]}."
    return "No effect in either regime: " + "; ".join(f"{label}: {reason}"
                                                       for label, reason in reasons) + "."


def acts_only_in(name: str, params_by_regime: list[tuple[str, Params]]) -> str | None:
    """Side by side, when a slider acts in one regime only: 'Acts only in <label>.'"""
    acting = [label for label, params in params_by_regime if inert_reason(name, params) is None]
    if len(params_by_regime) > 1 and len(acting) == 1:
        return f"Acts only in {acting[0]}."
    return None
