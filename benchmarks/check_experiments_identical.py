"""Check that a change to ``experiments/`` changed no result: every command's output here against a
baseline checkout's.

It runs small versions of every experiments command (``compare``, ``sweep`` then ``compare`` on a
sweep with inert combinations, ``map``, ``sensitivity`` Sobol with second-order indices and Morris
on a paired difference, ``calibrate``, ``decompose``) twice: once with the baseline's code (the
``coprosim``, ``model``, ``experiments`` and ``dashboards`` folders of an earlier commit, e.g. made
with ``git archive <commit> | tar -x -C /tmp/coprosim-base``) and once with this checkout's. Each
run has the same inputs, the same relative paths and one local worker (``--workers``: with more,
which runs share a part file depends on which worker finished first, and commit a552214 (tables:
wellbeing by quintile in replication order) the last bits of ``wellbeing_by_quintile.csv`` did
too). Then it compares:

- every CSV table, and the Parquet part files of each folder (``metrics/``, ``agents/``,
  ``runs/``) read as one table sorted by run (which runs share a part depends on which worker
  finished first): ``pandas.testing.assert_frame_equal(check_exact=True)``;
- every Markdown, HTML and text output, and each command's printed output (stdout): equal after
  normalising what differs from run to run (timestamps, git commit, durations in seconds);
- ``manifest.json`` without its times, host, git commit and package versions;
- figures (PNG bytes): reported, not counted as a difference (a drawing may move by a pixel).

    .venv/bin/python benchmarks/check_experiments_identical.py --baseline /tmp/coprosim-base \\
        [--work /tmp/check-experiments] [--reuse-baseline] [--interval-tolerance REL] [--workers 1]

``--reuse-baseline`` keeps the baseline's outputs from an earlier call (same ``--work``). With
``--interval-tolerance REL``, interval columns (``ci_low``, ``ci_high``, ``diff_ci_*``,
``density_ci_*``, ...) that differ by at most REL (relative) are reported as "last bits" rather
than as differences: for a change that moves a confidence interval's float rounding and nothing
printed (the printed text is still compared exactly). Exit status 0 when nothing differs, 1
otherwise. Takes about four minutes on two cores (two with ``--reuse-baseline``).

Checked against d6d8cab (before issue 16's consolidation): identical, except the intervals from
SciPy since then, which moved within 1e-7 relative (the map's Wilson intervals used z rounded to
1.959964; t intervals by float rounding), with every report and printed line unchanged.
A baseline older than df09898 (Sobol S2 per target) differs in three files of ``sobol``, as that
commit meant: ``indices_*_S2.csv`` gained a ``target`` column, and the S2 section of the markdown
(and of the printed table) a ``### <target>`` heading.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"model": "model", "experiments": "experiments", "dashboards": "dashboards"}
INTERVAL = re.compile(r"(ci_low|ci_high|ci_clipped|_low|_high|_conf)$")
VOLATILE_MANIFEST = ("started", "ended", "sessions", "git_commit", "host", "versions")

COMPARE = """
[experiment]
name = "check_compare"
description = "Three regimes, small: the identity check of coprosim compare."
replications = 4
steps = 40
seed = 20261123
agent_sample_period = 20
metrics = ["public_value", "emergent_value", "participation_rate", "volunteers", "mean_trust",
           "mean_efficacy", "mean_wellbeing", "gini_wellbeing", "equity_gap", "unmet_need",
           "hidden_need", "staff_motivation", "staff_turnover", "cost", "value_per_cost",
           "throughput", "innovations", "social_cost", "waiting_time", "value_destroyed",
           "hours_service", "hours_dialogue", "hours_target_audit", "hours_outreach",
           "hours_volunteer_coordination", "hours_training", "hours_reflection", "hours_idle",
           "hours_overtime", "hours_hiring"]

[base]
n_citizens = 500

[scenarios.npm]
[scenarios.coproduction]
[scenarios.hybrid]

