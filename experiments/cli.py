"""``coprosim sweep | compare | sensitivity``: experiments from the command line.

Bad input raises ``ExperimentError`` (a ``ParameterError``): ``coprosim.cli.main`` prints it as one
line and exits with status 2. Exit status 1 says some runs failed (their tracebacks are in
``results/<experiment>/failures/``); 3 an infrastructure error (Dask scheduler unreachable, without
workers or lost; workers with different model code: nothing recorded as a failed run); 130 an
interruption. In every case finished runs are kept and rerunning the same command resumes.

An experiment FILE may also be the name of a shipped experiment (``smoke``, ``policy_comparison``,
``coproduction_share_sweep``, ``sensitivity_example``), so the commands work from any folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .design import load_experiment, resolve_experiment_path, shipped_experiments

DEFAULT_COMPARISON = "experiments/policy_comparison.toml"
EXIT_SOME_FAILED = 1
FILE_HELP = "experiment TOML file, or the name of a shipped one ({})"


def add_commands(subparsers) -> None:
    """Add the experiment commands to the ``coprosim`` parser."""
    sweep = subparsers.add_parser("sweep", help="run every run of an experiment file (resumable)")
    sweep.add_argument("file", help=FILE_HELP.format(", ".join(shipped_experiments())))
    _add_run_options(sweep)
    sweep.set_defaults(func=cmd_sweep)

    compare = subparsers.add_parser(
        "compare", help="run an experiment and write results/<experiment>/report.md")
    compare.add_argument("file", nargs="?", default=DEFAULT_COMPARISON,
                         help=f"experiment TOML file or shipped name (default {DEFAULT_COMPARISON}, "
                              "shipped with coprosim)")
    _add_run_options(compare)
    compare.set_defaults(func=cmd_compare)

    sens = subparsers.add_parser(
        "sensitivity", help="global sensitivity analysis (SALib: Morris screening or Sobol)")
    sens.add_argument("file", help="experiment TOML file with a [sensitivity] table, or the "
                                   "name of a shipped one (sensitivity_example)")
    sens.add_argument("--method", choices=("morris", "sobol"), default=None,
                      help="morris (screening, default) or sobol (variance-based indices)")
    sens.add_argument("--metric", default=None, help="metric to explain (default: the file's)")
    sens.add_argument("--difference", nargs=2, metavar=("A", "B"), default=None,
                      help="explain the paired difference scenario A minus scenario B")
    _add_run_options(sens)
    sens.set_defaults(func=cmd_sensitivity)

    map_ = subparsers.add_parser(
        "map", help="where each regime leads over the plausible parameter space (Latin hypercube, "
                    "paired seeds; PRIM boxes with coprosim[ema]); writes results/<experiment>/map.md")
    map_.add_argument("file", help="experiment TOML file with a [map] table, or the name of a "
                                   "shipped one (regimes_map)")
    map_.add_argument("--points", type=_count(), default=None,
                      help="Latin hypercube points (default: the file's map.samples; part of the "
                           "results' identity)")
    _add_run_options(map_)
    map_.set_defaults(func=cmd_map)

    decompose = subparsers.add_parser(
        "decompose", help="each rule pair's share of the gap between co-production and NPM "
                          "(writes results/rule_decomposition/shares.md)")
    decompose.add_argument("--replications", type=_count(), default=10,
                           help="paired seeds per scenario (default 10)")
    decompose.add_argument("--citizens", type=_count(200_000), default=1000,
                           help="citizens per run (default 1000)")
    decompose.add_argument("--steps", type=_count(), default=200,
                           help="weeks per run (default 200)")
    decompose.add_argument("--workers", type=_count(), default=None,
                           help="local worker processes (default: all cores)")
    decompose.add_argument("--out", default="results/rule_decomposition",
                           help="results folder (default results/rule_decomposition)")
    decompose.set_defaults(func=cmd_decompose)

    calibrate = subparsers.add_parser(
        "calibrate", help="fit the free parameters to the literature's anchors (ABC-SMC, pyabc; "
                          "resumable) and write results/calibration/<name>/report.md")
    calibrate.add_argument("file", help="targets TOML file, or calibration_targets (shipped)")
    calibrate.add_argument("--populations", type=_count(100), default=None,
                           help="ABC-SMC generations in all (default: the file's)")
    calibrate.add_argument("--particles", type=_count(), default=None,
                           help="accepted particles per generation (default: the file's)")
    calibrate.add_argument("--workers", type=_count(), default=None,
                           help="local worker processes (default: all cores)")
    calibrate.add_argument("--out", default=None,
                           help="results folder (default results/calibration/<name>)")
    calibrate.add_argument("--resume", action="store_true",
                           help="continue the calibration stored in the results folder")
    calibrate.add_argument("--dask", metavar="ADDRESS", default=None,
                           help="run on a dask.distributed scheduler, or local:N (needs coprosim[dask])")
    calibrate.set_defaults(func=cmd_calibrate)


def _add_run_options(parser) -> None:
    parser.add_argument("--workers", type=_count(), default=None,
                        help="local worker processes (default: all cores)")
    parser.add_argument("--out", default=None, help="results folder (default results/<experiment>)")
    parser.add_argument("--replications", type=_count(), default=None,
                        help="override the file's replications; more than the results on disk "
                             "runs only the new seeds (the others are kept, still paired)")
    parser.add_argument("--steps", type=_count(), default=None,
                        help="override the file's steps (part of the results' identity)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the results in the folder (what a rerun does anyway; "
                             "with --resume, a folder with nothing to resume is an error)")
    parser.add_argument("--force", action="store_true",
                        help="discard results of a different experiment in the results folder")
    parser.add_argument("--dask", metavar="ADDRESS", default=None,
                        help="run on a dask.distributed scheduler, or local:N for a LocalCluster "
                             "(needs coprosim[dask])")
    parser.add_argument("--dask-wait", metavar="SECONDS", type=_seconds(),
                        default=None, help="how long to wait for Dask workers before giving up "
                                           "(default 60)")
    parser.add_argument("--progress", action="store_true", default=None,
                        help="show the progress bar even when stderr is not a terminal")


def _count(hi: int = 100_000):
    return _in_range(int, "an integer", hi)


def _seconds(hi: float = 86_400.0):
    return _in_range(float, "a number of seconds", hi)


def _in_range(parse, what: str, hi: float):
    """An argparse type: ``parse(text)`` in [1, hi], else a one-line error."""
    def convert(text: str):
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what} in [1, {hi:g}], got {text!r}") from None
        if not 1 <= value <= hi:
            shown = f"{value:g}" if isinstance(value, float) else value
            raise argparse.ArgumentTypeError(f"must be {what} in [1, {hi:g}], got {shown}")
        return value

    return convert


def _load(args):
    path = resolve_experiment_path(args.file)  # a shipped file by name, from any folder
    return load_experiment(path, replications=args.replications, steps=args.steps)


def _executor_options(args) -> dict:
    options = {"workers": args.workers, "force": args.force, "dask": args.dask,
               "progress": args.progress, "resume": args.resume}
    if args.dask_wait is not None:
        options["dask_wait"] = args.dask_wait
    return options


def _run(args, experiment, run=None, **options):
    """``run`` (default ``run_experiment``) with the command line's executor options; on Ctrl-C,
    what was kept and how to go on."""
    from .runner import run_experiment

    out = args.out or Path("results") / experiment.name
    try:
        return (run or run_experiment)(experiment, out=out, **options, **_executor_options(args))
    except KeyboardInterrupt:
        _say_interrupted(Path(out))
        raise


def _say_interrupted(out: Path) -> None:
    """What was kept, and how to go on."""
    from .storage import read_manifest

    manifest = read_manifest(out) or {}
    print(f"coprosim: stopped; {manifest.get('done', 0)} of {manifest.get('runs_total', '?')} "
          f"runs kept in {out}/ (rerun the same command to resume)", file=sys.stderr)


def _say_counts(runs) -> None:
    counts = runs["status"].value_counts()
    out = runs.attrs["out"]
    extended = runs.attrs.get("extended_from")
    if extended:
        print(f"replications raised from {extended}: the runs on disk are kept (same seeds, "
              "still paired); only the new replications ran")
    print(f"{len(runs)} runs: {counts.get('done', 0)} run now, {counts.get('skipped', 0)} already "
          f"on disk, {counts.get('failed', 0)} failed; results in {out}/")
    if counts.get("failed", 0):
        print(f"tracebacks of failed runs: {out}/failures/ (rerun the same command to retry them)",
              file=sys.stderr)


def cmd_sweep(args) -> int:
    """Run (or resume) every run of an experiment."""
    experiment = _load(args)
    runs = _run(args, experiment)
    _say_counts(runs)
    return EXIT_SOME_FAILED if runs.attrs["failed"] else 0


def cmd_compare(args) -> int:
    """Run (or resume) an experiment, then write its report and print the headline table."""
    from .report import compare_results, run_decomposition
    from .tables import headline_table

    experiment = _load(args)
    runs = _run(args, experiment)
    _say_counts(runs)
    run_decomposition(experiment, runs.attrs["out"], workers=args.workers, dask=args.dask)
    summary = compare_results(experiment, runs.attrs["out"])
    print()
    print(headline_table(summary, experiment))
    out = Path(runs.attrs["out"])
    html = out / "report.html"
    print(f"\nreport: {out / 'report.md'}" + (f" (one file to share: {html})" if html.exists() else ""))
    return EXIT_SOME_FAILED if runs.attrs["failed"] else 0


def cmd_sensitivity(args) -> int:
    """Global sensitivity analysis of one metric, or of a paired difference between scenarios."""
    from .sensitivity import default_out, run_sensitivity, sensitivity_settings

    experiment = _load(args)
    settings = sensitivity_settings(experiment, args.method, args.metric, args.difference)
    out = Path(args.out) if args.out else default_out(experiment, settings)
    try:
        result = run_sensitivity(experiment, method=args.method, metric=args.metric,
                                 difference=args.difference, out=out, **_executor_options(args))
    except KeyboardInterrupt:
        _say_interrupted(out)
        raise
    print(result.attrs["table"])
    print(f"\nindices: {result.attrs['csv']}\nplot: {result.attrs['figure']}")
    return EXIT_SOME_FAILED if result.attrs["failed"] else 0


def cmd_decompose(args) -> int:
    """Run (or resume) the rule decomposition and print each rule pair's share of the gap."""
    from .decomposition import decompose, shares_markdown

    table = decompose(out=args.out, workers=args.workers, replications=args.replications,
                      n_citizens=args.citizens, steps=args.steps)
    print(shares_markdown(table), end="")
    print(f"\nshares: {Path(args.out) / 'shares.md'}")
    return 0


