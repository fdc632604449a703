"""CoproductionModel: citizens, staff and volunteers under customer (NPM) and co-creating rules.

``step()`` reads as the ODD list of verbs (docs/ODD.md, section 1.3); each verb calls the mechanism
module named for its idea (``needs``, ``participation``, ``allocation``, ``production``,
``codestruction``, ``learning``, ``trust``, ``reflection``, ``targets``, ``emergence``, ``staff``,
``volunteering``, ``costs``). Regimes differ only in their rules: the share of cases and staff time
in each mode and each mode's rules (``rules.ModeRules``, pairs named in ``params.MODE_RULES``). Programmes and behaviour are the same in
both modes. The model does no I/O, printing or plotting.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import mesa
import networkx as nx
import numpy as np
import scipy.sparse as sp
from mesa.discrete_space import Network

from . import (
    allocation,
    codestruction,
    costs,
    emergence,
    invitation,
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
from .agents import Citizen, Staff, Volunteer
from .choices import HumanChoices
from .costs import LEDGER
from .mesa_internals import forget_model, network_arguments, network_cells, seed_arguments
from .metrics import METRICS, equity_gap, gini, mean, quintile_members, quintile_of
from .params import Params
from .rules import ModeRules
from .scenarios import preset_and_params
from .streams import Streams
from .week import Durations, Week

# Citizens' starting state (set-up only; docs/ODD.md 1.2). Taking part is a complex contagion, so
# where citizens start shapes where they end (path dependence: tests/test_behaviour.py). The
# levels are therefore parameters (initial_efficacy, initial_skill, initial_habit,
# initial_expected_benefit, trust_level), sampled by coprosim map; what stays constant here is only
# how they differ by resources (the slopes) and the person-to-person noise.
TRAIT_NOISE = 0.05  # sd of person-to-person variation in starting trust, efficacy and skill
# Trust rises with resources; 0.25 per unit of resources puts the top resource quintile about 0.11
# above the bottom one, close to the 12-point income gap in trust (OECD 2021).
TRUST_RESOURCE_SLOPE = 0.25
# Efficacy and skill rise with resources (Bovaird et al. 2015; BLS 2010: direction): by these
# amounts per unit of resources above the parameters' levels at no resources.
EFFICACY_RESOURCE_SLOPE = 0.5
SKILL_RESOURCE_SLOPE = 0.2
# Routine skill and process improvements never save more than 90% of a simple case's time.
MAX_ROUTINE_SAVING = 0.9
# Outreach contacts group members whose need is above this share of the threshold for asking.
OUTREACH_NEED_SHARE = 0.5
# Workload a team without hours for encounters feels (the cap of ``staff.update_burnout``).
NO_HOURS_WORKLOAD = 3.0

CUSTOMER, COCREATING = 0, 1  # the two modes, in the order of each rule pair (``rules``)


_CITIZEN_FIELDS = (
    "resources", "need", "wicked_need", "wellbeing", "trust", "efficacy", "skill", "habit",
    "expected_benefit", "innovation_gain", "fatigue", "waiting",
)
AGENT_FIELDS = (*_CITIZEN_FIELDS, "withdrawn", "took_part", "volunteer", "quintile")


# Below this many citizens results drift from those of large populations (docs/ODD.md 7): the
# volunteering programme's small numbers overshoot, and co-production's participation and wellbeing
# fall (measured: participation 0.32 at 300 citizens, 0.37 at 1,000, 0.40 at 2,000).
MIN_CITIZENS = 500


class SmallPopulationWarning(UserWarning):
    """A model with fewer citizens than ``MIN_CITIZENS``: results may differ from larger ones."""


def small_population_message(n_citizens: int) -> str | None:
    """The one-line warning for a population below ``MIN_CITIZENS``, or None."""
    if n_citizens >= MIN_CITIZENS:
        return None
    return (f"n_citizens: {n_citizens} is below {MIN_CITIZENS}; results drift from those of larger "
            f"populations (co-production's participation is lower): see docs/ODD.md, section 7")


class CoproductionModel(mesa.Model):
    """Public services under New Public Management and co-production rules.

    Args:
        params: a validated ``Params`` (default: the ``coproduction`` preset).
        seed: seed of the model's random generators; the same seed gives identical results.
        scenario: name of a preset, used when ``params`` is not given.
        warn_small_population: warn (``SmallPopulationWarning``, one line) below ``MIN_CITIZENS``
            citizens; callers that report it themselves (the command line, sweeps) pass False.
        **kwargs: parameter overrides (validated), e.g. ``n_citizens=500``.
    """

    def __init__(self, params: Params | None = None, seed: int | None = None,
                 scenario: str | None = None, rng=None, warn_small_population: bool = True,
                 **kwargs: Any):
        mesa_scenario = None
        if scenario is not None and not isinstance(scenario, str):  # a Mesa Scenario (Mesa 3.5+)
            mesa_scenario, (scenario, params) = scenario, preset_and_params(scenario, params, kwargs)
            kwargs = {}
        if params is None:
            params = Params.preset(scenario or "coproduction", **kwargs)
        elif kwargs:
            params = params.with_(**kwargs)
        if seed is not None:
            seed = int(seed)
        super().__init__(**seed_arguments(seed, rng, mesa_scenario))
        self.params = p = params
        message = small_population_message(p.n_citizens)
        if message and warn_small_population:
            warnings.warn(message, SmallPopulationWarning, stacklevel=2)
        self.streams = Streams(self.rng)  # every draw of the model: one stream per mechanism
        self.preset_name = scenario  # not ``scenario``: Mesa 3.5 has a Model.scenario of its own
        n = p.n_citizens
        # each mode's rules, as (customer, co-creating) pairs by the idea they stand for
        self.rules = ModeRules.of(p)
        self.mode_share = np.array([1.0 - p.coproduction_share, p.coproduction_share])

        self._create_citizens(n)
        self._create_network(n)
        self._create_staff(p.staff_capacities())
        self.human_choices = HumanChoices()  # decisions students take for agents (role-play)
        self.volunteer_state = {
            "active": np.zeros(n, dtype=bool),
            "motivation": np.zeros(n),
            "skill": np.zeros(n),
            "tenure": np.zeros(n),
        }
        self.volunteers: dict[int, Volunteer] = {}  # a role of a citizen, not a second agent

        self.outreach_group = 0  # resource quintile outreach targets; reflection redirects it
        self.target: list[float | None] = [None, None]  # cases per staff hour, by mode
        self.pressure = np.zeros(2)  # target pressure felt in each mode
        self.routine_skill = np.zeros(2)  # team routine skill in each mode (standardisation)
        self.process_gain = 0.0  # time saved on routine work by process improvements
        self._closed_since_review = np.zeros(2)
        self._hours_since_review = np.zeros(2)
        self._routine_share = 1.0 - p.wicked_share
        self._induction_due = 0.0
        # what reflection meetings look at: relief with and without citizens' input since the last
        # review (sum of relief, weight), weighted by the input invited
        self._evidence = np.zeros(4)
        self.innovations = 0
        self.wicked_value = 0.0  # cumulative wicked need reduced, per citizen (for pattern 10)
        self.metrics: dict[str, float] = {}

        reporters = {name: _reporter(name) for name in (*METRICS, *LEDGER)}
        self.datacollector = SampledDataCollector(model_reporters=reporters,
                                                  agent_reporters=dict.fromkeys(AGENT_FIELDS))
        self._measure(self._empty_week())
        self.datacollector.collect(self)

    # --- set-up ----------------------------------------------------------------------------------
    def _create_citizens(self, n: int) -> None:
        """Resources are skewed (log-normal); trust and efficacy start higher with more resources.

        Calibration (docs/ODD.md 3.4): trust about 0.40, lower with fewer resources (OECD 2024);
        participation and efficacy rise with resources (BLS 2010; Bovaird et al. 2015).
        """
        p = self.params
        raw = (self.streams["resources"].lognormal(0.0, p.resource_inequality, n)
               if p.resource_inequality > 0 else np.ones(n))
        resources = raw / (raw + 1.0)
        noise = self.streams["traits"].normal(0.0, TRAIT_NOISE, (3, n))
        # about 0.33-0.35 among the fewest resources against 0.52 among the most (OECD 2024)
        trust0 = np.clip(p.trust_level + TRUST_RESOURCE_SLOPE * (resources - resources.mean())
                         + noise[0], 0.0, 1.0)
        self.citizen_state = {
            "resources": resources,
            "need": np.zeros(n),
            "wicked_need": np.zeros(n),
            "wellbeing": np.ones(n),
            "trust": trust0,
            "trust_baseline": trust0.copy(),
            "efficacy": np.clip(p.initial_efficacy + EFFICACY_RESOURCE_SLOPE * resources + noise[1],
                                0.0, 1.0),
            "skill": np.clip(p.initial_skill + SKILL_RESOURCE_SLOPE * resources + noise[2], 0.0, 1.0),
            "habit": p.initial_habit * resources,
            "expected_benefit": np.full(n, p.initial_expected_benefit),
            "innovation_gain": np.zeros(n),
            "fatigue": np.zeros(n),
            "waiting": np.zeros(n),
            "withdrawn": np.zeros(n, dtype=bool),
            "took_part": np.zeros(n, dtype=bool),
            "engaged": np.zeros(n, dtype=bool),  # took part at their last request (what peers see)
            "disappointments": np.zeros(n, dtype=np.int64),
        }
        self.quintile = quintile_of(resources)
        self._quintile_members = quintile_members(self.quintile)  # fixed: resources do not change
        self._quintile_masks = [self.quintile == q for q in range(5)]

    def _create_network(self, n: int) -> None:
        p = self.params
        k = min(p.network_degree, n - 1)
        graph = nx.watts_strogatz_graph(n, k, p.network_rewiring,
                                     seed=int(self.streams["network"].integers(2**31)))
        self.network = Network(graph, random=self.random, **network_arguments())
        self.adjacency = sp.csr_matrix(nx.to_scipy_sparse_array(graph, nodelist=range(n), format="csr"))
        self._degree = np.asarray(self.adjacency.sum(axis=1)).ravel()
        cells = network_cells(self.network)
        self.citizens = [Citizen(self, i, cells[i]) for i in range(n)]

    def _create_staff(self, capacities: np.ndarray) -> None:
        """Staff with their paid hours (the last one part-time when staff_per_1000 x citizens is
        not whole), motivation, skill, and invitation of citizens' input: teams start from a
        customer-service culture (``initial_invitation``)."""
        p = self.params
        m = capacities.size
        self.staff_state = {
            "capacity": capacities,
            "motivation": np.full(m, p.motivation_baseline),
            "coproduction_skill": np.full(m, p.initial_coproduction_skill),
            "invitation": np.full(m, p.initial_invitation),
            "aspiration": np.full(m, np.nan),  # set by the first week's encounters
            "burnout": np.zeros(m),
            "hours_worked": np.zeros(m),
            "tenure": np.zeros(m),
        }
        self.staff_members = [Staff(self, j) for j in range(m)]

    # --- the week (docs/ODD.md, section 1.3) -------------------------------------------------------
    def step(self) -> None:
        """One week: the ODD list of verbs, in order."""
        week = self._draw_week()             # 0 the week's draws, modes, review week
        self._needs_arise(week)              # 1 needs arise; self-help, community help, prevention
        self._ask_for_help(week)             # 2 who asks; outreach reaches the target group
        self._decide_to_take_part(week)      # 2b the choice to take part
        self._allocate_staff_time(week)      # 3 each mode queues by its rules; overtime
        self._volunteers_join(week)          # 4 volunteers join encounters, up to their hours
        self._produce(week)                  # 4b one production function; co-destruction
        self._experience(week)               # 5 learning, pacification, habits, fatigue
        self._staff_learn_to_invite(week)    # 5b staff learn how far to invite citizens' input
        self._update_trust(week)             # 6 trust, withdrawal, distrust spreading
        self._review(week)                   # 7 reflection cycles, targets, process innovation
        self._emerge(week)                   # 8 innovations and their diffusion
        self._staff_week(week)               # 9 motivation, burnout, training, turnover
        self._volunteer_week(week)           # 9b volunteers' motivation, churn, recruitment
        self._measure(week)                  # 10 metrics and the hours ledger
        self.last_week = week  # the week's state, for inspection (role-play, tests)
        self.datacollector.collect(self)
        self._sample_agents()

    def run(self, steps: int) -> CoproductionModel:
        """Run ``steps`` weeks; returns the model for chaining."""
        for _ in range(int(steps)):
            self.step()
        return self

    # --- the verbs ----------------------------------------------------------------------------------
    def _draw_week(self) -> Week:
        """The week's random numbers: every named stream draws its fixed amount (``streams``)."""
        n = self.params.n_citizens
        draws = self.streams.week(n, len(self.staff_members))
        return Week(draws=draws, cocreating=draws["mode"] < self.params.coproduction_share,
                    review=self._is_review_week())

    def _is_review_week(self) -> bool:
        interval = self.params.reflection_interval
        return interval > 0 and self.steps % interval == 0

    def _by_mode(self, week, rule, who=None):
        """Each citizen's value of a mode rule (a ``(customer, co-creating)`` pair of
        ``self.rules``), by the mode their case falls to this week (only for the citizens ``who``,
        when given)."""
        customer, cocreating = rule
        mode = week.cocreating if who is None else week.cocreating[who]
        return np.where(mode, cocreating, customer)

    def _needs_arise(self, week) -> None:
        """New needs, less those community capacity prevents; self-help with community help.

        Reads: draws shock, size, wicked; citizens' skill, habit, resources, innovation_gain; the
        network. Writes: citizens' need and wicked_need; the week's community_capacity, avoided,
        new_need, self_help, communal."""
        p, c = self.params, self.citizen_state
        capacity = emergence.community_capacity(self.adjacency, c["skill"], c["habit"], p.tie_help)
        week.community_capacity = capacity
        sizes = -np.log1p(-week.draws["size"]) * p.need_shock_size
        before = c["need"].sum()
        week.avoided = needs.needs_arise(
            c["need"], c["wicked_need"], week.draws["shock"], sizes, week.draws["wicked"], p.p_need_shock,
            p.wicked_share, prevented=p.prevention * capacity)
        week.new_need = float(c["need"].sum() - before)
        week.self_help, week.communal = needs.self_help(
            c["need"], c["wicked_need"], c["resources"], p.self_help_rate,
            community=p.spillover * capacity, innovation_gain=c["innovation_gain"])

    def _team_hours(self, week) -> float:
        """Paid hours left for encounters after programmes and meetings (booked in the ledger)."""
        p, s = self.params, self.staff_state
        capacity = float(s["capacity"].sum())
        reflecting = float(np.dot(self.mode_share, np.array(self.rules.reflection) > 0))
        week.worked = {
            "volunteer_coordination": len(self.volunteers) * p.volunteer_support_cost
            + self._induction_due,
            "training": p.training_hours * len(self.staff_members),
            "reflection": p.reflection_hours * len(self.staff_members) * reflecting * week.review,
        }
        self._induction_due = 0.0
        booked = math.fsum(week.worked.values())
        if booked > capacity:  # programmes never take more than the paid hours
            scale = capacity / booked
            week.worked = {k: v * scale for k, v in week.worked.items()}
            booked = capacity
        week.capacity = capacity
        return capacity - booked

    def _service_times(self, week) -> np.ndarray:
        """The week's service time of each citizen's case under its mode (computed once a week)."""
        if week.service is None:
            p, c = self.params, self.citizen_state
            wicked_fraction = np.divide(c["wicked_need"], c["need"], out=np.zeros_like(c["need"]),
                                        where=c["need"] > 0)
            saving = np.minimum(MAX_ROUTINE_SAVING, p.routine_speedup * self.routine_skill + self.process_gain)
            pace = np.array([targets.effort(pr, p.target_effort_gain, p.target_effort_peak)
                             for pr in self.pressure])
            mode = week.cocreating.astype(np.int64)
            week.wicked_fraction = wicked_fraction
            week.service = allocation.encounter_duration(
                wicked_fraction, c["resources"], p.standard_duration, p.wicked_extra_time,
                p.disadvantage_extra_time, 0.0, saving[mode]) / pace[mode]
            week.dialogue_rule = self._by_mode(week, self.rules.dialogue)
            week.audit_rule = self.params.audit_time * self._by_mode(week, self.rules.targets)
        return week.service

    def _durations(self, week, took_part):
        """Staff hours of each citizen's encounter, by activity, under their case's mode."""
        service = self._service_times(week)
        dialogue = service * week.dialogue_rule * took_part
        audit = service * week.audit_rule
        return Durations(service=service, dialogue=dialogue, target_audit=audit,
                         total=service + dialogue + audit, wicked_fraction=week.wicked_fraction)

    def _longest_durations(self, week, who):
        """Staff hours of the encounters of citizens ``who`` if every one of them took part."""
        service = self._service_times(week)[who]
        return service + service * week.dialogue_rule[who] + service * week.audit_rule[who]

    def _ask_for_help(self, week) -> None:
        """Withdrawn citizens sometimes return; outreach contacts the target group; who asks.

        Reads: draw return, jitter; citizens' need, withdrawn, disappointments; outreach_group;
        staff capacity. Writes: citizens' withdrawn, disappointments; the week's worked (programme
        hours), capacity, encounter_hours, asking, reached (and the cached service times)."""
        p, c = self.params, self.citizen_state
        participation.return_unprompted(c["withdrawn"], c["disappointments"], week.draws["return"],
                                        p.p_return)
        hours = self._team_hours(week)
        week.encounter_hours = hours
        outreach_hours = p.outreach_share * hours
        reached = np.empty(0, dtype=np.int64)
        if outreach_hours > 0:
            group = self._quintile_masks[self.outreach_group]
            candidates = allocation.outreach_candidates(c["need"], group,
                                                        p.need_threshold * OUTREACH_NEED_SHARE)
            reached, _ = allocation.serve_in_order(candidates, c["need"][candidates],
                                                   self._longest_durations(week, candidates),
                                                   outreach_hours, week.draws["jitter"][candidates])
            c["withdrawn"][reached] = False  # a personal contact brings the withdrawn back
        asking = participation.asks_for_help(c["need"], c["withdrawn"], p.need_threshold)
        asking[reached] = True
        week.asking, week.reached = asking, reached

    def _decide_to_take_part(self, week) -> None:
        """The choice to take part: expected benefit (with engaged neighbours' reinforcement, a
        complex contagion) against the cost of time and fatigue; a student's choice replaces it.

        Reads: asking, reached, draw take_part; citizens' efficacy, trust, habit, expected_benefit,
        resources, fatigue, engaged (of neighbours). Writes: the week's took_part and effort."""
        p, c = self.params, self.citizen_state
        asking = week.asking.nonzero()[0]  # only those who ask can take part
        support = np.zeros(p.n_citizens)
        support[week.reached] = p.outreach_support
        engaged_neighbours = self.adjacency @ c["engaged"].astype(float)
        peers = participation.peer_reinforcement(engaged_neighbours[asking], p.peer_persuasion,
                                                 p.peer_threshold)
        will = participation.willingness(
            c["efficacy"][asking], c["trust"][asking], c["habit"][asking],
            c["expected_benefit"][asking], peers, c["resources"][asking],
            support[asking], p.participation_cost, p.neighbour_influence,
            p.participation_sensitivity, c["fatigue"][asking] * p.fatigue_weight,
        )
        took_part = np.zeros(p.n_citizens, dtype=bool)
        took_part[asking] = week.draws["take_part"][asking] < will
        for i, choice in self.human_choices.take_part.items():
            if week.asking[i]:  # a student decides for this citizen, when they ask
                took_part[i] = choice
                self.human_choices.record(self.steps, "take_part", i, choice)
        week.took_part = took_part
        week.effort = np.where(took_part, p.effort_without_habit
                               + (1.0 - p.effort_without_habit) * c["habit"], p.passive_effort)

    def _allocate_staff_time(self, week) -> None:
        """Outreach cases first, then each mode's queue by its rules, within its share of the hours.

        A case falls to the co-creating mode with probability ``coproduction_share``, and that mode
        gets that share of the hours, so both queues face the same ratio of demand to capacity.
        When demand exceeds the hours, staff work overtime up to ``overtime_max``. Each encounter
        then falls to a staff member at random, in proportion to their paid hours.

        Reads: asking, cocreating, reached, took_part, encounter_hours, capacity, draws jitter and
        assignment; citizens' need, waiting, resources, efficacy; target pressure. Writes:
        citizens' waiting; the week's durations, served, staff_of, overtime, demand, waited,
        worked (encounter hours); the counts of the performance review."""
        p, c = self.params, self.citizen_state
        asking, cocreating, reached = week.asking, week.cocreating, week.reached
        d = week.durations = self._durations(week, week.took_part)
        total, jitter = d.total, week.draws["jitter"]
        outreach_used = float(total[reached].sum())
        regular = np.maximum(week.encounter_hours - outreach_used, 0.0) * self.mode_share
        ceiling = regular + self.mode_share * p.overtime_max * week.capacity
        pending = asking.copy()
        pending[reached] = False
        served_parts, used = [reached], np.zeros(2)
        for mode in (CUSTOMER, COCREATING):
            cases = (pending & (cocreating == bool(mode))).nonzero()[0]
            if cases.size == 0 or ceiling[mode] <= 0:
                continue
            dur = total[cases]
            priority = allocation.queue_priority(
                c["need"][cases], c["waiting"][cases], c["resources"][cases] * c["efficacy"][cases],
                1.0 - allocation.rank01(dur),
                self.rules.voice[mode],
                self.rules.need_priority[mode], self.pressure[mode])
            served, used[mode] = allocation.serve_in_order(cases, priority, dur, ceiling[mode],
                                                           jitter[cases])
            served_parts.append(served)
            self._closed_since_review[mode] += served.size
            self._hours_since_review[mode] += regular[mode]
        served = np.zeros(p.n_citizens, dtype=bool)
        served[np.concatenate(served_parts)] = True
        week.served = served
        week.overtime = float(np.maximum(used - regular, 0.0).sum())
        week.demand = float(total[asking].sum())
        week.waited = c["waiting"][served].copy()
        c["waiting"] = np.where(asking & ~served, c["waiting"] + 1.0, 0.0)
        w = week.worked
        w["outreach"] = outreach_used
        outside = served.copy()
        outside[reached] = False
        for activity in ("service", "dialogue", "target_audit"):
            w[activity] = float(getattr(d, activity)[outside].sum())
        week.staff_of = self._assign_staff(week.draws["assignment"], served)

    def _assign_staff(self, draw, served) -> np.ndarray:
        """Each encounter's staff member, at random in proportion to paid hours (-1: no encounter).

        Reads ``staff_state["capacity"]``; the staff member decides how far to invite input."""
        capacity = self.staff_state["capacity"]
        share = np.cumsum(capacity) / capacity.sum()
        staff_of = np.full(served.size, -1, dtype=np.int64)
        held = served.nonzero()[0]
        staff_of[held] = np.minimum(np.searchsorted(share, draw[held], side="right"),
                                    capacity.size - 1)
        return staff_of

    def _volunteers_join(self, week) -> None:
        """Volunteers join the encounters the programme asks them to, up to their hours (and beyond,
        at a cost to their motivation, when the programme asks for more).

        Reads: served, durations, draws volunteer_rota, volunteer_wanted, volunteer_order;
        volunteers' skill. Writes: the week's volunteer_input, volunteer_of, volunteer_load,
        volunteer_hours."""
        p, v = self.params, self.volunteer_state
        ids = np.fromiter(self.volunteers, dtype=np.int64, count=len(self.volunteers))
        ids = ids[np.argsort(week.draws["volunteer_rota"][ids], kind="stable")]  # this week's rota
        encounters = week.served.nonzero()[0]
        wanted = week.draws["volunteer_wanted"] < p.volunteer_demand
        total = week.durations.total
        chosen, volunteer_of, load = volunteering.match_to_encounters(
            ids, p.volunteer_hours, encounters, total, wanted, week.draws["volunteer_order"])
        stretch = min(1.0 + p.volunteer_overwork, max(1.0, load))
        if stretch != 1.0:  # asked for more than their hours: volunteers stretch, up to a limit
            chosen, volunteer_of, _ = volunteering.match_to_encounters(
                ids, p.volunteer_hours * stretch, encounters, total, wanted, week.draws["volunteer_order"])
        week.volunteer_input = np.zeros(p.n_citizens)
        week.volunteer_input[chosen] = v["skill"][volunteer_of]
        week.volunteer_of = volunteer_of
        week.volunteer_load = load
        week.volunteer_hours = float(total[chosen].sum())

    def _invitation_applied(self, staff_of) -> np.ndarray:
        """How far each encounter's staff member invites the citizen's input: their own learned
        invitation, or a student's choice for them in a role-play (1 invite, 0 standard service)."""
        applied = self.staff_state["invitation"][staff_of]
        for j, choice in self.human_choices.invite.items():
            handled = staff_of == j
            if handled.any():
                applied[handled] = 1.0 if choice else 0.0
                self.human_choices.record(self.steps, "invite", j, choice)
        return applied

    def _produce(self, week) -> None:
        """One CES production function for every encounter (Parks et al. 1981; Ostrom 1996), and
        co-destruction where an encounter with the citizen's input goes wrong.

        Staff input is the quality of the staff member who handles the case (motivated staff work
        better, burnt-out staff worse), raised by dialogue time as far as dialogue yields; citizen
        input is the effort offered, as far as that staff member invites it, times skill, made to
        count by their facilitation skill; volunteers add to the community side.

        Reads: served, staff_of, took_part, effort, cocreating, volunteer_input, durations; citizens'
        need, wicked_need, skill, trust, innovation_gain; staff motivation, burnout, skill and
        invitation; target pressure. Writes: need and wicked_need of those served; the week's
        invited, practised, relief, reduction, innovated, diversity, failed, harm.
        """
        p, c, s = self.params, self.citizen_state, self.staff_state
        n, served = p.n_citizens, week.served
        # Only encounters produce: every quantity below is computed for the served citizens
        # (``held``, in index order) and is zero for everyone else.
        held = served.nonzero()[0]
        staff = week.staff_of[held]
        took_part, mode = week.took_part[held], week.cocreating[held].astype(np.int64)
        quality = production.staff_quality(s["motivation"][staff], s["burnout"][staff],
                                           p.unmotivated_quality, p.burnout_quality_loss)
        staff_input = quality * (1.0 + p.dialogue_yield * self._by_mode(week, self.rules.dialogue, held)
                                 * took_part)
        invited = self._invitation_applied(staff)
        citizen_input, practised = learning.citizen_input(
            week.effort[held], c["skill"][held], s["coproduction_skill"][staff], invited,
            p.unskilled_input, p.unfacilitated_input)
        volunteer_input = week.volunteer_input[held]
        output = production.ces(staff_input, citizen_input + volunteer_input, p.substitution,
                                p.staff_weight, p.productivity)
        diversity = production.input_diversity(staff_input, citizen_input, volunteer_input)
        before = c["need"][held]
        reduction, innovated, effective = production.need_reduced(
            output, before, c["wicked_need"][held], diversity, p.wicked_penalty,
            c["innovation_gain"][held], wicked_loss=p.target_gaming * self.pressure[mode])

        chance = codestruction.codestruction_chance(
            practised, s["coproduction_skill"][staff], c["trust"][held], c["skill"][held],
            p.p_codestruction)
        failed = week.draws["codestruction"][held] < chance
        actors = 1 + (practised > 0) + (volunteer_input > 0)
        noticed = week.draws["notice"][held] < codestruction.noticed_chance(actors, p.accountability_diffusion)
        harm = codestruction.harm_done(effective, failed, noticed, p.codestruction_harm)
        kept = ~failed
        reduction = np.where(kept, reduction, 0.0)
        innovated = np.where(kept, innovated, 0.0)

        # need left after the encounters (everyone else's need is unchanged)
        share_left = np.divide(before - reduction, before, out=np.ones(held.size), where=before > 0)
        wicked_before = c["wicked_need"][held]
        wicked_after = wicked_before * share_left
        self.wicked_value += float(_spread(n, held, wicked_before - wicked_after).sum()) / n
        wicked_fraction = week.durations.wicked_fraction[held]
        c["need"][held] = before - reduction + harm
        c["wicked_need"][held] = wicked_after + harm * wicked_fraction
        week.invited = _spread(n, held, invited)
        week.relief = _spread(n, held, 1.0 - share_left)
        week.failed = _spread(n, held, failed)
        week.practised = _spread(n, held, practised)
        week.reduction = _spread(n, held, reduction)
        week.innovated = _spread(n, held, innovated)
        week.diversity = _spread(n, held, diversity)
        week.harm = _spread(n, held, harm)

    def _experience(self, week) -> None:
        """Learning by doing, pacification, habits, fatigue, and the benefit expected from taking part.

        Reads: served, practised, relief, effort, took_part, asking. Writes: citizens' skill,
        efficacy, habit, fatigue, expected_benefit, took_part, engaged."""
        p, c = self.params, self.citizen_state
        served, practised, relief = week.served, week.practised, week.relief
        learning.learn_by_doing(c["skill"], practised, p.learning_rate)
        learning.gain_efficacy(c["efficacy"], practised, relief, p.efficacy_gain)
        learning.pacify(c["efficacy"], np.where(served, practised, 1.0), p.pacification)
        learning.practise_habit(c["habit"], served, practised, p.habit_rate, p.habit_decay)
        learning.tire(c["fatigue"], practised, relief, p.fatigue_rate, p.fatigue_recovery)
        payoff = np.divide(relief * practised, week.effort, out=np.zeros_like(relief),
                           where=week.effort > 0)
        learning.reinforce_expected_benefit(c["expected_benefit"], week.took_part, payoff,
                                            p.benefit_memory)
        c["took_part"] = week.took_part
        c["engaged"][week.asking] = week.took_part[week.asking]  # what neighbours see

    def _staff_learn_to_invite(self, week) -> None:
        """Each staff member's invitation of citizens' input learns from their own encounters: relief
        above their aspiration raises it, failures lower it (twice as much), and under target pressure
        relief is seen less and extra time felt more (``invitation``; Lipsky 1980; Tummers et al.
        2015). The team keeps the evidence its reflection meetings look at.

        Reads: served, staff_of, invited, practised, relief, failed, took_part, cocreating,
        durations; target pressure. Writes: staff invitation and aspiration; the review's evidence.
        """
        p, s = self.params, self.staff_state
        held = week.served.nonzero()[0]
        if held.size == 0:
            return
        staff_of, relief, failed = week.staff_of[held], week.relief[held], week.failed[held]
        relief_seen = np.where(failed, 0.0, relief)
        aspiration = s["aspiration"]
        first = np.isnan(aspiration)
        if first.any():  # a staff member's first encounters set what they expect
            count = np.bincount(staff_of, minlength=aspiration.size)
            sums = np.bincount(staff_of, weights=relief_seen, minlength=aspiration.size)
            aspiration[first & (count > 0)] = (sums / np.maximum(count, 1))[first & (count > 0)]
        expected = np.nan_to_num(aspiration[staff_of], nan=0.0)
        pressure = self.pressure[week.cocreating[held].astype(np.int64)]
        extra_time = np.divide(week.durations.dialogue[held], week.durations.service[held],
                               out=np.zeros(held.size), where=week.durations.service[held] > 0)
        signal = invitation.encounter_signal(relief_seen, expected, pressure, extra_time, failed,
                                             p.failure_aversion)
        # the input actually invited and taken up: no lesson where the citizen offered nothing
        taken_up = week.invited[held] * week.took_part[held]
        invitation.learn_from_encounters(s["invitation"], staff_of, taken_up, signal,
                                         p.invitation_learning)
        invitation.update_aspiration(aspiration, staff_of, relief_seen, p.aspiration_memory)
        np.clip(s["invitation"], 0.0, 1.0, out=s["invitation"])
        self._evidence += (float((taken_up * relief_seen).sum()), float(taken_up.sum()),
                           float(((1.0 - taken_up) * relief_seen).sum()), float((1.0 - taken_up).sum()))

    def _update_trust(self, week) -> None:
        """Trust after requests met or not, after failures and their spread; withdrawal.

        Reads: served, failed, asking, relief, practised; the network. Writes: citizens' trust,
        efficacy, disappointments, withdrawn, wellbeing."""
        p, c = self.params, self.citizen_state
        served, failed = week.served, week.failed
        unmet = week.asking & ~served
        trust.trust_after_request(c["trust"], served & ~failed, unmet, week.relief,
                                  week.practised, p.trust_gain, p.trust_loss, p.withness)
        trust.lose_trust_after_failure(c["trust"], c["efficacy"], failed, p.codestruction_trust_loss)
        trust.spread_distrust(c["trust"], self.adjacency, failed, p.distrust_contagion)
        trust.revert_trust(c["trust"], c["trust_baseline"], p.trust_reversion)
        np.clip(c["trust"], 0.0, 1.0, out=c["trust"])
        np.clip(c["efficacy"], 0.0, 1.0, out=c["efficacy"])
        c["disappointments"][served] = 0
        c["disappointments"][unmet] += 1
        participation.withdraw(c["withdrawn"], c["disappointments"], c["trust"], p.withdraw_after,
                               p.withdraw_trust)
        c["wellbeing"] = needs.wellbeing_from_need(c["need"])

    def _review(self, week) -> None:
        """Every ``reflection_interval`` weeks: reflection cycles, performance reviews, and the
        chance of a process improvement.

        Reads: review, served, durations, draw process_innovation; citizens' wellbeing; the
        evidence and counts gathered since the last review. Writes: outreach_group, staff
        coproduction_skill and invitation (reflection), target and pressure (performance review),
        process_gain; resets the evidence and counts."""
        if not week.review:
            return
        p, s = self.params, self.staff_state
        weight = float(np.dot(self.mode_share, self.rules.reflection))
        if weight > 0:
            self.outreach_group = reflection.lagging_group(self.citizen_state["wellbeing"], self.quintile)
            reflection.reflect(s["coproduction_skill"], weight)
            evidence = invitation.reflection_evidence(*self._evidence)
            invitation.reflect_on_invitation(s["invitation"], evidence, weight)
        self._evidence[:] = 0.0
        for mode in (CUSTOMER, COCREATING):
            strength = self.rules.targets[mode]
            hours = self._hours_since_review[mode]
            if strength > 0 and hours > 0:
                achieved = self._closed_since_review[mode] / hours
                self.target[mode] = targets.review_target(self.target[mode], achieved,
                                                          p.target_stretch, p.target_ratchet)
                self.pressure[mode] = targets.target_pressure(self.target[mode], achieved, strength)
        served = week.served
        if served.any():
            self._routine_share = 1.0 - mean(week.durations.wicked_fraction[served])
        self.process_gain = emergence.process_innovation(
            self.process_gain, week.draws["process_innovation"][0], p.p_process_innovation * self._routine_share,
            p.process_innovation_size, p.process_innovation_max)
        self._closed_since_review[:] = 0.0
        self._hours_since_review[:] = 0.0

    def _emerge(self, week) -> None:
        """Encounters, in either mode, may innovate; innovations spread along the network.

        Reads: served, failed, diversity, took_part, draws innovation and spread; citizens' trust.
        Writes: citizens' innovation_gain; the count of innovations."""
        p, c = self.params, self.citizen_state
        served = (week.served & ~week.failed).nonzero()[0]
        self.innovations += emergence.innovate(
            c["innovation_gain"], served, week.diversity[served], c["trust"][served],
            week.draws["innovation"][served], p.p_innovation, p.innovation_size, p.innovation_max)
        emergence.spread_innovations(c["innovation_gain"], self.adjacency.indptr,
                                     self.adjacency.indices, week.took_part, week.draws["spread"],
                                     p.innovation_spread, p.adoption_threshold)

    def _staff_week(self, week) -> None:
        """Motivation, burnout, team culture and the mode's norm, routines, training and turnover;
        leavers are replaced by novices.

        Reads: demand, encounter_hours, capacity, worked, failed, draw staff_leave; target pressure.
        Writes: staff hours_worked, burnout, motivation, invitation, coproduction_skill, tenure,
        aspiration (novices); routine_skill; the week's hires."""
        p, s = self.params, self.staff_state
        m = len(self.staff_members)
        available = week.capacity
        workload = (week.demand / week.encounter_hours if week.encounter_hours > 0
                    else NO_HOURS_WORKLOAD)
        s["hours_worked"] = s["capacity"] * (math.fsum(week.worked.values()) / max(available, 1e-12))
        strain = p.role_strain * (1.0 - s["coproduction_skill"]) * np.count_nonzero(week.failed) / m
        staff.update_burnout(s["burnout"], workload, p.burnout_rate, p.burnout_recovery, strain)
        staff.update_motivation(s["motivation"], float(np.dot(self.mode_share, self.pressure)),
                                p.motivation_baseline, p.motivation_recovery, p.crowding_out,
                                s["burnout"])
        invitation.follow_colleagues(s["invitation"], p.team_influence)
        invitation.follow_norm(s["invitation"], float(np.dot(self.mode_share, self.rules.invitation)),
                               p.norm_pull)
        self.routine_skill += (np.array(self.rules.routine_learning)
                               * self.mode_share * (1.0 - self.routine_skill))
        staff.train(s["coproduction_skill"], p.training_hours, p.training_effect)
        s["tenure"] += 1
        leavers = staff.leaving(s["motivation"], s["burnout"], week.draws["staff_leave"], p.p_staff_leave,
                                p.p_quit, p.motivation_baseline, p.quit_motivation)
        for j in leavers:
            self.staff_members[j].remove()
            s["motivation"][j] = p.motivation_baseline
            s["coproduction_skill"][j] = p.initial_coproduction_skill
            s["invitation"][j] = p.initial_invitation
            s["aspiration"][j] = np.nan
            s["burnout"][j] = 0.0
            s["tenure"][j] = 0
            self.staff_members[j] = Staff(self, int(j))
        week.hires = int(leavers.size)

    def _volunteer_week(self, week) -> None:
        """Volunteers learn, lose heart when unused or overloaded, leave; engaged citizens join,
        asked by the programme or by a volunteer they know; a student's choice replaces theirs.

        Reads: volunteer_of, volunteer_load, draws volunteer_churn, recruit, asked; citizens'
        efficacy, resources, withdrawn, skill; the network. Writes: volunteers' active, motivation,
        skill, tenure; the induction hours due next week."""
        p, c, v = self.params, self.citizen_state, self.volunteer_state
        used = np.zeros(p.n_citizens, dtype=bool)
        used[week.volunteer_of] = True
        active = v["active"]
        overload = max(0.0, week.volunteer_load - 1.0)
        volunteering.after_week(v["motivation"], v["skill"], active & (used | (overload > 0)),
                                p.learning_rate, overload, p.volunteer_overload_strain)
        v["tenure"][active] += 1
        ids = active.nonzero()[0]
        for i in volunteering.volunteers_leaving(ids, v["motivation"], week.draws["volunteer_churn"],
                                                  p.volunteer_churn):
            active[i] = False
            del self.volunteers[int(i)]
        for i, choice in self.human_choices.volunteer.items():
            if not choice and active[i]:  # a student stops volunteering for this citizen
                active[i] = False
                del self.volunteers[int(i)]
                self.human_choices.record(self.steps, "volunteer", i, choice)
        recruits = volunteering.recruit(
            active, c["efficacy"], c["resources"], c["withdrawn"], week.draws["recruit"],
            p.volunteer_recruitment, p.volunteer_engagement, p.max_volunteer_share,
            volunteering.work_for_more(week.volunteer_load, bool(self.volunteers),
                                       p.volunteer_full_load),
            asked_draw=week.draws["asked"], volunteer_neighbours=self.adjacency @ active.astype(float),
            peer_ask=p.volunteer_peer_ask, min_resources=p.volunteer_min_resources)
        chosen = [i for i, choice in self.human_choices.volunteer.items() if choice and not active[i]]
        for i in chosen:
            self.human_choices.record(self.steps, "volunteer", i, True)
        for i in (*(int(i) for i in recruits if self.human_choices.volunteer.get(int(i), True)),
                  *chosen):
            active[i] = True
            v["motivation"][i] = p.volunteer_start_motivation
            v["skill"][i] = c["skill"][i]
            v["tenure"][i] = 0
            self.volunteers[int(i)] = Volunteer(self, int(i))
            self._induction_due += p.volunteer_induction

    # --- measurement ---------------------------------------------------------------------------------
    def _empty_week(self) -> Week:
        """A week in which nothing happened: what the metrics read at step 0."""
        n = self.params.n_citizens
        zeros, no = np.zeros(n), np.zeros(n, dtype=bool)
        return Week(draws={}, cocreating=no, review=False, avoided=zeros, communal=zeros,
                    self_help=zeros, invited=zeros,
                    community_capacity=emergence.community_capacity(
                        self.adjacency, self.citizen_state["skill"], self.citizen_state["habit"],
                        self.params.tie_help),
                    capacity=float(self.staff_state["capacity"].sum()), asking=no, took_part=no,
                    served=no, waited=zeros,
                    durations=Durations(zeros, zeros, zeros, zeros, zeros), practised=zeros,
                    reduction=zeros, innovated=zeros, harm=zeros)

    def _measure(self, week) -> None:
        """The metrics (docs/ODD.md, section 4) and the hours ledger for this step."""
        p, c, s = self.params, self.citizen_state, self.staff_state
        n = p.n_citizens
        wellbeing = c["wellbeing"]
        withdrawn = c["withdrawn"]
        with_need = c["need"] > p.need_threshold
        in_need = np.count_nonzero(week.asking | (withdrawn & with_need))
        served = week.served
        ledger = costs.ledger(week.worked, week.capacity, week.overtime,
                              p.overtime_premium, week.hires, p.hiring_cost, n)
        cost = math.fsum(ledger.values())
        destroyed = float(week.harm.sum()) / n
        in_encounters = float(week.reduction.sum()) / n
        community_help = float(week.communal.sum()) / n
        prevented = float(week.avoided.sum()) / n
        emergent = float(week.innovated.sum()) / n + community_help + prevented - destroyed
        public_value = in_encounters + community_help + prevented - destroyed
        d = week.durations
        held = served.nonzero()[0]
        citizen_hours = float(((d.service[held] + d.dialogue[held])
                               * (1.0 + week.practised[held])).sum())
        social = cost + p.citizen_time_value * (citizen_hours + week.volunteer_hours) / n
        self.metrics = {
            "public_value": public_value,
            "emergent_value": emergent,
            "participation_rate": np.count_nonzero(week.took_part) / in_need if in_need else 0.0,
            "volunteers": float(len(self.volunteers)),
            "mean_trust": mean(c["trust"]),
            "mean_efficacy": mean(c["efficacy"]),
            "mean_wellbeing": mean(wellbeing),
            "gini_wellbeing": gini(wellbeing),
            "equity_gap": equity_gap(wellbeing, self.quintile, self._quintile_members),
            "unmet_need": float(c["need"][~withdrawn & with_need].sum()) / n,
            "hidden_need": float(c["need"][withdrawn].sum()) / n,
            "staff_motivation": mean(s["motivation"]),
            "staff_turnover": week.hires / len(self.staff_members),
            "cost": cost,
            "value_per_cost": public_value / cost if cost > 0 else 0.0,
            "throughput": float(held.size),
            "innovations": float(self.innovations),
            "social_cost": social,
            "waiting_time": mean(week.waited) if week.waited.size else 0.0,
            "value_destroyed": destroyed,
            "need_met_in_encounters": in_encounters,
            "community_help": community_help,
            "need_prevented": prevented,
            "need_arising": week.new_need / n + prevented,
            "self_help": float(week.self_help.sum()) / n,
            "need_stock": float(c["need"].sum()) / n,
            "invitation_practised": mean(week.invited[held]) if held.size else 0.0,
            "staff_invitation": mean(s["invitation"]),
            "participation_clustering": participation.clustering(self.adjacency, c["engaged"],
                                                                 self._degree),
            "community_capacity": mean(week.community_capacity),
            "citizen_skill": mean(c["skill"]),
            **ledger,
        }

    def _sample_agents(self) -> None:
        """Every ``agent_sample_period`` steps, citizens' state goes to Mesa's DataCollector."""
        period = self.params.agent_sample_period
        if period and self.steps % period == 0:
            self.datacollector.record_citizens(self)

    def citizen_table(self) -> dict[str, np.ndarray]:
        """This week's citizen state, one array per field of ``AGENT_FIELDS`` (a sample's row)."""
        c = self.citizen_state
        table = {name: c[name].copy() for name in _CITIZEN_FIELDS}
        table["withdrawn"] = c["withdrawn"].copy()
        table["took_part"] = c["took_part"].copy()
        table["volunteer"] = self.volunteer_state["active"].copy()
        table["quintile"] = self.quintile
        return table

    def agent_dataframe(self):
        """Sampled citizen state as a tidy DataFrame: one row per citizen and sample, with ``step``
        and ``citizen`` columns (the same data as ``datacollector.get_agent_vars_dataframe()``)."""
        import pandas as pd

        collector = self.datacollector
        if not collector.sampled_steps:
            return pd.DataFrame(columns=["step", "citizen", *AGENT_FIELDS])
        n = self.params.n_citizens
        steps = collector.sampled_steps
        columns = {"step": np.repeat(np.asarray(steps, dtype=np.int64), n),
                   "citizen": np.tile(np.arange(n, dtype=np.int64), len(steps))}
        columns.update(collector.sampled_columns())
        return pd.DataFrame(columns)

    @property
    def _citizen_of_agent(self) -> dict[int, int]:
        return {citizen.unique_id: citizen.index for citizen in self.citizens}

    def release(self) -> None:
        """Drop Mesa's class-level reference to this model so it can be freed (Mesa 3.3.1 leak)."""
        forget_model(self)


