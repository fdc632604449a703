"""The exceptions a coprosim user may want to catch.

- ``ParameterError`` (a ``ValueError``): a bad parameter; one line naming the field and the range.
- ``ExperimentError`` (a ``ParameterError``): a bad experiment file or request.
- ``MissingExtraError`` (an ``ImportError``): an optional dependency is missing; names the extra.
- ``InfrastructureError``: the machinery failed, not the model (a Dask scheduler that cannot be
  reached, has no workers or was lost; workers running different model code). No run is recorded
  as failed; rerunning resumes. The command line exits with status 3.
"""

from __future__ import annotations

from coprosim._extras import MissingExtraError
from coprosim.model.params import ParameterError


class InfrastructureError(RuntimeError):
    """The executor failed (not the model); finished runs are kept and a rerun resumes."""


def __getattr__(name: str):
    if name == "ExperimentError":  # lazily: coprosim.experiments imports this module
        from coprosim.experiments.design import ExperimentError

        return ExperimentError
    raise AttributeError(name)


__all__ = ["ExperimentError", "InfrastructureError", "MissingExtraError", "ParameterError"]  # noqa: F822
