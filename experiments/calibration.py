"""Calibration to the literature's anchors: ABC-SMC (pyabc) over the free parameters.

    coprosim calibrate FILE [--populations N] [--particles N] [--workers N] [--out DIR] [--resume]

A targets file (``experiments/calibration_targets.toml`` is shipped) lists stylized facts, each a
summary statistic measured in the model under named conditions (scenarios), with the value the
literature gives, a tolerance and the source, and names the free parameters to fit with their prior
ranges. Layout::

    [calibration]
    name = "anchors"          # results/calibration/<name>/
    seed = 2026               # seeds every generation's draws and, with the parameters, every run
    citizens = 500            # model size of every run
    weeks = 156               # weeks per run
    warm_up = 52              # weeks before measurement starts
    populations = 5           # ABC-SMC generations (--populations overrides)
    particles = 100           # accepted particles per generation (--particles overrides)
    predictive_draws = 20     # posterior particles re-run with fresh seeds for the report
    default_seeds = 10        # runs at the defaults for the report

    [scenarios.npm]           # a condition every particle is run under (same seed in all)
    preset = "npm"
    set = { target_strength = 0.0 }   # optional overrides; they win over fitted values

    [parameters]              # parameters to fit, uniform priors
    participation_cost = "plausible"  # the parameter's plausible range (Params.spec)
    trust_reversion = [0.005, 0.05]   # or an explicit range inside the allowed one

    [[targets]]
    name = "staff turnover a year"
    statistic = "staff_turnover_per_year"   # see STATISTICS (or any metric: its weekly mean)
    scenario = "npm"
    versus = "npm_no_targets"  # optional: a contrast of scenario against versus ...
    change = "relative"        # ... "relative" ((a - b) / |b|) or "difference" (a - b)
    value = 0.15
    tolerance = 0.05
    source = "..."
    note = "..."               # how the model's quantity matches the source's
    # direction = "above"      # instead of a value: a direction-only target (the statistic above,
                               # or "below", value = 0 unless given), for a source with no number

Method (Beaumont et al. 2009; Toni et al. 2009, as implemented by pyabc, Schaelte et al. 2022):
uniform priors; distance = root mean square of (simulated - target) / tolerance over the targets,
so a distance of 1 means "on average one tolerance away"; thresholds are the median distance of the
previous generation (pyabc's ``QuantileEpsilon``), starting from the prior (generation 0 accepts
every draw); multivariate normal perturbation kernels.

Reproducible and resumable: pyabc keeps every generation in ``abc.db`` (SQLite). Our sampler seeds
numpy's global generator (which pyabc draws parameters with) from (seed, generation, draw index)
before each draw, each model run takes its seed from the seed and the particle's parameter values,
and a generation's particles are the first ``particles`` accepted draws in draw order. So the
result does not depend on the number of workers, on Dask, or on an interruption: rerunning with
``--resume`` continues from the last complete generation and equals an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import sys
import time
import tomllib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from coprosim.model import METRICS, PRESETS, Params

from coprosim._extras import require

from . import schema, storage
from .runner import Calls, make_pool, warn_small_populations
from .schema import ExperimentError, typed

SHIPPED_TARGETS = Path(__file__).resolve().parent / "calibration_targets.toml"
CALIBRATION_KEYS = ("name", "description", "seed", "citizens", "weeks", "warm_up", "populations",
                    "particles", "predictive_draws", "default_seeds")
TARGET_KEYS = ("name", "statistic", "scenario", "versus", "change", "value", "tolerance", "source",
               "note", "direction")
# A direction-only target (the source gives a sign, no number): the statistic must lie above (or
# below) ``value`` (0 unless given); a run on the wrong side counts its distance from it in
# tolerances, a run on the right side counts 0 (a one-sided constraint, not a made-up number).
DIRECTIONS = ("above", "below")
SCENARIO_KEYS = ("preset", "set", "description")
CHANGES = ("relative", "difference")
MISSING_PENALTY = 10.0  # a statistic the run could not measure counts as 10 tolerances away

# Summary statistics measured in one run, over the weeks after the warm-up (docs/ODD.md, 3.4).
# Every model metric (coprosim.model.METRICS) is also a statistic: its mean over those weeks.
STATISTICS: dict[str, str] = {
    "staff_turnover_per_year": "Staff who leave in a year, per staff member (weekly turnover x 52).",
    "volunteer_exits_per_year": "Share of volunteers who leave the programme within a year: 1 - (1 - h)^52, h the exits per volunteer-week (exits from the programme, rejoining or not).",
    "volunteers_not_returning": "Share of the citizens who volunteered at any time in one year (the second-last 52 weeks) who do not volunteer at any time in the next (the last 52 weeks): stopping volunteering altogether, as CNCS 2009 counts it (the model's programme is all the volunteering there is). Needs 104 measured weeks.",
    "new_volunteers_asked_by_peer": "Share of new volunteers whom a volunteer among their neighbours asked that week (someone they know), reconstructed from the week's draws with the model's own rule (volunteering.work_for_more); the rest joined on the programme's call.",
    "volunteered_in_year_bottom_over_top": "Share of the bottom resource quintile who volunteered at any time in the last 52 weeks, over that share in the top quintile (annual formal volunteering by the groups' resources).",
    "trusting_share": "Share of citizens who trust (trust >= 0.55, i.e. 6-10 when trust is read as an answer on the 0-10 scale, round(10 x trust)), mean over the measured weeks.",
    "trusting_gap_top_bottom": "Share trusting (>= 0.55) in the top resource quintile minus that in the bottom quintile, mean over the measured weeks.",
    "trust_bottom_quintile": "Mean trust of the fifth of citizens with the fewest resources.",
    "trust_top_quintile": "Mean trust of the fifth of citizens with the most resources.",
    "trusting_with_say_ratio": "Share trusting (trust >= 0.55) among citizens who took part in the last year (had a say), over the share among those who did not, at the end of the run.",
    "participant_trust_change": "Mean change in trust over the 26 weeks after a citizen starts taking part (takes part after at least 26 weeks without), from the week before; averaged over the starts in the measured weeks that have 26 weeks after them.",
    "efficacy_gap_took_part_in_year": "Mean efficacy of citizens who took part in the last 52 weeks minus that of those who did not, at the end of the run.",
    "need_met_per_case": "Need met in encounters per encounter held (per case closed), over the measured weeks.",
    "taking_part_bottom_quintile": "Share of the bottom resource quintile taking part in a week.",
    "taking_part_top_quintile": "Share of the top resource quintile taking part in a week.",
    "taking_part_top_bottom_ratio": "Weekly share taking part, top over bottom resource quintile.",
    "took_part_in_year_bottom_quintile": "Share of the bottom resource quintile who took part at least once in the last 52 weeks.",
    "took_part_in_year_top_quintile": "Share of the top resource quintile who took part at least once in the last 52 weeks.",
    "took_part_in_year_top_bottom_ratio": "Share who took part at least once in the last 52 weeks, top over bottom quintile.",
    "took_part_in_year": "Share of citizens who took part at least once in the last 52 weeks.",
    "asking_taking_part_top_bottom_ratio": "Share of those asking for help who take part, top over bottom quintile.",
    "participation_first_weeks": "Participation rate (metric) over weeks 1-8.",
    "participation_persistence": "Participation rate in the measured weeks over that of weeks 1-8 (1: it holds; about 0.2: it decays as in public-goods games without reinforcement).",
    "wellbeing_bottom_quintile": "Mean wellbeing of the bottom resource quintile.",
}
# Trust read as an answer on the OECD Trust Survey's 0-10 scale: round(10 x trust); 6-10 is the
# survey's "high or moderately high" trust, so a citizen trusts at trust >= 0.55 (OECD 2024).
TRUSTING = 0.55
YEAR = 52
TRUST_FOLLOW_UP = 26  # weeks: Fledderus's six months
EARLY_WEEKS = 8
PROGRESS_SECONDS = 30.0  # within a generation, a progress line at most this often


class CalibrationError(ExperimentError):
    """A bad targets file or calibration request; the message is one line."""


# --- the targets file ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    name: str
    statistic: str
    scenario: str
    value: float
    tolerance: float
    source: str
    versus: str | None = None
    change: str = "relative"
    note: str = ""
    direction: str | None = None  # "above"/"below": a direction-only target (DIRECTIONS)

    def miss(self, simulated: float) -> float:
        """How far a simulated value misses the target, in tolerances (signed for a number; 0 on the
        right side of a direction-only target, else the distance past its bound)."""
        z = (simulated - self.value) / self.tolerance
        if self.direction == "above":
            return min(z, 0.0)
        if self.direction == "below":
            return max(z, 0.0)
        return z

    def fits(self, simulated: float) -> bool:
        """Within one tolerance of the value, or on the right side of a direction-only target."""
        return bool(math.isfinite(simulated) and abs(self.miss(simulated)) <= (0.0 if self.direction else 1.0))

    def stated(self) -> str:
        """The literature's value as the report shows it: 'v ± t', or '> v' for a direction."""
        if self.direction:
            return f"{'>' if self.direction == 'above' else '<'} {self.value:.3g} (direction only)"
        return f"{self.value:.3g} ± {self.tolerance:.3g}"


