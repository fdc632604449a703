"""coprosim as an EMA Workbench model: uncertainties, levers, outcomes, seeds paired by replication.

Needs the ``ema`` extra (``pip install 'coprosim[ema]'``)::

    from ema_workbench import perform_experiments
    from coprosim.experiments.ema import ema_model

    model = ema_model(
        uncertainties={"resource_inequality": (0.2, 1.6), "participation_cost": (0.2, 1.5)},
        levers={"coproduction_share": (0.0, 1.0), "outreach_share": (0.0, 0.6)},
        outcomes=["mean_wellbeing", "equity_gap", "cost"],
        preset="hybrid", steps=100, replications=3, seed=1, base={"n_citizens": 300})
    experiments, outcomes = perform_experiments(model, scenarios=20, policies=4)

- ``uncertainties`` and ``levers``: a parameter name and its ``(low, high)`` range (checked against
  the parameter's allowed range; integers become ``IntegerParameter``), a list of values
  (``CategoricalParameter``), or just names (the whole allowed range). The name ``preset`` picks the
  regime itself, e.g. ``levers={"preset": ["npm", "coproduction", "hybrid"]}``.
- ``outcomes``: metric names (default: every metric), or ``{name: "maximize" | "minimize" |
  "info"}`` for EMA's optimisation. Each outcome is the run's *end value* (mean over the last
  ``end_share`` of steps, as ``coprosim compare`` uses) averaged over the replications;
  ``per_replication=True`` keeps one value per replication instead (``ArrayOutcome``).
- Replications: EMA's ``ReplicatorModel`` with the seeds of ``replication_seeds(seed, n)`` --
  the same seeds for every scenario and policy (common random numbers), so any two rows of
  ``experiments`` are paired replication by replication, as in coprosim's own experiments.
- ``preset``, ``steps``, ``end_share`` and the ``base`` parameters are EMA ``Constant`` s.

Works with EMA's ``SequentialEvaluator`` and ``MultiprocessingEvaluator`` (importing coprosim
leaves multiprocessing's start method as it was).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from coprosim.model import PRESETS, ParameterError, Params

from coprosim._extras import require

from .design import end_window, outputs, replication_seeds

KINDS = {"info": "INFO", "maximize": "MAXIMIZE", "minimize": "MINIMIZE"}


def run_for_ema(seed: int, preset: str = "coproduction", steps: int = 200, end_share: float = 0.2,
                outcomes: tuple[str, ...] | None = None, **parameters: Any) -> dict[str, float]:
    """One run, as EMA calls it: keyword parameters in, each outcome's end value out."""
    from coprosim.model import CoproductionModel

    params = Params.preset(preset, **parameters)
    model = CoproductionModel(params=params, seed=int(seed), scenario=preset)
    try:
        model.run(int(steps))
        frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    finally:
        model.release()
    names = list(outcomes) if outcomes else [c for c in frame.columns if c in outputs()]
    window = frame.iloc[end_window(int(steps), end_share):]
    return {name: float(window[name].mean()) for name in names}


