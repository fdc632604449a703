"""Global sensitivity analysis with SALib: Morris screening (default) or Sobol indices.

The experiment file names the parameters and their ranges in a ``[sensitivity]`` table::

    [sensitivity]
    method = "morris"              # or "sobol"; --method overrides
    metric = "mean_wellbeing"      # --metric overrides
    difference = ["coproduction", "npm"]   # optional: explain scenario A minus B (paired seeds)
    trajectories = 10              # Morris: number of trajectories (runs: trajectories x (k + 1))
    levels = 4                     # Morris: grid levels
    samples = 64                   # Sobol: base sample N, a power of 2 (runs: N x (k + 2))
    [sensitivity.ranges]
    outreach_share = [0.0, 0.6]    # checked against the parameter's allowed range

Each sample point is run for every scenario of the file and every replication (the same seeds
everywhere, so a difference between scenarios is paired). The output explained is the run's end
value (mean over the last ``end_share`` of steps, see ``experiments.analysis``), averaged over
replications. Integer parameters are rounded when run; SALib analyses the unrounded design.
Results go to ``results/<experiment>/sensitivity_<method>/`` and are resumable like a sweep.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from coprosim.model import ParameterError

from coprosim._extras import require

from . import storage
from .design import Experiment, ExperimentError, parameter_ranges, typed
from .runner import run_experiment

KEYS = ("method", "metric", "difference", "trajectories", "levels", "samples", "ranges")


def sensitivity_settings(experiment: Experiment, method: str | None, metric: str | None,
                         difference: list[str] | None) -> dict:
    """The [sensitivity] table validated, with command-line choices taking precedence."""
    where = experiment.path
    table = experiment.sensitivity
    if table is None:
        raise ExperimentError(f"{where}: sensitivity: missing; add a [sensitivity] table with "
                              "ranges = {{ name = [low, high], ... }}")
    if not isinstance(table, dict):
        raise ExperimentError(f"{where}: sensitivity: must be a table, got {table!r}")
    for key in table:
        if key not in KEYS:
            raise ExperimentError(f"{where}: sensitivity.{key}: unknown key; allowed: {', '.join(KEYS)}")
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
    trajectories = _count(where, "trajectories", table.get("trajectories", 10), 2, 10_000)
    levels = _count(where, "levels", table.get("levels", 4), 2, 100)
    samples = _count(where, "samples", table.get("samples", 64), 2, 1_048_576)
    if method == "sobol" and samples & (samples - 1):
        raise ExperimentError(f"{where}: sensitivity.samples: must be a power of 2 for Sobol, got {samples}")
    return {"method": method, "metric": metric, "difference": difference, "ranges": ranges,
            "trajectories": trajectories, "levels": levels, "samples": samples}


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

        x = sobol.sample(problem, settings["samples"], calc_second_order=False,
                         seed=experiment.seed)
    return problem, x


def run_sensitivity(experiment: Experiment, method: str | None = None, metric: str | None = None,
                    difference: list[str] | None = None, out: str | Path | None = None,
                    workers: int | None = None, force: bool = False, dask: str | None = None,
                    progress: bool | None = None, **executor) -> pd.DataFrame:
    """Run the sensitivity design (resumable) and compute the indices.

    Returns:
        One row per parameter (and per scenario, when no ``difference`` is asked): Morris
        ``mu``, ``mu_star``, ``mu_star_conf``, ``sigma``; Sobol ``S1``, ``S1_conf``, ``ST``,
        ``ST_conf`` (95% bootstrap intervals). ``attrs``: ``table`` (markdown), ``csv``,
        ``figure``, ``failed``.
    """
    require("analysis", "SALib", "coprosim sensitivity (SALib)")
    settings = sensitivity_settings(experiment, method, metric, difference)
    problem, x = design_points(experiment, settings)
    design = _design_experiment(experiment, settings, x)
    out = Path(out) if out is not None else Path("results") / experiment.name / f"sensitivity_{settings['method']}"
    runs = run_experiment(design, out=out, workers=workers, force=force, dask=dask, progress=progress,
                          **executor)
    y_by_target = _outputs(design, out, settings, len(x))
    frames = [_analyse(problem, x, y, settings, experiment.seed).assign(target=target)
              for target, y in y_by_target.items()]
    indices = pd.concat(frames, ignore_index=True)
    label = _label(settings)
    csv = out / f"indices_{label}.csv"
    indices.to_csv(csv, index=False)
    table = _markdown(indices, settings)
    storage.write_atomic(out / f"indices_{label}.md", table + "\n")
    figure = _plot(indices, settings, out / f"indices_{label}.png")
    indices.attrs.update(table=table, csv=str(csv), figure=str(figure), failed=runs.attrs["failed"])
    return indices


def _design_experiment(experiment: Experiment, settings: dict, x: np.ndarray) -> Experiment:
    names = list(settings["ranges"])
    points = tuple({n: typed(n, v) for n, v in zip(names, row, strict=True)} for row in x)
    size = settings["trajectories"] if settings["method"] == "morris" else settings["samples"]
    tag = f"sensitivity:{settings['method']}:{size}:{settings['levels']}"
    design = replace(experiment, axes=tuple(names), points=points, tag=tag)
    for scenario in design.scenarios:
        for i in range(len(points)):
            try:
                design.params_for(scenario, i)
            except ParameterError as exc:
                raise ExperimentError(f"{experiment.path}: sensitivity.ranges: {exc}") from None
    return design


def _outputs(design: Experiment, out: Path, settings: dict, n_points: int) -> dict[str, np.ndarray]:
    """Y per target: each point's end value averaged over replications (or the paired difference)."""
    from .analysis import end_values

    metric = settings["metric"]
    frame = storage.load_results(out, "metrics",
                                 columns=["scenario", "point", "replication", "seed", "step", metric])
    expected = len(design.scenarios) * n_points * design.replications
    runs_found = frame[["scenario", "point", "replication"]].drop_duplicates().shape[0] if len(frame) else 0
    if runs_found < expected:
        raise ExperimentError(f"{out}: {expected - runs_found} of {expected} runs missing or failed "
                              f"(see {out}/failures/); rerun the same command to retry them")
    frame["condition"] = frame["scenario"]
    ends = end_values(frame, [metric], design.steps, design.analysis["end_share"])
    wide = ends.pivot_table(index=["point", "replication"], columns="scenario", values=metric)
    if settings["difference"]:
        a, b = settings["difference"]
        paired = (wide[a] - wide[b]).groupby(level="point").mean()
        return {f"{metric}: {a} - {b}": paired.reindex(range(n_points)).to_numpy()}
    means = wide.groupby(level="point").mean()
    return {f"{metric}: {s}": means[s].reindex(range(n_points)).to_numpy() for s in design.scenarios}