@dataclass(frozen=True)
class Calibration:
    """A validated targets file."""

    path: str
    name: str
    description: str
    seed: int
    citizens: int
    weeks: int
    warm_up: int
    populations: int
    particles: int
    predictive_draws: int
    default_seeds: int
    scenarios: dict[str, dict[str, Any]]
    priors: dict[str, tuple[float, float]]
    targets: tuple[Target, ...]
    text: str = field(repr=False, default="")

    def used_scenarios(self) -> list[str]:
        names = []
        for t in self.targets:
            for s in (t.scenario, t.versus):
                if s is not None and s not in names:
                    names.append(s)
        return names

    def fingerprint(self, particles: int) -> str:
        """What makes two calibrations the same (the file's content and the population size)."""
        blob = json.dumps({"text": self.text, "particles": particles}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def params_for(self, scenario: str, values: dict[str, Any]) -> Params:
        spec = self.scenarios[scenario]
        overrides = {**values, **spec["set"], "n_citizens": self.citizens}
        return Params.preset(spec["preset"], **overrides)


def resolve_targets_path(text: str | Path) -> Path:
    """A path as given if it exists; else the shipped targets file by name."""
    path = Path(text)
    if path.exists():
        return path
    if path.name in ("calibration_targets", "calibration_targets.toml"):
        return SHIPPED_TARGETS
    return path


def load_targets(path: str | Path) -> Calibration:
    """Read and validate a targets file; raises ``CalibrationError`` (one line) if it is bad."""
    path = Path(path)
    where = str(path)
    if not path.is_file():
        _fail(where, "", "no such targets file (the shipped one is 'calibration_targets')")
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CalibrationError(f"{where}: not valid TOML: {exc}") from None
    schema.only(where, "", data, ("calibration", "scenarios", "parameters", "targets"),
                "section", error=CalibrationError)
    head = _table(where, "calibration", data.get("calibration", {}))
    schema.only(where, "calibration", head, CALIBRATION_KEYS, error=CalibrationError)
    name = schema.name(where, head.get("name", path.stem), "calibration.name", error=CalibrationError)
    description = schema.string(where, "calibration.description", head.get("description", ""),
                                error=CalibrationError)
    seed = _integer(where, "calibration.seed", head.get("seed", 2026), 0, 2**63 - 1)
    citizens = _integer(where, "calibration.citizens", head.get("citizens", 500), 10, 200_000)
    weeks = _integer(where, "calibration.weeks", head.get("weeks", 156), 2 * EARLY_WEEKS, 5200)
    warm_up = _integer(where, "calibration.warm_up", head.get("warm_up", 52), 0, weeks - 1)
    populations = _integer(where, "calibration.populations", head.get("populations", 5), 1, 100)
    particles = _integer(where, "calibration.particles", head.get("particles", 100), 2, 100_000)
    draws = _integer(where, "calibration.predictive_draws", head.get("predictive_draws", 20), 1, 10_000)
    default_seeds = _integer(where, "calibration.default_seeds", head.get("default_seeds", 10), 1, 10_000)

    scenarios = _scenarios(where, data.get("scenarios"))
    priors = _priors(where, data.get("parameters"))
    targets = _targets(where, data.get("targets"), scenarios)
    return Calibration(where, name, description, seed, citizens, weeks, warm_up, populations,
                       particles, draws, default_seeds, scenarios, priors, targets, text)


def _scenarios(where: str, table: Any) -> dict[str, dict[str, Any]]:
    if table is None:
        _fail(where, "scenarios", "missing; add at least one [scenarios.NAME] table with preset = "
              f"one of {', '.join(PRESETS)}")
    table = _table(where, "scenarios", table)
    result = {}
    for name, spec in table.items():
        key = f"scenarios.{name}"
        spec = _table(where, key, spec)
        schema.only(where, key, spec, SCENARIO_KEYS, error=CalibrationError)
        preset = spec.get("preset", name)
        if preset not in PRESETS:
            _fail(where, f"{key}.preset", f"unknown preset {preset!r}; allowed: {', '.join(PRESETS)}")
        result[name] = {"preset": preset, "set": {
            pname: _parameter_value(where, f"{key}.set.{pname}", pname, value)
            for pname, value in _table(where, f"{key}.set", spec.get("set", {})).items()}}
    return result


def _priors(where: str, table: Any) -> dict[str, tuple[float, float]]:
    if table is None:
        _fail(where, "parameters", "missing; add a [parameters] table, e.g. participation_cost = "
              "\"plausible\"")
    table = _table(where, "parameters", table)
    if not table:
        _fail(where, "parameters", "empty; name at least one parameter to fit")
    priors = {}
    for name, value in table.items():
        key = f"parameters.{name}"
        schema.parameter_name(where, key, name, error=CalibrationError)
        if name == "n_citizens":
            _fail(where, key, "the model size is set by calibration.citizens")
        spec = Params.spec(name)
        if value == "plausible":
            priors[name] = tuple(float(v) for v in spec["plausible"])
        elif isinstance(value, list) and len(value) == 2:
            priors.update(schema.parameter_ranges(where, "parameters", {name: value}, CalibrationError))
        else:
            _fail(where, key, f"must be \"plausible\" or [low, high] within {list(spec['range'])}, "
                  f"got {value!r}")
    return priors


def _targets(where: str, items: Any, scenarios: dict) -> tuple[Target, ...]:
    if not isinstance(items, list) or not items:
        _fail(where, "targets", "missing; add at least one [[targets]] table")
    targets, names = [], set()
    for i, item in enumerate(items):
        key = f"targets[{i}]"
        item = _table(where, key, item)
        schema.only(where, key, item, TARGET_KEYS, error=CalibrationError)
        direction = item.get("direction")
        if direction is not None and direction not in DIRECTIONS:
            _fail(where, f"{key}.direction", f"must be above or below, got {direction!r}")
        for k in ("name", "statistic", "scenario", "value", "tolerance", "source"):
            if k not in item and not (k == "value" and direction):
                _fail(where, f"{key}.{k}", "missing")
        name = item["name"]
        if not isinstance(name, str) or not name.strip():
            _fail(where, f"{key}.name", f"must be a non-empty string, got {name!r}")
        if name in names:
            _fail(where, f"{key}.name", f"{name!r} is used twice")
        names.add(name)
        statistic = item["statistic"]
        if statistic not in STATISTICS and statistic not in METRICS:
            _fail(where, f"{key}.statistic", f"unknown statistic {statistic!r}; allowed: "
                  f"{', '.join([*STATISTICS, *METRICS])}")
        for k in ("scenario", "versus"):
            if k in item and item[k] not in scenarios:
                _fail(where, f"{key}.{k}", f"unknown scenario {item[k]!r}; allowed: {', '.join(scenarios)}")
        change = item.get("change", "relative")
        if change not in CHANGES:
            _fail(where, f"{key}.change", f"must be relative or difference, got {change!r}")
        if "change" in item and "versus" not in item:
            _fail(where, f"{key}.change", "needs versus = a scenario to compare with")
        value = _number(where, f"{key}.value", item.get("value", 0.0))
        tolerance = _number(where, f"{key}.tolerance", item["tolerance"])
        if not tolerance > 0:
            _fail(where, f"{key}.tolerance", f"must be a number > 0, got {tolerance!r}")
        source = item["source"]
        if not isinstance(source, str) or not source.strip():
            _fail(where, f"{key}.source", "must name the source (a non-empty string)")
        targets.append(Target(name, statistic, item["scenario"], value, tolerance, source,
                              item.get("versus"), change, str(item.get("note", "")), direction))
    return tuple(targets)


# The schema's checks, raising CalibrationError
_fail = partial(schema.fail, error=CalibrationError)
_table = partial(schema.table, error=CalibrationError)
_integer = partial(schema.integer, error=CalibrationError)
_number = partial(schema.number, error=CalibrationError)
_parameter_value = partial(schema.parameter_value, error=CalibrationError)


# --- summary statistics -------------------------------------------------------------------------
def measure(params: Params, seed: int, weeks: int, warm_up: int) -> dict[str, float]:
    """Run one model and measure every statistic of ``STATISTICS`` and every metric's mean.

    Citizens' state is read after every week (as an agent sample every week would record it);
    the model is not changed."""
    from coprosim.model import CoproductionModel

    model = CoproductionModel(params=params, seed=seed, warn_small_population=False)
    try:
        quintile = model.quintile
        per_quintile = np.bincount(quintile, minlength=5).astype(float)
        n = params.n_citizens
        last_took = np.full(n, -10**9)
        took = np.zeros(5)
        asked = np.zeros(5)
        took_when_asked = np.zeros(5)
        trust_sum = np.zeros(5)
        trusting_sum = np.zeros(5)
        wellbeing_sum = np.zeros(5)
        exits = volunteer_weeks = 0
        measured = 0
        trust_history = np.empty((weeks + 1, n))  # trust at the end of each week (0: the start)
        trust_history[0] = model.citizen_state["trust"]
        starts: list[tuple[int, np.ndarray]] = []  # (week, citizens who start taking part then)
        volunteered_before = np.zeros(n, dtype=bool)  # any week of the second-last 52
        volunteered_last = np.zeros(n, dtype=bool)  # any week of the last 52
        recruits = recruits_by_peer = 0.0
        for week in range(1, weeks + 1):
            active_before = model.volunteer_state["active"].copy()
            before = set(model.volunteers)
            model.step()
            c = model.citizen_state
            took_part = c["took_part"]
            trust_history[week] = c["trust"]
            if week > warm_up and week > TRUST_FOLLOW_UP:
                starts.append((week, np.flatnonzero(took_part & (last_took <= week - TRUST_FOLLOW_UP - 1))))
            last_took[took_part] = week
            active = model.volunteer_state["active"]
            if week > weeks - 2 * YEAR:
                (volunteered_last if week > weeks - YEAR else volunteered_before)[active] = True
            if week <= warm_up:
                continue
            measured += 1
            exits += len(before - set(model.volunteers))
            volunteer_weeks += len(before)
            joined, by_peer = _recruited_by_peer(model, active_before, active)
            recruits += joined
            recruits_by_peer += by_peer
            # who asked this week: those with need above the threshold who have not withdrawn,
            # or were reached by outreach; took_part implies asked
            asking = ((c["need"] > params.need_threshold) & ~c["withdrawn"]) | took_part
            took += np.bincount(quintile, weights=took_part, minlength=5)
            asked += np.bincount(quintile, weights=asking, minlength=5)
            took_when_asked += np.bincount(quintile, weights=took_part & asking, minlength=5)
            trust_sum += np.bincount(quintile, weights=c["trust"], minlength=5)
            trusting_sum += np.bincount(quintile, weights=c["trust"] >= TRUSTING, minlength=5)
            wellbeing_sum += np.bincount(quintile, weights=c["wellbeing"], minlength=5)
        frame = model.datacollector.get_model_vars_dataframe()
        trust = model.citizen_state["trust"]
        efficacy = model.citizen_state["efficacy"]
    finally:
        model.release()
    late = frame.iloc[warm_up + 1:]
    early = frame["participation_rate"].iloc[1:EARLY_WEEKS + 1].mean()
    stats = {name: float(late[name].mean()) for name in METRICS}
    in_year = last_took > weeks - YEAR
    share_year = np.bincount(quintile, weights=in_year, minlength=5) / per_quintile
    weekly = took / (per_quintile * measured)
    when_asked = _ratio(took_when_asked, asked)
    trusting = trust >= TRUSTING
    trusting_share = trusting_sum / (per_quintile * measured)
    volunteered = np.bincount(quintile, weights=volunteered_last, minlength=5) / per_quintile
    changes = [trust_history[w + TRUST_FOLLOW_UP, who] - trust_history[w - 1, who]
               for w, who in starts if w + TRUST_FOLLOW_UP <= weeks and who.size]
    changes = np.concatenate(changes) if changes else np.empty(0)
    cases = float(late["throughput"].sum())
    stats.update({
        "staff_turnover_per_year": stats["staff_turnover"] * 52,
        # a share who stop within a year at the measured weekly exit rate: 1 - (1 - h)^52
        "volunteer_exits_per_year": (1.0 - (1.0 - exits / volunteer_weeks) ** 52
                                     if volunteer_weeks else math.nan),
        "volunteers_not_returning": (float((volunteered_before & ~volunteered_last).sum()
                                           / volunteered_before.sum())
                                     if weeks - warm_up >= 2 * YEAR and volunteered_before.any()
                                     else math.nan),
        "new_volunteers_asked_by_peer": recruits_by_peer / recruits if recruits else math.nan,
        "volunteered_in_year_bottom_over_top": _ratio(volunteered[0], volunteered[4]),
        "trusting_share": float((trusting_sum.sum()) / (n * measured)),
        "trusting_gap_top_bottom": trusting_share[4] - trusting_share[0],
        "trust_bottom_quintile": trust_sum[0] / (per_quintile[0] * measured),
        "trust_top_quintile": trust_sum[4] / (per_quintile[4] * measured),
        "trusting_with_say_ratio": _ratio(trusting[in_year].mean() if in_year.any() else math.nan,
                                          trusting[~in_year].mean() if (~in_year).any() else math.nan),
        "participant_trust_change": float(changes.mean()) if changes.size else math.nan,
        "efficacy_gap_took_part_in_year": (float(efficacy[in_year].mean() - efficacy[~in_year].mean())
                                           if in_year.any() and (~in_year).any() else math.nan),
        "need_met_per_case": (float(late["need_met_in_encounters"].sum()) * n / cases
                              if cases > 0 else math.nan),
        "taking_part_bottom_quintile": weekly[0],
        "taking_part_top_quintile": weekly[4],
        "taking_part_top_bottom_ratio": _ratio(weekly[4], weekly[0]),
        "took_part_in_year_bottom_quintile": share_year[0],
        "took_part_in_year_top_quintile": share_year[4],
        "took_part_in_year_top_bottom_ratio": _ratio(share_year[4], share_year[0]),
        "took_part_in_year": float(in_year.mean()),
        "asking_taking_part_top_bottom_ratio": _ratio(when_asked[4], when_asked[0]),
        "participation_first_weeks": float(early),
        "participation_persistence": _ratio(stats["participation_rate"], early),
        "wellbeing_bottom_quintile": wellbeing_sum[0] / (per_quintile[0] * measured),
    })
    return {k: float(v) for k, v in stats.items()}


def _recruited_by_peer(model, active_before: np.ndarray, active: np.ndarray) -> tuple[int, int]:
    """This week's new volunteers, and how many of them a volunteer neighbour asked.

    The model records recruits but not who asked them, so the week's own draws are read with the
    model's rule (``model.volunteering.recruit``): a citizen with k volunteer neighbours is asked
    by one of them when the week's ``asked`` draw is below (1 - (1 - volunteer_peer_ask)^k) times
    how far the programme looks for more (``work_for_more``). Volunteers at recruitment are those
    active before the week and still active after it (leavers go before recruits join)."""
    from coprosim.model import volunteering

    new = active & ~active_before
    joined = int(new.sum())
    p, week = model.params, getattr(model, "last_week", None)
    if not joined or week is None or p.volunteer_peer_ask <= 0 or "asked" not in week.draws:
        return joined, 0
    stayed = active & active_before
    scale = min(1.0, max(0.0, volunteering.work_for_more(week.volunteer_load, bool(stayed.any()),
                                                         p.volunteer_full_load)))
    neighbours = model.adjacency @ stayed.astype(float)
    by_peer = -np.expm1(neighbours[new] * np.log1p(-min(p.volunteer_peer_ask, 1.0 - 1e-12)))
    return joined, int((week.draws["asked"][new] < by_peer * scale).sum())


def _ratio(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(b > 0, a / np.where(b > 0, b, 1.0), math.nan)
    return float(out) if out.ndim == 0 else out


# --- simulation of one particle -----------------------------------------------------------------
def particle_seed(seed: int, values: dict[str, Any]) -> int:
    """The model seed of a particle: from the calibration seed and its parameter values only."""
    blob = json.dumps({"seed": int(seed), **{k: repr(v) for k, v in sorted(values.items())}})
    return int.from_bytes(hashlib.sha256(blob.encode()).digest()[:8], "little") >> 1


def target_keys(calibration: Calibration) -> list[str]:
    """pyabc's names of the summary statistics: one per target, in the file's order."""
    return [f"target_{i:02d}" for i in range(len(calibration.targets))]


def simulate_targets(calibration: Calibration, values: dict[str, Any], seed: int) -> dict[str, float]:
    """Every target's statistic for one parameter set: each scenario run once with ``seed``
    (the same seed in every scenario, so contrasts between scenarios are paired)."""
    runs = {}
    for scenario in calibration.used_scenarios():
        params = calibration.params_for(scenario, values)
        runs[scenario] = measure(params, seed, calibration.weeks, calibration.warm_up)
    out = {}
    for key, target in zip(target_keys(calibration), calibration.targets, strict=True):
        a = runs[target.scenario][target.statistic]
        if target.versus is None:
            out[key] = a
            continue
        b = runs[target.versus][target.statistic]
        if target.change == "difference":
            out[key] = a - b
        else:
            out[key] = (a - b) / abs(b) if b != 0 and math.isfinite(b) else math.nan
    return out


class Simulator:
    """pyabc's model: parameters in, one summary statistic per target out."""

    def __init__(self, calibration: Calibration):
        self.calibration = calibration

    def __call__(self, parameters) -> dict[str, float]:
        values = {name: typed(name, parameters[name]) for name in self.calibration.priors}
        return simulate_targets(self.calibration, values,
                                particle_seed(self.calibration.seed, values))


class ToleranceDistance:
    """Root mean square of (simulated - target) / tolerance; 1 = one tolerance away on average."""

    def __init__(self, calibration: Calibration):
        self.targets = dict(zip(target_keys(calibration), calibration.targets, strict=True))

    def __call__(self, x: dict, x_0: dict) -> float:
        terms = []
        for key, target in self.targets.items():
            # a number: (simulated - x_0) / tolerance; a direction-only target: the distance past
            # its bound (0 on the right side); x_0 holds the file's values
            z = target.miss(float(x[key]) - float(x_0[key]) + target.value)
            terms.append(z * z if math.isfinite(z) else MISSING_PENALTY ** 2)
        return math.sqrt(sum(terms) / len(terms))


# --- executors ------------------------------------------------------------------------------------
def _run_job(function_bytes: bytes, seed: int):
    """One draw in a worker (or in-process): numpy's global generator, which pyabc samples
    parameters with, is seeded from (calibration seed, generation, draw index) first."""
    import cloudpickle

    function = cloudpickle.loads(function_bytes)
    random.seed(seed)
    np.random.seed(seed)
    return function()


def _job_seed(seed: int, t: int, index: int) -> int:
    return int(np.random.SeedSequence([int(seed), t + 1, index]).generate_state(1)[0])


def _make_sampler(pyabc, seed: int, executor, populations: int, say: Callable[[str], None]):
    class SeededSampler(pyabc.sampler.Sampler):
        """Draw i of generation t seeded from (seed, t, i); the population is the first n accepted
        draws in draw order, whichever worker finished first, so results do not depend on the
        executor or on the number of workers."""

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                    all_accepted=False, ana_vars=None):
            import cloudpickle

            started = time.perf_counter()
            blob = cloudpickle.dumps(simulate_one)
            results: dict[int, Any] = {}
            running: set[int] = set()
            next_index = 0
            said = started
            while True:
                for key, value in executor.results(0.02 if running else 0):
                    generation, index = map(int, key[1:].split("-d"))
                    if generation == t:  # a draw of an earlier generation, no longer needed
                        results[index] = value
                        running.discard(index)
                accepted = sorted(i for i, r in results.items() if r.accepted)
                if time.perf_counter() - said >= PROGRESS_SECONDS and results:
                    said = time.perf_counter()
                    say(f"generation {t + 1} of {populations}: {min(len(accepted), n)} of {n} "
                        f"accepted so far, {len(results)} draws done, {said - started:.0f} s")
                last = accepted[n - 1] if len(accepted) >= n else None
                if last is not None:
                    if not [i for i in running if i < last]:
                        break  # draws after the n-th acceptance are not needed
                elif executor.room() and next_index < max_eval:
                    while executor.room() and next_index < max_eval:
                        executor.submit(f"g{t}-d{next_index}", _run_job, blob,
                                        _job_seed(seed, t, next_index))
                        running.add(next_index)
                        next_index += 1
                elif not running:
                    break  # max_eval reached
            sample = self._create_empty_sample()
            evaluations = (last + 1) if last is not None else next_index
            for index in range(evaluations):
                if index in results:
                    sample.append(results[index])
            self.nr_evaluations_ = evaluations
            if last is None:
                sample.ok = False
            try:
                eps = ana_vars.eps(t) if ana_vars is not None else math.nan
            except (KeyError, TypeError):
                eps = math.nan
            say(f"generation {t + 1} of {populations}: threshold {eps:.3g} (distance in "
                f"tolerances), {sample.n_accepted} accepted of {evaluations} draws "
                f"({sample.n_accepted / max(evaluations, 1):.0%}), {time.perf_counter() - started:.0f} s")
            return sample

    return SeededSampler()


def _make_epsilon(pyabc):
    class ResumableQuantileEpsilon(pyabc.epsilon.QuantileEpsilon):
        """Median of the previous generation's distances; generation 0 accepts every prior draw.
        On a resumed run the threshold is computed from the stored generation, as an
        uninterrupted run computes it from the one in memory."""

        def __init__(self):
            super().__init__(initial_epsilon=math.inf, alpha=0.5)

        def requires_calibration(self) -> bool:
            return False

        def initialize(self, t, get_weighted_distances, get_all_records, max_nr_populations,
                       acceptor_config):
            if t == 0:
                self._look_up = {0: math.inf}
            else:
                self._update(t, get_weighted_distances())

    return ResumableQuantileEpsilon()


# --- the calibration --------------------------------------------------------------------------------
def run_calibration(calibration: Calibration, populations: int | None = None,
                    particles: int | None = None, workers: int | None = None,
                    out: str | Path | None = None, resume: bool = False, dask: str | None = None,
                    report: bool = True, say: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Fit the free parameters by ABC-SMC (resumable), then write the report.

    Returns a dict with ``out``, ``generations`` (done), ``posterior`` (a DataFrame: one row per
    parameter), ``fit`` (one row per target) and ``report`` (the path), the last three only when
    ``report`` is true.
    """
    pyabc = require("calibration", "pyabc", "coprosim calibrate (ABC-SMC with pyabc)")
    say = say or (lambda text: print(text, file=sys.stderr, flush=True))
    logging.getLogger("ABC").setLevel(logging.WARNING)
    populations = populations or calibration.populations
    particles = particles or calibration.particles
    out = Path(out) if out is not None else Path("results") / "calibration" / calibration.name
    db = out / "abc.db"
    meta_path = out / "calibration.json"
    fingerprint = calibration.fingerprint(particles)
    if db.exists():
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        if not resume:
            raise CalibrationError(f"{out}: a calibration is already stored there "
                                   f"({meta.get('generations', '?')} generations); add --resume "
                                   "to continue it, or choose another --out")
        if meta.get("fingerprint") != fingerprint:
            raise CalibrationError(f"{out}: the stored calibration was made from a different "
                                   "targets file or --particles; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    warn_small_populations([calibration.citizens])
    executor = Calls(make_pool(workers, dask))  # the runner's local process groups, or Dask
    finished = False
    try:
        abc = pyabc.ABCSMC(
            models=Simulator(calibration),
            parameter_priors=pyabc.Distribution(**{
                name: pyabc.RV("uniform", lo, hi - lo) for name, (lo, hi) in calibration.priors.items()}),
            distance_function=ToleranceDistance(calibration),
            population_size=particles,
            sampler=_make_sampler(pyabc, calibration.seed, executor, populations, say),
            eps=_make_epsilon(pyabc),
        )
        url = f"sqlite:///{db.resolve()}"
        if db.exists():
            history = abc.load(url, 1)
            done = history.max_t + 1
            say(f"resuming {calibration.name}: {done} of {populations} generations stored in {db}")
        else:
            observed = {key: t.value for key, t in zip(target_keys(calibration), calibration.targets,
                                                         strict=True)}
            abc.new(url, observed)
            done = 0
            say(f"calibrating {calibration.name}: {len(calibration.priors)} parameters, "
                f"{len(calibration.targets)} targets, {len(calibration.used_scenarios())} runs per "
                f"draw ({calibration.citizens} citizens, {calibration.weeks} weeks), {particles} "
                f"particles, {populations} generations, {executor.workers} worker(s)")
        _write_meta(meta_path, calibration, fingerprint, particles, done)
        if populations > done:
            try:
                with warnings.catch_warnings():
                    # pyabc compares the first threshold (infinite: all prior draws accepted)
                    # with the next: inf - inf, harmless
                    warnings.filterwarnings("ignore", "invalid value encountered in scalar subtract",
                                            RuntimeWarning)
                    abc.run(max_nr_populations=populations - done)
            finally:
                generations = pyabc.History(url, _id=1).max_t + 1
                _write_meta(meta_path, calibration, fingerprint, particles, generations)
        result = {"out": out, "generations": pyabc.History(url, _id=1).max_t + 1, "db": db}
        if report:
            result.update(write_report(calibration, out, executor, say))
        finished = True
        return result
    finally:
        executor.close(cancel=not finished)  # interrupted: do not wait for running draws


def _write_meta(path: Path, calibration: Calibration, fingerprint: str, particles: int,
                generations: int) -> None:
    meta = {"name": calibration.name, "targets_file": calibration.path, "fingerprint": fingerprint,
            "particles": particles, "generations": generations, "seed": calibration.seed}
    storage.write_atomic(path, json.dumps(meta, indent=2) + "\n")


def posterior(db: Path) -> tuple[Any, np.ndarray, int]:
    """The last generation's particles (a DataFrame, one column per parameter), weights, index."""
    import pyabc

    history = pyabc.History(f"sqlite:///{Path(db).resolve()}", _id=1)
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    return frame, np.asarray(weights, dtype=float), history.max_t


def weighted_quantile(values, weights, q: float) -> float:
    order = np.argsort(values, kind="stable")
    v, w = np.asarray(values, dtype=float)[order], np.asarray(weights, dtype=float)[order]
    cumulative = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cumulative, v))


