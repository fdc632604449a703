"""The ``coprosim`` command line: run one simulation, list scenarios; experiments and dashboard
commands are added by ``coprosim.experiments.cli`` and ``coprosim.dashboards.cli`` when present.

Bad input gets one line on stderr naming the field and what is allowed, and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from coprosim.model.params import PRESETS, ParameterError, Params, parse_value

EXIT_BAD_INPUT = 2


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
    from coprosim.model import CoproductionModel

    params = Params.preset(args.scenario, **parse_overrides(args.set))
    model = CoproductionModel(params=params, seed=args.seed, scenario=args.scenario)
    model.run(args.steps)
    frame = model.datacollector.get_model_vars_dataframe()
    frame.index.name = "step"
    print(f"scenario {args.scenario}, seed {args.seed}, {args.steps} steps, "
          f"{params.n_citizens} citizens, {params.n_staff} staff")
    print(f"{'metric':<20} {'final':>12} {'mean':>12}")
    for name in frame.columns:
        print(f"{name:<20} {frame[name].iloc[-1]:>12.4f} {frame[name].iloc[1:].mean():>12.4f}")
    if args.out:
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
        print(f"per-step metrics written to {out / stem}.csv and .parquet")
    model.release()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="coprosim", description="Public services under NPM and co-production.")
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


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.func(args) or 0
    except (UsageError, ParameterError) as exc:
        print(f"coprosim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("coprosim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
