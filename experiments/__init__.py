"""Batch experiments and policy comparisons for coprosim.

Python API (each returns pandas DataFrames):

- ``load_experiment(path, replications=None, steps=None) -> Experiment``: read and validate a
  TOML experiment file; ``ExperimentError`` (one line, naming file and key) if it is bad.
- ``run_experiment(experiment, out=None, workers=None, force=False, dask=None) -> DataFrame``:
  run (or resume) every run, streaming Parquet files to ``results/<name>/``; one row per run.
- ``load_results(out, kind="metrics"|"agents", columns=None, scenarios=None) -> DataFrame``:
  the tidy per-step metrics or sampled agent state.
- ``compare(experiment, out=None, ...) -> DataFrame``: run if needed, then write ``report.md``
  with figures; returns the end-of-run summary with paired differences from the baseline.
"""

from .design import Experiment, ExperimentError, Run, load_experiment, replication_seeds
from .runner import run_experiment
from .storage import load_results


def compare(*args, **kwargs):
    """See ``experiments.analysis.compare`` (imported lazily: it loads matplotlib)."""
    from .analysis import compare as _compare

    return _compare(*args, **kwargs)


__all__ = ["Experiment", "ExperimentError", "Run", "compare", "load_experiment", "load_results",
           "replication_seeds", "run_experiment"]
