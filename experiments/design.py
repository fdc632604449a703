"""Experiment files: read, validate and expand a TOML experiment into runs.

An experiment is data, not code (EMA Workbench's idea): a TOML file names scenarios (a preset plus
overrides), optional sweep axes, replications, steps, the metrics to keep, the agent-sampling
period and one experiment seed. Everything is checked before any run starts; a bad file raises
``ExperimentError`` with one line naming the file, the key and what is allowed.

File layout (every section but ``[scenarios]`` is optional)::

    [experiment]
    name = "policy_comparison"     # default: the file name without .toml; results/<name>/
    description = "..."
    replications = 30              # runs per scenario and sweep point, paired by seed
    steps = 200                    # weeks per run
    seed = 20261123                # experiment seed; replication seeds derive from it
    metrics = ["public_value"]     # default: every metric of model.METRICS; the cost ledger's
                                   # hours_* columns (model.LEDGER) may be named too
    agent_sample_period = 50       # steps between samples of citizens' state (0: none)

    [base]                         # parameter overrides applied to every scenario
    n_citizens = 1000

    [scenarios.npm]                # a preset of the same name ...
    [scenarios.big_outreach]       # ... or any name with preset = ...
    preset = "coproduction"
    outreach_share = 0.4           # every other key overrides a parameter

    [sweep.grid]                   # full-factorial axes: every combination of the values
    coproduction_share = [0.0, 0.5, 1.0]
    [sweep.latin]                  # Latin hypercube over ranges, crossed with the grid
    samples = 20
    ranges = { resource_inequality = [0.2, 1.6] }

    [analysis]                     # used by ``coprosim compare``
    baseline = "npm"               # scenario the others are compared with, paired by seed
    end_share = 0.2                # "end" = mean over the last 20% of steps of each run

    [sensitivity]                  # used by ``coprosim sensitivity`` (see experiments.sensitivity)
    [map]                          # used by ``coprosim map`` (see experiments.scenario_map)

Precedence: preset < [base] < scenario overrides < sweep values < [experiment] agent_sample_period.
Seeds: ``SeedSequence(seed).spawn(replications)``; replication r gets the same seed in every
scenario and sweep point (common random numbers), so comparisons are paired.

Inert combinations: where a ``[sweep.grid]`` lever cannot act under a scenario's rules at a point
(``coprosim.model.levers``: e.g. ``outreach_support`` when ``outreach_share`` is 0, a co-creating
rule when ``coproduction_share`` is 0), its values would all give the same runs. Only one
representative value runs (the lever's default if it is on the axis, else the axis's first
value); the other points are dropped for that scenario and recorded in ``Experiment.dropped()``
with the point that stands for them and the reason. The analysis copies the representative's
results to them (identical by construction: same seeds, and the lever cannot act).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from coprosim.model import METRICS, PRESETS, ParameterError, Params

from .schema import ExperimentError, fraction, parameter_ranges, typed
from .schema import integer as _integer
from .schema import name as _name
from .schema import only as _only
from .schema import parameter_name as _parameter_name
from .schema import parameter_value as _parameter_value
from .schema import string as _string
from .schema import table as _table

SECTIONS = ("experiment", "base", "scenarios", "sweep", "analysis", "sensitivity", "map")
EXPERIMENT_KEYS = ("name", "description", "replications", "steps", "seed", "metrics",
                   "agent_sample_period")
ANALYSIS_KEYS = ("baseline", "end_share", "decomposition")
MAX_RUNS = 1_000_000


@dataclass(frozen=True)
class Run:
    """One simulation: a scenario at one sweep point with one replication seed."""

    scenario: str
    point: int
    replication: int
    seed: int
    sweep: dict[str, Any] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return f"{self.scenario}__p{self.point:05d}__r{self.replication:04d}"


@dataclass(frozen=True)
class Dropped:
    """A scenario at a sweep point not run because a swept lever cannot act there.

    Its results are those of the scenario at point ``stands_for`` (same seeds, and the only
    parameters that differ cannot act); ``reasons`` names each inert lever and why.
    """

    scenario: str
    point: int
    stands_for: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Experiment:
    """A validated experiment; ``runs()`` lists every simulation it asks for."""

    name: str
    path: str
    text: str
    description: str
    replications: int
    steps: int
    seed: int
    metrics: tuple[str, ...]
    agent_sample_period: int
    base: dict[str, Any]
    scenarios: dict[str, dict[str, Any]]  # name -> {"preset": str, "overrides": dict}
    axes: tuple[str, ...]                 # names of swept parameters
    points: tuple[dict[str, Any], ...]    # sweep points; ({},) without a sweep
    analysis: dict[str, Any]
    sensitivity: dict[str, Any] | None
    map: dict[str, Any] | None = None      # used by ``coprosim map`` (experiments.scenario_map)
    tag: str = ""                         # what else defines the runs (e.g. a sensitivity design)
    inert: tuple[Dropped, ...] = ()       # combinations dropped because a lever cannot act
    inert_points: tuple[dict[str, Any], ...] = ()  # the points ``inert`` was worked out for

    def dropped(self) -> tuple[Dropped, ...]:
        """Scenario/point combinations not run (a swept lever cannot act there); see the module
        docstring. Empty for a design whose points were replaced (e.g. a sensitivity design)."""
        if self.tag or self.points != self.inert_points:
            return ()
        return self.inert

    def seeds(self) -> list[int]:
        """One seed per replication, the same in every scenario (common random numbers)."""
        return replication_seeds(self.seed, self.replications)

    def params_for(self, scenario: str, point: int = 0) -> Params:
        """The validated parameters of one scenario at one sweep point."""
        spec = self.scenarios[scenario]
        values = {**self.base, **spec["overrides"], **self.points[point],
                  "agent_sample_period": self.agent_sample_period}
        return Params.preset(spec["preset"], **values)

    def runs(self) -> list[Run]:
        """Every run, replication-major so that a partial sweep is still paired."""
        seeds = self.seeds()
        skip = {(d.scenario, d.point) for d in self.dropped()}
        return [Run(scenario, point, rep, seeds[rep], dict(self.points[point]))
                for rep in range(self.replications)
                for point in range(len(self.points))
                for scenario in self.scenarios
                if (scenario, point) not in skip]

    def population_sizes(self) -> list[int]:
        """Every number of citizens the experiment runs (scenarios and sweep points)."""
        return sorted({self.params_for(s, p).n_citizens for s in self.scenarios
                       for p in range(len(self.points))})

    def resolved(self) -> dict[str, dict[str, Any]]:
        """Resolved parameters of each scenario (at the first sweep point)."""
        return {name: self.params_for(name, 0).as_dict() for name in self.scenarios}

    def fingerprint(self) -> str:
        """What identifies the results: file text, replications, steps, parameters, design tag."""
        identity = {"text": self.text, "replications": self.replications, "steps": self.steps,
                    "resolved": self.resolved(), "points": list(self.points), "tag": self.tag}
        if self.dropped():  # only then, so fingerprints of designs without drops stay as they were
            identity["dropped"] = [[d.scenario, d.point] for d in self.dropped()]
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()

    def with_overrides(self, replications: int | None = None, steps: int | None = None) -> Experiment:
        """A copy with the command line's --replications / --steps (part of its identity)."""
        changed = {}
        if replications is not None:
            changed["replications"] = _integer(self.path, "--replications", replications, 1, 100_000)
        if steps is not None:
            changed["steps"] = _integer(self.path, "--steps", steps, 1, 100_000)
        return replace(self, **changed) if changed else self


