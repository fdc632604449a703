"""Named random streams: one generator per mechanism (as starsim does; Klein et al. 2024).

Every random draw of the model goes through a stream named for its mechanism. Each stream is a
``numpy.random.Generator`` seeded from the model's own generator (``model.rng``, itself seeded by
the run's seed) and the stream's name, so:

- a new mechanism with a stream of its own shifts nobody else's numbers (adding ``"asked"`` leaves
  ``"shock"`` exactly as it was);
- scenarios stay paired (common random numbers): every stream draws the same amount every week,
  one number per citizen (or per staff slot), whether or not its mechanism acts this week, so
  citizen 17's need shock in week 40 is the same number under every regime.
"""

from __future__ import annotations

import zlib

import numpy as np

# The week's draws: stream name -> what it decides. One uniform number per citizen per week.
CITIZEN_STREAMS: dict[str, str] = {
    "shock": "whether a new need strikes",
    "size": "the size of a new need",
    "wicked": "whether a new need is wicked",
    "return": "whether a withdrawn citizen asks again unprompted",
    "take_part": "the choice to take part",
    "jitter": "ties in a queue",
    "mode": "the mode a case falls to (a hybrid regime's share)",
    "assignment": "which staff member handles an encounter",
    "innovation": "whether an encounter innovates",
    "spread": "whether a citizen adopts a neighbour's practice",
    "recruit": "whether the programme recruits a citizen as a volunteer",
    "asked": "whether a volunteer asks a neighbour to volunteer",
    "volunteer_order": "the order in which volunteers fill encounters",
    "volunteer_churn": "whether a volunteer leaves for other reasons",
    "volunteer_wanted": "whether the programme asks a volunteer to join an encounter",
    "volunteer_rota": "the volunteers' rota this week",
    "codestruction": "whether an encounter goes wrong",
    "notice": "whether a failure is noticed and corrected at once",
}
# One number per staff slot per week.
STAFF_STREAMS: dict[str, str] = {
    "staff_leave": "whether a staff member leaves",
}
# One number per week for the team.
TEAM_STREAMS: dict[str, str] = {
    "process_innovation": "whether a team review finds a process improvement",
}
# Draws made once, at set-up.
SETUP_STREAMS = ("resources", "traits", "network")


class Streams:
    """A generator per named stream, all derived from one root generator and the names."""

    def __init__(self, root: np.random.Generator):
        self._root_entropy = int(root.integers(2**63))
        self._generators: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        generator = self._generators.get(name)
        if generator is None:
            key = zlib.crc32(name.encode())
            generator = np.random.default_rng(np.random.SeedSequence([self._root_entropy, key]))
            self._generators[name] = generator
        return generator

    def week(self, n_citizens: int, n_staff: int) -> dict[str, np.ndarray]:
        """The week's draws: every stream draws its fixed amount (common random numbers)."""
        draws = {name: self[name].random(n_citizens) for name in CITIZEN_STREAMS}
        draws.update({name: self[name].random(n_staff) for name in STAFF_STREAMS})
        draws.update({name: self[name].random(1) for name in TEAM_STREAMS})
        return draws
