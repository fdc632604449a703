"""One browser session's runs: the model(s), stepped in lockstep under one lock.

Each Solara session creates its own ``Session`` (component state, never a module global), so
several students can use the dashboard at once without touching each other's models. Errors are
kept as one-line messages for the page to show, never raised into the page.
"""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass

import numpy as np
from coprosim.model import CoproductionModel, ParameterError

from .figures import NetworkSnapshot, metric_series
from .settings import SCENARIO_LABELS, Settings, build_models


@dataclass
class Run:
    """One regime's model in the session."""

    scenario: str
    model: CoproductionModel

    @property
    def label(self) -> str:
        return SCENARIO_LABELS.get(self.scenario, self.scenario)


@dataclass
class Snapshot:
    """A consistent copy of what the page shows, taken under the session's lock."""

    week: int
    runs: list[tuple[str, str]]  # (scenario, label)
    networks: list[NetworkSnapshot]
    series: list[dict[str, np.ndarray]]
    metrics: list[dict[str, float]]


class Session:
    """The runs of one browser session, built from settings and stepped together."""

    def __init__(self, settings: Settings | None = None):
        self.lock = threading.RLock()
        self.runs: list[Run] = []
        self.settings: Settings | None = None
        self.error: str | None = None
        self.generation = 0  # rises on every rebuild, so pictures know to start afresh
        self.reset(settings or Settings())

    @property
    def week(self) -> int:
        return self.runs[0].model.steps if self.runs else 0

    def reset(self, settings: Settings) -> bool:
        """Build new models from ``settings``; on bad settings keep the old run and set ``error``."""
        try:
            built = build_models(settings)
        except (ParameterError, ValueError) as exc:
            self.error = f"Could not start the run: {exc}"
            return False
        with self.lock:
            old, self.runs = self.runs, [Run(scenario, model) for scenario, model in built]
            self.settings = settings
            self.error = None
            self.generation += 1
        for run in old:
            run.model.release()
        return True

    def step(self, weeks: int = 1) -> bool:
        """Advance every run by ``weeks`` in lockstep; on a failure record the error and stop."""
        with self.lock:
            if self.error and self.error.startswith("The model failed"):
                return False
            for _ in range(weeks):
                week = self.week
                try:
                    for run in self.runs:
                        run.model.step()
                except Exception as exc:  # a failing step must show on the page, not blank it
                    traceback.print_exc()
                    self.error = (f"The model failed in week {week + 1} ({type(exc).__name__}: "
                                  f"{exc}). Press Reset to start again.")
                    return False
        return True

    def snapshot(self) -> Snapshot:
        """Copies of the state the page draws, consistent across runs."""
        with self.lock:
            return Snapshot(
                week=self.week,
                runs=[(run.scenario, run.label) for run in self.runs],
                networks=[NetworkSnapshot.of(run.model) for run in self.runs],
                series=[metric_series(run.model) for run in self.runs],
                metrics=[dict(run.model.metrics) for run in self.runs],
            )

    def close(self) -> None:
        """Free the models (Mesa keeps a class-level reference to each model's agents)."""
        with self.lock:
            for run in self.runs:
                run.model.release()
            self.runs = []