def write_report(calibration: Calibration, out: Path, executor, say) -> dict[str, Any]:
    """The report: each target against the defaults and the fitted model (posterior predictive),
    the posterior of each parameter, and what did not fit."""
    import pandas as pd
    import pyabc

    frame, weights, t_last = posterior(out / "abc.db")
    history = pyabc.History(f"sqlite:///{(out / 'abc.db').resolve()}", _id=1)
    populations = history.get_all_populations()
    rows = []
    for name, (lo, hi) in calibration.priors.items():
        values = frame[name].to_numpy()
        median = weighted_quantile(values, weights, 0.5)
        low, high = weighted_quantile(values, weights, 0.05), weighted_quantile(values, weights, 0.95)
        rows.append({"parameter": name, "default": Params.spec(name)["default"], "prior_low": lo,
                     "prior_high": hi, "median": median, "low_5": low, "high_95": high,
                     "interval_share_of_prior": (high - low) / (hi - lo),
                     "proposed": typed(name, median)})
    table = pd.DataFrame(rows)
    table.to_csv(out / "posterior.csv", index=False)

    # posterior predictive: particles drawn by weight, run again with fresh seeds
    rng = np.random.default_rng([calibration.seed, 7])
    draws = rng.choice(len(frame), size=calibration.predictive_draws, p=weights / weights.sum())
    tasks = []
    for k, row in enumerate(draws):
        values = {name: typed(name, frame[name].iloc[row]) for name in calibration.priors}
        tasks.append(("posterior", k, values, _job_seed(calibration.seed, 10_000, k)))
    defaults = {name: Params.spec(name)["default"] for name in calibration.priors}
    proposed = {name: typed(name, value) for name, value in zip(table["parameter"], table["median"],
                                                                 strict=True)}
    for k in range(calibration.default_seeds):
        seed = _job_seed(calibration.seed, 20_000, k)
        tasks.append(("defaults", k, defaults, seed))
        tasks.append(("proposed", k, proposed, seed))  # the same seeds: paired with the defaults
    say(f"report: {len(tasks)} parameter sets x {len(calibration.used_scenarios())} runs "
        f"(posterior predictive, defaults, proposed defaults)")
    jobs = executor.map({f"r{i}": (simulate_targets, calibration, values, seed)
                         for i, (_, _, values, seed) in enumerate(tasks)})
    keys = target_keys(calibration)
    records = []
    for (kind, k, values, seed), result in zip(tasks, jobs.values(), strict=True):
        records.append({"kind": kind, "draw": k, "seed": seed, **values,
                        **{t.name: result[key] for key, t in zip(keys, calibration.targets, strict=True)}})
    predictive = pd.DataFrame(records)
    predictive.to_csv(out / "predictive.csv", index=False)

    fit_rows = []
    for t in calibration.targets:
        row = {"target": t.name, "value": t.value, "tolerance": t.tolerance, "source": t.source,
               "direction": t.direction or "", "literature": t.stated()}
        for kind in ("defaults", "posterior", "proposed"):
            v = predictive.loc[predictive["kind"] == kind, t.name].to_numpy(dtype=float)
            v = v[np.isfinite(v)]
            row[f"{kind}_mean"] = float(v.mean()) if v.size else math.nan
            row[f"{kind}_low"] = float(np.quantile(v, 0.05)) if v.size else math.nan
            row[f"{kind}_high"] = float(np.quantile(v, 0.95)) if v.size else math.nan
        row["fits"] = t.fits(row["posterior_mean"])
        row["fit_at_defaults"] = t.fits(row["defaults_mean"])
        row["fit_at_proposed"] = t.fits(row["proposed_mean"])
        fit_rows.append(row)
    fit = pd.DataFrame(fit_rows)
    fit.to_csv(out / "fit.csv", index=False)
    figures = {"posterior": _plot_posterior(frame, weights, calibration, table, out / "posterior.png"),
               "fit": _plot_fit(fit, out / "fit.png")}
    ess = []
    for t in range(t_last + 1):
        _, w = history.get_distribution(m=0, t=t)
        w = np.asarray(w, dtype=float)
        ess.append(float(w.sum() ** 2 / (w ** 2).sum()))  # effective sample size (Kish)
    text = _report_text(calibration, table, fit, populations, t_last, figures, ess)
    path = out / "report.md"
    storage.write_atomic(path, text)
    return {"posterior": table, "fit": fit, "report": path, "predictive": predictive}