def cmd_calibrate(args) -> int:
    """Fit the free parameters to the targets (resumable), then write the calibration report."""
    from .calibration import load_targets, resolve_targets_path, run_calibration

    calibration = load_targets(resolve_targets_path(args.file))
    out = Path(args.out) if args.out else Path("results") / "calibration" / calibration.name
    try:
        result = run_calibration(calibration, populations=args.populations,
                                 particles=args.particles, workers=args.workers, out=out,
                                 resume=args.resume, dask=args.dask)
    except KeyboardInterrupt:
        print(f"coprosim: stopped; the finished generations are kept in {out}/abc.db (rerun "
              "with --resume to continue)", file=sys.stderr)
        raise
    fit = result["fit"]
    print(f"{result['generations']} generations; {int(fit['fits'].sum())} of {len(fit)} targets fit")
    for _, row in fit[~fit["fits"]].iterrows():
        stated = row["literature"] if "literature" in row else f"{row['value']:.3g} +- {row['tolerance']:.3g}"
        print(f"did not fit: {row['target']}: {row['posterior_mean']:.3g} against {stated}")
    print(f"report: {result['report']}")
    return 0


def cmd_map(args) -> int:
    """Run (or resume) the map's design, then write map.md, its tables and figures."""
    from .scenario_map import run_map, shares_table

    result = _run(args, _load(args), run_map, points=args.points)
    print(shares_table(result.shares, result.settings["regimes"]))
    if result.boxes is not None:
        print()
        for sentence in result.boxes.drop_duplicates(["metric", "case"])["sentence"]:
            print(sentence)
    if result.small_sample:
        print(f"coprosim: warning: {result.small_sample}", file=sys.stderr)
    if result.missing_extra:
        print(f"coprosim: PRIM boxes and feature scores skipped: {result.missing_extra}",
              file=sys.stderr)
    print(f"\nreport: {result.files['report']}")
    return EXIT_SOME_FAILED if result.failed else 0
