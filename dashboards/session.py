"""One browser session's runs: the model(s), stepped in lockstep under one lock, and a ghost.

Each Solara session creates its own ``Session`` (component state, never a module global), so
several students can use the dashboard at once without touching each other's models. Errors are
kept as one-line messages for the page to show, never raised into the page. When a new run
starts, the old one's series are kept as the ghost (unless a run is pinned), so that "set
withness to 0: how much trust is left?" can be read off the charts. The run's metrics download
as CSV from here.
"""

from __future__ import annotations

import csv
import io
import threading
import traceback
from dataclasses import dataclass, field

import numpy as np
from coprosim.model import METRICS, CoproductionModel, ParameterError

from .charts import DERIVED, FROM_TOTALS, derived_metrics
from .figures import Ghost, NetworkSnapshot
from .settings import Settings, build_models, scenario_label


def ledger_columns() -> dict[str, str]:
    """The cost ledger's columns (name -> meaning) if the model has one, else empty."""
    try:
        from coprosim.model.metrics import LEDGER
    except ImportError:
        return {}
    return dict(LEDGER)


@dataclass
class Run:
    """One regime's model in the session, with the series the dashboard derives each week."""

    scenario: str
    model: CoproductionModel
    derived: dict[str, list[float]] = field(default_factory=dict)
    totals: dict[str, float] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.record()

    @property
    def label(self) -> str:
        return scenario_label(self.scenario)

    def record(self) -> None:
        for name, value in derived_metrics(self.model.citizen_state).items():
            self.derived.setdefault(name, []).append(value)
        for name, attribute in FROM_TOTALS.items():  # this week's part of a running total
            total = getattr(self.model, attribute, None)
            if total is not None:
                self.derived.setdefault(name, []).append(float(total) - self.totals.get(name, 0.0))
                self.totals[name] = float(total)

    def series(self) -> dict[str, np.ndarray]:
        """Every collected metric (and ledger column) and derived series, one value per week."""
        collected = self.model.datacollector.model_vars
        out = {name: np.asarray(values, dtype=float) for name, values in collected.items()
               if values and isinstance(values[0], (int, float, np.floating, np.integer))}
        out.update({name: np.asarray(values, dtype=float) for name, values in self.derived.items()})
        return out


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
        self.ghost: Ghost | None = None
        self.reset(settings or Settings())

    @property
    def week(self) -> int:
        return self.runs[0].model.steps if self.runs else 0

    def _as_ghost(self, pinned: bool = False) -> Ghost | None:
        if not self.runs or self.week == 0:
            return None
        return Ghost([(r.scenario, r.label) for r in self.runs], [r.series() for r in self.runs],
                     self.settings.describe() if self.settings else "", self.week, pinned)

    def reset(self, settings: Settings) -> bool:
        """Build new models from ``settings``; on bad settings keep the old run and set ``error``.

        The run being replaced becomes the ghost, unless a ghost is pinned.
        """
        try:
            built = build_models(settings)
        except (ParameterError, ValueError) as exc:
            self.error = f"Could not start the run: {exc}"
            return False
        with self.lock:
            if not (self.ghost and self.ghost.pinned):
                self.ghost = self._as_ghost() or self.ghost
            old, self.runs = self.runs, [Run(scenario, model) for scenario, model in built]
            self.settings = settings
            self.error = None
            self.generation += 1
        for run in old:
            run.model.release()
        return True

    def pin(self) -> None:
        """Keep the current run as the ghost for every later run, until cleared."""
        with self.lock:
            ghost = self._as_ghost(pinned=True)
            if ghost is not None:
                self.ghost = ghost
                self.generation += 1

    def clear_ghost(self) -> None:
        with self.lock:
            self.ghost = None
            self.generation += 1

    def failed(self) -> bool:
        return bool(self.error) and self.error.startswith("The model failed")

    def step(self, weeks: int = 1) -> bool:
        """Advance every run by ``weeks`` in lockstep; on a failure record the error and stop."""
        with self.lock:
            if self.failed():
                return False
            for _ in range(weeks):
                week = self.week
                try:
                    for run in self.runs:
                        run.model.step()
                        run.record()
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
                series=[run.series() for run in self.runs],
                metrics=[{**run.model.metrics, **{k: v[-1] for k, v in run.derived.items()}}
                         for run in self.runs],
            )

    def metrics_csv(self) -> str:
        """The run's metrics as CSV: one row per regime and week, one column per metric.

        Columns: regime, scenario, seed, week, then the model's metrics, the cost ledger (if the
        model has one) and the dashboard's derived series; the settings follow in a comment line
        at the top, so a file says how it was made.
        """
        with self.lock:
            runs = [(run.label, run.scenario, run.series()) for run in self.runs]
            settings = self.settings
        names = [m for m in METRICS if any(m in s for *_, s in runs)]
        names += [c for c in ledger_columns() if any(c in s for *_, s in runs)]
        names += [d for d in DERIVED if any(d in s for *_, s in runs)]
        out = io.StringIO()
        if settings is not None:
            out.write(f"# coprosim dashboard run: {settings.describe()}; seed {settings.seed}; "
                      f"link query: ?{settings.to_query()}\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["regime", "scenario", "seed", "week", *names])
        for label, scenario, series in runs:
            length = max((len(v) for v in series.values()), default=0)
            for week in range(length):
                writer.writerow([label, scenario, settings.seed if settings else "", week,
                                 *(_cell(series.get(m), week) for m in names)])
        return out.getvalue()

    def close(self) -> None:
        """Free the models (Mesa keeps a class-level reference to each model's agents), and
        soon after give the freed memory back to the operating system."""
        with self.lock:
            for run in self.runs:
                run.model.release()
            self.runs = []
            self.ghost = None
        give_back_memory_soon()


def give_back_memory_soon(delay: float = 3.0) -> None:
    """After a session closes (and Solara's own collection of the closed page has run), collect
    garbage and ask the C allocator to return free pages to the system (glibc ``malloc_trim``).

    Without this a class server's memory grows by some MiB per closed tab although nothing is
    leaked: the C heap keeps the pages the models and pictures used. A no-op where there is no
    glibc.
    """
    def trim() -> None:
        import ctypes
        import gc

        gc.collect()
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass

    timer = threading.Timer(delay, trim)
    timer.daemon = True
    timer.start()


def _cell(values, week: int) -> str:
    if values is None or week >= len(values) or not np.isfinite(values[week]):
        return ""
    return repr(float(values[week]))