def _f(x: float) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    return f"{x:.3g}"


def _spread(row, kind: str) -> str:
    """``mean [5%, 95%]`` of one kind of run (defaults, posterior, proposed) in a fit row."""
    return f"{_f(row[f'{kind}_mean'])} [{_f(row[f'{kind}_low'])}, {_f(row[f'{kind}_high'])}]"


def _report_text(calibration, table, fit, populations, t_last, figures, ess) -> str:
    from .tables import markdown_table

    lines = [f"# Calibration: {calibration.name}", ""]
    if calibration.description:
        lines += [calibration.description, ""]
    lines += [
        f"ABC-SMC (pyabc) over {len(calibration.priors)} free parameters with uniform priors, "
        f"{len(calibration.targets)} targets; every draw runs {len(calibration.used_scenarios())} "
        f"scenarios ({', '.join(calibration.used_scenarios())}) of {calibration.citizens} citizens "
        f"for {calibration.weeks} weeks with one seed (paired), measured after week "
        f"{calibration.warm_up}. Distance: root mean square of (simulated − target) / tolerance. "
        f"Targets file: `{calibration.path}`; seed {calibration.seed}.", "",
        "## Generations", "",
        *markdown_table(["generation", "threshold", "draws", "accepted", "effective sample size"],
                        [[int(r["t"]) + 1, _f(float(r["epsilon"])), int(r["samples"]),
                          int(r["particles"]), f"{ess[int(r['t'])]:.1f}"]
                         for _, r in populations.iterrows() if r["t"] >= 0])]
    lines += ["", f"Posterior: generation {t_last + 1}."]
    n = int(populations.loc[populations["t"] == t_last, "particles"].iloc[0])
    if ess[t_last] < 0.2 * n:
        lines += ["", f"**Warning: the weights are degenerate** (effective sample size {ess[t_last]:.1f} "
                  f"of {n} particles): a few particles carry the posterior, so its medians and "
                  "intervals rest on them. Run more particles or generations (--resume) before "
                  "adopting any value."]
    lines += ["",
              "## Targets: the defaults and the fitted model", "",
              f"Mean and 90% interval over {calibration.default_seeds} runs at the defaults and over "
              f"{calibration.predictive_draws} draws from the posterior, each run again with a fresh "
              "seed (posterior predictive). A target fits when the posterior predictive mean lies "
              "within its tolerance, or, for a direction-only target (the source gives a sign, no "
              "number), on the side of its bound the source gives.", "",
              *markdown_table(["target", "literature", "defaults", "fitted model", "fits", "source"],
                              [[r["target"], r["literature"], _spread(r, "defaults"),
                                _spread(r, "posterior"), "yes" if r["fits"] else "**no**",
                                r["source"]] for _, r in fit.iterrows()]),
              "", f"![targets]({Path(figures['fit']).name})", "",
              "## Posterior of each free parameter", "",
              *markdown_table(["parameter", "default", "prior", "posterior median", "90% interval",
                               "interval / prior"],
                              [[f"`{r['parameter']}`", _f(r["default"]),
                                f"[{_f(r['prior_low'])}, {_f(r['prior_high'])}]", _f(r["median"]),
                                f"[{_f(r['low_5'])}, {_f(r['high_95'])}]",
                                f"{r['interval_share_of_prior']:.0%}"] for _, r in table.iterrows()])]
    lines += ["", f"![posterior]({Path(figures['posterior']).name})", "", "## Did not fit", ""]
    misfits = fit[~fit["fits"]]
    if misfits.empty:
        lines.append("Every target's posterior predictive mean lies within its tolerance.")
    for _, r in misfits.iterrows():
        side = "above" if r["posterior_mean"] > r["value"] else "below"
        lines.append(f"- **{r['target']}**: the fitted model gives {_f(r['posterior_mean'])}, "
                     f"{side} the literature's {r['literature']} "
                     f"({r['source']}); at the defaults {_f(r['defaults_mean'])}.")
    lines += ["", "## Proposed defaults", "",
              "Posterior medians (integers rounded). Whether to adopt them is a decision: adopt "
              "where the targets the parameter moves fit, and where the 90% interval is clearly "
              "narrower than the prior (the data inform it). The medians of the margins are not "
              "a particle of the posterior, so they are run as a point too (below).", "",
              *markdown_table(["parameter", "default", "proposed"],
                              [[f"`{r['parameter']}`", _f(r["default"]), _f(r["proposed"])]
                               for _, r in table.iterrows()]),
              "", f"The proposed defaults as one point, against the defaults ({calibration.default_seeds}"
              " runs each, the same seeds): mean and 90% interval.", "",
              *markdown_table(["target", "literature", "defaults", "proposed", "fits at proposed"],
                              [[r["target"], r["literature"], _f(r["defaults_mean"]),
                                _spread(r, "proposed"), "yes" if r["fit_at_proposed"] else "**no**"]
                               for _, r in fit.iterrows()])]
    lines.append("")
    lines.append(f"Targets that fit: {int(fit['fit_at_defaults'].sum())} of {len(fit)} at the "
                 f"defaults, {int(fit['fits'].sum())} for the fitted model (posterior predictive), "
                 f"{int(fit['fit_at_proposed'].sum())} at the proposed defaults.")
    return "\n".join(lines) + "\n"


