"""Global sensitivity analysis with SALib: Morris screening (default) or Sobol indices.

The experiment file names the parameters and their ranges in a ``[sensitivity]`` table::

    [sensitivity]
    method = "morris"              # or "sobol"; --method overrides
    metric = "mean_wellbeing"      # --metric overrides
    difference = ["coproduction", "npm"]   # optional: explain scenario A minus B (paired seeds)
    trajectories = 10              # Morris: number of trajectories (runs: trajectories x (k + 1))
    levels = 4                     # Morris: grid levels
    samples = 64                   # Sobol: base sample N, a power of 2 (runs: N x (k + 2))
    second_order = false           # Sobol: also the pairs' second-order indices S2
                                   # (runs: N x (2k + 2); Saltelli 2002)
    [sensitivity.ranges]
    outreach_share = [0.0, 0.6]    # checked against the parameter's allowed range

Each sample point is run for every scenario of the file and every replication (the same seeds
everywhere, so a difference between scenarios is paired). The output explained is the run's end
value (mean over the last ``end_share`` of steps, see ``experiments.analysis``), averaged over
replications. Integer parameters are rounded when run; SALib analyses the unrounded design.
Results go to ``results/<experiment>/sensitivity_<method>/`` and are resumable like a sweep.

Precision warnings: an index whose 95% CI half-width is as large as the index itself (the interval
reaches 0) cannot be told from zero at this sample size. Each one is named in the table (printed by
``coprosim sensitivity`` and written to its markdown) with the sample size that would bring the
half-width below the index: the half-width shrinks as 1/sqrt(N) (Saltelli et al. 2010; Morris
1991 for trajectories), so N_needed = N x (half-width / index)^2, for Sobol rounded up to a power
of 2 (Sobol' sequences need one), with the number of runs that would take. The CSV holds the same
numbers (``S1_N_needed``, ``ST_N_needed``; ``mu_star_trajectories_needed``).
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from coprosim._extras import require

from . import storage
from .design import Experiment, check_points
from .runner import run_experiment
from .schema import ExperimentError, boolean, integer, only, parameter_ranges, typed
from .schema import table as table_
from .tables import markdown_table

KEYS = ("method", "metric", "difference", "trajectories", "levels", "samples", "second_order",
        "ranges")


def sensitivity_settings(experiment: Experiment, method: str | None, metric: str | None,
                         difference: list[str] | None) -> dict:
    """The [sensitivity] table validated, with command-line choices taking precedence."""
    where = experiment.path
    table = experiment.sensitivity
    if table is None:
        raise ExperimentError(f"{where}: sensitivity: missing; add a [sensitivity] table with "
                              "ranges = { name = [low, high], ... }")
    only(where, "sensitivity", table_(where, "sensitivity", table), KEYS)
    method = method or table.get("method", "morris")
    if method not in ("morris", "sobol"):
        raise ExperimentError(f"{where}: sensitivity.method: must be morris or sobol, got {method!r}")
    metric = metric or table.get("metric", experiment.metrics[0])
    if metric not in experiment.metrics:
        raise ExperimentError(f"{where}: sensitivity.metric: unknown metric {metric!r}; allowed: "
                              f"{', '.join(experiment.metrics)}")
    difference = list(difference) if difference else table.get("difference")
    if difference is not None:
        ok = (isinstance(difference, list) and len(difference) == 2
              and all(s in experiment.scenarios for s in difference) and difference[0] != difference[1])
        if not ok:
            raise ExperimentError(f"{where}: sensitivity.difference: must name two different "
                                  f"scenarios of the file ({', '.join(experiment.scenarios)}), "
                                  f"got {difference!r}")
    ranges = parameter_ranges(where, "sensitivity.ranges", table.get("ranges", {}) or {})
    if not ranges:
        raise ExperimentError(f"{where}: sensitivity.ranges: empty; give name = [low, high] pairs")
    trajectories = integer(where, "sensitivity.trajectories", table.get("trajectories", 10), 2, 10_000)
    levels = integer(where, "sensitivity.levels", table.get("levels", 4), 2, 100)
    samples = integer(where, "sensitivity.samples", table.get("samples", 64), 2, 1_048_576)
    if method == "sobol" and samples & (samples - 1):
        raise ExperimentError(f"{where}: sensitivity.samples: must be a power of 2 for Sobol, got {samples}")
    second_order = boolean(where, "sensitivity.second_order", table.get("second_order", False))
    return {"method": method, "metric": metric, "difference": difference, "ranges": ranges,
            "trajectories": trajectories, "levels": levels, "samples": samples,
            "second_order": second_order and method == "sobol"}


def design_points(experiment: Experiment, settings: dict) -> tuple[dict, np.ndarray]:
    """The SALib problem and its sample matrix (seeded by the experiment seed)."""
    names = list(settings["ranges"])
    problem = {"num_vars": len(names), "names": names,
               "bounds": [list(settings["ranges"][n]) for n in names]}
    if settings["method"] == "morris":
        from SALib.sample import morris

        x = morris.sample(problem, settings["trajectories"], num_levels=settings["levels"],
                          seed=experiment.seed)
    else:
        from SALib.sample import sobol

        x = sobol.sample(problem, settings["samples"],
                         calc_second_order=settings.get("second_order", False), seed=experiment.seed)
    return problem, x


def default_out(experiment: Experiment, settings: dict) -> Path:
    """Where a sensitivity run writes when no folder is given: one folder per method."""
    return Path("results") / experiment.name / f"sensitivity_{settings['method']}"


def run_sensitivity(experiment: Experiment, method: str | None = None, metric: str | None = None,
                    difference: list[str] | None = None, out: str | Path | None = None,
                    workers: int | None = None, force: bool = False, dask: str | None = None,
                    progress: bool | None = None, **executor) -> pd.DataFrame:
    """Run the sensitivity design (resumable) and compute the indices.

    Returns:
        One row per parameter (and per scenario, when no ``difference`` is asked): Morris
        ``mu``, ``mu_star``, ``mu_star_conf``, ``sigma``; Sobol ``S1``, ``S1_conf``, ``ST``,
        ``ST_conf`` (95% bootstrap intervals), and ``target`` (the metric and scenario, or the
        difference, explained). ``attrs``: ``table`` (markdown), ``csv``, ``figure``, ``failed``,
        ``warnings``; with ``second_order``, ``S2``: one row per target and pair of parameters
        (``parameter``, ``with``, ``S2``, ``S2_conf``, ``target``), also written to
        ``indices_<label>_S2.csv``.
    """
    require("analysis", "SALib", "coprosim sensitivity (SALib)")
    settings = sensitivity_settings(experiment, method, metric, difference)
    problem, x = design_points(experiment, settings)
    design = _design_experiment(experiment, settings, x)
    out = Path(out) if out is not None else default_out(experiment, settings)
    runs = run_experiment(design, out=out, workers=workers, force=force, dask=dask, progress=progress,
                          **executor)
    frames, pair_frames = [], []
    for target, y in _outputs(design, out, settings, len(x)).items():
        first, second = _analyse(problem, x, y, settings, experiment.seed)
        frames.append(first.assign(target=target))
        if second is not None:
            pair_frames.append(second.assign(target=target))
    indices = pd.concat(frames, ignore_index=True)
    pairs = pd.concat(pair_frames, ignore_index=True) if pair_frames else None
    runs_per_point = len(design.scenarios) * design.replications
    notes = precision_warnings(indices, settings, runs_per_point)
    label = _label(settings)
    csv = out / f"indices_{label}.csv"
    indices.to_csv(csv, index=False)
    table = _markdown(indices, settings, notes)
    if pairs is not None:
        pairs.to_csv(out / f"indices_{label}_S2.csv", index=False)
        table += "\n\n" + _pairs_markdown(pairs)
    storage.write_atomic(out / f"indices_{label}.md", table + "\n")
    figure = _plot(indices, settings, out / f"indices_{label}.png")
    indices.attrs.update(table=table, csv=str(csv), figure=str(figure), failed=runs.attrs["failed"],
                         warnings=[w for ws in notes.values() for w in ws])
    if pairs is not None:
        indices.attrs["S2"] = pairs
    return indices


def _design_experiment(experiment: Experiment, settings: dict, x: np.ndarray) -> Experiment:
    names = list(settings["ranges"])
    points = tuple({n: typed(n, v) for n, v in zip(names, row, strict=True)} for row in x)
    size = settings["trajectories"] if settings["method"] == "morris" else settings["samples"]
    tag = f"sensitivity:{settings['method']}:{size}:{settings['levels']}"
    if settings.get("second_order"):
        tag += ":second_order"
    design = replace(experiment, axes=tuple(names), points=points, tag=tag)
    check_points(design, lambda scenario, point: "sensitivity.ranges")
    return design


def _outputs(design: Experiment, out: Path, settings: dict, n_points: int) -> dict[str, np.ndarray]:
    """Y per target: each point's end value averaged over replications (or the paired difference)."""
    from .statistics import end_table

    metric = settings["metric"]
    ends = end_table(design, out, [metric])
    expected = len(design.scenarios) * n_points * design.replications
    if len(ends) < expected:
        raise ExperimentError(f"{out}: {expected - len(ends)} of {expected} runs missing or failed "
                              f"(see {out}/failures/); rerun the same command to retry them")
    wide = ends.pivot_table(index=["point", "replication"], columns="scenario", values=metric)
    if settings["difference"]:
        a, b = settings["difference"]
        paired = (wide[a] - wide[b]).groupby(level="point").mean()
        return {f"{metric}: {a} - {b}": paired.reindex(range(n_points)).to_numpy()}
    means = wide.groupby(level="point").mean()
    return {f"{metric}: {s}": means[s].reindex(range(n_points)).to_numpy() for s in design.scenarios}


