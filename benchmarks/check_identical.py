"""Check that a speed-up changed no result: the model here against a baseline checkout, bit for bit.

For a handful of (preset, seed, citizens, weeks) cases it runs this checkout's model and the
baseline's (the ``model`` package of an earlier commit, e.g. made with
``git worktree add /tmp/coprosim-base <commit>``) in the same process, and compares SHA-256 hashes
of the full per-step metrics table (``datacollector.get_model_vars_dataframe()``), of every
citizen's, staff member's and volunteer's final state, and of the sampled agent table. Same random
draws in the same order and the same float operations give the same bytes; any difference is
reported with the first metric and step where the two runs part.

    .venv/bin/python benchmarks/check_identical.py --baseline /tmp/coprosim-base [--steps 200]

Exit status 0 when every case is identical, 1 otherwise. Golden hashes are deliberately not kept
in a test: they would break with a numpy or pandas upgrade that changes no result of the model.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (preset, seed, citizens): the four regimes the issue names, at 300 and 1,000 citizens, plus
# one run with agent sampling and one with the no-outreach preset (outreach code path off).
CASES = (
    ("npm", 1, 1000),
    ("coproduction", 2, 1000),
    ("hybrid", 3, 1000),
    ("null_npm", 4, 300),
    ("coproduction", 5, 300),
    ("coproduction_no_outreach", 6, 300),
    ("npm_with_volunteers", 7, 300),
    ("null_coproduction", 8, 300),
)


def load_model_package(folder: Path, name: str):
    """The ``model`` package of a checkout, imported under ``name``."""
    init = folder / "model" / "__init__.py"
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def fingerprint(package, preset: str, seed: int, citizens: int, steps: int) -> dict[str, object]:
    """Hashes of one run's metrics table, final agent state and agent samples, and the table."""
    model = package.CoproductionModel(scenario=preset, seed=seed, n_citizens=citizens,
                                      agent_sample_period=50)
    model.run(steps)
    frame = model.datacollector.get_model_vars_dataframe()
    state = hashlib.sha256()
    for table in ("citizen_state", "staff_state", "volunteer_state"):
        for key, values in sorted(getattr(model, table).items()):
            state.update(f"{table}.{key}".encode() + np.ascontiguousarray(values).tobytes())
    for name in ("outreach_group", "target", "pressure", "routine_skill", "process_gain",
                 "innovations", "wicked_value"):
        state.update(repr(np.asarray(getattr(model, name), dtype=object).tolist()).encode())
    state.update(repr(sorted(model.volunteers)).encode())
    agents = model.agent_dataframe()
    mesa_agents = model.datacollector.get_agent_vars_dataframe()
    result = {
        "metrics": hashlib.sha256(frame.to_numpy().tobytes() + repr(list(frame.columns)).encode()
                                  + repr(list(frame.dtypes)).encode()).hexdigest(),
        "state": state.hexdigest(),
        "agents": hashlib.sha256(pd.util.hash_pandas_object(agents, index=False).to_numpy().tobytes()
                                 + repr(list(agents.columns)).encode()
                                 + repr(list(agents.dtypes)).encode()
                                 + pd.util.hash_pandas_object(mesa_agents, index=True).to_numpy().tobytes()
                                 + repr(list(mesa_agents.dtypes)).encode()).hexdigest(),
        "frame": frame,
    }
    model.release()
    return result


def first_difference(ours, theirs) -> str:
    """Where two metrics tables first differ: metric and step."""
    if list(ours.columns) != list(theirs.columns) or ours.shape != theirs.shape:
        return f"shapes or columns differ: {ours.shape} vs {theirs.shape}"
    a, b = ours.to_numpy(), theirs.to_numpy()
    rows, cols = np.nonzero(~((a == b) | (np.isnan(a) & np.isnan(b))))
    if rows.size == 0:
        return "metrics equal"
    step = rows.min()
    col = cols[rows == step][0]
    return (f"first at step {step}, {ours.columns[col]}: {a[step, col]!r} vs {b[step, col]!r} "
            f"(max abs difference {np.nanmax(np.abs(a - b)):.3g})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="folder of the baseline checkout")
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    ours = load_model_package(ROOT, "current_model")
    theirs = load_model_package(Path(args.baseline), "baseline_model")
    bad = 0
    for preset, seed, citizens in CASES:
        a = fingerprint(ours, preset, seed, citizens, args.steps)
        b = fingerprint(theirs, preset, seed, citizens, args.steps)
        same = [k for k in ("metrics", "state", "agents") if a[k] == b[k]]
        ok = len(same) == 3
        bad += not ok
        detail = "identical" if ok else (f"DIFFERENT ({', '.join(sorted({'metrics', 'state', 'agents'} - set(same)))}); "
                                         + first_difference(a["frame"], b["frame"]))
        print(f"{preset:<26} seed {seed:<3} {citizens:>5} citizens x {args.steps} weeks: {detail}")
    print("all identical" if not bad else f"{bad} case(s) differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
