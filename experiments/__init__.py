"""Batch experiments and policy comparisons for coprosim.

Python API (each returns pandas DataFrames):

- ``load_experiment(path, replications=None, steps=None) -> Experiment``: read and validate a
  TOML experiment file; ``ExperimentError`` (one line, naming file and key) if it is bad.
  ``shipped_experiment(name)`` is the path of an experiment file that comes with coprosim
  (``smoke``, ``policy_comparison``, ``coproduction_share_sweep``, ``sensitivity_example``,
  ``regimes_map``, ``sobol_20``).
- ``run_experiment(experiment, out=None, workers=None, force=False, dask=None) -> DataFrame``:
  run (or resume) every run, streaming Parquet files to ``results/<name>/``; one row per run.
- ``load_runs(out, value="end") -> DataFrame``: one row per run with every resolved parameter,
  the seed and each metric's end value (BehaviorSpace's table; ``ema=True`` gives the EMA
  Workbench's ``(experiments, outcomes)``).
- ``load_results(out, kind="metrics"|"agents", columns=None, scenarios=None) -> DataFrame``:
  the tidy per-step metrics or sampled agent state.
- ``compare(experiment, out=None, ...) -> DataFrame``: run if needed, then write ``report.md``
  with figures; returns the end-of-run summary with paired differences from the baseline.

``coprosim.experiments.sensitivity`` (SALib, extra ``analysis``) and ``coprosim.experiments.ema``
(the EMA Workbench, extra ``ema``) build on these.
"""

from .design import (
    Experiment,
    ExperimentError,
    Run,
    load_experiment,
    replication_seeds,
    shipped_experiment,
    shipped_experiments,
)
from .runner import run_experiment
from .storage import load_results, load_runs


def compare(*args, **kwargs):
    """See ``coprosim.experiments.report.compare`` (imported lazily: it loads matplotlib)."""
    from .report import compare as _compare

    return _compare(*args, **kwargs)


__all__ = ["Experiment", "ExperimentError", "Run", "compare", "load_experiment", "load_results",
           "load_runs", "replication_seeds", "run_experiment", "shipped_experiment",
           "shipped_experiments"]