def replication_seeds(experiment_seed: int, replications: int) -> list[int]:
    """Seeds of the replications: ``SeedSequence(experiment_seed).spawn(replications)``.

    Each child's first 64-bit word, halved to fit a signed 64-bit Parquet column.
    """
    children = np.random.SeedSequence(experiment_seed).spawn(replications)
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for child in children]


# --- loading ---------------------------------------------------------------------------------------
SHIPPED = Path(__file__).resolve().parent  # the experiment files installed with coprosim


def shipped_experiments() -> dict[str, Path]:
    """The experiment files that come with coprosim, by name (file name without ``.toml``).

    Calibration targets files (a top-level ``[calibration]`` table, read by ``coprosim
    calibrate``) ship in the same folder but are not experiments.
    """
    return {path.stem: path for path in sorted(SHIPPED.glob("*.toml"))
            if not _is_targets_file(path)}


def _is_targets_file(path: Path) -> bool:
    try:
        return "calibration" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


def shipped_experiment(name: str) -> Path:
    """The path of a shipped experiment file (``smoke``, ``policy_comparison``, ...)."""
    files = shipped_experiments()
    if name not in files:
        raise ExperimentError(f"{name}: no such shipped experiment; allowed: {', '.join(files)}")
    return files[name]


def resolve_experiment_path(text: str | Path) -> Path:
    """A path as given if it exists; else a shipped experiment by name or file name.

    So ``coprosim compare``, ``coprosim sweep smoke`` and ``coprosim sweep
    experiments/smoke.toml`` work from any folder; a file in the current folder always wins.
    """
    path = Path(text)
    if path.exists():
        return path
    files = shipped_experiments()
    stem = path.stem if path.suffix == ".toml" else path.name
    shipped = files.get(stem)
    if shipped is not None and (path.parent in (Path("."), Path("experiments"))):
        return shipped
    return path


