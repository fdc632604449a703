"""Results on disk: Parquet part files of many runs each, written atomically, and a manifest.

Layout of ``results/<experiment>/``::

    manifest.json                experiment text, resolved parameters, seeds, versions, counts
    metrics/part-NNNNNN.parquet  per-step metrics of a batch of runs (tidy: one row per run and step)
    agents/part-NNNNNN.parquet   sampled citizens' state of the same runs (if agent_sample_period > 0)
    runs/part-NNNNNN.parquet     one row per run of the batch: run id, scenario, preset, sweep point,
                                 replication, seed, steps, every resolved parameter (columns
                                 ``parameters.<name>``), the model's source hash, coprosim and Mesa
                                 versions, experiment name and fingerprint
    failures/<run_id>.txt        traceback of a run that raised (removed when it later succeeds)

The runner buffers finished runs and writes them together (``PartWriter``): a sweep of 21,500
runs makes about a hundred files of each kind, not 21,500. A part is complete when its metrics
file exists: the agents and runs files are written first, the metrics file last, each to a
temporary file then renamed (``os.replace``), so a killed sweep never leaves a half-written file
under its final name and loses at most the runs still in the buffer. The metrics file's key-value
metadata (key ``coprosim``, JSON) lists the runs it holds. Agents and runs files without their
metrics file (a sweep killed between the writes) are ignored by the loaders and removed when the
sweep resumes.

Folders written before part files (one ``metrics/<run_id>.parquet`` per run, with the run's
metadata in the file) still load, resume and mix with part files.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

KINDS = ("metrics", "agents")
MANIFEST = "manifest.json"
RUNS = "runs"  # folder of the per-run metadata tables of part files
PART = re.compile(r"part-(\d{6})")  # stem of a part file; any other stem is an older per-run file
PARAMETER_PREFIX = "parameters."
PROVENANCE = ("model_hash", "coprosim_version", "mesa_version")  # per run, in the runs table


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


def is_part(path: Path) -> bool:
    """A part file (many runs) rather than an older per-run file."""
    return PART.fullmatch(path.stem) is not None


def part_runs(path: Path) -> list[str]:
    """Run ids held by a metrics part file (from its key-value metadata)."""
    return list((read_run_metadata(path) or {}).get("runs", []))


def completed_runs(out: Path) -> set[str]:
    """Run ids whose metrics are on disk (in a part file, or an older per-run file)."""
    done: set[str] = set()
    for path in complete_files(out, "metrics"):
        if is_part(path):
            done.update(part_runs(path))
        else:
            done.add(path.stem)
    return done


def complete_files(out: Path, kind: str) -> list[Path]:
    """Files of ``kind`` whose runs are complete: a part file counts once its metrics part exists
    (an agents or runs part left by a sweep killed between writes is not), a per-run file once its
    run's metrics file exists."""
    out = Path(out)
    folder = out / kind
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if kind == "metrics":
        return files
    return [f for f in files if (out / "metrics" / f.name).exists()]


def failed_runs(out: Path) -> set[str]:
    folder = out / "failures"
    return {p.stem for p in folder.glob("*.txt")} if folder.is_dir() else set()


def remove_temporary_files(out: Path) -> None:
    """Temporary files left by a killed sweep, and agents or runs parts without their metrics part."""
    for kind in (*KINDS, RUNS, "failures"):
        for stale in (out / kind).glob(".*.tmp*") if (out / kind).is_dir() else ():
            stale.unlink(missing_ok=True)
    for kind in ("agents", RUNS):
        folder = out / kind
        for path in folder.glob("part-*.parquet") if folder.is_dir() else ():
            if is_part(path) and not (out / "metrics" / path.name).exists():
                path.unlink(missing_ok=True)


def clear_results(out: Path) -> None:
    """Remove the results of an earlier experiment in ``out`` (for --force); nothing else."""
    for kind in (*KINDS, RUNS, "failures", "figures"):
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


def dataset(files: list[Path]) -> ds.Dataset:
    """Parquet files as one dataset, their schemas unified (a column that is whole numbers in one
    file and not in another is read as floats everywhere; an all-empty column takes the others'
    type)."""
    schemas = [pq.read_schema(f) for f in files]
    try:
        schema = pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        schema = schemas[0]
    schema = schema.remove_metadata()
    return ds.dataset([str(f) for f in files], format="parquet", schema=schema)