def _spread(n: int, where: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Values known for the citizens ``where`` as an array over all ``n`` citizens, zero elsewhere."""
    out = np.zeros(n, dtype=values.dtype)
    out[where] = values
    return out


def _reporter(name: str):
    def report(model: CoproductionModel) -> float:
        return model.metrics[name]

    report.__name__ = name
    report.metric = name  # read straight from ``model.metrics`` by SampledDataCollector.collect
    return report


class SampledDataCollector(mesa.DataCollector):
    """Mesa's DataCollector, with citizens' state recorded only at the sampling period.

    Model reporters are collected every step as usual; the model's own reporters (one per metric)
    are read straight from ``model.metrics``, a dict of numbers, without Mesa's per-value
    ``deepcopy`` and type checks (the same values land in ``model_vars``). Agent reporters (the
    names in ``AGENT_FIELDS``) are kept as one copy of the model's arrays per sample when
    ``record_citizens`` is called, so ``get_agent_vars_dataframe()`` works as in any Mesa model
    (same index, columns and types) without a Python call or tuple per agent per step.
    """

    def __init__(self, model_reporters=None, agent_reporters=None):
        super().__init__(model_reporters=model_reporters, agent_reporters=agent_reporters)
        self.sampled_steps: list[int] = []
        self._samples: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []  # (agent ids, fields)
        self._metric_columns = None
        if self.model_reporters and all(hasattr(r, "metric") for r in self.model_reporters.values()):
            self._metric_columns = [(r.metric, self.model_vars[name])
                                    for name, r in self.model_reporters.items()]

    def collect(self, model) -> None:
        if self._metric_columns is not None:  # the model's own reporters: plain numbers
            metrics = model.metrics
            for metric, column in self._metric_columns:
                column.append(metrics[metric])
            return
        reporters, self.agent_reporters = self.agent_reporters, {}
        try:
            super().collect(model)
        finally:
            self.agent_reporters = reporters

    def record_citizens(self, model) -> None:
        table = model.citizen_table()
        ids = np.fromiter((citizen.unique_id for citizen in model.citizens), dtype=np.int64,
                          count=len(model.citizens))
        self._samples.append((ids, {name: table[name] for name in self.agent_reporters}))
        self.sampled_steps.append(model.steps)

    def sampled_columns(self) -> dict[str, np.ndarray]:
        """Every sample's citizen fields, one array per field, samples one after another."""
        return {name: np.concatenate([fields[name] for _, fields in self._samples])
                for name in self.agent_reporters}

    def get_agent_vars_dataframe(self):
        if not self._samples:
            return super().get_agent_vars_dataframe()
        import pandas as pd

        steps = np.concatenate([np.full(ids.size, step, dtype=np.int64)
                                for step, (ids, _) in zip(self.sampled_steps, self._samples, strict=True)])
        ids = np.concatenate([ids for ids, _ in self._samples])
        frame = pd.DataFrame({"Step": steps, "AgentID": ids, **self.sampled_columns()})
        return frame.set_index(["Step", "AgentID"])
