"""Results on disk: one Parquet file per run, written atomically, and a manifest.

Layout of ``results/<experiment>/``::

    manifest.json            experiment text, resolved parameters, seeds, versions, counts
    metrics/<run_id>.parquet per-step metrics of one run (tidy: one row per step)
    agents/<run_id>.parquet  sampled citizens' state of one run (if agent_sample_period > 0)
    failures/<run_id>.txt    traceback of a run that raised (removed when it later succeeds)

A run is complete when its metrics file exists: the agents file is written first, the metrics
file last, each to a temporary file then renamed (``os.replace``), so a killed sweep never leaves
a half-written file under its final name.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

KINDS = ("metrics", "agents")
MANIFEST = "manifest.json"


def frame_to_parquet_bytes(frame: pd.DataFrame) -> bytes:
    """A DataFrame as the bytes of a Parquet file (deterministic for equal frames)."""
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer)
    return buffer.getvalue()


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write a file so that it appears whole or not at all (temporary file, then os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(temporary, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def run_file(out: Path, kind: str, run_id: str) -> Path:
    suffix = ".txt" if kind == "failures" else ".parquet"
    return out / kind / f"{run_id}{suffix}"


def completed_runs(out: Path) -> set[str]:
    """Run ids whose metrics file is on disk."""
    folder = out / "metrics"
    if not folder.is_dir():
        return set()
    return {p.stem for p in folder.glob("*.parquet")}


def failed_runs(out: Path) -> set[str]:
    folder = out / "failures"
    return {p.stem for p in folder.glob("*.txt")} if folder.is_dir() else set()


def remove_temporary_files(out: Path) -> None:
    """Temporary files left by a killed sweep."""
    for kind in (*KINDS, "failures"):
        for stale in (out / kind).glob(".*.tmp*") if (out / kind).is_dir() else ():
            stale.unlink(missing_ok=True)


def clear_results(out: Path) -> None:
    """Remove the results of an earlier experiment in ``out`` (for --force); nothing else."""
    for kind in (*KINDS, "failures", "figures"):
        shutil.rmtree(out / kind, ignore_errors=True)
    for name in (MANIFEST, "report.md", "end_summary.csv", "differences.csv",
                 "timeseries_summary.csv", "wellbeing_by_quintile.csv"):
        (out / name).unlink(missing_ok=True)


def read_manifest(out: Path) -> dict[str, Any] | None:
    path = out / MANIFEST
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {"fingerprint": None, "unreadable": True}


def write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    write_atomic(out / MANIFEST, json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n")


def load_results(out: str | Path, kind: str = "metrics", columns: list[str] | None = None,
                 scenarios: list[str] | None = None) -> pd.DataFrame:
    """Results of an experiment as one tidy DataFrame.

    Args:
        out: the results folder (``results/<experiment>``).
        kind: ``"metrics"`` (one row per run and step) or ``"agents"`` (one row per sampled
            citizen and step).
        columns: columns to read (default all).
        scenarios: only these scenarios (default all).

    Returns:
        Rows sorted by scenario, sweep point, replication, step (and citizen); empty if none.
    """
    if kind not in KINDS:
        raise ValueError(f"kind: must be one of {', '.join(KINDS)}, got {kind!r}")
    folder = Path(out) / kind
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return pd.DataFrame(columns=columns or [])
    dataset = ds.dataset([str(f) for f in files], format="parquet")
    where = ds.field("scenario").isin(scenarios) if scenarios else None
    frame = dataset.to_table(columns=columns, filter=where).to_pandas()
    order = [c for c in ("scenario", "point", "replication", "step", "citizen") if c in frame]
    return frame.sort_values(order, kind="stable").reset_index(drop=True) if order else frame