class PartWriter:
    """Finished runs, buffered and written together: one part file of each kind per batch.

    ``add`` keeps a run; ``due`` says when the buffer should be written (``runs_per_file`` runs,
    or ``flush_seconds`` since the oldest unwritten run); ``flush`` writes the agents and runs
    tables, then the metrics table last (the part's completion mark), each atomically. A killed
    sweep loses at most the runs in the buffer.
    """

    def __init__(self, out: Path, runs_per_file: int, flush_seconds: float,
                 metadata: dict[str, Any] | None = None):
        self.out = Path(out)
        self.runs_per_file = max(1, int(runs_per_file))
        self.flush_seconds = float(flush_seconds)
        self.metadata = dict(metadata or {})
        self._buffer: list[tuple[str, pd.DataFrame, pd.DataFrame | None, dict[str, Any]]] = []
        self._oldest: float | None = None
        self._number = next_part_number(self.out)

    def add(self, run_id: str, metrics: pd.DataFrame, agents: pd.DataFrame | None,
            run: dict[str, Any]) -> None:
        """Keep one finished run: its metrics, sampled agents (or None) and its runs-table row."""
        if not self._buffer:
            self._oldest = time.monotonic()
        self._buffer.append((run_id, metrics, agents, run))

    def due(self) -> bool:
        return bool(self._buffer) and (len(self._buffer) >= self.runs_per_file
                                       or time.monotonic() - self._oldest >= self.flush_seconds)

    def flush(self) -> list[str]:
        """Write the buffered runs as one part; returns their run ids (empty if none)."""
        if not self._buffer:
            return []
        ids = [run_id for run_id, *_ in self._buffer]
        name = f"part-{self._number:06d}.parquet"
        meta = {**self.metadata, "layout": "parts", "runs": ids}
        agents = [a for _, _, a, _ in self._buffer if a is not None and len(a)]
        if agents:
            write_atomic(self.out / "agents" / name,
                         frame_to_parquet_bytes(pd.concat(agents, ignore_index=True),
                                                {**meta, "kind": "agents"}))
        write_atomic(self.out / RUNS / name,
                     frame_to_parquet_bytes(pd.DataFrame([row for *_, row in self._buffer]),
                                            {**meta, "kind": "runs"}))
        metrics = pd.concat([m for _, m, _, _ in self._buffer], ignore_index=True)
        write_atomic(self.out / "metrics" / name,
                     frame_to_parquet_bytes(metrics, {**meta, "kind": "metrics"}))
        self._number += 1
        self._buffer.clear()
        self._oldest = None
        return ids


def next_part_number(out: Path) -> int:
    """One more than the highest part number in any folder of ``out`` (1 for none)."""
    numbers = [int(match.group(1)) for kind in (*KINDS, RUNS) if (Path(out) / kind).is_dir()
               for path in (Path(out) / kind).glob("part-*.parquet")
               if (match := PART.fullmatch(path.stem))]
    return max(numbers, default=0) + 1


