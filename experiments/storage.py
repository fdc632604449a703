"""Results on disk: one Parquet file per run, written atomically, and a manifest.

Layout of ``results/<experiment>/``::

    manifest.json            experiment text, resolved parameters, seeds, versions, counts
    metrics/<run_id>.parquet per-step metrics of one run (tidy: one row per step)
    agents/<run_id>.parquet  sampled citizens' state of one run (if agent_sample_period > 0)
    failures/<run_id>.txt    traceback of a run that raised (removed when it later succeeds)

Each Parquet file carries its run's metadata (key ``coprosim`` of the file's key-value metadata,
JSON): experiment name and fingerprint, run id, scenario, preset, sweep point, replication, seed,
steps, every resolved parameter, the model's source hash and the coprosim and Mesa versions.
``load_runs`` turns them into one row per run.

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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

KINDS = ("metrics", "agents")
MANIFEST = "manifest.json"


METADATA_KEY = b"coprosim"
# Metrics that count things: stored as integers. The model may list them itself (metrics.COUNTS).
DEFAULT_COUNTS = ("volunteers", "throughput", "innovations")


def frame_to_parquet_bytes(frame: pd.DataFrame, metadata: dict[str, Any] | None = None) -> bytes:
    """A DataFrame as the bytes of a Parquet file (deterministic for equal frames and metadata)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if metadata is not None:
        extra = {METADATA_KEY: json.dumps(metadata, sort_keys=True, default=str).encode()}
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def read_run_metadata(path: str | Path) -> dict[str, Any] | None:
    """The run metadata stored in one Parquet file (None for files written before it existed)."""
    metadata = pq.read_schema(path).metadata or {}
    raw = metadata.get(METADATA_KEY)
    return json.loads(raw) if raw else None


def count_metrics() -> tuple[str, ...]:
    """Names of the metrics that count things (people, cases, innovations)."""
    from coprosim.model import metrics

    return tuple(getattr(metrics, "COUNTS", DEFAULT_COUNTS))


def integer_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Count columns as int64 when every value is a whole number (never loses information)."""
    for name in count_metrics():
        if name in frame and frame[name].dtype.kind == "f":
            values = frame[name].to_numpy()
            if np.isfinite(values).all() and (values == np.round(values)).all():
                frame[name] = values.astype(np.int64)
    return frame


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


def load_runs(out: str | Path, value: str = "end", metrics: list[str] | None = None,
              ema: bool = False):
    """One row per finished run: every resolved parameter, the seed and each metric's end value.

    The shape of NetLogo BehaviorSpace's table output and of the EMA Workbench's
    ``(experiments, outcomes)``: inputs and outputs of each run side by side, ready for a
    regression, a PRIM box or a plot of an outcome against any parameter.

    Args:
        out: the results folder (``results/<experiment>``).
        value: ``"end"``: each metric's mean over the last ``end_share`` of steps (the
            experiment's ``[analysis]`` setting, as ``compare`` uses); ``"final"``: its value at
            the last step (counts stay integers).
        metrics: the metrics to include (default: every metric the experiment kept).
        ema: return ``(experiments, outcomes)`` as the EMA Workbench does: the inputs as a
            DataFrame and a dict of one numpy array per metric, in the same row order.

    Returns:
        Columns ``run_id, scenario, preset, point, replication, seed``, then every model
        parameter (all of ``Params``, resolved: preset, base, scenario overrides and sweep values),
        ``steps``, then the metrics. Rows in the experiment's order (scenario, sweep point,
        replication). ``attrs``: ``value``, ``first_step`` (of the end window), ``experiment``.
    """
    from .design import end_window

    if value not in ("end", "final"):
        raise ValueError(f"value: must be 'end' or 'final', got {value!r}")
    out = Path(out)
    manifest = read_manifest(out) or {}
    files = sorted((out / "metrics").glob("*.parquet")) if (out / "metrics").is_dir() else []
    kept = list(manifest.get("metrics") or [])
    if files and not kept:
        kept = [c for c in pq.read_schema(files[0]).names
                if c not in ("scenario", "point", "replication", "seed", "step")
                and c not in (manifest.get("sweep_axes") or [])]
    metrics = list(metrics or kept)
    unknown = [m for m in metrics if m not in kept]
    if unknown:
        raise ValueError(f"metrics: {', '.join(unknown)} not in the results; kept: {', '.join(kept)}")
    steps = manifest.get("steps")
    end_share = (manifest.get("analysis") or {}).get("end_share", 0.2)
    rows = [_run_row(path, manifest) for path in files]
    inputs = pd.DataFrame(rows)
    if not rows:
        empty = pd.DataFrame(columns=["run_id", "scenario", "point", "replication", "seed", *metrics])
        return (empty, {m: np.array([]) for m in metrics}) if ema else empty
    steps = steps or int(inputs["steps"].max())
    first = end_window(steps, end_share) if value == "end" else steps
    keys = ["scenario", "point", "replication"]
    table = ds.dataset([str(f) for f in files], format="parquet").to_table(
        columns=[*keys, "step", *metrics], filter=ds.field("step") >= first)
    values = table.to_pandas().groupby(keys, sort=False)[metrics]
    ends = (values.mean() if value == "end" else values.last()).reset_index()
    frame = inputs.merge(ends, on=keys, how="left", validate="one_to_one")
    order = {s: i for i, s in enumerate(manifest.get("scenarios") or {})}
    frame = (frame.assign(_rank=frame["scenario"].map(order).fillna(len(order)))
             .sort_values(["_rank", "point", "replication"], kind="stable")
             .drop(columns="_rank").reset_index(drop=True))
    frame.attrs.update(value=value, first_step=first, experiment=manifest.get("experiment"))
    if ema:
        return frame.drop(columns=metrics), {m: frame[m].to_numpy() for m in metrics}
    return frame


def _run_row(path: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Inputs of one run from its file's metadata (or, for older files, the manifest)."""
    meta = read_run_metadata(path)
    if meta is None:  # written before files carried metadata: rebuild from the manifest
        meta = _metadata_from_manifest(path, manifest)
    from coprosim.model import Params

    stored = meta["parameters"]
    order = [n for n in Params.field_names() if n in stored] + sorted(set(stored) - set(Params.field_names()))
    return {"run_id": meta["run_id"], "scenario": meta["scenario"], "preset": meta.get("preset"),
            "point": int(meta["point"]), "replication": int(meta["replication"]),
            "seed": int(meta["seed"]), **{n: stored[n] for n in order}, "steps": int(meta["steps"])}


def _metadata_from_manifest(path: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    import tomllib

    from .design import parse_experiment

    head = pq.read_table(path, columns=["scenario", "point", "replication", "seed"]).slice(0, 1)
    row = head.to_pylist()[0]
    experiment = parse_experiment(tomllib.loads(manifest["experiment_file_text"]), str(path),
                                  manifest["experiment_file_text"], manifest["experiment"])
    experiment = experiment.with_overrides(manifest.get("replications"), manifest.get("steps"))
    if manifest.get("sweep_points"):
        from dataclasses import replace

        experiment = replace(experiment, points=tuple(manifest["sweep_points"]))
    params = experiment.params_for(row["scenario"], row["point"]).as_dict()
    return {"run_id": path.stem, **row, "preset": experiment.scenarios[row["scenario"]]["preset"],
            "parameters": params, "steps": experiment.steps}
