"""Choices people make for an agent: students in a role-play play a citizen or a staff member.

A class-mode role-play (``dashboards/classroom``) lets a student decide for one agent while the
model simulates everyone else. Each entry holds until it is deleted; the model applies it in its
step, in place of the agent's own decision, and logs what it applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class HumanChoices:
    """Decisions people take for agents, by agent index, and the log of those applied."""

    take_part: dict[int, bool] = field(default_factory=dict)  # citizen -> takes part when asking
    volunteer: dict[int, bool] = field(default_factory=dict)  # citizen -> volunteers (or stops)
    invite: dict[int, bool] = field(default_factory=dict)  # staff -> invites input fully, or not
    log: list[tuple[int, str, int, bool]] = field(default_factory=list)  # (step, kind, index, value)

    def __bool__(self) -> bool:
        return bool(self.take_part or self.volunteer or self.invite)

    def record(self, step: int, kind: str, index: int, value: bool) -> None:
        self.log.append((int(step), kind, int(index), bool(value)))
