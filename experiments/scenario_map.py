"""Where each regime wins: ``coprosim map FILE``.

A Latin hypercube over the documented plausible ranges of the parameters (``Params.spec(name)
["plausible"]``); at every point each regime of the file runs with the same seeds (common random
numbers). For every metric (its direction from ``METRIC_INFO[metric].better``) the map reports:

- the share of the points at which each regime leads (its mean end value over the paired seeds is
  the best), with a 95% Wilson interval, and the share at which it leads *clearly* (it is the best
  with every one of the paired seeds);
- PRIM boxes (the EMA Workbench's ``prim``; Friedman and Fisher 1999, scenario discovery as in
  Bryant and Lempert 2010) describing where a chosen regime leads, and where it does not, in plain
  words: box limits, density (share of the points in the box where it leads), coverage (share of
  all points where it leads that fall in the box), mass (share of the space in the box);
- feature scores (the EMA Workbench's extra-trees ``feature_scoring``; Jaxa-Rozen and Kwakkel
  2018) ranking the uncertainties by how well they predict which regime leads;
- figures: the share chart, and the probability that the chosen regime leads against the two
  most important uncertainties of each main metric.

The experiment file's ``[map]`` table::

    [map]
    regimes = ["npm", "hybrid", "coproduction"]  # scenarios compared (default: every scenario)
    samples = 200              # Latin hypercube points (--points overrides)
    parameters = "plausible"   # default: every parameter whose plausible range is narrower than
                               # its allowed range; or a list of names
    groups = ["staff"]         # optional: only the plausible parameters of these Params groups
    exclude = ["network_degree"]             # optional: parameters left at their values
    ranges = { staff_per_1000 = [5, 30] }    # optional: sample these over [low, high] instead
    metrics = ["public_value"] # default: every metric of [experiment] with a better direction
    main_metrics = [...]       # metrics with PRIM boxes and figures (default: the first four)
    focus = "coproduction"     # the regime whose regions PRIM describes (default: the last)
    min_coverage = 0.5         # PRIM: the densest box holding at least this share of the cases
    mass_min = 0.05            # PRIM: smallest box, as a share of the points
    prim_dims = 4              # PRIM looks at the metric's this many highest-scoring uncertainties

The file's ``[sweep]``, if any, is not used: the map samples its own points. A parameter on
which the regimes differ (``coproduction_share``, or any override that is not the
same in every regime) is never sampled: sampling it would erase the difference being mapped. By
default, parameters fixed in ``[base]`` or in a scenario are left out too. The design runs through
``run_experiment`` (resumable, process pool or Dask, Parquet in ``results/<experiment>/``); the
map writes ``map.md``, ``map_points.csv``, ``map_shares.csv``, ``map_boxes.csv``,
``map_features.csv``, ``map_shares.png`` and ``map_lead_probability.png`` there.

PRIM and feature scoring need the EMA Workbench (the ``ema`` extra). Without it the shares, the
points table and the share chart are still written; ``map.md`` says what was left out, the
probability figure uses rank correlations instead, and the command prints a one-line note.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from coprosim.model import METRIC_INFO, Params
from coprosim.model.params import GROUPS
from scipy import stats

from coprosim._extras import MissingExtraError, require

from . import storage
from .design import Experiment, check_points, end_window, latin_points
from .figures import save_png
from .schema import ExperimentError, fraction, integer, parameter_names, parameter_ranges
from .schema import only as _only
from .schema import table as _section
from .statistics import end_table
from .tables import fmt, markdown_table

KEYS = ("regimes", "samples", "parameters", "groups", "exclude", "ranges", "metrics",
        "main_metrics", "focus", "min_coverage", "mass_min", "prim_dims")
QP_SIGNIFICANT = 0.05     # a box limit is kept when its quasi-p value (Bryant and Lempert 2010) is below
SMOOTHING = 0.18          # kernel bandwidth of the probability map, as a share of each axis


# --- settings and design ---------------------------------------------------------------------------
def map_settings(experiment: Experiment, samples: int | None = None) -> dict[str, Any]:
    """The ``[map]`` table validated; ``samples`` (the command line's --points) takes precedence."""
    where = experiment.path
    table = experiment.map
    if table is None:
        raise ExperimentError(f"{where}: map: missing; add a [map] table (e.g. regimes = "
                              f"[{', '.join(repr(s) for s in list(experiment.scenarios)[:2])}] "
                              "and samples = 100; see experiments/regimes_map.toml)")
    _only(where, "map", _section(where, "map", table), KEYS)
    scenarios = list(experiment.scenarios)
    regimes = table.get("regimes", scenarios)
    if (not isinstance(regimes, list) or len(regimes) < 2 or len(set(regimes)) != len(regimes)
            or not all(isinstance(r, str) and r in scenarios for r in regimes)):
        raise ExperimentError(f"{where}: map.regimes: must list at least two different scenarios "
                              f"of the file ({', '.join(scenarios)}), got {regimes!r}")
    key = "map.samples" if samples is None else "--points"
    samples = integer(where, key, table.get("samples", 100) if samples is None else samples,
                      2, 100_000)
    names = parameter_names(where, "map.exclude", table.get("exclude", []))
    differing = _differing(experiment, regimes)
    fixed = _fixed(experiment, regimes)
    ranges = _sampled(where, table, experiment, differing, fixed, set(names))
    metrics = _metric_list(where, "map.metrics", table.get("metrics"), experiment)
    main = table.get("main_metrics", metrics[:4])
    main = _metric_list(where, "map.main_metrics", main, experiment, allowed=metrics)
    focus = table.get("focus", regimes[-1])
    if focus not in regimes:
        raise ExperimentError(f"{where}: map.focus: must be one of the regimes "
                              f"({', '.join(regimes)}), got {focus!r}")
    return {"regimes": regimes, "samples": samples, "ranges": ranges, "metrics": metrics,
            "main_metrics": main, "focus": focus,
            "min_coverage": fraction(where, "map.min_coverage", table.get("min_coverage", 0.5)),
            "mass_min": fraction(where, "map.mass_min", table.get("mass_min", 0.05), hi=0.5),
            "prim_dims": integer(where, "map.prim_dims", table.get("prim_dims", 4), 1, 1000),
            "left_out": {"differ between regimes": sorted(differing),
                         "fixed in the file": sorted(n for n in fixed - differing - set(ranges)
                                                     if _narrower(n))
                         if table.get("parameters", "plausible") == "plausible" else [],
                         "excluded": sorted(names)}}


def _sampled(where: str, table: dict, experiment: Experiment, differing: set, fixed: set,
             excluded: set) -> dict[str, tuple[float, float]]:
    """The sampled parameters and their ranges."""
    choice = table.get("parameters", "plausible")
    groups = table.get("groups")
    if groups is not None:
        if not isinstance(groups, list) or not groups or not all(g in GROUPS for g in groups):
            raise ExperimentError(f"{where}: map.groups: must be a list of parameter groups; "
                                  f"allowed: {', '.join(GROUPS)}; got {groups!r}")
    explicit = parameter_ranges(where, "map.ranges", _section(where, "map.ranges", table.get("ranges", {})))
    if choice == "plausible":
        names = [n for n in Params.field_names() if _narrower(n) and n not in fixed
                 and (groups is None or Params.spec(n)["group"] in groups)]
    elif isinstance(choice, list) and choice:
        if groups is not None:
            raise ExperimentError(f"{where}: map.groups: use groups with parameters = \"plausible\", "
                                  "not with a list of parameters")
        names = parameter_names(where, "map.parameters", choice)
        for name in names:
            if name in differing:
                raise ExperimentError(f"{where}: map.parameters: {name} differs between the "
                                      "regimes (it is what they compare); it cannot be sampled")
            if not _narrower(name) and name not in explicit:
                lo, hi = Params.spec(name)["range"]
                raise ExperimentError(f"{where}: map.parameters: {name} has no plausible range "
                                      f"narrower than its allowed range [{lo}, {hi}]; give one in "
                                      f"map.ranges ({name} = [low, high])")
    else:
        raise ExperimentError(f"{where}: map.parameters: must be \"plausible\" or a non-empty list "
                              f"of parameter names, got {choice!r}")
    names = [n for n in dict.fromkeys([*names, *explicit]) if n not in excluded]
    for name in names:
        if name in differing:
            key = "map.ranges" if name in explicit else "map.parameters"
            raise ExperimentError(f"{where}: {key}: {name} differs between the regimes (it is what "
                                  "they compare); it cannot be sampled")
    if not names:
        raise ExperimentError(f"{where}: map.parameters: nothing left to sample (after groups, "
                              "exclude and parameters fixed in the file)")
    return {n: explicit.get(n, tuple(float(v) for v in Params.spec(n)["plausible"])) for n in names}


def _narrower(name: str) -> bool:
    spec = Params.spec(name)
    return tuple(spec["plausible"]) != tuple(spec["range"])


def _differing(experiment: Experiment, regimes: list[str]) -> set[str]:
    """Parameters whose resolved value is not the same in every regime."""
    resolved = [experiment.params_for(r, 0).as_dict() for r in regimes]
    return {n for n in resolved[0] if any(other[n] != resolved[0][n] for other in resolved[1:])}


def _fixed(experiment: Experiment, regimes: list[str]) -> set[str]:
    """Parameters the file sets: [base], scenario overrides and the regimes' presets."""
    from coprosim.model import PRESETS

    names = set(experiment.base)
    for regime in regimes:
        spec = experiment.scenarios[regime]
        names |= set(spec["overrides"]) | set(PRESETS[spec["preset"]]["overrides"])
    return names


def map_design(experiment: Experiment, settings: dict[str, Any]) -> Experiment:
    """The experiment whose runs make the map: the regimes at every Latin hypercube point.

    The sample is ``scipy.stats.qmc.LatinHypercube`` seeded by the experiment seed (the same
    generator as ``[sweep.latin]``); integer parameters are rounded.
    """
    points = tuple(latin_points(settings["ranges"], settings["samples"], experiment.seed))
    scenarios = {r: experiment.scenarios[r] for r in settings["regimes"]}
    design = replace(experiment, scenarios=scenarios, axes=tuple(settings["ranges"]), points=points,
                     tag=f"map:{settings['samples']}")
    check_points(design, lambda regime, point: f"map: {regime} at point {point}")
    return design


def _metric_list(where: str, key: str, value: Any, experiment: Experiment,
                 allowed: list[str] | None = None) -> list[str]:
    directed = [m for m in experiment.metrics if m in METRIC_INFO and METRIC_INFO[m].better]
    allowed = allowed if allowed is not None else directed
    if value is None:
        if not allowed:
            raise ExperimentError(f"{where}: experiment.metrics: none has a better direction; "
                                  "keep at least one metric such as public_value")
        return list(allowed)
    if not isinstance(value, list) or not value:
        raise ExperimentError(f"{where}: {key}: must be a non-empty list of metrics; allowed: "
                              f"{', '.join(allowed)}")
    for i, name in enumerate(value):
        if name not in allowed:
            why = (" (no better direction: neither higher nor lower is better)"
                   if name in METRIC_INFO and not METRIC_INFO[name].better else "")
            raise ExperimentError(f"{where}: {key}[{i}]: {name!r} cannot be mapped{why}; "
                                  f"allowed: {', '.join(allowed)}")
    return list(dict.fromkeys(value))


# --- running ---------------------------------------------------------------------------------------
@dataclass
class MapResult:
    """What ``run_map`` found; ``report`` is the markdown of ``map.md``."""

    out: Path
    settings: dict[str, Any]
    points: pd.DataFrame            # one row per point: sampled parameters, regime means, leaders
    shares: pd.DataFrame            # metric, regime, points, leads, share, ci_low, ci_high, clear, ...
    boxes: pd.DataFrame | None      # PRIM boxes (None without the EMA Workbench)
    features: pd.DataFrame | None   # feature scores per metric (None without the EMA Workbench)
    report: str = ""
    files: dict[str, str] = field(default_factory=dict)
    failed: int = 0
    missing_extra: str | None = None  # the one-line message when the EMA Workbench is missing
    small_sample: str | None = None   # a warning when the points are few for the uncertainties


def run_map(experiment: Experiment, out: str | Path | None = None, points: int | None = None,
            workers: int | None = None, force: bool = False, dask: str | None = None,
            progress: bool | None = None, **executor) -> MapResult:
    """Run (or resume) the map's design, then write ``map.md``, the CSVs and the figures.

    Args:
        experiment: from ``load_experiment``; its ``[map]`` table says what to map.
        out: results folder (default ``results/<experiment name>``).
        points: Latin hypercube size, overriding ``map.samples`` (part of the results' identity).
        workers, force, dask, progress, executor: as ``run_experiment``.
    """
    from .runner import run_experiment

    settings = map_settings(experiment, points)
    design = map_design(experiment, settings)
    out = Path(out) if out is not None else Path("results") / experiment.name
    runs = run_experiment(design, out=out, workers=workers, force=force, dask=dask,
                          progress=progress, **executor)
    result = analyse_map(design, settings, out)
    result.failed = int(runs.attrs["failed"])
    return result


def map_from_results(experiment: Experiment, out: str | Path | None = None,
                     points: int | None = None) -> MapResult:
    """The map of the runs already in ``out``, without running anything (e.g. to redraw it).

    Unlike ``run_map`` it does not check the results' model code; the manifest records it.
    """
    settings = map_settings(experiment, points)
    design = map_design(experiment, settings)
    out = Path(out) if out is not None else Path("results") / experiment.name
    manifest = storage.read_manifest(out)
    if manifest is None or manifest.get("fingerprint") != design.fingerprint():
        raise ExperimentError(f"{out}: holds no results of this map (run coprosim map "
                              f"{experiment.path} first)")
    return analyse_map(design, settings, out)


def analyse_map(design: Experiment, settings: dict[str, Any], out: str | Path) -> MapResult:
    """The map of finished runs in ``out`` (runs missing or failed leave their points out)."""
    out = Path(out)
    ends = end_table(design, out, settings["metrics"])
    x = pd.DataFrame(list(design.points), columns=list(settings["ranges"]))
    x.index.name = "point"
    leads = lead_table(ends, settings["regimes"], settings["metrics"])
    if leads.empty:
        raise ExperimentError(f"{out}: no point has finished runs of every regime and replication "
                              f"(see {out}/failures/); rerun the same command to retry them")
    shares = lead_shares(leads, settings["regimes"], settings["metrics"])
    result = MapResult(out=out, settings=settings, points=_points_table(x, ends, leads, settings),
                       shares=shares, boxes=None, features=None)
    try:
        with warnings.catch_warnings():  # it warns about optional parallel back-ends
            warnings.simplefilter("ignore")
            require("ema", "ema_workbench", "PRIM boxes and feature scoring in coprosim map")
    except MissingExtraError as exc:
        result.missing_extra = str(exc)
    else:
        result.features = feature_scores(x, leads, settings["metrics"], design.seed)
        result.boxes = prim_boxes(x, leads, settings["focus"], settings["main_metrics"],
                                  settings["min_coverage"], settings["mass_min"],
                                  result.features, settings["prim_dims"])
        result.small_sample = small_sample_warning(len(leads["point"].unique()), x.shape[1])
    _write(result, design, x, leads, ends)
    return result


POINTS_PER_UNCERTAINTY = 10  # fewer points than this per uncertainty: PRIM boxes are hints


def small_sample_warning(points: int, uncertainties: int) -> str | None:
    """A warning when PRIM and the feature scores see fewer than ``POINTS_PER_UNCERTAINTY`` points
    per uncertainty (the rule of thumb of ten cases per variable: Peduzzi et al. 1996); None if
    there are enough. Few points let a box fit chance: its limits are hints, not findings."""
    if points >= POINTS_PER_UNCERTAINTY * uncertainties:
        return None
    return (f"PRIM boxes and feature scores from {points} points over {uncertainties} "
            f"uncertainties (fewer than {POINTS_PER_UNCERTAINTY} per uncertainty): read them as "
            f"hints; for findings use --points {POINTS_PER_UNCERTAINTY * uncertainties} or more, "
            "or fewer parameters in map.parameters")


# --- who leads where -------------------------------------------------------------------------------
def lead_table(ends: pd.DataFrame, regimes: list[str], metrics: list[str]) -> pd.DataFrame:
    """Who leads at each point on each metric.

    ``ends``: one row per run (scenario, point, replication and the metrics' end values). A
    replication counts at a point when every regime has a value there (paired seeds); a point
    counts when one replication does (``replications`` says how many). The leader has the best mean over the replications (``METRIC_INFO[metric].
    better`` says whether higher or lower is better); exact ties are ``"tie"``. ``clear`` is True
    when the leader is also the best with every replication on its own.

    Returns:
        One row per (metric, point): ``leader``, ``clear``, ``replications`` and each regime's
        mean (column named after the regime).
    """
    rows = []
    for metric in metrics:
        sign = METRIC_INFO[metric].better
        if not sign:
            raise ValueError(f"{metric}: has no better direction; it cannot be mapped")
        wide = ends.pivot_table(index=["point", "replication"], columns="scenario", values=metric,
                                aggfunc="first", dropna=False)
        wide = wide.reindex(columns=regimes)
        wide = wide[wide.notna().all(axis=1)]  # replications with every regime finished
        if wide.empty:
            continue
        score = sign * wide.to_numpy(dtype=float)
        means = wide.groupby(level="point").mean()
        mean_score = sign * means.to_numpy(dtype=float)
        best = mean_score.max(axis=1, keepdims=True)
        ties = (mean_score == best).sum(axis=1) > 1
        leader_index = mean_score.argmax(axis=1)
        # clear: the leader beats every other regime with every replication
        points = wide.index.get_level_values("point").to_numpy()
        per_run_best = np.zeros(len(wide), dtype=bool)
        lead_of_point = dict(zip(means.index, leader_index, strict=True))
        for row, point in enumerate(points):
            j = lead_of_point[point]
            others = np.delete(score[row], j)
            per_run_best[row] = bool(np.all(score[row, j] > others))
        clear = pd.Series(per_run_best, index=wide.index).groupby(level="point").all()
        replications = wide.groupby(level="point").size()
        for k, point in enumerate(means.index):
            leader = "tie" if ties[k] else regimes[leader_index[k]]
            rows.append({"metric": metric, "point": int(point), "leader": leader,
                         "clear": bool(clear[point]) and not ties[k],
                         "replications": int(replications[point]),
                         **{r: float(means.iloc[k][r]) for r in regimes}})
    return pd.DataFrame(rows, columns=["metric", "point", "leader", "clear", "replications", *regimes])


def wilson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a share k/n (Wilson 1927; Brown, Cai and DasGupta 2001):
    ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``, kept in [0, 1]; nan for n = 0."""
    if n == 0:
        return (math.nan, math.nan)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return max(0.0, float(ci.low)), min(1.0, float(ci.high))


def lead_shares(leads: pd.DataFrame, regimes: list[str], metrics: list[str]) -> pd.DataFrame:
    """Per metric and regime: the share of points where it leads (Wilson CI) and leads clearly."""
    rows = []
    for metric in metrics:
        part = leads[leads["metric"] == metric]
        n = len(part)
        for regime in [*regimes, "tie"]:
            mine = part["leader"] == regime
            k = int(mine.sum())
            if regime == "tie" and k == 0:
                continue
            c = int((mine & part["clear"]).sum())
            lo, hi = wilson(k, n)
            clo, chi = wilson(c, n)
            rows.append({"metric": metric, "regime": regime, "points": n, "leads": k,
                         "share": k / n if n else math.nan, "ci_low": lo, "ci_high": hi,
                         "clear": c, "clear_share": c / n if n else math.nan,
                         "clear_ci_low": clo, "clear_ci_high": chi})
    return pd.DataFrame(rows)


# --- PRIM boxes and feature scores (EMA Workbench) -------------------------------------------------
def _ema(module: str):
    """Import an EMA Workbench module quietly (it warns about optional parallel back-ends)."""
    import importlib
    import logging

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = importlib.import_module(f"ema_workbench.{module}")
    logging.getLogger("EMA").setLevel(logging.WARNING)
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("EMA"):
            logging.getLogger(name).setLevel(logging.WARNING)
    return loaded


def prim_boxes(x: pd.DataFrame, leads: pd.DataFrame, focus: str, metrics: list[str],
               min_coverage: float = 0.5, mass_min: float = 0.05,
               features: pd.DataFrame | None = None, dims: int | None = None) -> pd.DataFrame:
    """PRIM boxes where ``focus`` leads, and where it does not, for each metric.

    PRIM (the EMA Workbench's ``analysis.prim.Prim``) peels the space towards the points of
    interest. Of its peeling trajectory we take the densest box that still holds at least
    ``min_coverage`` of the points of interest, then drop every limit whose quasi-p value
    (Bryant and Lempert 2010) is not below 0.05: what remains is a box the sample supports.
    With ``features`` (from ``feature_scores``) PRIM sees only the metric's ``dims`` highest-scoring
    uncertainties: with many uncertainties and a few hundred points it otherwise restricts a
    dozen of them by chance, and no single limit of such a box is supported (the usual remedy in
    scenario discovery: screen with feature scores first, then find boxes).

    Returns:
        One row per (metric, case, parameter limit), ``case`` "leads" or "does not lead":
        ``parameter`` (empty for a box without limits), ``low``, ``high`` (None when that side is
        not limited), ``qp``, and the box's ``density``, ``coverage``, ``mass``, ``n``, ``k``,
        ``density_ci_low``, ``density_ci_high``, ``base_rate``, ``sentence``.
    """
    prim = _ema("analysis.prim")
    rows = []
    for metric in metrics:
        part = leads[leads["metric"] == metric].set_index("point")
        if part.empty:
            continue
        columns = list(x.columns)
        if features is not None and dims:
            scored = features[features["metric"] == metric].sort_values("rank")
            if len(scored):
                columns = list(scored["parameter"].head(dims))
        # as floats: the EMA Workbench 2.5's pasting step fails on integer columns with pandas 2
        xs = x.loc[part.index, columns].reset_index(drop=True).astype(float)
        wins = (part["leader"] == focus).to_numpy()
        for case, y in (("leads", wins), ("does not lead", ~wins)):
            box = _one_box(prim, xs, y.astype(int), min_coverage, mass_min)
            sentence = _sentence(focus, metric, case, box, float(y.mean()))
            common = {"metric": metric, "regime": focus, "case": case, **box["stats"],
                      "base_rate": float(y.mean()), "searched": ", ".join(columns),
                      "sentence": sentence}
            if not box["limits"]:
                rows.append({**common, "parameter": "", "low": None, "high": None, "qp": None})
            for limit in box["limits"]:
                rows.append({**common, **limit})
    return pd.DataFrame(rows)


def _one_box(prim, x: pd.DataFrame, y: np.ndarray, min_coverage: float, mass_min: float) -> dict:
    n, k = len(y), int(y.sum())
    whole = {"density": k / n if n else math.nan, "coverage": 1.0, "mass": 1.0, "n": n, "k": k}
    if k == 0 or k == n:
        return {"stats": _with_ci(whole), "limits": [], "why": "all" if k == n else "none"}
    # y is 0/1: any threshold in (0, 1] makes the 1s the cases of interest; a tiny one also makes
    # find_box keep the peeled box whatever its density (we choose from its trajectory below)
    with warnings.catch_warnings():  # the Workbench's own pandas deprecations: not the user's
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        algorithm = prim.Prim(x, y, threshold=1e-9, mass_min=mass_min)
        box = algorithm.find_box()
    trajectory = box.peeling_trajectory
    eligible = trajectory[trajectory["coverage"] >= min_coverage - 1e-12]
    best = eligible.sort_values(["density", "res_dim"], ascending=[False, True], kind="stable")
    i = int(best.index[0]) if len(best) else 0
    box.select(i)
    # drop limits the sample does not support (quasi-p value >= 0.05), weakest first
    while True:
        qp = {name: _quasi_p(values) for name, values in box.qp[box._cur_box].items()}
        weak = {name: p for name, p in qp.items() if p is not None and p >= QP_SIGNIFICANT}
        if not weak:
            break
        box.drop_restriction(max(weak, key=weak.get))
    current = box.peeling_trajectory.iloc[box._cur_box]
    stats = {"density": float(current["density"]), "coverage": float(current["coverage"]),
             "mass": float(current["mass"]), "n": int(current["n"]), "k": int(current["k"])}
    limits = []
    lims, initial = box.box_lims[box._cur_box], box.box_lims[0]
    for name, values in box.qp[box._cur_box].items():
        low, high = lims[name].iloc[0], lims[name].iloc[1]
        limits.append({"parameter": name,
                       "low": float(low) if low > initial[name].iloc[0] else None,
                       "high": float(high) if high < initial[name].iloc[1] else None,
                       "qp": _quasi_p(values)})
    if not limits:
        stats = whole
    return {"stats": _with_ci(stats), "limits": limits, "why": "box" if limits else "no box"}


def _quasi_p(values) -> float | None:
    """A limit's quasi-p value: the larger of its two sides' (a side not limited is -1)."""
    return max((v for v in values if v >= 0), default=None)


def _with_ci(stats: dict) -> dict:
    lo, hi = wilson(stats["k"], stats["n"])
    return {**stats, "density_ci_low": lo, "density_ci_high": hi}


def _limit_words(limit: dict) -> str:
    name, low, high = limit["parameter"], limit["low"], limit["high"]
    if low is not None and high is not None:
        return f"{fmt(low)} < {name} < {fmt(high)}"
    return f"{name} > {fmt(low)}" if low is not None else f"{name} < {fmt(high)}"


def _sentence(focus: str, metric: str, case: str, box: dict, base: float) -> str:
    """The box in plain words."""
    who, what = focus.replace("_", " "), metric.replace("_", " ")
    verb = "leads" if case == "leads" else "does not lead"
    stats = box["stats"]
    if box["why"] in ("all", "none"):
        everywhere = (box["why"] == "all")
        return f"{who} {verb} on {what} at {'every' if everywhere else 'no'} sampled point."
    if not box["limits"]:
        return (f"{who} {verb} on {what} at {base:.0%} of the points; PRIM found no region the "
                "sample supports where it does so more often.")
    where = " and ".join(_limit_words(limit) for limit in box["limits"])
    return (f"{who} {verb} on {what} in {stats['density']:.0%} "
            f"({stats['density_ci_low']:.0%}-{stats['density_ci_high']:.0%}) of the points where "
            f"{where} (against {base:.0%} overall); this box holds {stats['coverage']:.0%} of the "
            f"points where it {'leads' if case == 'leads' else 'does not'} and "
            f"{stats['mass']:.0%} of the sampled space.")


def feature_scores(x: pd.DataFrame, leads: pd.DataFrame, metrics: list[str],
                   seed: int) -> pd.DataFrame:
    """How well each uncertainty predicts which regime leads: extra-trees feature scores.

    The EMA Workbench's ``feature_scoring.get_ex_feature_scores`` (classification of the leader;
    Jaxa-Rozen and Kwakkel 2018), with a random state from the experiment seed.

    Returns:
        One row per (metric, parameter): ``score`` (the scores of one metric sum to 1), ``rank``.
    """
    scoring = _ema("analysis.feature_scoring")
    rows = []
    for metric in metrics:
        part = leads[leads["metric"] == metric].set_index("point")
        if part["leader"].nunique() < 2:
            continue
        xs = x.loc[part.index].reset_index(drop=True)
        scores, _ = scoring.get_ex_feature_scores(xs, part["leader"].to_numpy(),
                                                  random_state=int(seed % 2**32))
        for rank, (name, score) in enumerate(scores.iloc[:, 0].items(), start=1):
            rows.append({"metric": metric, "parameter": name, "score": float(score), "rank": rank})
    return pd.DataFrame(rows, columns=["metric", "parameter", "score", "rank"])


def rank_correlations(x: pd.DataFrame, leads: pd.DataFrame, focus: str,
                      metrics: list[str]) -> pd.DataFrame:
    """Without the EMA Workbench: |Spearman correlation| of each parameter with 'focus leads'."""
    rows = []
    for metric in metrics:
        part = leads[leads["metric"] == metric].set_index("point")
        wins = (part["leader"] == focus).astype(float)
        if wins.nunique() < 2:
            continue
        corr = x.loc[part.index].rank().corrwith(wins.rank()).abs().fillna(0.0)
        for rank, (name, score) in enumerate(corr.sort_values(ascending=False).items(), start=1):
            rows.append({"metric": metric, "parameter": name, "score": float(score), "rank": rank})
    return pd.DataFrame(rows, columns=["metric", "parameter", "score", "rank"])


# --- tables, report and figures --------------------------------------------------------------------
COLOURS = {"npm": "#e66101", "coproduction": "#5e3c99", "hybrid": "#1b9e77", "tie": "#999999"}
EXTRA_COLOURS = ("#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")


def _colour(regime: str, regimes: list[str]) -> str:
    if regime in COLOURS:
        return COLOURS[regime]
    return EXTRA_COLOURS[regimes.index(regime) % len(EXTRA_COLOURS)] if regime in regimes else "#666666"


def _label(metric: str) -> str:
    better = METRIC_INFO[metric].better
    return f"{metric.replace('_', ' ')} ({'higher' if better > 0 else 'lower'} is better)"


def _points_table(x: pd.DataFrame, ends: pd.DataFrame, leads: pd.DataFrame,
                  settings: dict) -> pd.DataFrame:
    """One row per point: sampled parameters, then per metric each regime's mean and the leader."""
    table = x.copy()
    for metric in settings["metrics"]:
        part = leads[leads["metric"] == metric].set_index("point")
        for regime in settings["regimes"]:
            table[f"{metric}:{regime}"] = part[regime].reindex(table.index)
        table[f"{metric}:leader"] = part["leader"].reindex(table.index)
        table[f"{metric}:clear"] = part["clear"].reindex(table.index)
    return table.reset_index()


def _ranking(result: MapResult, x: pd.DataFrame, leads: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Feature scores, or (without the EMA Workbench) rank correlations, and what they are."""
    if result.features is not None:
        return result.features, "extra-trees feature score (EMA Workbench)"
    settings = result.settings
    return (rank_correlations(x, leads, settings["focus"], settings["metrics"]),
            f"|Spearman correlation| with '{settings['focus']} leads' (EMA Workbench missing)")


def _write(result: MapResult, design: Experiment, x: pd.DataFrame, leads: pd.DataFrame,
           ends: pd.DataFrame) -> None:
    out, settings = result.out, result.settings
    files = {}
    for name, frame in (("points", result.points), ("shares", result.shares),
                        ("boxes", result.boxes), ("features", result.features)):
        if frame is not None:
            path = out / f"map_{name}.csv"
            storage.write_atomic(path, frame.to_csv(index=False))
            files[name] = str(path)
    ranking, ranking_kind = _ranking(result, x, leads)
    files["shares_figure"] = str(save_png(share_figure(result.shares, settings), out / "map_shares.png",
                                          tight=False))
    figure = probability_figure(x, leads, ranking, settings, ranking_kind)
    if figure is not None:
        files["probability_figure"] = str(save_png(figure, out / "map_lead_probability.png",
                                                   tight=False))
    result.files = files
    result.report = _report(result, design, ranking, ranking_kind, ends)
    path = out / "map.md"
    storage.write_atomic(path, result.report + "\n")
    files["report"] = str(path)


def shares_table(shares: pd.DataFrame, regimes: list[str]) -> str:
    """Markdown: per metric, each regime's share of points where it leads (95% CI) and clearly."""
    rows = []
    for metric, part in shares.groupby("metric", sort=False):
        part = part.set_index("regime")
        cells = []
        for regime in regimes:
            row = part.loc[regime]
            cells += [f"{row['share']:.0%} ({row['ci_low']:.0%}-{row['ci_high']:.0%})",
                      f"{row['clear_share']:.0%}"]
        ties = part.loc["tie", "share"] if "tie" in part.index else 0.0
        rows.append([_label(metric), *cells, f"{ties:.0%}"])
    head = ["metric", *(h for r in regimes for h in (f"{r} leads (95% CI)", "clearly")), "ties"]
    return "\n".join(markdown_table(head, rows))


def _report(result: MapResult, design: Experiment, ranking: pd.DataFrame, ranking_kind: str,
            ends: pd.DataFrame) -> str:
    settings = result.settings
    regimes, focus = settings["regimes"], settings["focus"]
    n_citizens = design.params_for(regimes[0], 0).n_citizens
    first = end_window(design.steps, design.analysis["end_share"])
    complete = result.shares.groupby("metric", sort=False)["points"].first()
    lines = [f"# Where each regime leads: {design.name}", ""]
    if design.description:
        lines += [design.description, ""]
    lines += [
        f"{settings['samples']} points of a Latin hypercube over {len(settings['ranges'])} "
        f"parameters; at each point {', '.join(regimes)} run with the same {design.replications} "
        f"seed{'s' if design.replications > 1 else ''} (common random numbers); {n_citizens} "
        f"citizens, {design.steps} weeks; a run's value is its mean over weeks {first}-"
        f"{design.steps}. Points with every run finished: {int(complete.min())}"
        + (f"-{int(complete.max())}" if complete.min() != complete.max() else "")
        + f" of {settings['samples']}.", "",
        "A regime *leads* at a point when its mean over the paired seeds is the best of the "
        "regimes; it leads *clearly* when it is the best with every seed. Shares are of the "
        "sampled points, i.e. of the plausible parameter space (each parameter uniform over its "
        "range); 95% Wilson intervals.", "",
        shares_table(result.shares, regimes), ""]
    if result.failed:
        lines += [f"{result.failed} runs failed (tracebacks in {result.out}/failures/); their "
                  "points are left out.", ""]
    lines += [f"## Where {focus} leads, and where it does not (PRIM)", ""]
    if result.boxes is None:
        lines += [f"Not computed: {result.missing_extra}.", ""]
    else:
        if result.small_sample:
            lines += [f"**Small sample**: {result.small_sample}.", ""]
        lines += ["PRIM (Friedman and Fisher 1999) as used in scenario discovery (Bryant and "
                  "Lempert 2010), from the EMA Workbench (Kwakkel 2017), over each metric's "
                  f"{settings['prim_dims']} highest-scoring uncertainties (next section). Of each "
                  f"peeling trajectory, the densest box holding at least {settings['min_coverage']:.0%} of "
                  "the points of interest; limits with a quasi-p value of 0.05 or more are "
                  "dropped. Density: share of the box's points where the case holds (95% CI); "
                  "coverage: share of all such points that the box holds; mass: share of the "
                  "sampled space in the box.", ""]
        for metric in settings["main_metrics"]:
            part = result.boxes[result.boxes["metric"] == metric]
            if part.empty:
                continue
            lines += [f"### {_label(metric)}", ""]
            for _, box in part.drop_duplicates("case").iterrows():
                lines.append(f"- {box['sentence']}")
            limits = part[part["parameter"] != ""]
            if len(limits):
                lines += ["", *markdown_table(
                    ["case", "parameter", "low", "high", "quasi-p"],
                    [[row["case"], row["parameter"], "" if pd.isna(row["low"]) else fmt(row["low"]),
                      "" if pd.isna(row["high"]) else fmt(row["high"]), f"{row['qp']:.2g}"]
                     for _, row in limits.iterrows()])]
            lines.append("")
    lines += ["## Which uncertainties decide the winner", "",
              f"Top five per metric by {ranking_kind}"
              + (" (Jaxa-Rozen and Kwakkel 2018): the scores of one metric sum to 1, so an "
                 f"uncertainty that told nothing would score about 1/{len(settings['ranges'])} = "
                 f"{1 / len(settings['ranges']):.3f}."
                 if result.features is not None else "."), ""]
    if result.features is None and result.missing_extra:
        lines += [f"Feature scoring not computed: {result.missing_extra}.", ""]
    rows = []
    for metric in settings["metrics"]:
        top = ranking[ranking["metric"] == metric].head(5)
        if len(top):
            cells = [f"{r['parameter']} {r['score']:.2f}" for _, r in top.iterrows()]
            rows.append([metric, *cells, *[""] * (5 - len(cells))])
    lines += [*markdown_table(["metric", "1", "2", "3", "4", "5"], rows), ""]
    left = {k: v for k, v in settings["left_out"].items() if v}
    if left:
        lines += ["Not sampled: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in left.items()) + ".", ""]
    lines += ["Figures: `map_shares.png` (share of the space where each regime leads) and "
              "`map_lead_probability.png` (kernel-smoothed probability that "
              f"{focus} leads against the two most important uncertainties of each main metric, "
              "averaged over every other parameter; dots are the sampled points, coloured by "
              "the leader). Tables: `map_points.csv`, `map_shares.csv`, `map_boxes.csv`, "
              "`map_features.csv`.", ""]
    return "\n".join(lines).rstrip()


def _new_figure(figsize):
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def draw_shares(ax, shares: pd.DataFrame, regimes: list[str], metrics: list[str],
                fontsize: float = 8) -> None:
    """Grouped bars: per metric, each regime's share of points where it leads (light, 95% CI)
    and where it leads clearly (dark)."""
    height = 0.8 / len(regimes)
    y0 = np.arange(len(metrics))[::-1].astype(float)
    for j, regime in enumerate(regimes):
        part = shares[shares["regime"] == regime].set_index("metric").reindex(metrics)
        y = y0 + 0.4 - height * (j + 0.5)
        colour = _colour(regime, regimes)
        error = np.array([part["share"] - part["ci_low"], part["ci_high"] - part["share"]])
        ax.barh(y, part["share"], height, color=colour, alpha=0.35, xerr=error,
                error_kw={"elinewidth": 0.8, "capsize": 1.5}, label=f"{regime} leads")
        ax.barh(y, part["clear_share"], height, color=colour, alpha=0.95,
                label=f"{regime} leads clearly")
    ax.set_yticks(y0, [m.replace("_", " ") + (" (low)" if METRIC_INFO[m].better < 0 else "")
                       for m in metrics], fontsize=fontsize)
    ax.set_xlim(0, 1)
    ax.axvline(1 / len(regimes), color="k", lw=0.6, ls=":")
    ax.set_xlabel("share of the sampled parameter space", fontsize=fontsize)
    ax.tick_params(axis="x", labelsize=fontsize)
    ax.legend(fontsize=fontsize - 1.5, loc="upper center", bbox_to_anchor=(0.5, -0.13),
              ncol=len(regimes), frameon=False)


def share_figure(shares: pd.DataFrame, settings: dict):
    metrics, regimes = settings["metrics"], settings["regimes"]
    figure = _new_figure((7.5, 0.22 * len(metrics) * len(regimes) + 1.8))
    ax = figure.subplots()
    draw_shares(ax, shares, regimes, metrics)
    ax.set_title("Who leads where: share of the sampled points (light: leads, 95% CI; dark: "
                 "clearly, with every seed)", fontsize=9)
    return figure


def smoothed_probability(u: np.ndarray, v: np.ndarray, y: np.ndarray, grid: int = 60,
                         bandwidth: float = SMOOTHING) -> np.ndarray:
    """Nadaraya-Watson estimate of P(y) on a grid over [0, 1]^2 (Gaussian kernel)."""
    g = (np.arange(grid) + 0.5) / grid
    gu, gv = np.meshgrid(g, g)
    d2 = (gu[..., None] - u) ** 2 + (gv[..., None] - v) ** 2
    w = np.exp(-d2 / (2 * bandwidth**2))
    return (w * y).sum(axis=-1) / w.sum(axis=-1)


def draw_probability(ax, x: pd.DataFrame, part: pd.DataFrame, pair: tuple[str, str], focus: str,
                     regimes: list[str], ranges: dict, fontsize: float = 8):
    """P(focus leads) against two parameters, smoothed, with the points coloured by leader."""
    (a, b) = pair
    (alo, ahi), (blo, bhi) = ranges[a], ranges[b]
    xa = x.loc[part.index, a].to_numpy(dtype=float)
    xb = x.loc[part.index, b].to_numpy(dtype=float)
    wins = (part["leader"] == focus).to_numpy(dtype=float)
    surface = smoothed_probability((xa - alo) / (ahi - alo), (xb - blo) / (bhi - blo), wins)
    image = ax.imshow(surface, origin="lower", extent=(alo, ahi, blo, bhi), aspect="auto",
                      cmap="PuOr", vmin=0, vmax=1, interpolation="bilinear")
    levels = [0.5] if surface.min() < 0.5 < surface.max() else []
    if levels:
        ax.contour(np.linspace(alo, ahi, surface.shape[1]), np.linspace(blo, bhi, surface.shape[0]),
                   surface, levels=levels, colors="k", linewidths=0.8)
    for regime in [*regimes, "tie"]:
        mine = (part["leader"] == regime).to_numpy()
        if mine.any():
            ax.scatter(xa[mine], xb[mine], s=14, color=_colour(regime, regimes), edgecolors="black",
                       linewidths=0.4, label=regime)
    ax.set_xlim(alo, ahi)
    ax.set_ylim(blo, bhi)
    ax.set_xlabel(a, fontsize=fontsize)
    ax.set_ylabel(b, fontsize=fontsize)
    ax.tick_params(labelsize=fontsize - 1)
    return image


def probability_figure(x: pd.DataFrame, leads: pd.DataFrame, ranking: pd.DataFrame,
                       settings: dict, ranking_kind: str):
    metrics = [m for m in settings["main_metrics"]
               if len(ranking[ranking["metric"] == m]) >= 2]
    if not metrics:
        return None
    columns = min(2, len(metrics))
    rows = math.ceil(len(metrics) / columns)
    figure = _new_figure((5.2 * columns, 4.1 * rows))
    axes = np.atleast_1d(figure.subplots(rows, columns, squeeze=False)).ravel()
    image = None
    for ax, metric in zip(axes, metrics, strict=False):
        part = leads[leads["metric"] == metric].set_index("point")
        pair = tuple(ranking[ranking["metric"] == metric]["parameter"].head(2))
        image = draw_probability(ax, x, part, pair, settings["focus"], settings["regimes"],
                                 settings["ranges"])
        ax.set_title(f"{_label(metric)}: P({settings['focus']} leads)", fontsize=9)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7, loc="upper right", framealpha=0.8, title="leader", title_fontsize=7)
    figure.colorbar(image, ax=list(axes[:len(metrics)]), shrink=0.8,
                    label=f"probability that {settings['focus']} leads (smoothed)")
    figure.suptitle(f"Axes: the two most important uncertainties of each metric by {ranking_kind};"
                    " averaged over every other parameter", fontsize=8)
    return figure


def headline_figure(result: MapResult, path: str | Path, metric: str | None = None) -> Path:
    """A small two-panel figure (the README's): the share chart, and P(focus leads) on one metric
    against its two most important uncertainties."""
    settings = result.settings
    metric = metric or settings["main_metrics"][0]
    x = result.points.set_index("point")[list(settings["ranges"])]
    leads = result.points.set_index("point")[[f"{metric}:leader"]].rename(
        columns={f"{metric}:leader": "leader"}).dropna()
    ranking = result.features if result.features is not None else rank_correlations(
        x, leads.assign(metric=metric).reset_index(), settings["focus"], [metric])
    pair = tuple(ranking[ranking["metric"] == metric]["parameter"].head(2))
    figure = _new_figure((12.5, 5.0))
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.05, 1]})
    draw_shares(left, result.shares, settings["regimes"], settings["metrics"], fontsize=8.5)
    left.set_title("Share of the plausible space where each regime leads\n"
                   "(light: leads, 95% CI; dark: leads with every seed)", fontsize=9.5)
    image = draw_probability(right, x, leads, pair, settings["focus"], settings["regimes"],
                             settings["ranges"], fontsize=8.5)
    right.set_title(f"{metric.replace('_', ' ')}: probability that {settings['focus']} leads\n"
                    "(smoothed; averaged over every other parameter)", fontsize=9.5)
    right.legend(fontsize=7, loc="upper right", framealpha=0.8, title="leader", title_fontsize=7)
    figure.colorbar(image, ax=right, label=f"P({settings['focus']} leads)")
    n_points = result.points[f"{metric}:leader"].notna().sum()
    figure.suptitle(f"{n_points} points of a Latin hypercube over {len(settings['ranges'])} "
                    "plausible ranges, regimes paired by seed", fontsize=10)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_png(figure, path, tight=False)