def _plot_posterior(frame, weights, calibration, table, path: Path) -> str:
    from .figures import FigureMaker, save_png

    plt = FigureMaker()
    names = list(calibration.priors)
    cols = min(4, len(names))
    rows = math.ceil(len(names) / cols)
    figure, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        lo, hi = calibration.priors[name]
        ax.hist(frame[name], bins=15, range=(lo, hi), weights=weights, color="#0072B2", alpha=0.8)
        row = table[table["parameter"] == name].iloc[0]
        ax.axvline(row["median"], color="black", lw=1.2, label="median")
        ax.axvline(row["default"], color="#D55E00", lw=1.2, ls="--", label="default")
        ax.set_xlim(lo, hi)
        ax.set_title(name, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=6)
    figure.suptitle("Posterior (weighted) over the prior range", fontsize=9)
    figure.tight_layout()
    return str(save_png(figure, path, tight=False))


def _plot_fit(fit, path: Path) -> str:
    from .figures import FigureMaker, save_png

    plt = FigureMaker()
    n = len(fit)
    figure, axes = plt.subplots(n, 1, figsize=(6.5, 0.75 * n + 0.8), squeeze=False)
    for ax, (_, r) in zip(axes.flat, fit.iterrows(), strict=True):
        ax.axvspan(r["value"] - r["tolerance"], r["value"] + r["tolerance"], color="#999999", alpha=0.3)
        ax.axvline(r["value"], color="#555555", lw=1)
        for y, kind, colour in ((0.3, "defaults", "#D55E00"), (-0.3, "posterior", "#0072B2")):
            mean, low, high = r[f"{kind}_mean"], r[f"{kind}_low"], r[f"{kind}_high"]
            if math.isfinite(mean):
                ax.errorbar(mean, y, xerr=[[mean - low], [high - mean]], fmt="o", color=colour,
                            ms=4, capsize=2, label=kind)
        ax.set_ylim(-0.8, 0.8)
        ax.set_yticks([])
        ax.set_title(r["target"], fontsize=7, loc="left")
        ax.tick_params(labelsize=7)
    axes.flat[0].legend(fontsize=6, loc="upper right", ncol=2)
    figure.tight_layout()
    return str(save_png(figure, path, tight=False))
