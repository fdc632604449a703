"""Shared test helpers: small runs of the model, paired over seeds."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from coprosim.model import CoproductionModel  # noqa: E402


def run_frames(scenario: str, seeds, steps: int, **overrides):
    """Per-step metric frames of one scenario over several seeds (same seeds across scenarios)."""
    frames = []
    for seed in seeds:
        model = CoproductionModel(scenario=scenario, seed=seed, **overrides)
        model.run(steps)
        frames.append(model.datacollector.get_model_vars_dataframe())
        model.release()
    return frames


def window_mean(frames, metric: str, start: int, stop: int | None = None) -> np.ndarray:
    """Each run's mean of ``metric`` over steps [start, stop)."""
    return np.array([f[metric].iloc[start:stop].mean() for f in frames])


@pytest.fixture
def small_model():
    model = CoproductionModel(scenario="coproduction", seed=7, n_citizens=200)
    yield model
    model.release()


def as_from_a_terminal():
    """Start a command with Ctrl-C as a terminal gives it (SIGINT at its default and not blocked):
    the pytest process can have been left otherwise by an earlier test or plugin, and a child
    inherits an ignored or blocked SIGINT (the CI failure of 2026-12-07: the sweep never saw it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