def load_experiment(path: str | Path, replications: int | None = None,
                    steps: int | None = None) -> Experiment:
    """Read and validate an experiment file; raises ``ExperimentError`` (one line) if it is bad.

    Args:
        path: the TOML file.
        replications, steps: optional overrides of the file's values (as --replications/--steps).
    """
    path = Path(path)
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExperimentError(f"{where}: no such experiment file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ExperimentError(f"{where}: cannot read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentError(f"{where}: invalid TOML: {exc}") from None
    return parse_experiment(data, where, text, default_name=path.stem).with_overrides(
        replications, steps)


def parse_experiment(data: dict, where: str, text: str, default_name: str) -> Experiment:
    """Validate the parsed TOML of an experiment file (see the module docstring)."""
    _only(where, "", data, SECTIONS, "section")
    head = _table(where, "experiment", data.get("experiment", {}))
    _only(where, "experiment", head, EXPERIMENT_KEYS)
    name = _name(where, head.get("name", default_name))
    metrics = _metrics(where, head.get("metrics", list(METRICS)))
    base = _overrides(where, "base", _table(where, "base", data.get("base", {})))
    scenarios = _scenarios(where, data.get("scenarios"))
    axes, points, grid = _sweep(where, data.get("sweep"), head.get("seed", 0))
    experiment = Experiment(
        name=name, path=where, text=text,
        description=_string(where, "experiment.description", head.get("description", "")),
        replications=_integer(where, "experiment.replications", head.get("replications", 10), 1, 100_000),
        steps=_integer(where, "experiment.steps", head.get("steps", 200), 1, 100_000),
        seed=_integer(where, "experiment.seed", head.get("seed", 0), 0, 2**63 - 1),
        metrics=metrics,
        agent_sample_period=_integer(where, "experiment.agent_sample_period",
                                     head.get("agent_sample_period", 0), 0, 100_000),
        base=base, scenarios=scenarios, axes=axes, points=points,
        analysis=_analysis(where, data.get("analysis", {}), scenarios),
        sensitivity=data.get("sensitivity"),
        map=data.get("map"),
    )
    _check_combinations(experiment)
    if grid:
        experiment = replace(experiment, inert=inert_combinations(experiment, grid),
                             inert_points=points)
    return experiment


def representative_value(name: str, values: list) -> Any:
    """The value of an inert lever that still runs: its default if on the axis, else the first."""
    default = Params.spec(name)["default"]
    return default if default in values else values[0]


def inert_combinations(experiment: Experiment, grid: dict[str, list]) -> tuple[Dropped, ...]:
    """Scenario/point combinations where a grid lever cannot act, and the point standing for each.

    At each point, the grid axes that cannot act under the scenario's parameters
    (``coprosim.model.levers.inert_reason``) are set to their representative value; if that
    lands on another point (which itself stands for itself), this one is dropped.
    """
    from coprosim.model.levers import inert_reason

    axes = experiment.axes
    index = {tuple(_key(p[a]) for a in axes): i for i, p in enumerate(experiment.points)}

    def target(scenario: str, point: int) -> tuple[int, tuple[str, ...]]:
        params = experiment.params_for(scenario, point)
        inert = {a: r for a in grid if (r := inert_reason(a, params)) is not None}
        values = dict(experiment.points[point])
        values.update({a: representative_value(a, grid[a]) for a in inert})
        return (index.get(tuple(_key(values[a]) for a in axes), point),
                tuple(f"{a}: {r}" for a, r in inert.items()))

    dropped = []
    for scenario in experiment.scenarios:
        for point in range(len(experiment.points)):
            current, reasons = target(scenario, point)
            seen = {point}
            while current is not None and current != point:
                following, _ = target(scenario, current)
                if following == current:
                    break  # a point that stands for itself: it runs
                current = None if following in seen else following  # a cycle: keep this one
                seen.add(following)
            if current is not None and current != point:
                dropped.append(Dropped(scenario, point, current, reasons))
    return tuple(dropped)


def _key(value: Any) -> Any:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _check_combinations(experiment: Experiment) -> None:
    """Every scenario at every sweep point must give valid parameters; the run count must be sane."""
    n_runs = len(experiment.scenarios) * len(experiment.points) * experiment.replications
    if n_runs > MAX_RUNS:
        raise ExperimentError(f"{experiment.path}: experiment: {n_runs} runs; at most {MAX_RUNS} allowed")
    check_points(experiment, lambda scenario, point: f"scenarios.{scenario}")


def check_points(experiment: Experiment, key) -> None:
    """Every scenario at every point gives valid parameters; else ``ExperimentError`` naming
    ``key(scenario, point)``, then the model's message."""
    for scenario in experiment.scenarios:
        for point in range(len(experiment.points)):
            try:
                experiment.params_for(scenario, point)
            except ParameterError as exc:
                raise ExperimentError(f"{experiment.path}: {key(scenario, point)}: {exc}") from None


# --- sections --------------------------------------------------------------------------------------
def _scenarios(where: str, table: Any) -> dict[str, dict[str, Any]]:
    if table is None:
        raise ExperimentError(f"{where}: scenarios: missing; add at least one [scenarios.NAME] "
                              f"table (presets: {', '.join(PRESETS)})")
    table = _table(where, "scenarios", table)
    if not table:
        raise ExperimentError(f"{where}: scenarios: empty; add at least one [scenarios.NAME] table")
    result = {}
    for name, spec in table.items():
        key = f"scenarios.{name}"
        _name(where, name, key)
        spec = dict(_table(where, key, spec))
        preset = spec.pop("preset", name)
        spec.pop("description", None)
        if preset not in PRESETS:
            what = f"{key}.preset" if "preset" in table[name] else key
            raise ExperimentError(f"{where}: {what}: unknown preset '{preset}'; allowed: "
                                  f"{', '.join(PRESETS)} (or set preset = ... for a new name)")
        result[name] = {"preset": preset, "overrides": _overrides(where, key, spec)}
    return result


def _overrides(where: str, key: str, table: dict) -> dict[str, Any]:
    """Parameter overrides, each checked alone so the error names its key."""
    values = {}
    for name, value in table.items():
        if name == "agent_sample_period":
            raise ExperimentError(f"{where}: {key}.{name}: set agent_sample_period in [experiment]")
        values[name] = _parameter_value(where, f"{key}.{name}", name, value)
    return values


def _sweep(where: str, table: Any, seed: Any) -> tuple[tuple[str, ...], tuple[dict, ...], dict]:
    """Sweep points: the full-factorial grid crossed with a Latin hypercube sample; the grid."""
    if table is None:
        return (), ({},), {}
    table = _table(where, "sweep", table)
    _only(where, "sweep", table, ("grid", "latin"))
    grid = _grid(where, _table(where, "sweep.grid", table.get("grid", {})))
    latin = _latin(where, table.get("latin"), seed)
    axes = tuple(grid) + tuple(latin[0]) if latin else tuple(grid)
    if len(set(axes)) != len(axes):
        twice = next(a for a in axes if axes.count(a) > 1)
        raise ExperimentError(f"{where}: sweep.latin.ranges.{twice}: already a grid axis")
    grid_points = [dict(zip(grid, combo, strict=True)) for combo in itertools.product(*grid.values())]
    latin_points = latin if latin else [{}]
    points = tuple({**g, **h} for g in grid_points for h in latin_points)
    if not axes:
        raise ExperimentError(f"{where}: sweep: no axes; add [sweep.grid] or [sweep.latin] values")
    return axes, points, grid


def _grid(where: str, table: dict) -> dict[str, list]:
    axes = {}
    for name, values in table.items():
        key = f"sweep.grid.{name}"
        if not isinstance(values, list):
            raise ExperimentError(f"{where}: {key}: must be a list of values, got {values!r}")
        _parameter_name(where, key, name)
        if not values:
            raise ExperimentError(f"{where}: {key}: empty axis; give at least one value")
        axes[name] = [_parameter_value(where, f"{key}[{i}]", name, v) for i, v in enumerate(values)]
    return axes


def _latin(where: str, table: Any, seed: Any) -> list[dict[str, Any]]:
    """A Latin hypercube sample (scipy.stats.qmc, seeded by the experiment seed)."""
    if table is None:
        return []
    table = _table(where, "sweep.latin", table)
    _only(where, "sweep.latin", table, ("samples", "ranges"))
    samples = _integer(where, "sweep.latin.samples", table.get("samples", 10), 1, 100_000)
    ranges = parameter_ranges(where, "sweep.latin.ranges",
                              _table(where, "sweep.latin.ranges", table.get("ranges", {})))
    if not ranges:
        raise ExperimentError(f"{where}: sweep.latin.ranges: empty; give name = [low, high] pairs")
    return latin_points(ranges, samples, seed if isinstance(seed, int) and seed >= 0 else 0)


def latin_points(ranges: dict[str, tuple[float, float]], samples: int, seed: int) -> list[dict]:
    """A Latin hypercube sample over ``ranges`` (``scipy.stats.qmc.LatinHypercube`` seeded by
    ``seed``); integer parameters are rounded."""
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=len(ranges), seed=np.random.default_rng(seed)).random(samples)
    return [{name: typed(name, lo + u * (hi - lo)) for (name, (lo, hi)), u in zip(ranges.items(), row, strict=True)}
            for row in unit]


