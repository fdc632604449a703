"""CoproductionModel: citizens, staff and volunteers under customer (NPM) and co-creating rules.

The step reads like MODEL.md section 3; each mechanism is a small function in a module named for
its idea (``needs``, ``participation``, ``allocation``, ``production``, ``learning``,
``reflection``, ``emergence``, ``trust``, ``staff``, ``volunteering``). Regimes differ only in
their rules, set by parameters: the share of staff time in the co-creating mode and each mode's
rules. The model does no I/O, printing or plotting.
"""

from __future__ import annotations

from typing import Any

import mesa
import networkx as nx
import numpy as np
import scipy.sparse as sp
from mesa.discrete_space import Network

from . import (
    allocation,
    emergence,
    learning,
    needs,
    participation,
    production,
    reflection,
    staff,
    trust,
    volunteering,
)
from .agents import Citizen, Staff, Volunteer
from .metrics import METRICS, equity_gap, gini, quintile_of
from .params import Params

PASSIVE_EFFORT = 0.05  # what a citizen who does not take part still does: show up, fill in forms

# Rows of the block of uniform draws made every step. Every scenario draws the same block, so
# runs with one seed share their random numbers (common random numbers across scenarios).
_DRAWS = (
    "shock", "size", "wicked", "return", "take_part", "jitter", "mode", "innovation", "spread",
    "recruit", "volunteer_order", "volunteer_churn",
)
_ROW = {name: i for i, name in enumerate(_DRAWS)}

_CITIZEN_FIELDS = (
    "resources", "need", "wicked_need", "wellbeing", "trust", "efficacy", "skill", "habit",
    "expected_benefit", "innovation_gain",
)
_STAFF_FIELDS = ("capacity", "motivation", "coproduction_skill", "mode_habit", "burnout",
                 "hours_worked", "tenure")