def run_row(task: dict[str, Any], parameters: dict[str, Any], provenance: dict[str, Any]) -> dict[str, Any]:
    """One run's row of the runs table: labels, seed, steps, provenance and every parameter."""
    return {"run_id": task["run_id"], "scenario": task["scenario"], "preset": task.get("preset"),
            "point": int(task["point"]), "replication": int(task["replication"]),
            "seed": int(task["seed"]), "steps": int(task["steps"]),
            "sweep": json.dumps(task["sweep"], sort_keys=True, default=str),
            "experiment": task.get("experiment"), "fingerprint": task.get("fingerprint"),
            **provenance, **{PARAMETER_PREFIX + name: value for name, value in parameters.items()}}


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
    files = complete_files(Path(out), kind)
    if not files:
        return pd.DataFrame(columns=columns or [])
    where = ds.field("scenario").isin(scenarios) if scenarios else None
    frame = dataset(files).to_table(columns=columns, filter=where).to_pandas()
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
        replication). ``attrs``: ``value``, ``first_step`` (of the end window), ``experiment``,
        and ``model_hash``, ``coprosim_version``, ``mesa_version``: the distinct values over the
        runs (one each when every run was made by the same code); ``run_provenance(out)`` gives
        them per run.
    """
    from .design import end_window

    if value not in ("end", "final"):
        raise ValueError(f"value: must be 'end' or 'final', got {value!r}")
    out = Path(out)
    manifest = read_manifest(out) or {}
    files = complete_files(out, "metrics")
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
    inputs = run_inputs(out, manifest)
    if inputs.empty:
        empty = pd.DataFrame(columns=["run_id", "scenario", "point", "replication", "seed", *metrics])
        return (empty, {m: np.array([]) for m in metrics}) if ema else empty
    steps = steps or int(inputs["steps"].max())
    first = end_window(steps, end_share) if value == "end" else steps
    keys = ["scenario", "point", "replication"]
    table = dataset(files).to_table(columns=[*keys, "step", *metrics],
                                    filter=ds.field("step") >= first)
    inputs = inputs.astype({"point": "int64", "replication": "int64", "seed": "int64"})
    made_by = {name: sorted({v for v in inputs[name] if v is not None}) for name in PROVENANCE}
    inputs = inputs.drop(columns=list(PROVENANCE))
    values = table.to_pandas().groupby(keys, sort=False)[metrics]
    ends = (values.mean() if value == "end" else values.last()).reset_index()
    frame = inputs.merge(ends, on=keys, how="left", validate="one_to_one").copy()  # one block per dtype
    order = {s: i for i, s in enumerate(manifest.get("scenarios") or {})}
    frame = (frame.assign(_rank=frame["scenario"].map(order).fillna(len(order)))
             .sort_values(["_rank", "point", "replication"], kind="stable")
             .drop(columns="_rank").reset_index(drop=True))
    frame.attrs.update(value=value, first_step=first, experiment=manifest.get("experiment"),
                       **made_by)
    if ema:
        return frame.drop(columns=metrics), {m: frame[m].to_numpy() for m in metrics}
    return frame


def run_inputs(out: Path, manifest: dict[str, Any]) -> pd.DataFrame:
    """One row per complete run: its labels, seed, resolved parameters and steps (``load_runs``'s
    inputs), from the runs tables of part files and the metadata of older per-run files."""
    frames = []
    parts = complete_files(out, RUNS)
    if parts:
        table = dataset(parts).to_table().to_pandas()
        parameters = [c for c in table.columns if c.startswith(PARAMETER_PREFIX)]
        order = _parameter_order([c[len(PARAMETER_PREFIX):] for c in parameters])
        labels = ["run_id", "scenario", "preset", "point", "replication", "seed"]
        columns = {name: table[name] for name in labels}
        columns.update({name: table[PARAMETER_PREFIX + name] for name in order})
        columns["steps"] = table["steps"].astype("int64")
        columns.update({name: table[name] if name in table else pd.Series([None] * len(table))
                        for name in PROVENANCE})
        frames.append(pd.DataFrame(columns))
    older = [path for path in complete_files(out, "metrics") if not is_part(path)]
    if older:
        frames.append(pd.DataFrame([_run_row(path, manifest) for path in older]))
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def run_provenance(out: str | Path) -> pd.DataFrame:
    """Per run: run id, the model's source hash and the coprosim and Mesa versions that made it."""
    out = Path(out)
    inputs = run_inputs(out, read_manifest(out) or {})
    return inputs[["run_id", *PROVENANCE]] if len(inputs) else pd.DataFrame(columns=["run_id", *PROVENANCE])


def _run_row(path: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Inputs of one run from its file's metadata (or, for older files, the manifest)."""
    meta = read_run_metadata(path)
    if meta is None:  # written before files carried metadata: rebuild from the manifest
        meta = _metadata_from_manifest(path, manifest)
    stored = meta["parameters"]
    order = _parameter_order(stored)
    return {"run_id": meta["run_id"], "scenario": meta["scenario"], "preset": meta.get("preset"),
            "point": int(meta["point"]), "replication": int(meta["replication"]),
            "seed": int(meta["seed"]), **{n: stored[n] for n in order}, "steps": int(meta["steps"]),
            **{name: meta.get(name) for name in PROVENANCE}}


def _parameter_order(names) -> list[str]:
    """Parameter names in ``Params``' order, then any others (from another model version) sorted."""
    from coprosim.model import Params

    known = Params.field_names()
    return [n for n in known if n in names] + sorted(set(names) - set(known))


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
