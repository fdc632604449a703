"""The state of one week, passed from stage to stage of ``CoproductionModel.step`` (ODD 1.3).

Each stage of the week writes its own group of fields and later stages read them; nothing here
outlives the week. Arrays are over all citizens (index = citizen) unless a field says otherwise.
The order of the stages, and which fields each reads and writes, is in each step method's
docstring in ``model.py`` and in docs/ODD.md, section 1.3.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(slots=True)
class Durations:
    """Staff hours of each citizen's encounter this week, by activity (written by allocation)."""

    service: np.ndarray  # the service itself
    dialogue: np.ndarray  # extra time for dialogue with a citizen who takes part
    target_audit: np.ndarray  # recording and audit under targets
    total: np.ndarray  # the sum of the three
    wicked_fraction: np.ndarray  # wicked share of each citizen's need at allocation


@dataclass(slots=True)
class Week:
    """One week's state, fields grouped by the stage that writes them."""

    # --- 0 draws: the week's random numbers and calendar (``_draw_week``) ----------------------------
    draws: dict[str, np.ndarray]  # named uniform draws, one array per mechanism (see ``streams``)
    cocreating: np.ndarray  # bool: each citizen's case falls to the co-creating mode this week
    review: bool  # a team review (reflection cycle, performance review) is held this week

    # --- 1 needs arise (``_needs_arise``) -------------------------------------------------------------
    community_capacity: np.ndarray | None = None  # chance help reaches each citizen along a tie
    new_need: float = 0.0  # need added by this week's shocks (all citizens)
    self_help: np.ndarray | None = None  # need met by each citizen's own resources
    avoided: np.ndarray | None = None  # need a shock would have brought, prevented by the community
    communal: np.ndarray | None = None  # need met by community help (beyond one's own self-help)

    # --- 2 asking for help (``_ask_for_help``) --------------------------------------------------------
    worked: dict[str, float] = field(default_factory=dict)  # staff hours by ledger activity
    capacity: float = 0.0  # the team's paid hours this week
    encounter_hours: float = 0.0  # paid hours left for encounters after programmes and meetings
    asking: np.ndarray | None = None  # bool: asks for help (need above threshold, or reached)
    reached: np.ndarray | None = None  # int: citizens the outreach programme reached, in its order

    # --- 2 the choice to take part (``_decide_to_take_part``) -------------------------------------------
    took_part: np.ndarray | None = None  # bool: decided to take part (among those asking)
    effort: np.ndarray | None = None  # effort offered in an encounter (passive: ``passive_effort``)

    # --- 3 allocation (``_allocate_staff_time``; service times cached by ``_service_times``) -----------
    service: np.ndarray | None = None  # service time of each citizen's case under its mode
    wicked_fraction: np.ndarray | None = None  # wicked share of each citizen's need
    dialogue_rule: np.ndarray | None = None  # each case's mode's dialogue overhead
    audit_rule: np.ndarray | None = None  # each case's mode's audit time under targets
    durations: Durations | None = None  # hours of each encounter by activity
    served: np.ndarray | None = None  # bool: had an encounter this week
    staff_of: np.ndarray | None = None  # int: staff member handling each encounter (-1: none)
    overtime: float = 0.0  # hours worked beyond the regular hours
    demand: float = 0.0  # hours all requests would have taken
    waited: np.ndarray | None = None  # weeks waited by each citizen served (served only)

    # --- 4 volunteers join (``_volunteers_join``) -------------------------------------------------------
    volunteer_input: np.ndarray | None = None  # a volunteer's skill in each encounter (0: none)
    volunteer_of: np.ndarray | None = None  # int: the volunteer of each joined encounter
    volunteer_load: float = 0.0  # hours asked of volunteers over hours offered
    volunteer_hours: float = 0.0  # hours volunteers gave

    # --- 4 production (``_produce``) ---------------------------------------------------------------------
    invited: np.ndarray | None = None  # how far the staff member invited the citizen's input
    practised: np.ndarray | None = None  # the citizen's effort actually exercised in the encounter
    relief: np.ndarray | None = None  # share of the citizen's need the encounter met
    reduction: np.ndarray | None = None  # need met in the encounter (innovations' part included)
    innovated: np.ndarray | None = None  # part of the reduction due to innovations
    diversity: np.ndarray | None = None  # diversity of the inputs present
    failed: np.ndarray | None = None  # bool: the encounter went wrong (co-destruction)
    harm: np.ndarray | None = None  # need added by encounters that went wrong

    # --- 8 staff (``_staff_week``) -------------------------------------------------------------------------
    hires: int = 0  # staff who left and were replaced