def _analyse(problem: dict, x: np.ndarray, y: np.ndarray, settings: dict, seed: int) -> pd.DataFrame:
    if settings["method"] == "morris":
        from SALib.analyze import morris

        result = morris.analyze(problem, x, y, conf_level=0.95, num_levels=settings["levels"],
                                seed=seed)
        columns = ["mu", "mu_star", "mu_star_conf", "sigma"]
    else:
        from SALib.analyze import sobol

        result = sobol.analyze(problem, y, calc_second_order=False, conf_level=0.95, seed=seed)
        columns = ["S1", "S1_conf", "ST", "ST_conf"]
    frame = pd.DataFrame({"parameter": problem["names"],
                          **{c: np.asarray(result[c], dtype=float) for c in columns}})
    return frame


def _label(settings: dict) -> str:
    if settings["difference"]:
        return f"{settings['metric']}__{settings['difference'][0]}_minus_{settings['difference'][1]}"
    return settings["metric"]


def _markdown(indices: pd.DataFrame, settings: dict) -> str:
    if settings["method"] == "morris":
        title = ("Morris screening: mu_star (mean absolute elementary effect), mu_star_conf (its 95% CI "
                 "half-width), sigma (interactions or non-linearity)")
        cell = ("mu_star", "mu_star_conf", "sigma")
    else:
        title = "Sobol indices: first order S1 and total ST, each +- 95% CI half-width"
        cell = ("S1", "S1_conf", "ST", "ST_conf")
    lines = [f"## {title}", ""]
    for target, part in indices.groupby("target", sort=False):
        lines += [f"### {target}", "", "| parameter | " + " | ".join(cell) + " |",
                  "|---|" + "---|" * len(cell)]
        order = part.sort_values(cell[0] if settings["method"] == "morris" else "ST", ascending=False)
        for _, row in order.iterrows():
            lines.append(f"| {row['parameter']} | " + " | ".join(f"{row[c]:.4g}" for c in cell) + " |")
        lines.append("")
    return "\n".join(lines).rstrip()


def _plot(indices: pd.DataFrame, settings: dict, path: Path) -> Path:
    from .analysis import FigureMaker

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
    temporary = path.with_name(f".{path.stem}.tmp.png")
    figure.savefig(temporary, dpi=110)
    plt.close(figure)
    temporary.replace(path)
    return path


def _count(where: str, key: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ExperimentError(f"{where}: sensitivity.{key}: must be an integer in [{lo}, {hi}], got {value!r}")
    return value