[analysis]
baseline = "npm"
end_share = 0.25
decomposition = 2
"""

SWEEP = """
[experiment]
name = "check_sweep"
description = "A grid with an inert lever: the identity check of coprosim sweep and a sweep report."
replications = 3
steps = 24
seed = 4
agent_sample_period = 24
metrics = ["public_value", "volunteers", "mean_wellbeing", "cost", "equity_gap",
           "hours_volunteer_coordination"]

[base]
n_citizens = 500

[scenarios.npm]
[scenarios.hybrid]

[sweep.grid]
volunteer_recruitment = [0.0, 0.05]
volunteer_hours = [2.0, 4.0, 6.0]
"""

MAP = """
[experiment]
name = "check_map"
replications = 2
steps = 24
seed = 5
metrics = ["public_value", "throughput", "waiting_time", "volunteers"]

[base]
n_citizens = 500
staff_per_1000 = 10.0

[scenarios.npm]
preset = "neutral_npm"
[scenarios.coproduction]
preset = "neutral_coproduction"

[map]
samples = 24
parameters = ["dialogue_overhead", "participation_cost"]
ranges = { dialogue_overhead = [0.0, 0.5] }
metrics = ["throughput", "public_value", "waiting_time"]
main_metrics = ["waiting_time", "public_value"]
focus = "coproduction"
"""

SENSITIVITY = """
[experiment]
name = "check_sensitivity"
replications = 2
steps = 20
seed = 3
metrics = ["mean_wellbeing", "public_value"]

[base]
n_citizens = 500

[scenarios.coproduction]
[scenarios.npm]

[sensitivity]
method = "sobol"
metric = "mean_wellbeing"
difference = ["coproduction", "npm"]
samples = 4
second_order = true

[sensitivity.ranges]
outreach_share = [0.0, 0.6]
participation_cost = [0.2, 1.5]
"""

TARGETS = """
[calibration]
name = "check"
seed = 11
citizens = 60
weeks = 30
warm_up = 10
populations = 2
particles = 8
predictive_draws = 4
default_seeds = 2

[scenarios.npm]
preset = "npm"
[scenarios.coproduction]
preset = "coproduction"

[parameters]
trust_level = "plausible"
participation_cost = [0.3, 1.2]

[[targets]]
name = "mean trust"
statistic = "mean_trust"
scenario = "npm"
value = 0.5
tolerance = 0.02
source = "made up for the identity check"

[[targets]]
name = "participation, co-production over NPM"
statistic = "participation_rate"
scenario = "coproduction"
versus = "npm"
change = "relative"
value = 0.5
tolerance = 0.3
source = "made up for the identity check"

[[targets]]
name = "trusting share above a third"
statistic = "trusting_share"
scenario = "npm"
direction = "above"
value = 0.33
tolerance = 0.05
source = "made up for the identity check"
"""

MORRIS = (SENSITIVITY.replace('difference = ["coproduction", "npm"]\n', "")
          .replace("second_order = true", "trajectories = 3\nlevels = 4"))
INPUTS = {"compare.toml": COMPARE, "sweep.toml": SWEEP, "map.toml": MAP,
          "sensitivity.toml": SENSITIVITY, "morris.toml": MORRIS, "targets.toml": TARGETS}
W = ["--workers", "{workers}"]
COMMANDS = (
    ("compare", ["compare", "../inputs/compare.toml", "--out", "out/compare", *W]),
    ("sweep", ["sweep", "../inputs/sweep.toml", "--out", "out/sweep", *W]),
    ("sweep_compare", ["compare", "../inputs/sweep.toml", "--out", "out/sweep", *W]),
    ("map", ["map", "../inputs/map.toml", "--out", "out/map", *W]),
    ("sobol", ["sensitivity", "../inputs/sensitivity.toml", "--out", "out/sobol", *W]),
    ("morris", ["sensitivity", "../inputs/morris.toml", "--method", "morris", "--metric",
                "public_value", "--out", "out/morris", *W]),
    ("calibrate", ["calibrate", "../inputs/targets.toml", "--out", "out/calibration", *W]),
    ("decompose", ["decompose", "--replications", "2", "--citizens", "500", "--steps", "24",
                   "--out", "out/decompose", *W]),
)


def package_folder(source: Path, into: Path) -> Path:
    """A folder holding ``coprosim`` as the installed layout has it (``coprosim.model`` is the
    checkout's ``model/``, ...), made of symbolic links into ``source``; for PYTHONPATH."""
    package = into / "coprosim"
    shutil.rmtree(into, ignore_errors=True)
    package.mkdir(parents=True)
    for entry in (source / "coprosim").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry.resolve())
    for name, folder in PACKAGES.items():
        (package / name).symlink_to((source / folder).resolve())
    return into