class CoproductionModel(mesa.Model):
    """Public services under New Public Management and co-production rules.

    Args:
        params: a validated ``Params`` (default: the ``coproduction`` preset).
        seed: seed of the model's random generators; the same seed gives identical results.
        scenario: name of a preset, used when ``params`` is not given.
        **kwargs: parameter overrides (validated), e.g. ``n_citizens=500``.
    """

    def __init__(self, params: Params | None = None, seed: int | None = None,
                 scenario: str | None = None, rng=None, **kwargs: Any):
        if params is None:
            params = Params.preset(scenario or "coproduction", **kwargs)
        elif kwargs:
            params = params.with_(**kwargs)
        if seed is not None:
            seed = int(seed)
        super().__init__(seed=seed, rng=rng)
        self.params = p = params
        self.scenario = scenario
        n = p.n_citizens

        self._create_citizens(n)
        self._create_network(n)
        self._create_staff(p.n_staff)
        self.volunteer_state = {
            "active": np.zeros(n, dtype=bool),
            "motivation": np.zeros(n),
            "skill": np.zeros(n),
            "tenure": np.zeros(n),
        }
        self.volunteer_agents: dict[int, Volunteer] = {}

        self.outreach_group = 0  # resource quintile that outreach targets; reflection redirects it
        self.target: float | None = None  # cases per customer-mode staff hour (performance target)
        self.pressure = 0.0
        self._closed_since_review = 0.0
        self._hours_since_review = 0.0
        self.innovations = 0
        self.wicked_value = 0.0  # cumulative wicked need reduced, per citizen (for pattern 10)
        self.metrics: dict[str, float] = {}
        self.agent_samples: list[dict[str, np.ndarray]] = []

        self.datacollector = mesa.DataCollector(
            model_reporters={name: _reporter(name) for name in METRICS}
        )
        self._measure(np.zeros(n), np.zeros(n), 0, 0, np.zeros(n, dtype=bool), 0)
        self.datacollector.collect(self)

    # --- set-up ----------------------------------------------------------------------------------
    def _create_citizens(self, n: int) -> None:
        """Resources are skewed (log-normal); trust and efficacy start higher with more resources.

        Calibration (MODEL.md 7): trust about 40%, lower with fewer resources (OECD 2024);
        participation and efficacy rise with resources (BLS 2010; Bovaird et al. 2015).
        """
        p, rng = self.params, self.rng
        raw = rng.lognormal(0.0, p.resource_inequality, n) if p.resource_inequality > 0 else np.ones(n)
        resources = raw / (raw + 1.0)
        noise = rng.normal(0.0, 0.05, (3, n))
        self.citizen_state = {
            "resources": resources,
            "need": np.zeros(n),
            "wicked_need": np.zeros(n),
            "wellbeing": np.ones(n),
            "trust": np.clip(0.3 + 0.25 * resources + noise[0], 0.0, 1.0),
            "efficacy": np.clip(0.2 + 0.5 * resources + noise[1], 0.0, 1.0),
            "skill": np.clip(0.1 + 0.2 * resources + noise[2], 0.0, 1.0),
            "habit": 0.3 * resources,
            "expected_benefit": np.full(n, 0.3),
            "innovation_gain": np.zeros(n),
            "withdrawn": np.zeros(n, dtype=bool),
            "took_part": np.zeros(n, dtype=bool),
            "disappointments": np.zeros(n, dtype=np.int64),
        }
        self.quintile = quintile_of(resources)

    def _create_network(self, n: int) -> None:
        p = self.params
        k = min(p.network_degree, n - 1)
        graph = nx.watts_strogatz_graph(n, k, p.network_rewiring, seed=int(self.rng.integers(2**31)))
        self.network = Network(graph, random=self.random)
        self.adjacency = sp.csr_matrix(nx.to_scipy_sparse_array(graph, nodelist=range(n), format="csr"))
        self._degree = np.asarray(self.adjacency.sum(axis=1)).ravel()
        cells = self.network._cells
        self.citizens = [Citizen(self, i, cells[i]) for i in range(n)]

    def _create_staff(self, m: int) -> None:
        p = self.params
        self.staff_state = {
            "capacity": np.full(m, p.staff_hours),
            "motivation": np.full(m, p.motivation_baseline),
            "coproduction_skill": np.full(m, p.initial_coproduction_skill),
            "mode_habit": np.zeros(m),  # teams start from a customer-service culture
            "burnout": np.zeros(m),
            "hours_worked": np.zeros(m),
            "tenure": np.zeros(m),
        }
        self.staff_members = [Staff(self, j) for j in range(m)]

    # --- the step (MODEL.md section 3) -------------------------------------------------------------
    def step(self) -> None:
        """One week, as MODEL.md section 3.

        1 needs arise; 2 outreach, demand and the choice to take part; 3 allocation of staff time;
        4 production; 5 experience; 8a trust and withdrawal; 6 reviews (reflection, targets);
        7 emergence; 8b staff and volunteers; then the metrics are collected.
        """
        u = self.rng.random((len(_DRAWS), self.params.n_citizens))
        staff_draw = self.rng.random(len(self.staff_members))
        self._needs_arise(u)
        asking, support, outreach_served, outreach_hours = self._outreach_and_demand(u)
        will = self._willingness(support)
        took_part = asking & (u[_ROW["take_part"]] < will)
        effort = np.where(took_part, 0.5 + 0.5 * self.citizen_state["habit"], PASSIVE_EFFORT)
        served_co, served_cu, hours = self._allocate_staff_time(
            u, asking, took_part, outreach_served, outreach_hours
        )
        volunteer_input, volunteer_of = self._volunteers_join(u, np.concatenate([served_co, served_cu]))
        result = self._produce(served_co, served_cu, effort, volunteer_input)
        self._experience(took_part, effort, result)
        self._update_trust(asking, result)
        self._review()
        new_innovations = self._emergence(u, served_co, result, took_part)
        hires = self._staff_week(staff_draw, hours)
        self._volunteer_week(u, volunteer_of)
        self.citizen_state["took_part"] = took_part
        self.citizen_state["wellbeing"] = needs.wellbeing_from_need(self.citizen_state["need"])
        self.innovations += new_innovations
        in_need = int(asking.sum() + (self.citizen_state["withdrawn"] & ~asking
                                      & (self.citizen_state["need"] > self.params.need_threshold)).sum())
        self._measure(result["reduction"], result["emergent"], served_co.size + served_cu.size,
                      hires, took_part, in_need)
        self.datacollector.collect(self)
        self._sample_agents()

    def run(self, steps: int) -> CoproductionModel:
        """Run ``steps`` weeks; returns the model for chaining."""
        for _ in range(int(steps)):
            self.step()
        return self

    # --- mechanisms, in the order of the step ------------------------------------------------------
    def _needs_arise(self, u) -> None:
        p, c = self.params, self.citizen_state
        sizes = -np.log1p(-u[_ROW["size"]]) * p.need_shock_size
        needs.needs_arise(c["need"], c["wicked_need"], u[_ROW["shock"]], sizes, u[_ROW["wicked"]],
                          p.p_need_shock, p.wicked_share)
        needs.self_help(c["need"], c["wicked_need"], c["resources"], p.self_help_rate)

    def _team_hours(self) -> float:
        """Staff hours for encounters this week, less the time spent coordinating volunteers."""
        n_vol = len(self.volunteer_agents)
        return max(0.0, float(self.staff_state["capacity"].sum()) - n_vol * self.params.volunteer_support_cost)

    def _durations(self, took_part=None) -> np.ndarray:
        """Encounter durations; an encounter with a citizen taking part adds the dialogue overhead."""
        p, c = self.params, self.citizen_state
        wicked_fraction = np.divide(c["wicked_need"], c["need"], out=np.zeros_like(c["need"]),
                                    where=c["need"] > 0)
        overhead = 0.0 if took_part is None else p.dialogue_overhead * took_part
        return allocation.encounter_duration(wicked_fraction, c["resources"], p.standard_duration,
                                             p.wicked_extra_time, p.disadvantage_extra_time, overhead)

    def _outreach_and_demand(self, u):
        """Outreach reaches citizens of the target group first; then who asks for help."""
        p, c = self.params, self.citizen_state
        participation.return_unprompted(c["withdrawn"], c["disappointments"], u[_ROW["return"]],
                                        p.p_return)
        outreach_hours = p.outreach_share * p.coproduction_share * self._team_hours()
        served = np.empty(0, dtype=np.int64)
        used = 0.0
        if outreach_hours > 0:
            group = self.quintile == self.outreach_group
            candidates = allocation.outreach_candidates(c["need"], group, p.need_threshold / 2)
            served, used = allocation.serve_in_order(
                candidates, c["need"][candidates], self._durations(1.0)[candidates],
                outreach_hours, u[_ROW["jitter"]][candidates],
            )
            c["withdrawn"][served] = False  # a personal contact brings the withdrawn back
        support = np.zeros(p.n_citizens)
        support[served] = p.outreach_support
        asking = participation.asks_for_help(c["need"], c["withdrawn"], p.need_threshold)
        asking[served] = True
        return asking, support, served, used

    def _willingness(self, support):
        p, c = self.params, self.citizen_state
        neighbours = participation.neighbour_share(self.adjacency, c["took_part"])
        return participation.willingness(
            c["efficacy"], c["trust"], c["habit"], c["expected_benefit"], neighbours,
            c["resources"], support, p.participation_cost, p.neighbour_influence,
            p.participation_sensitivity,
        )

    def _allocate_staff_time(self, u, asking, took_part, outreach_served, outreach_hours):
        """Split cases between the modes by their share of staff time; each mode queues by its rules.

        Co-creating time (after outreach) goes by need; customer time by voice, shifting to quick
        cases under target pressure. A case's mode is drawn with probability coproduction_share.
        """
        p, c = self.params, self.citizen_state
        hours_total = self._team_hours()
        pending = asking.copy()
        pending[outreach_served] = False
        cocreating = u[_ROW["mode"]] < p.coproduction_share
        jitter = u[_ROW["jitter"]]
        co_durations = self._durations(took_part)
        cu_durations = self._durations()

        co_cases = np.flatnonzero(pending & cocreating)
        served_co, used_co = allocation.serve_in_order(
            co_cases, c["need"][co_cases], co_durations[co_cases],
            p.coproduction_share * hours_total - outreach_hours, jitter[co_cases],
        )
        served_co = np.concatenate([outreach_served, served_co])

        cu_cases = np.flatnonzero(pending & ~cocreating)
        cu_dur = cu_durations[cu_cases]
        longest = cu_dur.max() if cu_dur.size else 1.0
        voice = c["resources"][cu_cases] * c["efficacy"][cu_cases]
        priority = allocation.customer_priority(
            c["need"][cu_cases], voice, 1.0 - cu_dur / longest, p.voice_bias, self.pressure
        )
        customer_hours = (1.0 - p.coproduction_share) * hours_total
        served_cu, used_cu = allocation.serve_in_order(cu_cases, priority, cu_dur, customer_hours,
                                                       jitter[cu_cases])
        self._closed_since_review += served_cu.size
        self._hours_since_review += customer_hours
        demand = float(co_durations[asking & cocreating].sum() + cu_dur.sum()) + outreach_hours
        hours = {"available": hours_total, "used": outreach_hours + used_co + used_cu,
                 "demand": demand}
        return served_co, served_cu, hours

    def _volunteers_join(self, u, encounters):
        """Each volunteer joins as many encounters as their hours allow (community-side input)."""
        v = self.volunteer_state
        ids = np.fromiter(self.volunteer_agents, dtype=np.int64, count=len(self.volunteer_agents))
        ids.sort()
        slots = int(self.params.volunteer_hours // self.params.standard_duration)
        chosen, volunteer_of = volunteering.match_to_encounters(ids, slots, encounters,
                                                                u[_ROW["volunteer_order"]])
        volunteer_input = np.zeros(self.params.n_citizens)
        volunteer_input[chosen] = v["skill"][volunteer_of]
        return volunteer_input, volunteer_of

    def _facilitation(self) -> float:
        s = self.staff_state
        return float(np.mean(s["coproduction_skill"] * s["mode_habit"]))

    def _produce(self, served_co, served_cu, effort, volunteer_input):
        """One CES production function for every encounter (Parks et al. 1981; Ostrom 1996).

        Staff input is the team's quality (motivated staff work better); citizen input is the
        effort the mode allows times skill; volunteers add to the community side.
        """
        p, c = self.params, self.citizen_state
        n = p.n_citizens
        staff_input = 0.5 + 0.5 * float(np.mean(self.staff_state["motivation"]))
        cap = np.zeros(n)
        cap[served_co] = 1.0
        cap[served_cu] = p.customer_input_cap
        served = np.zeros(n, dtype=bool)
        served[served_co] = True
        served[served_cu] = True
        citizen_input, practised = learning.citizen_input(effort, c["skill"], self._facilitation(), cap)
        citizen_input = np.where(served, citizen_input, 0.0)
        practised = np.where(served, practised, 0.0)
        output = production.ces(staff_input, citizen_input + volunteer_input, p.substitution,
                                p.staff_weight, p.productivity)
        diversity = production.input_diversity(staff_input, citizen_input, volunteer_input)
        need_before = c["need"].copy()
        reduction, emergent = production.need_reduced(
            output, need_before, c["wicked_need"], diversity, p.wicked_penalty, c["innovation_gain"]
        )
        reduction = np.where(served, reduction, 0.0)
        emergent = np.where(served, emergent, 0.0)
        c["need"] = need_before - reduction
        share_left = np.divide(c["need"], need_before, out=np.ones(n), where=need_before > 0)
        wicked_after = c["wicked_need"] * share_left
        self.wicked_value += float((c["wicked_need"] - wicked_after).sum()) / n
        c["wicked_need"] = wicked_after
        relief = np.where(served, 1.0 - share_left, 0.0)
        return {"served": served, "practised": practised, "relief": relief,
                "reduction": reduction, "emergent": emergent, "diversity": diversity}

    def _experience(self, took_part, effort, result) -> None:
        """Learning by doing, pacification, habits, and the benefit expected from taking part."""
        p, c = self.params, self.citizen_state
        served, practised, relief = result["served"], result["practised"], result["relief"]
        learning.learn_by_doing(c["skill"], practised, p.learning_rate)
        learning.gain_efficacy(c["efficacy"], practised, relief, p.efficacy_gain)
        learning.pacify(c["efficacy"], np.where(served, practised, 1.0), p.pacification)
        learning.practise_habit(c["habit"], served, practised, p.habit_rate, p.habit_decay)
        payoff = relief * practised / effort
        learning.reinforce_expected_benefit(c["expected_benefit"], took_part, payoff, p.benefit_memory)

    def _update_trust(self, asking, result) -> None:
        p, c = self.params, self.citizen_state
        served = result["served"]
        unmet = asking & ~served
        trust.trust_after_request(c["trust"], served, unmet, result["relief"], result["practised"],
                                  p.trust_gain, p.trust_loss, p.withness)
        np.clip(c["trust"], 0.0, 1.0, out=c["trust"])
        c["disappointments"][served] = 0
        c["disappointments"][unmet] += 1
        participation.withdraw(c["withdrawn"], c["disappointments"], c["trust"], p.withdraw_after,
                               p.withdraw_trust)

    def _review(self) -> None:
        """Every ``reflection_interval`` weeks: reflection cycles and performance reviews."""
        p = self.params
        if p.reflection_interval == 0 or self.steps % p.reflection_interval != 0:
            return
        if p.coproduction_share > 0:
            self.outreach_group = reflection.lagging_group(self.citizen_state["wellbeing"], self.quintile)
            reflection.reflect(self.staff_state["coproduction_skill"], self.staff_state["mode_habit"],
                               p.coproduction_share, p.reflection_learning)
        if p.target_strength > 0 and self._hours_since_review > 0:
            achieved = self._closed_since_review / self._hours_since_review
            self.target = reflection.review_target(self.target, achieved, p.target_ratchet)
            self.pressure = reflection.target_pressure(self.target, achieved, p.target_strength)
        self._closed_since_review = 0.0
        self._hours_since_review = 0.0

    def _emergence(self, u, served_co, result, took_part) -> int:
        p, c = self.params, self.citizen_state
        new = emergence.innovate(c["innovation_gain"], served_co, result["diversity"][served_co],
                                 c["trust"][served_co], u[_ROW["innovation"]][served_co],
                                 p.p_innovation, p.innovation_size, p.innovation_max)
        emergence.spread_innovations(c["innovation_gain"], self.adjacency.indptr, self.adjacency.indices,
                                     took_part, u[_ROW["spread"]], p.innovation_spread)
        return new

    def _staff_week(self, draw, hours) -> int:
        """Motivation, burnout, habits and turnover of staff; leavers are replaced by novices."""
        p, s = self.params, self.staff_state
        customer_time = 1.0 - p.coproduction_share
        workload = hours["demand"] / hours["available"] if hours["available"] > 0 else 3.0
        s["hours_worked"] = s["capacity"] * (hours["used"] / max(float(s["capacity"].sum()), 1e-12))
        staff.update_motivation(s["motivation"], self.pressure * customer_time, p.motivation_baseline,
                                p.motivation_recovery, p.crowding_out)
        staff.update_burnout(s["burnout"], workload, p.burnout_rate, p.burnout_recovery)
        learning.practise_mode(s["mode_habit"], p.coproduction_share, p.habit_decay)
        s["tenure"] += 1
        leavers = staff.leaving(s["motivation"], s["burnout"], draw, p.p_staff_leave, p.p_quit,
                                p.quit_motivation, p.quit_burnout)
        for j in leavers:
            self.staff_members[j].remove()
            s["motivation"][j] = p.motivation_baseline
            s["coproduction_skill"][j] = p.initial_coproduction_skill
            s["mode_habit"][j] = 0.0
            s["burnout"][j] = 0.0
            s["tenure"][j] = 0
            self.staff_members[j] = Staff(self, int(j))
        return int(leavers.size)

    def _volunteer_week(self, u, volunteer_of) -> None:
        p, c, v = self.params, self.citizen_state, self.volunteer_state
        used = np.zeros(p.n_citizens, dtype=bool)
        used[volunteer_of] = True
        active = v["active"]
        volunteering.after_week(v["motivation"], v["skill"], used & active, p.learning_rate)
        v["tenure"][active] += 1
        ids = np.flatnonzero(active)
        for i in volunteering.volunteers_leaving(ids, v["motivation"], u[_ROW["volunteer_churn"]],
                                                  p.volunteer_churn):
            active[i] = False
            self.volunteer_agents.pop(int(i)).remove()
        for i in volunteering.recruit(active, c["efficacy"], c["habit"], c["resources"], c["withdrawn"],
                                      u[_ROW["recruit"]], p.volunteer_recruitment,
                                      p.volunteer_engagement, p.max_volunteer_share):
            active[i] = True
            v["motivation"][i] = 0.8
            v["skill"][i] = c["skill"][i]
            v["tenure"][i] = 0
            self.volunteer_agents[int(i)] = Volunteer(self, int(i))

    # --- measurement ---------------------------------------------------------------------------------
    def _measure(self, reduction, emergent, closed, hires, took_part, in_need) -> None:
        """The metrics of MODEL.md section 4 for this step."""
        p, c, s = self.params, self.citizen_state, self.staff_state
        n = p.n_citizens
        wellbeing = c["wellbeing"]
        with_need = (c["need"] > p.need_threshold)
        cost = (float(s["capacity"].sum()) + hires * p.hiring_cost) / n
        public_value = float(reduction.sum()) / n
        withdrawn = c["withdrawn"]
        self.metrics = {
            "public_value": public_value,
            "emergent_value": float(emergent.sum()) / n,
            "participation_rate": float(took_part.sum()) / in_need if in_need else 0.0,
            "volunteers": float(len(self.volunteer_agents)),
            "mean_trust": float(c["trust"].mean()),
            "mean_efficacy": float(c["efficacy"].mean()),
            "mean_wellbeing": float(wellbeing.mean()),
            "gini_wellbeing": gini(wellbeing),
            "equity_gap": equity_gap(wellbeing, self.quintile),
            "unmet_need": float(c["need"][~withdrawn & with_need].sum()) / n,
            "hidden_need": float(c["need"][withdrawn].sum()) / n,
            "staff_motivation": float(s["motivation"].mean()),
            "staff_turnover": hires / len(self.staff_members),
            "cost": cost,
            "value_per_cost": public_value / cost if cost > 0 else 0.0,
            "throughput": float(closed),
            "innovations": float(self.innovations),
        }

    def _sample_agents(self) -> None:
        period = self.params.agent_sample_period
        if period == 0 or self.steps % period != 0:
            return
        c = self.citizen_state
        sample = {"step": np.full(self.params.n_citizens, self.steps),
                  "citizen": np.arange(self.params.n_citizens)}
        sample.update({name: c[name].copy() for name in _CITIZEN_FIELDS})
        sample["withdrawn"] = c["withdrawn"].copy()
        sample["took_part"] = c["took_part"].copy()
        sample["volunteer"] = self.volunteer_state["active"].copy()
        sample["quintile"] = self.quintile
        self.agent_samples.append(sample)

    def agent_dataframe(self):
        """Sampled agent-level state as a tidy pandas DataFrame (one row per citizen and sample)."""
        import pandas as pd

        if not self.agent_samples:
            return pd.DataFrame(columns=["step", "citizen", *_CITIZEN_FIELDS, "withdrawn",
                                         "took_part", "volunteer", "quintile"])
        return pd.concat([pd.DataFrame(s) for s in self.agent_samples], ignore_index=True)

    def release(self) -> None:
        """Drop Mesa's class-level reference to this model so it can be freed (Mesa 3.3.1 leak)."""
        from mesa.agent import Agent

        Agent._ids.pop(self, None)


def _reporter(name: str):
    def report(model: CoproductionModel) -> float:
        return model.metrics[name]

    report.__name__ = name
    return report