def ema_model(uncertainties: Mapping[str, Any] | Iterable[str] = (),
              levers: Mapping[str, Any] | Iterable[str] = (),
              outcomes: Mapping[str, str] | Iterable[str] | None = None,
              preset: str = "coproduction", steps: int = 200, replications: int = 3, seed: int = 0,
              base: Mapping[str, Any] | None = None, end_share: float = 0.2,
              per_replication: bool = False, name: str = "coprosim"):
    """An EMA Workbench ``ReplicatorModel`` running coprosim (see the module docstring)."""
    ema = require("ema", "ema_workbench", "the EMA Workbench adapter")
    uncertainties, levers = _as_mapping(uncertainties), _as_mapping(levers)
    base = dict(base or {})
    if not name.isidentifier():
        raise ParameterError(f"name: must be a Python identifier (EMA's rule), got {name!r}")
    if preset not in PRESETS:
        raise ParameterError(f"preset: unknown preset {preset!r}; allowed: {', '.join(PRESETS)}")
    if not (isinstance(steps, int) and 1 <= steps <= 100_000):
        raise ParameterError(f"steps: must be an integer in [1, 100000], got {steps!r}")
    if not (isinstance(replications, int) and 1 <= replications <= 10_000):
        raise ParameterError(f"replications: must be an integer in [1, 10000], got {replications!r}")
    if not 0 < end_share <= 1:
        raise ParameterError(f"end_share: must be a number in (0, 1], got {end_share!r}")
    twice = set(uncertainties) & set(levers) | (set(uncertainties) | set(levers)) & set(base)
    if twice:
        raise ParameterError(f"{sorted(twice)[0]}: given more than once (uncertainties, levers, base)")
    Params.preset(preset, **base)  # one-line ParameterError for a bad base value

    model = ema.ReplicatorModel(name, function=run_for_ema)
    model.uncertainties = [_parameter(ema, n, spec, "uncertainties") for n, spec in uncertainties.items()]
    model.levers = [_parameter(ema, n, spec, "levers") for n, spec in levers.items()]
    kinds = _outcome_kinds(outcomes)
    model.outcomes = [
        ema.ArrayOutcome(metric) if per_replication
        else ema.ScalarOutcome(metric, kind=getattr(ema.ScalarOutcome, KINDS[kind]), function=np.mean)
        for metric, kind in kinds.items()]
    constants = {"steps": steps, "end_share": float(end_share), "outcomes": tuple(kinds), **base}
    if "preset" not in uncertainties and "preset" not in levers:
        constants["preset"] = preset
    model.constants = [ema.Constant(key, value) for key, value in constants.items()]
    model.replications = [{"seed": s} for s in replication_seeds(seed, replications)]
    return model


def _as_mapping(value) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    return {name: None for name in value}


def _parameter(ema, name: str, spec: Any, where: str):
    """An EMA parameter for one coprosim parameter, its range checked against the allowed one."""
    if name == "preset":
        values = list(spec) if spec is not None else list(PRESETS)
        unknown = [v for v in values if v not in PRESETS]
        if unknown:
            raise ParameterError(f"{where}.preset: unknown preset {unknown[0]!r}; allowed: "
                                 f"{', '.join(PRESETS)}")
        return ema.CategoricalParameter("preset", values)
    info = Params.spec(name)  # unknown name -> ParameterError naming the allowed ones
    if name in ("n_citizens", "agent_sample_period"):
        raise ParameterError(f"{where}.{name}: set it in base (it shapes the run, not a policy)")
    if isinstance(spec, list):
        values = [_valid(where, name, v) for v in spec]
        return ema.CategoricalParameter(name, values)
    lo, hi = info["range"] if spec is None else spec
    lo, hi = _valid(where, name, lo), _valid(where, name, hi)
    if not lo < hi:
        raise ParameterError(f"{where}.{name}: low must be below high, got ({lo}, {hi})")
    if info["kind"] is int:
        return ema.IntegerParameter(name, int(lo), int(hi))
    return ema.RealParameter(name, float(lo), float(hi))


def _valid(where: str, name: str, value: Any) -> Any:
    try:
        return getattr(Params(**{name: value}), name)
    except ParameterError as exc:
        raise ParameterError(f"{where}.{exc}") from None


def _outcome_kinds(outcomes) -> dict[str, str]:
    known = outputs()
    if outcomes is None:
        from coprosim.model import METRICS

        return {metric: "info" for metric in METRICS}
    kinds = dict(outcomes) if isinstance(outcomes, Mapping) else {m: "info" for m in outcomes}
    for metric, kind in kinds.items():
        if metric not in known:
            raise ParameterError(f"outcomes: unknown metric {metric!r}; allowed: {', '.join(known)}")
        if kind not in KINDS:
            raise ParameterError(f"outcomes.{metric}: must be one of {', '.join(KINDS)}, got {kind!r}")
    if not kinds:
        raise ParameterError("outcomes: give at least one metric")
    return kinds
