"""Role-play: the class plays some of the people inside one shared model, round by round.

Students play citizens (take part when they ask for help, or not; volunteer, or stop) or staff
(invite the citizens' input, or give the standard service); every other agent is simulated by
the model's own rules. A round is a few weeks: at the teacher's "Next round" the students'
choices go into the model (``model.human_choices``, which the model applies in its step and
logs), the model runs the round's weeks, and every student's screen shows their own person's
need, wellbeing and trust. A choice holds until the student changes it; a student who has not
chosen is simulated like everyone else. At the end the class sees its choices beside the
simulated agents', and the decisions, week by week, download as CSV.

Which citizen a student plays is spread over the range of resources (the first student plays a
citizen of middling resources, the next ones fill in below and above), so a class meets rich
and poor citizens. Plain Python, no Solara.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np

CITIZEN, STAFF = "citizen", "staff"
KINDS = {CITIZEN: ("take_part", "volunteer"), STAFF: ("invite",)}
CHOICE_WORDS = {
    ("take_part", True): "take part", ("take_part", False): "do not take part",
    ("volunteer", True): "volunteer", ("volunteer", False): "do not volunteer",
    ("invite", True): "invite input", ("invite", False): "standard service",
}
DEFAULT_CITIZENS = 400  # 6 staff members at the presets' 15 per 1,000 citizens
DEFAULT_WEEKS_PER_ROUND = 4
DEFAULT_ROUNDS = 10


class RolePlayUnavailable(RuntimeError):
    """The model has no ``human_choices`` (a model from before role-play)."""


def supports_roleplay(model) -> bool:
    """Whether the model takes human choices (``model.human_choices``)."""
    choices = getattr(model, "human_choices", None)
    return choices is not None and all(hasattr(choices, k)
                                       for k in ("take_part", "volunteer", "invite", "log"))


def spread_order(n: int) -> list[int]:
    """Positions 0..n-1 in the order that spreads them best: the middle first, then halves,
    quarters and so on (the van der Corput sequence), with no repeats."""
    order, seen, k = [], set(), 1
    while len(order) < n:
        x, denom, i = 0.0, 1.0, k
        while i:  # bit-reversed fraction of k
            denom *= 2
            x += (i & 1) / denom
            i >>= 1
        position = min(n - 1, int(x * n))
        if position not in seen:
            seen.add(position)
            order.append(position)
        k += 1
        if k > 64 * n:  # every position is reached long before this
            order += [p for p in range(n) if p not in seen]
    return order


@dataclass
class Role:
    """Who a student plays: ``kind`` citizen or staff, and the agent's index in the model."""

    kind: str
    index: int


