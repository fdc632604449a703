"""Mesa agents: citizens and staff; volunteering is a role a citizen takes on.

Agent state lives in numpy arrays held by the model, so that rules that are the same for every
agent run over whole arrays at once (docs/ODD.md 1.3 as vectorised mechanisms); each agent is a
Mesa agent whose attributes read and write its row. Citizens sit on the nodes of a small-world
social network (``mesa.discrete_space.Network``).
"""

from __future__ import annotations

from enum import Enum

from mesa import Agent
from mesa.discrete_space import FixedAgent


class CitizenState(Enum):
    """What a citizen is doing this week."""

    TAKING_PART = "taking part"
    PASSIVE = "passive"
    WITHDRAWN = "withdrawn"


class _Row:
    """Attribute bound to row ``self.index`` of the model's array ``table.name``."""

    def __init__(self, table: str, doc: str):
        self.table = table
        self.__doc__ = doc

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        value = getattr(agent.model, self.table)[self.name][agent.index]
        return value.item() if hasattr(value, "item") else value

    def __set__(self, agent, value):
        getattr(agent.model, self.table)[self.name][agent.index] = value


class Citizen(FixedAgent):
    """A citizen on a node of the social network, with needs, resources and dispositions."""

    resources = _Row("citizen_state", "Time, education and money, in (0, 1); fixed.")
    need = _Row("citizen_state", "Unmet welfare need (need units).")
    wicked_need = _Row("citizen_state", "Part of the need that is wicked (complex).")
    wellbeing = _Row("citizen_state", "Wellbeing in (0, 1], falling with need.")
    trust = _Row("citizen_state", "Trust in public institutions, in [0, 1].")
    efficacy = _Row("citizen_state", "Sense of agency, the democratic capacity, in [0, 1].")
    skill = _Row("citizen_state", "Co-production competence, grows by doing, in [0, 1].")
    habit = _Row("citizen_state", "Disposition to take part, in [0, 1].")
    expected_benefit = _Row("citizen_state", "Benefit the citizen expects from taking part.")
    withdrawn = _Row("citizen_state", "Stopped asking for help (alienation).")
    took_part = _Row("citizen_state", "Took part this week.")
    innovation_gain = _Row("citizen_state", "Local productivity gain from innovations.")
    fatigue = _Row("citizen_state", "Participation fatigue, in [0, 1].")
    waiting = _Row("citizen_state", "Weeks asking without being served.")
    trust_baseline = _Row("citizen_state", "The trust this citizen returns to.")

    def __init__(self, model, index: int, cell):
        super().__init__(model)
        self.index = index
        self.cell = cell

    @property
    def state(self) -> CitizenState:
        if self.withdrawn:
            return CitizenState.WITHDRAWN
        return CitizenState.TAKING_PART if self.took_part else CitizenState.PASSIVE

    @property
    def is_volunteer(self) -> bool:
        return bool(self.model.volunteer_state["active"][self.index])

    @property
    def volunteer(self) -> Volunteer | None:
        """The citizen's volunteering role, or None."""
        return self.model.volunteers.get(self.index)


class Staff(Agent):
    """A public staff member: capacity, motivation, co-production skill, invitation, burnout."""

    capacity = _Row("staff_state", "Hours a week for encounters.")
    motivation = _Row("staff_state", "Intrinsic public-service motivation, in [0, 1].")
    coproduction_skill = _Row("staff_state", "Skill at facilitating co-production, in [0, 1].")
    invitation = _Row("staff_state", "How far this staff member invites citizens' input, in [0, 1]: learned from their own encounters, colleagues and reflection, within what the mode's rule expects.")
    aspiration = _Row("staff_state", "The relief this staff member has come to expect of an encounter (nan before the first).")
    burnout = _Row("staff_state", "Burnout, in [0, 1].")
    hours_worked = _Row("staff_state", "Hours worked this week (encounters, programmes, meetings, overtime).")
    tenure = _Row("staff_state", "Weeks in post.")

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index


class Volunteer:
    """The volunteering role of a citizen: motivation, skill and tenure as a volunteer.

    One person, one agent: a volunteer is the same Mesa agent as the citizen (``citizen``), with
    this role attached while they volunteer (``model.volunteers``), not a second agent.
    """

    motivation = _Row("volunteer_state", "Motivation to go on volunteering, in [0, 1].")
    skill = _Row("volunteer_state", "Volunteering skill, in [0, 1].")
    tenure = _Row("volunteer_state", "Weeks as a volunteer.")

    def __init__(self, model, citizen_index: int):
        self.model = model
        self.index = citizen_index
        self.availability = model.params.volunteer_hours

    @property
    def citizen(self) -> Citizen:
        return self.model.citizens[self.index]