def run_all(source: Path, work: Path, workers: int) -> None:
    """Every command with the code of ``source``, in ``work/run`` (outputs in ``work/run/out``)."""
    shutil.rmtree(work, ignore_errors=True)
    (work / "inputs").mkdir(parents=True)
    (work / "run").mkdir()
    for name, text in INPUTS.items():
        (work / "inputs" / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(package_folder(source, work / "pkg"))}
    env.pop("COPROSIM_INJECT_FAILURE", None)
    for label, argv in COMMANDS:
        argv = [a.format(workers=workers) for a in argv]
        done = subprocess.run([sys.executable, "-m", "coprosim", *argv], cwd=work / "run", env=env,
                              capture_output=True, text=True, timeout=3600)
        (work / "run" / f"{label}.stdout").write_text(done.stdout, encoding="utf-8")
        (work / "run" / f"{label}.stderr").write_text(done.stderr, encoding="utf-8")
        (work / "run" / f"{label}.status").write_text(f"{done.returncode}\n", encoding="utf-8")
        print(f"  {label}: exit {done.returncode}", flush=True)


def normalised(text: str) -> str:
    """Text without what differs between two runs of the same code."""
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\+00:00)?", "<time>", text)
    text = re.sub(r"git commit (None|[0-9a-f]{40}(\+dirty)?)", "git commit <commit>", text)
    return re.sub(r"\b\d+(\.\d+)? s\b", "<n> s", text)


def compare_frames(ours: pd.DataFrame, theirs: pd.DataFrame, tolerance: float) -> str | None:
    """None when equal; "last bits: ..." when only interval columns differ, by at most
    ``tolerance`` relative; else what differs."""
    try:
        pd.testing.assert_frame_equal(ours, theirs, check_exact=True)
        return None
    except AssertionError as exc:
        first = str(exc).strip().splitlines()[0]
    if not tolerance or list(ours.columns) != list(theirs.columns) or ours.shape != theirs.shape:
        return first
    moved = {}
    for column in ours.columns:
        a, b = ours[column], theirs[column]
        if a.equals(b):
            continue
        if not INTERVAL.search(str(column)) or a.dtype.kind != "f" or b.dtype.kind != "f":
            return f"column {column!r} differs"
        x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
        if not np.array_equal(np.isnan(x), np.isnan(y)):
            return f"column {column!r}: NaNs differ"
        scale = np.maximum(np.abs(x), np.abs(y))
        relative = np.where(scale > 0, np.abs(x - y) / np.where(scale > 0, scale, 1), 0)
        worst = float(np.nanmax(relative))
        if worst > tolerance:
            return f"column {column!r} differs (max relative {worst:.2g})"
        moved[column] = worst
    return "last bits: " + ", ".join(f"{c} ({w:.1g})" for c, w in moved.items())


