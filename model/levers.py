"""Which parameters (levers) can act under which rules: a small table, pure model knowledge.

A parameter cannot change anything while some rule switches off the mechanism it belongs to:
voice bias when no staff time follows customer rules, a co-creating rule when none is
co-creating, volunteer hours with no volunteering programme. The dashboard disables such a
slider (``coprosim.dashboards.regimes`` re-exports this table); the experiments layer drops sweep
combinations where a swept lever cannot act (``experiments.design``), so no runs are spent
repeating one result.

Each row says: parameter ``name`` has no effect while ``inert(params)`` holds; ``reason`` says
why, in plain words. Rows naming a parameter the model no longer has are skipped. Besides the
table, a parameter that ``Params.spec`` marks as a "customer rule" or a "co-creating rule" (its
``group``, or the start of its meaning) gets the matching row by itself.
``tests/test_dashboard_controls.py`` checks every row against the model: in a preset where a row
says "no effect", changing the parameter must leave every metric unchanged.

Note (model version 2): the outreach programme acts in both modes, so ``outreach_share`` is
*not* inert at ``coproduction_share`` 0; only ``outreach_support`` is, when outreach is 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .params import Params


@dataclass(frozen=True)
class Inert:
    """``name`` cannot act while ``inert(params)`` holds; ``reason`` explains why.

    ``needs`` lists the parameters the condition reads; a row is used only if the model has
    ``name`` and all of them.
    """

    name: str
    needs: tuple[str, ...]
    inert: Callable[[Any], bool]
    reason: str


NO_CUSTOMER_TIME = "no staff time follows customer (NPM) rules when the co-production share is 1"
NO_COCREATING_TIME = "no staff time is co-creating when the co-production share is 0"
# Params metadata ``group`` (or the start of the meaning) that marks a rule of one mode.
CUSTOMER_GROUPS = ("customer rule", "customer-mode rule")
COCREATING_GROUPS = ("co-creating rule",)


def _all_customer_time_gone(p) -> bool:
    return p.coproduction_share >= 1.0


def _no_cocreating_time(p) -> bool:
    return p.coproduction_share <= 0.0


def _zero(*names: str) -> Callable[[Any], bool]:
    return lambda p: all(getattr(p, name) == 0 for name in names)


def _no_targets(p) -> bool:
    """No target pressure in any mode that has staff time."""
    customer = p.target_strength if p.coproduction_share < 1.0 else 0.0
    cocreating = (getattr(p, "cocreating_target_strength", 0.0)
                  if p.coproduction_share > 0.0 else 0.0)
    return customer == 0 and cocreating == 0


NO_VOLUNTEERING = "there is no volunteering programme (volunteer recruitment is 0)"
NO_TARGETS = "there are no performance targets in the mode(s) running (targets are 0)"
VOLUNTEERING = ("volunteer_hours", "volunteer_churn", "volunteer_support_cost",
                "volunteer_induction", "volunteer_engagement", "max_volunteer_share",
                "volunteer_overwork", "volunteer_overload_strain", "volunteer_demand")

TABLE: list[Inert] = [
    *(Inert(n, ("volunteer_recruitment",), _zero("volunteer_recruitment"), NO_VOLUNTEERING)
      for n in VOLUNTEERING),
    *(Inert(n, ("coproduction_share", "target_strength"), _no_targets, NO_TARGETS)
      for n in ("target_ratchet", "target_stretch", "crowding_out", "target_effort_gain",
                "target_effort_peak", "target_gaming", "audit_time")),
    Inert("outreach_support", ("outreach_share",), _zero("outreach_share"),
          "no time is given to outreach (outreach share is 0)"),
    Inert("training_effect", ("training_hours",), _zero("training_hours"),
          "there is no training programme (training hours is 0)"),
    *(Inert(n, ("reflection_interval",), _zero("reflection_interval"),
            "teams never hold a review (reflection interval is 0)")
      for n in ("reflection_learning", "customer_reflection_learning", "reflection_hours",
                "p_process_innovation", "process_innovation_size", "process_innovation_max")),
    *(Inert(n, ("p_innovation",), _zero("p_innovation"),
            "innovations never happen (chance of an innovation is 0)")
      for n in ("innovation_size", "innovation_spread", "innovation_max")),
    *(Inert(n, ("p_process_innovation",), _zero("p_process_innovation"),
            "process improvements never happen (their chance is 0)")
      for n in ("process_innovation_size", "process_innovation_max")),
    *(Inert(n, ("p_codestruction",), _zero("p_codestruction"),
            "encounters never go wrong (chance of co-destruction is 0)")
      for n in ("codestruction_harm", "codestruction_trust_loss", "accountability_diffusion",
                "distrust_contagion", "role_strain")),
]


def _mode_of(name: str) -> str | None:
    """'customer' or 'co-creating' if the parameter is a rule of one mode (Params metadata)."""
    spec = Params.spec(name)
    group = str(spec.get("group", "")).lower()
    meaning = spec["meaning"].lower()
    if group in CUSTOMER_GROUPS or meaning.startswith(CUSTOMER_GROUPS):
        return "customer"
    if group in COCREATING_GROUPS or meaning.startswith(COCREATING_GROUPS):
        return "co-creating"
    return None


def rules() -> list[Inert]:
    """Rows for the parameters the model has: each mode's rules (from Params' metadata), then
    the table."""
    known = set(Params.field_names())
    rows: list[Inert] = []
    if "coproduction_share" in known:
        for name in Params.field_names():
            mode = _mode_of(name)
            if mode == "customer":
                rows.append(Inert(name, ("coproduction_share",), _all_customer_time_gone,
                                  NO_CUSTOMER_TIME))
            elif mode == "co-creating":
                rows.append(Inert(name, ("coproduction_share",), _no_cocreating_time,
                                  NO_COCREATING_TIME))
    rows += [r for r in TABLE if r.name in known and set(r.needs) <= known]
    return rows


RULES = rules()


def inert_reason(name: str, params: Params) -> str | None:
    """Why ``name`` cannot act under ``params`` (the first reason that applies), else None."""
    for row in RULES:
        if row.name == name and row.inert(params):
            return row.reason
    return None