@dataclass
class RolePlay:
    """One shared model played by a class. Built by ``start``; every method is called under the
    class's lock."""

    model: Any
    scenario: str
    seed: int
    weeks_per_round: int
    rounds: int
    roles: dict[str, Role] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    choices: dict[str, dict[str, bool]] = field(default_factory=dict)
    round: int = 0
    ended: bool = False
    staff_roles: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)  # one per week and played agent
    simulated: list[dict[str, Any]] = field(default_factory=list)  # one per week
    start_state: dict[str, dict[str, float]] = field(default_factory=dict)
    round_start: dict[str, dict[str, float]] = field(default_factory=dict)
    _citizen_order: list[int] = field(default_factory=list)
    _staff_taken: int = 0
    _summary: tuple | None = None

    # --- set-up ------------------------------------------------------------------------------
    @classmethod
    def start(cls, scenario: str, seed: int, students: list, staff_roles: int = 0,
              n_citizens: int = DEFAULT_CITIZENS, weeks_per_round: int = DEFAULT_WEEKS_PER_ROUND,
              rounds: int = DEFAULT_ROUNDS, model=None) -> RolePlay:
        """A new shared model of ``scenario`` and the students' roles: ``staff_roles`` of them
        play staff members (spread over the class list), the others citizens."""
        if model is None:
            from coprosim.model import CoproductionModel, Params

            model = CoproductionModel(params=Params.preset(scenario, n_citizens=int(n_citizens)),
                                      seed=int(seed), scenario=scenario)
        if not supports_roleplay(model):
            model.release() if hasattr(model, "release") else None
            raise RolePlayUnavailable(
                "Role-play needs a model that takes the class's choices (human_choices); this "
                "version of the model does not.")
        play = cls(model, scenario, int(seed), int(weeks_per_round), int(rounds))
        resources = np.asarray(model.citizen_state["resources"])
        by_resources = np.argsort(resources, kind="stable")
        play._citizen_order = [int(by_resources[p]) for p in spread_order(len(resources))]
        staff_roles = max(0, min(int(staff_roles), len(model.staff_members), len(students)))
        play.staff_roles = staff_roles
        staff_numbers = {len(students) * k // staff_roles for k in range(staff_roles)} \
            if staff_roles else set()
        for position, student in enumerate(students):
            play.add_student(student, staff=position in staff_numbers)
        return play

    def add_student(self, student, staff: bool = False) -> Role:
        """Give a student a role (a student who joins late plays a citizen)."""
        if student.token in self.roles:
            return self.roles[student.token]
        if staff and self._staff_taken < len(self.model.staff_members):
            role = Role(STAFF, self._staff_taken)
            self._staff_taken += 1
        else:
            taken = sum(1 for r in self.roles.values() if r.kind == CITIZEN)
            if taken >= len(self._citizen_order):
                raise ValueError("role-play: more students than citizens in the model")
            role = Role(CITIZEN, self._citizen_order[taken])
        self.roles[student.token] = role
        self.names[student.token] = student.name
        self.choices[student.token] = {}
        state = self.person(student.token)
        self.start_state[student.token] = state
        self.round_start[student.token] = state
        return role

    # --- choices and rounds -----------------------------------------------------------------
    def choose(self, token: str, kind: str, value: bool) -> None:
        """A student's choice; it holds from the next round until they change it."""
        role = self.roles.get(token)
        if role is None:
            raise ValueError("role-play: you have no role in it; ask your teacher")
        if kind not in KINDS[role.kind]:
            raise ValueError(f"role-play: a {role.kind} chooses {' or '.join(KINDS[role.kind])}, "
                             f"not {kind!r}")
        if self.ended:
            raise ValueError("role-play: it has ended")
        self.choices[token][kind] = bool(value)

    def _apply_choices(self) -> None:
        """Put the class's choices into the model (a choice withdrawn is deleted there)."""
        human = self.model.human_choices
        for token, role in self.roles.items():
            chosen = self.choices.get(token, {})
            for kind in KINDS[role.kind]:
                table = getattr(human, kind)
                if kind in chosen:
                    table[role.index] = chosen[kind]
                else:
                    table.pop(role.index, None)

    @property
    def last_round_played(self) -> bool:
        return bool(self.rounds) and self.round >= self.rounds

    def next_round(self) -> None:
        """Run one round: the choices into the model, then ``weeks_per_round`` weeks.

        After the last round the role-play waits for ``end`` (the teacher's "End role-play"),
        so that a round only ever updates the players' numbers and the summary comes on its
        own click."""
        if self.ended:
            raise ValueError("role-play: it has ended")
        if self.last_round_played:
            raise ValueError(f"role-play: all {self.rounds} rounds are played; end it to see "
                             "the class beside the simulated people")
        self._apply_choices()
        self.round_start = {token: self.person(token) for token in self.roles}
        self.round += 1
        for _ in range(self.weeks_per_round):
            self.model.step()
            self._record_week()

    def end(self) -> None:
        self.ended = True

    def close(self) -> None:
        self.ended = True
        release = getattr(self.model, "release", None)
        if release is not None:
            release()

    # --- what each person sees ---------------------------------------------------------------
    def person(self, token: str) -> dict[str, float]:
        """The state of the agent a student plays, as the page shows it."""
        role = self.roles[token]
        model = self.model
        if role.kind == CITIZEN:
            c = model.citizens[role.index]
            threshold = float(getattr(model.params, "need_threshold", 0.0))
            return {"need": float(c.need), "wellbeing": float(c.wellbeing),
                    "trust": float(c.trust), "took_part": bool(c.took_part),
                    "in_need": bool(c.need > threshold), "threshold": threshold,
                    "withdrawn": bool(c.withdrawn), "volunteer": bool(c.is_volunteer),
                    "resources": float(c.resources)}
        s = model.staff_members[role.index]
        citizens = model.citizen_state
        return {"motivation": float(s.motivation), "burnout": float(s.burnout),
                "invitation": float(getattr(s, "invitation", np.nan)),
                "need": float(np.mean(citizens["need"])),
                "wellbeing": float(np.mean(citizens["wellbeing"])),
                "trust": float(np.mean(citizens["trust"]))}

    def _played(self, kind: str) -> np.ndarray:
        size = (len(self.model.citizens) if kind == CITIZEN else len(self.model.staff_members))
        mask = np.zeros(size, dtype=bool)
        for role in self.roles.values():
            if role.kind == kind:
                mask[role.index] = True
        return mask

    def _record_week(self) -> None:
        model, week = self.model, int(self.model.steps)
        for token, role in self.roles.items():
            chosen = self.choices.get(token, {})
            state = self.person(token)
            self.rows.append({
                "round": self.round, "week": week, "student": self.names.get(token, ""),
                "role": role.kind, "agent": role.index,
                **{kind: _yes_no(chosen.get(kind)) for kind in ("take_part", "volunteer",
                                                                "invite")},
                **{k: state.get(k, "") for k in ("need", "wellbeing", "trust")},
                "took_part": _yes_no(state.get("took_part")) if role.kind == CITIZEN else "",
                "volunteering": _yes_no(state.get("volunteer")) if role.kind == CITIZEN else "",
                "invitation": state.get("invitation", ""),
            })
        c = model.citizen_state
        sim = ~self._played(CITIZEN)
        staff_sim = ~self._played(STAFF)
        invitations = np.array([float(getattr(s, "invitation", np.nan))
                                for s in model.staff_members])
        self.simulated.append({
            "round": self.round, "week": week, "citizens": int(sim.sum()),
            "took_part": float(np.mean(c["took_part"][sim])) if sim.any() else np.nan,
            "volunteering": (float(np.mean(model.volunteer_state["active"][sim]))
                             if sim.any() else np.nan),
            "need": float(np.mean(c["need"][sim])) if sim.any() else np.nan,
            "wellbeing": float(np.mean(c["wellbeing"][sim])) if sim.any() else np.nan,
            "trust": float(np.mean(c["trust"][sim])) if sim.any() else np.nan,
            "invitation": (float(np.nanmean(invitations[staff_sim]))
                           if staff_sim.any() and np.isfinite(invitations[staff_sim]).any()
                           else np.nan),
        })

    # --- the class beside the simulated agents -----------------------------------------------
    def summary(self) -> list[tuple[str, str, str]]:
        """(what, the class's people, the simulated people) over the weeks played so far
        (computed once per week played: every student's page shows it at the end)."""
        if not self.simulated:
            return []
        key = (len(self.rows), len(self.simulated))
        if self._summary is None or self._summary[0] != key:
            self._summary = (key, self._summarise())
        return self._summary[1]

    def _summarise(self) -> list[tuple[str, str, str]]:
        citizens = [r for r in self.rows if r["role"] == CITIZEN]
        staff = [r for r in self.rows if r["role"] == STAFF]
        last_week = self.simulated[-1]["week"]
        end_citizens = [r for r in citizens if r["week"] == last_week]
        sim = self.simulated

        def share(rows, key):
            values = [r[key] == "yes" for r in rows if r[key] != ""]
            return f"{np.mean(values):.0%}" if values else "-"

        def mean(rows, key, digits=2):
            values = [float(r[key]) for r in rows if r[key] != ""]
            return f"{np.mean(values):.{digits}f}" if values else "-"

        def sim_share(key):
            values = [w[key] for w in sim if np.isfinite(w[key])]
            return f"{np.mean(values):.0%}" if values else "-"

        chose_take = [r for r in citizens if r["take_part"] != ""]
        out = [
            ("Citizens: took part (share of weeks)", share(citizens, "took_part"),
             sim_share("took_part")),
            ("Citizens: volunteering (share of weeks)", share(citizens, "volunteering"),
             sim_share("volunteering")),
            ("Citizens: chose to take part (of the weeks they chose)",
             share(chose_take, "take_part"), "(the model's rules)"),
            ("Citizens' need at the end", mean(end_citizens, "need"), f"{sim[-1]['need']:.2f}"),
            ("Citizens' wellbeing at the end", mean(end_citizens, "wellbeing"),
             f"{sim[-1]['wellbeing']:.2f}"),
            ("Citizens' trust at the end", mean(end_citizens, "trust"),
             f"{sim[-1]['trust']:.2f}"),
        ]
        if staff:
            invited = [r for r in staff if r["invite"] != ""]
            out.append(("Staff: invited input (share of weeks chosen)", share(invited, "invite"),
                        sim_share("invitation") + " invited (mean share)"
                        if any(np.isfinite(w["invitation"]) for w in sim) else "-"))
        return out

    def decisions(self) -> list[tuple]:
        """The model's own log of the choices it applied: (week, kind, agent, value)."""
        return list(getattr(self.model.human_choices, "log", []))

    def csv(self) -> str:
        """Week by week: every played agent's choices and state, and the simulated citizens'
        means; then the model's log of the choices it applied."""
        out = io.StringIO()
        out.write(f"# coprosim role-play: {self.scenario}, seed {self.seed}, "
                  f"{len(self.model.citizens)} citizens, {self.weeks_per_round} weeks a round, "
                  f"{self.round} rounds played\n")
        columns = ["round", "week", "who", "student", "role", "agent", "take_part", "volunteer",
                   "invite", "took_part", "volunteering", "invitation", "need", "wellbeing",
                   "trust"]
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        by_week: dict[int, list[dict]] = {}
        for row in self.rows:
            by_week.setdefault(row["week"], []).append(row)
        for sim in self.simulated:
            for row in by_week.get(sim["week"], []):
                writer.writerow([row["round"], row["week"], "student", row["student"],
                                 row["role"], row["agent"], row["take_part"], row["volunteer"],
                                 row["invite"], row["took_part"], row["volunteering"],
                                 _number(row["invitation"]), _number(row["need"]),
                                 _number(row["wellbeing"]), _number(row["trust"])])
            writer.writerow([sim["round"], sim["week"], "simulated citizens (mean)", "",
                             CITIZEN, sim["citizens"], "", "", "", _number(sim["took_part"]),
                             _number(sim["volunteering"]), _number(sim["invitation"]),
                             _number(sim["need"]), _number(sim["wellbeing"]),
                             _number(sim["trust"])])
        out.write("# the model's log of the choices it applied\n")
        writer.writerow(["week", "kind", "agent", "value"])
        for entry in self.decisions():
            writer.writerow(list(entry))
        return out.getvalue()


def _yes_no(value) -> str:
    return "" if value is None else ("yes" if value else "no")


def _number(value) -> str:
    if value == "" or value is None:
        return ""
    value = float(value)
    return "" if not np.isfinite(value) else f"{value:.4g}"