def parts(folder: Path) -> pd.DataFrame:
    """Every Parquet file of a folder as one table, sorted by run (and step, citizen)."""
    frame = pd.concat([pd.read_parquet(f) for f in sorted(folder.glob("*.parquet"))],
                      ignore_index=True)
    keys = [c for c in ("run_id", "scenario", "point", "replication", "step", "citizen") if c in frame]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def compare_file(ours: Path, theirs: Path, tolerance: float) -> tuple[str, str | None]:
    """('table' | 'text' | 'figure' | 'skipped', None if equal else what differs)."""
    suffix = ours.suffix
    if ours.is_dir():
        return "table", compare_frames(parts(ours), parts(theirs), tolerance)
    if suffix == ".csv":
        return "table", compare_frames(pd.read_csv(ours), pd.read_csv(theirs), tolerance)
    if ours.name == "manifest.json":
        a, b = (json.loads(p.read_text()) for p in (ours, theirs))
        for manifest in (a, b):
            for key in VOLATILE_MANIFEST:
                manifest.pop(key, None)
        return "text", None if a == b else "manifest differs: " + ", ".join(
            sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k)))
    if suffix in (".md", ".html", ".txt", ".json", ".stdout", ".status"):
        a, b = (normalised(p.read_text(encoding="utf-8")) for p in (ours, theirs))
        if a == b:
            return "text", None
        line = next(i for i, (x, y) in enumerate(zip(a.splitlines() + [""], b.splitlines() + [""],
                                                        strict=False)) if x != y)
        return "text", f"line {line + 1}: {a.splitlines()[line:line + 1]} vs {b.splitlines()[line:line + 1]}"
    if suffix == ".png":
        return "figure", None if ours.read_bytes() == theirs.read_bytes() else "PNG bytes differ"
    return "skipped", None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, type=Path, help="folder of the baseline checkout")
    parser.add_argument("--work", type=Path, default=Path("/tmp/check-experiments"))
    parser.add_argument("--reuse-baseline", action="store_true",
                        help="keep the baseline's outputs from an earlier call")
    parser.add_argument("--interval-tolerance", type=float, default=0.0, metavar="REL",
                        help="interval columns within REL (relative) are not differences (default 0)")
    parser.add_argument("--workers", type=int, default=1, help="local worker processes (default 1)")
    args = parser.parse_args()
    base, here = args.work / "baseline", args.work / "current"
    if not (args.reuse_baseline and (base / "run").is_dir()):
        print(f"baseline ({args.baseline}):", flush=True)
        run_all(args.baseline.resolve(), base, args.workers)
    print(f"this checkout ({ROOT}):", flush=True)
    run_all(ROOT, here, args.workers)
    counts: dict[str, int] = {}
    differences = figures = 0
    theirs_files, ours_files = (
        sorted({(p.parent if p.suffix == ".parquet" else p).relative_to(root / "run")
                for p in (root / "run").rglob("*") if p.is_file()}) for root in (base, here))
    ours_files = set(ours_files)
    for name in theirs_files:
        if name.suffix == ".stderr" or name.name == "abc.db":
            continue  # progress lines with timings; SQLite with timestamps (its tables are in CSVs)
        if name not in ours_files:
            print(f"MISSING here: {name}")
            differences += 1
            continue
        kind, problem = compare_file(here / "run" / name, base / "run" / name, args.interval_tolerance)
        counts[kind] = counts.get(kind, 0) + 1
        if problem is None:
            continue
        if kind == "figure":
            figures += 1
            print(f"figure differs (not counted): {name}")
        elif problem.startswith("last bits"):
            print(f"{name}: {problem}")
        else:
            differences += 1
            print(f"DIFFERENT {name}: {problem}")
    for name in sorted(ours_files - set(theirs_files)):
        if name.suffix != ".stderr" and name.name != "abc.db":
            print(f"NEW here: {name}")
            differences += 1
    print(f"compared {counts.get('table', 0)} tables, {counts.get('text', 0)} texts, "
          f"{counts.get('figure', 0)} figures ({figures} differ)")
    print("all identical" if not differences else f"{differences} file(s) differ")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