def _analysis(where: str, table: Any, scenarios: dict) -> dict[str, Any]:
    table = _table(where, "analysis", table)
    _only(where, "analysis", table, ANALYSIS_KEYS)
    baseline = table.get("baseline", "npm" if "npm" in scenarios else next(iter(scenarios)))
    if baseline not in scenarios:
        raise ExperimentError(f"{where}: analysis.baseline: unknown scenario '{baseline}'; "
                              f"allowed: {', '.join(scenarios)}")
    end_share = fraction(where, "analysis.end_share", table.get("end_share", 0.2))
    decomposition = table.get("decomposition", 0)
    if isinstance(decomposition, bool) or not isinstance(decomposition, int) or not 0 <= decomposition <= 1000:
        raise ExperimentError(f"{where}: analysis.decomposition: must be an integer in [0, 1000] "
                              f"(paired seeds for each rule pair's share of the gap; 0: none), "
                              f"got {decomposition!r}")
    return {"baseline": baseline, "end_share": end_share, "decomposition": decomposition}


def outputs() -> dict[str, str]:
    """Every column an experiment may keep: the metrics and the cost ledger, with meanings."""
    from coprosim import model

    return {**METRICS, **getattr(model, "LEDGER", {})}


def _metrics(where: str, value: Any) -> tuple[str, ...]:
    allowed = outputs()
    if not isinstance(value, list) or not value:
        raise ExperimentError(f"{where}: experiment.metrics: must be a non-empty list of metric "
                              f"names; allowed: {', '.join(allowed)}")
    for i, name in enumerate(value):
        if name not in allowed:
            raise ExperimentError(f"{where}: experiment.metrics[{i}]: unknown metric {name!r}; "
                                  f"allowed: {', '.join(allowed)}")
    return tuple(dict.fromkeys(value))


def end_window(steps: int, end_share: float) -> int:
    """First step of the "end" window: the last ``end_share`` of steps (at least one step)."""
    return steps - max(1, math.ceil(end_share * steps)) + 1