def _analyse(problem: dict, x: np.ndarray, y: np.ndarray, settings: dict,
             seed: int) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """One target's indices (a row per parameter) and, with ``second_order``, its S2 table (a row
    per pair of parameters; else None)."""
    if settings["method"] == "morris":
        from SALib.analyze import morris

        result = morris.analyze(problem, x, y, conf_level=0.95, num_levels=settings["levels"],
                                seed=seed)
        columns = ["mu", "mu_star", "mu_star_conf", "sigma"]
    else:
        from SALib.analyze import sobol

        second = bool(settings.get("second_order"))
        result = sobol.analyze(problem, y, calc_second_order=second, conf_level=0.95, seed=seed)
        columns = ["S1", "S1_conf", "ST", "ST_conf"]
    frame = pd.DataFrame({"parameter": problem["names"],
                          **{c: np.asarray(result[c], dtype=float) for c in columns}})
    if not (settings["method"] == "sobol" and settings.get("second_order")):
        return frame, None
    names = problem["names"]
    s2, s2_conf = np.asarray(result["S2"], float), np.asarray(result["S2_conf"], float)
    pairs = pd.DataFrame(
        [{"parameter": names[i], "with": names[j], "S2": s2[i, j], "S2_conf": s2_conf[i, j]}
         for i in range(len(names)) for j in range(i + 1, len(names))])
    return frame, pairs


