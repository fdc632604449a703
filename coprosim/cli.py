"""The ``coprosim`` command line: run one simulation, list scenarios; experiments and dashboard
commands are added by ``coprosim.experiments.cli`` and ``coprosim.dashboards.cli`` when present.

Exit status: 0 done; 1 some runs of an experiment failed (tracebacks in ``failures/``); 2 bad
input or a missing optional dependency (one line on stderr naming the field and what is allowed,
or the extra to install; never a traceback); 3 an infrastructure error (a Dask scheduler that
cannot be reached, has no workers or was lost; workers running different model code): nothing is
recorded as a model failure and rerunning the same command resumes; 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import warnings
from pathlib import Path

from coprosim import __version__
from coprosim.errors import InfrastructureError, MissingExtraError
from coprosim.model.params import PRESETS, ParameterError, Params, parse_value

EXIT_SOME_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INFRASTRUCTURE = 3
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad command-line input; the message is the one line the user sees."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, no usage dump
        raise UsageError(message)


def parse_overrides(pairs: list[str] | None) -> dict:
    """``["key=value", ...]`` into validated-later parameter overrides."""
    overrides = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise UsageError(f"--set: expected key=value, got {pair!r}")
        key, text = pair.split("=", 1)
        key = key.strip()
        Params.spec(key)  # unknown key -> ParameterError naming the allowed ones
        overrides[key] = parse_value(key, text.strip())
    return overrides


def _positive_int(name: str, lo: int = 1, hi: int = 1_000_000):
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise UsageError(f"{name}: must be an integer in [{lo}, {hi}], got {text!r}") from None
        if not lo <= value <= hi:
            raise UsageError(f"{name}: must be an integer in [{lo}, {hi}], got {value}")
        return value

    return convert


def cmd_scenarios(args) -> int:
    width = max(len(name) for name in PRESETS)
    for name, preset in PRESETS.items():
        print(f"{name:<{width}}  {preset['description']}")
    return 0


def cmd_run(args) -> int:
    from coprosim.experiments.storage import integer_counts
    from coprosim.model import CoproductionModel

    params = Params.preset(args.scenario, **parse_overrides(args.set))
    model = CoproductionModel(params=params, seed=args.seed, scenario=args.scenario)
    try:
        model.run(args.steps)
        frame = integer_counts(model.datacollector.get_model_vars_dataframe())
        frame.index.name = "step"
        written = _write_run(args, model, frame) if args.out else None
    finally:
        model.release()
    # Files first, printing last: a reader that stops early (coprosim run | head) loses nothing.
    print(f"scenario {args.scenario}, seed {args.seed}, {args.steps} steps, "
          f"{params.n_citizens} citizens, {params.n_staff} staff")
    print(f"{'metric':<20} {'final':>12} {'mean':>12}")
    for name in frame.columns:
        print(f"{name:<20} {frame[name].iloc[-1]:>12.4f} {frame[name].iloc[1:].mean():>12.4f}")
    if written:
        print(f"per-step metrics written to {written}.csv and .parquet")
    return 0


def _write_run(args, model, frame) -> Path:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{args.scenario}_seed{args.seed}"
    tidy = frame.reset_index()
    tidy.insert(0, "seed", args.seed)
    tidy.insert(0, "scenario", args.scenario)
    tidy.to_csv(out / f"{stem}.csv", index=False)
    tidy.to_parquet(out / f"{stem}.parquet", index=False)
    agents = model.agent_dataframe()
    if len(agents):
        agents.to_parquet(out / f"{stem}_agents.parquet", index=False)
    return out / stem


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="coprosim", description="Public services under NPM and co-production.")
    parser.add_argument("--version", action="version", version=version_line())
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run one simulation and print the final metrics")
    run.add_argument("--scenario", default="coproduction",
                     help=f"preset: {', '.join(PRESETS)} (default coproduction)")
    run.add_argument("--steps", type=_positive_int("--steps", 1, 100_000), default=200)
    run.add_argument("--seed", type=_positive_int("--seed", 0, 2**63 - 1), default=1)
    run.add_argument("--set", action="append", metavar="KEY=VALUE",
                     help="override a parameter (repeatable)")
    run.add_argument("--out", help="folder for the per-step metrics (CSV and Parquet)")
    run.set_defaults(func=cmd_run)

    scen = sub.add_parser("scenarios", help="list the scenario presets")
    scen.set_defaults(func=cmd_scenarios)

    for module in ("coprosim.experiments.cli", "coprosim.dashboards.cli"):
        try:
            importlib.import_module(module).add_commands(sub)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return parser


def version_line() -> str:
    import mesa

    return (f"coprosim {__version__} (Mesa {mesa.__version__}, Python "
            f"{platform.python_version()})")


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    """coprosim's own warnings as one line on stderr (``coprosim: warning: ...``), no source."""
    if getattr(category, "__module__", "").startswith("coprosim"):
        print(f"coprosim: warning: {message}", file=sys.stderr)
    else:
        _show_warning(message, category, filename, lineno, file, line)


_show_warning = warnings.showwarning


def main(argv: list[str] | None = None) -> int:
    warnings.showwarning = _one_line_warning
    try:
        try:
            args = build_parser().parse_args(argv)
            status = args.func(args) or 0
        finally:
            sys.stdout.flush()  # inside the try: a closed pipe is reported here, not at exit
        return status
    except (UsageError, ParameterError, MissingExtraError) as exc:
        print(f"coprosim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except InfrastructureError as exc:
        print(f"coprosim: infrastructure error: {exc}", file=sys.stderr)
        return EXIT_INFRASTRUCTURE
    except KeyboardInterrupt:
        print("coprosim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader stopped early (coprosim run | head): not an error. Point stdout at /dev/null
        # so that Python's own flush at exit does not complain again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