def _pairs_markdown(pairs: pd.DataFrame, top: int = 10) -> str:
    """Second-order indices of each target: the pairs whose 95% CI stays above 0, else the
    largest, with a warning."""
    lines = ["## Sobol second-order indices S2 (interaction of two parameters), +- 95% CI half-width"]
    for target, part in pairs.groupby("target", sort=False):
        part = part.assign(clear=part["S2"] - part["S2_conf"] > 0)
        clear = part[part["clear"]].sort_values("S2", ascending=False)
        shown = clear if len(clear) else part.sort_values("S2", ascending=False).head(top)
        lines += ["", f"### {target}", "", *markdown_table(
            ["parameter", "with", "S2", "S2_conf"],
            [[r["parameter"], r["with"], f"{r['S2']:.4g}", f"{r['S2_conf']:.4g}"]
             for _, r in shown.iterrows()]), ""]
        lines.append(f"{len(clear)} of {len(part)} pairs have a 95% CI above 0."
                     + ("" if len(clear) else f" WARNING: no interaction can be told from zero at "
                        f"this sample size; the {len(shown)} largest estimates are shown, not to be "
                        f"read as effects."))
    return "\n".join(lines)


def _label(settings: dict) -> str:
    if settings["difference"]:
        return f"{settings['metric']}__{settings['difference'][0]}_minus_{settings['difference'][1]}"
    return settings["metric"]


def _power_of_two_above(value: float) -> int:
    """The smallest power of 2 strictly above ``value``."""
    n = _power_of_two_from(value)
    return n * 2 if n <= value else n


def _power_of_two_from(value: float) -> int:
    """The smallest power of 2 at least ``value``."""
    return 1 << max(0, math.ceil(math.log2(value)))


def precision_warnings(indices: pd.DataFrame, settings: dict, runs_per_point: int) -> dict[str, list[str]]:
    """Warnings for indices whose 95% CI half-width is at least the index; adds N_needed columns.

    Sobol: N_needed = N x (half-width / index)^2 rounded up to a power of 2 (above N), as the
    half-width shrinks as 1/sqrt(N); runs = N_needed x (k + 2) x ``runs_per_point`` (scenarios x
    replications). An index of zero or below cannot be told from zero at any N: the warning says
    which N would bring the half-width to 0.05 instead. Morris: the same for the number of
    trajectories r (runs = r x (k + 1) x ``runs_per_point``), for mu_star.

    Returns:
        Warnings per target (one line each); ``indices`` gains ``S1_N_needed`` and
        ``ST_N_needed`` (Sobol) or ``mu_star_trajectories_needed`` (Morris), NaN where fine.
    """
    k = len(settings["ranges"])
    notes: dict[str, list[str]] = {}
    if settings["method"] == "sobol":
        size, pairs = settings["samples"], (("S1", "S1_conf"), ("ST", "ST_conf"))
        per = 2 * k + 2 if settings.get("second_order") else k + 2
        unit, rounding, at_least = "N", _power_of_two_above, _power_of_two_from
    else:
        size, pairs, per = settings["trajectories"], (("mu_star", "mu_star_conf"),), k + 1
        unit, rounding = "trajectories", lambda v: max(math.ceil(v - 1e-9), size + 1)
        at_least = lambda v: max(math.ceil(v - 1e-9), size)  # noqa: E731
    for index, conf in pairs:
        column = f"{index}_N_needed" if settings["method"] == "sobol" else f"{index}_trajectories_needed"
        needed = []
        for _, row in indices.iterrows():
            value, half = float(row[index]), float(row[conf])
            if not (math.isfinite(value) and math.isfinite(half)) or half <= 0 or value - half > 0:
                needed.append(math.nan)
                continue
            name = f"{index} of {row['parameter']} ({row['target']})"
            if value > 0:
                n = rounding(size * (half / value) ** 2)
                needed.append(n)
                notes.setdefault(row["target"], []).append(
                    f"WARNING {name}: {value:.3g} +- {half:.3g}, the 95% CI reaches 0: at {unit} = "
                    f"{size} it cannot be told from zero. {unit} = {n:,} would bring the CI below "
                    f"the index (half-width ~ 1/sqrt({unit})): {n * per * runs_per_point:,} runs.")
            else:
                n = at_least(size * (half / 0.05) ** 2) if half > 0.05 else size
                needed.append(math.nan)
                notes.setdefault(row["target"], []).append(
                    f"WARNING {name}: {value:.3g} +- {half:.3g}, the estimate is not above zero: "
                    f"at {unit} = {size} it cannot be told from zero, and no {unit} can be "
                    f"worked out from it; {unit} = {n:,} would narrow the CI to +-0.05 "
                    f"({n * per * runs_per_point:,} runs).")
        indices[column] = needed
    return notes


def _markdown(indices: pd.DataFrame, settings: dict, notes: dict[str, list[str]] | None = None) -> str:
    if settings["method"] == "morris":
        title = ("Morris screening: mu_star (mean absolute elementary effect), mu_star_conf (its 95% CI "
                 "half-width), sigma (interactions or non-linearity)")
        cell = ("mu_star", "mu_star_conf", "sigma")
    else:
        title = "Sobol indices: first order S1 and total ST, each +- 95% CI half-width"
        cell = ("S1", "S1_conf", "ST", "ST_conf")
    lines = [f"## {title}", ""]
    for target, part in indices.groupby("target", sort=False):
        order = part.sort_values(cell[0] if settings["method"] == "morris" else "ST", ascending=False)
        lines += [f"### {target}", "", *markdown_table(
            ["parameter", *cell],
            [[row["parameter"], *(f"{row[c]:.4g}" for c in cell)] for _, row in order.iterrows()]), ""]
        for note in (notes or {}).get(target, []):
            lines += [note, ""]
    return "\n".join(lines).rstrip()


def _plot(indices: pd.DataFrame, settings: dict, path: Path) -> Path:
    from .figures import FigureMaker, save_png

    plt = FigureMaker()

    targets = list(dict.fromkeys(indices["target"]))
    figure, axes = plt.subplots(1, len(targets), figsize=(5.5 * len(targets), 0.4 * indices["parameter"].nunique() + 1.8),
                                squeeze=False)
    for ax, target in zip(axes.flat, targets, strict=True):
        part = indices[indices["target"] == target]
        y = np.arange(len(part))
        if settings["method"] == "morris":
            ax.barh(y, part["mu_star"], xerr=part["mu_star_conf"], color="tab:blue", alpha=0.7,
                    label="mu*")
            ax.scatter(part["sigma"], y, color="tab:red", zorder=3, label="sigma")
        else:
            ax.barh(y - 0.2, part["S1"], 0.4, xerr=part["S1_conf"], label="S1", alpha=0.7)
            ax.barh(y + 0.2, part["ST"], 0.4, xerr=part["ST_conf"], label="ST", alpha=0.7)
        ax.set_yticks(y, part["parameter"], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(target, fontsize=9)
        ax.legend(fontsize=7)
    figure.tight_layout()
    return save_png(figure, path, tight=False)
