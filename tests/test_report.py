"""The policy report: summary sentences, %, CIs inside bounds, flags, ledger, HTML, sweeps.

Most checks read a report written from a synthetic result built to a known answer: `coproduction`
leads `npm` by exactly +10% on public value (paired noise, centred), has no clear difference on
trust, staff motivation is saturated (every `npm` run ends at 0.70), participation in `npm` is
skewed near 0 (its t interval crosses 0), hours of dialogue differ by a constant (d_z means
nothing), and the ledger adds up to cost. The loader is replaced (the rest of the pipeline runs as
in ``coprosim compare``). The last tests run a small real sweep where a lever cannot act.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from coprosim.experiments import analysis, load_experiment
from coprosim.experiments import report as report_module
from scipy import stats

REPS = 20
STEPS = 10
TOML = """
[experiment]
description = "synthetic"
replications = {reps}
steps = {steps}
seed = 3
metrics = ["public_value", "mean_trust", "staff_motivation", "participation_rate", "volunteers",
           "equity_gap", "cost", "hours_service", "hours_dialogue", "hours_idle"]

[base]
n_citizens = 200

[scenarios.npm]
[scenarios.coproduction]
"""


def centred(rng, sd, n=REPS):
    x = rng.normal(0.0, sd, n)
    return x - x.mean()


def synthetic_ends() -> dict[str, dict[str, np.ndarray]]:
    """End values per scenario and metric, built to known answers."""
    rng = np.random.default_rng(11)
    base = 1.0 + centred(rng, 0.05)                       # npm public value, mean exactly 1.0
    trust = 0.5 + centred(rng, 0.03)
    trust_noise = centred(rng, 0.02) + 0.001              # mean difference 0.001, CI covers 0
    volunteers = 40 + centred(rng, 3.0)
    gap = 0.05 + centred(rng, 0.01)
    participation = np.zeros(REPS)
    participation[:5] = [0.001, 0.001, 0.001, 0.001, 0.05]  # skewed near 0: t CI crosses 0
    motivation_copro = np.full(REPS, 0.70)
    motivation_copro[:2] = [0.72, 0.71]                   # 18/20 at 0.70: still saturated
    npm = {"public_value": base, "mean_trust": trust, "staff_motivation": np.full(REPS, 0.70),
           "participation_rate": participation, "volunteers": volunteers, "equity_gap": gap,
           "hours_service": np.full(REPS, 0.6) + centred(rng, 0.01), "hours_dialogue": np.zeros(REPS),
           "hours_idle": np.full(REPS, 0.3) + centred(rng, 0.01)}
    copro = {"public_value": base + 0.1 + centred(rng, 0.02),   # +10% of npm's mean exactly
             "mean_trust": trust + trust_noise, "staff_motivation": motivation_copro,
             "participation_rate": 0.3 + centred(rng, 0.02),
             "volunteers": volunteers + 5 + centred(rng, 0.05),  # d_z about 100: not meaningful
             "equity_gap": gap - 0.02 + centred(rng, 0.005),
             "hours_service": npm["hours_service"] - 0.1, "hours_dialogue": np.full(REPS, 0.1),
             "hours_idle": npm["hours_idle"] + centred(rng, 0.01)}
    for values in (npm, copro):
        values["cost"] = values["hours_service"] + values["hours_dialogue"] + values["hours_idle"]
    return {"npm": npm, "coproduction": copro}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synthetic")
    path = folder / "synthetic.toml"
    path.write_text(TOML.format(reps=REPS, steps=STEPS))
    experiment = load_experiment(path)
    ends = synthetic_ends()
    seeds = experiment.seeds()
    rows = []
    for scenario, values in ends.items():
        for r in range(REPS):
            for step in range(1, STEPS + 1):  # constant within a run: the end value is the value
                rows.append({"scenario": scenario, "point": 0, "replication": r, "seed": seeds[r],
                             "step": step, **{m: float(v[r]) for m, v in values.items()}})
    frame = pd.DataFrame(rows)

    def load(exp, out):
        return analysis.ordered(analysis.fill_dropped(frame.copy(), exp), exp)

    patch = pytest.MonkeyPatch()
    patch.setattr(report_module, "load_metrics", load)
    patch.setattr(report_module, "wellbeing_by_quintile", lambda exp, out: None)
    out = folder / "out"
    out.mkdir()
    try:
        table = analysis.compare_results(experiment, out)
    finally:
        patch.undo()
    text = (out / "report.md").read_text()
    return {"out": out, "table": table, "text": text, "ends": ends}


def line_of(text: str, metric: str) -> str:
    match = re.search(rf"^- \*\*[^*]+\*\* \(`{metric}`;.*$", text, flags=re.M)
    assert match, f"no summary line for {metric}"
    return match.group(0)


def row(table, condition, metric):
    return table[(table["condition"] == condition) & (table["metric"] == metric)].iloc[0]


def test_summary_says_who_leads_by_how_much_with_the_ci(report):
    text, ends = report["text"], report["ends"]
    summary = text.split("## Details by metric", 1)[1].split("\n## ", 1)[0]
    line = line_of(summary, "public_value")
    d = ends["coproduction"]["public_value"] - ends["npm"]["public_value"]
    b = ends["npm"]["public_value"]
    assert d.mean() / b.mean() == pytest.approx(0.10, abs=1e-12)
    # delta-method interval of the ratio of paired means, computed here independently
    r = d.mean() / b.mean()
    var = (d.var(ddof=1) - 2 * r * np.cov(d, b)[0, 1] + r * r * b.var(ddof=1)) / (REPS * b.mean() ** 2)
    half = stats.t.ppf(0.975, REPS - 1) * math.sqrt(var)
    low, high = analysis.pct(r - half), analysis.pct(r + half)
    assert f"`coproduction` leads ({analysis.fmt(1.1)}), +10% [{low}, {high}] against `npm`" in line
    assert "(`public_value`; need units per citizen per week; higher is better)" in line


def test_no_clear_difference_when_the_ci_covers_zero(report):
    line = line_of(report["text"], "mean_trust")
    assert "No clear difference between `npm` and `coproduction` (means: `npm` 0.5;" in line
    assert "score 0-1; higher is better)" in line
    trust = row(report["table"], "coproduction", "mean_trust")
    assert trust["diff_ci_low"] < 0 < trust["diff_ci_high"]
    assert "leads" not in line


def test_units_and_directions_of_every_metric(report):
    text = report["text"]
    from coprosim.model import METRIC_INFO

    for metric in ("public_value", "mean_trust", "staff_motivation", "participation_rate",
                   "volunteers", "equity_gap", "cost"):
        unit = METRIC_INFO[metric].unit
        words = {1: "higher is better", -1: "lower is better", 0: "neither direction is better"}
        assert f"(`{metric}`; {unit}; {words[METRIC_INFO[metric].better]})" in text, metric
    assert "| cost_per_need_met (staff hours per need unit met; ↓ better) |" in text


def test_signed_metrics_get_absolute_differences_and_say_why(report):
    line = line_of(report["text"], "equity_gap")
    assert "%" not in line.split("Differences in")[0]
    assert "not %, as it is a gap (top minus bottom quintile) and can change sign" in line
    assert "`npm` leads" not in line and "`coproduction` leads" in line  # lower is better


def test_bounded_ci_stays_in_range_and_is_marked(report):
    table, ends = report["table"], report["ends"]
    x = ends["npm"]["participation_rate"]
    t_low = x.mean() - stats.t.ppf(0.975, REPS - 1) * x.std(ddof=1) / math.sqrt(REPS)
    assert t_low < 0, "the synthetic case must cross the bound for this test to mean anything"
    cell = row(table, "npm", "participation_rate")
    assert cell["ci_low"] == 0.0 and bool(cell["ci_clipped"])
    assert f"{analysis.fmt(x.mean())} [0, {analysis.fmt(cell['ci_high'])}] ‡" in report["text"]
    assert (table["ci_low"] >= -1e-15).all()  # nothing in the synthetic set can be negative
    assert not cell["saturated"], "15 of 20 runs at 0 is below the 80% of 'most runs'"


def test_saturated_metric_is_flagged(report):
    table = report["table"]
    assert row(table, "npm", "staff_motivation")["saturated"] == "20/20 runs end at 0.7"
    assert row(table, "coproduction", "staff_motivation")["saturated"] == "18/20 runs end at 0.7"
    assert row(table, "npm", "public_value")["saturated"] == ""
    line = line_of(report["text"], "staff_motivation")
    assert "§ saturated in `npm` (20/20 runs end at 0.7)" in line
    assert "0.7 [0.7, 0.7] §" in report["text"]


def test_meaningless_effect_sizes_are_flagged_not_plotted(report):
    table = report["table"]
    constant = row(table, "coproduction", "hours_dialogue")
    assert constant["d_z_note"].startswith("difference is (nearly) constant")
    huge = row(table, "coproduction", "volunteers")
    assert abs(huge["d_z"]) > 10 and "not meaningful" in huge["d_z_note"]
    fine = row(table, "coproduction", "public_value")
    assert fine["d_z_note"] == "" and 1 < fine["d_z"] < 10
    text = report["text"]
    assert "d_z n.m.†" in text and f"d_z {analysis.fmt(fine['d_z'])}" in text


def test_held_equal_is_derived_from_the_parameters(report, tmp_path):
    text = report["text"]
    assert "**Held equal by design**" in text
    assert "staff_per_1000 = 15 staff per 1,000 citizens" in text
    assert "n_citizens = 200 citizens" in text
    assert "the scenarios differ only in coproduction_share (`npm` 0, `coproduction` 1)" in text
    assert "common random numbers" in text
    other = tmp_path / "unequal.toml"
    other.write_text(TOML.format(reps=2, steps=5) + "staff_per_1000 = 20.0\n")
    line = analysis.held_equal(load_experiment(other))
    assert "**Not held equal**: staff_per_1000 (`npm` 15, `coproduction` 20)" in line
    assert "So the paid capacity is the same" not in line


def test_ledger_chart_and_cost_per_need_met(report):
    out, table, ends, text = report["out"], report["table"], report["ends"], report["text"]
    assert (out / "figures" / "ledger.png").stat().st_size > 5_000
    assert "![Cost ledger by scenario](figures/ledger.png)" in text
    npm = ends["npm"]
    total = npm["hours_service"].mean() + npm["hours_dialogue"].mean() + npm["hours_idle"].mean()
    assert f"| **total (= cost)** | {analysis.fmt(total)} |" in text
    expected = (npm["cost"] / npm["public_value"]).mean()
    assert row(table, "npm", "cost_per_need_met")["mean"] == pytest.approx(expected, rel=1e-12)
    assert "Value beside its cost" in text


def test_html_is_one_self_contained_file(report):
    page = (report["out"] / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert "<table" in page and page.count("data:image/png;base64,") >= 3
    assert 'src="figures/' not in page and "http" not in page
    assert "<h2>Brief</h2>" in page and "<th>metric</th>" in page and "<code>npm</code>" in page


# --- sweeps: inert combinations and the along-the-sweep view -----------------------------------------
SWEEP = """
[experiment]
description = "inert lever"
replications = 2
steps = 12
seed = 4
metrics = ["public_value", "volunteers", "mean_wellbeing", "cost", "hours_volunteer_coordination"]

[base]
n_citizens = 120

[scenarios.npm]

[sweep.grid]
volunteer_recruitment = [0.0, 0.05]
volunteer_hours = [2.0, 4.0, 6.0]
"""


def test_design_drops_combinations_where_a_lever_cannot_act(tmp_path):
    path = tmp_path / "inert.toml"
    path.write_text(SWEEP)
    experiment = load_experiment(path)
    assert len(experiment.points) == 6
    dropped = experiment.dropped()
    kept = {experiment.points[d.stands_for]["volunteer_hours"] for d in dropped}
    assert [experiment.points[d.point] for d in dropped] == [
        {"volunteer_recruitment": 0.0, "volunteer_hours": 2.0},
        {"volunteer_recruitment": 0.0, "volunteer_hours": 6.0}]
    assert kept == {4.0}, "the default (4 hours) is the representative value"
    assert all("no volunteering programme" in d.reasons[0] for d in dropped)
    assert len(experiment.runs()) == (6 - 2) * 2
    # an experiment without an inert lever keeps every combination
    plain = tmp_path / "plain.toml"
    plain.write_text(SWEEP.replace("volunteer_recruitment = [0.0, 0.05]",
                                   "volunteer_recruitment = [0.02, 0.05]"))
    assert load_experiment(plain).dropped() == () and len(load_experiment(plain).runs()) == 12


def test_dropped_combination_really_gives_the_same_run():
    """The claim behind dropping: at recruitment 0, volunteer hours cannot change any metric."""
    from coprosim.model import CoproductionModel, Params

    frames = []
    for hours in (2.0, 4.0):
        model = CoproductionModel(params=Params.preset("npm", n_citizens=120, volunteer_recruitment=0.0,
                                                       volunteer_hours=hours), seed=9)
        model.run(12)
        frames.append(model.datacollector.get_model_vars_dataframe().to_numpy(dtype=float))
        model.release()
    assert np.array_equal(frames[0], frames[1], equal_nan=True)


def test_sweep_report_compares_along_the_axes(tmp_path):
    from coprosim.experiments import compare

    path = tmp_path / "inert.toml"
    path.write_text(SWEEP)
    experiment = load_experiment(path)
    out = tmp_path / "out"
    table = compare(experiment, out=out, workers=1)
    text = (out / "report.md").read_text()
    assert "(no other scenario)" not in text and "## Paired difference" not in text
    assert ("**Not run**: 2 of 6 scenario-point combinations (4 runs), where a swept parameter "
            "cannot act (volunteer_hours: there is no volunteering programme") in text
    assert len(list((out / "metrics").glob("*.parquet"))) >= 1
    # the dropped points are shown with their representative's values
    by = table.set_index(["point", "metric"])
    for d in experiment.dropped():
        assert by.loc[(d.point, "public_value"), "mean"] == by.loc[(d.stands_for, "public_value"), "mean"]
    # along the sweep: volunteer_recruitment first -> last, paired by seed, mean over hours
    ends = analysis.end_values(analysis.load_metrics(experiment, out), list(experiment.metrics),
                               experiment.steps, experiment.analysis["end_share"])
    ends["rec"] = [experiment.points[p]["volunteer_recruitment"] for p in ends["point"]]
    ends["hours"] = [experiment.points[p]["volunteer_hours"] for p in ends["point"]]
    wide = ends.pivot_table(index=["replication", "hours"], columns="rec", values="volunteers")
    change = (wide[0.05] - wide[0.0]).groupby(level="replication").mean()
    result = analysis.along_axis(ends, experiment, "npm", "volunteers", "volunteer_recruitment")
    assert result["diff"] == pytest.approx(change.mean(), rel=1e-12)
    assert "volunteer_recruitment: first → last" in text
    assert "## Along the sweep: each metric against the swept parameters" in text
    assert (out / "figures" / "sweep_public_value.png").stat().st_size > 5_000
    assert (out / "report.html").exists()


def test_terminal_table_shows_the_bounded_interval_rounded_to_its_precision():
    """The terminal prints mean [low, high] as the report does: cut at the metric's bounds (no
    share below 0), the three numbers rounded to the interval's precision, and a value every run
    shares said so (no float noise like ±1.7e-18)."""
    from coprosim.experiments.statistics import bounded_mean_ci
    from coprosim.experiments.tables import headline_table, rounded_interval

    n, mean, low, high, clipped = bounded_mean_ci([0.0, 0.0, 0.0, 0.02], 0.0, 1.0)
    assert clipped and low == 0.0
    rows = [{"condition": "npm", "scenario": "npm", "metric": "participation_rate", "mean": mean,
             "ci_low": low, "ci_high": high},
            {"condition": "npm", "scenario": "npm", "metric": "mean_trust", "mean": 0.5,
             "ci_low": 0.5 - 1.7e-18, "ci_high": 0.5 + 1.7e-18}]

    class Experiment:
        axes = ()
        analysis = {"end_share": 0.2}

    text = headline_table(pd.DataFrame(rows), Experiment())
    assert "-0." not in text and "e-18" not in text and "±" not in text, text
    assert rounded_interval(mean, low, high) in text and "0.5 (every run)" in text
    assert rounded_interval(0.3312, 0.3289, 0.3335) == "0.3312 [0.3289, 0.3335]"
    assert rounded_interval(312.4, 288.1, 336.7) == "312 [288, 337]"


def brief_of(text: str) -> str:
    return text.split("## Brief", 1)[1].split("\n## ", 1)[0]


def test_the_brief_comes_first_in_plain_words(report):
    """The first screen: a paragraph naming who leads on what, by how much, in plain names (no
    code names) and two or three significant figures; then the forest plot; then Caveats."""
    text = report["text"]
    assert text.index("## Brief") < text.index("## Caveats") < text.index("## Details by metric")
    assert text.index("## Brief") < 300, "the brief is not on the first screen"
    brief = brief_of(text)
    paragraph = brief.strip().split("\n")[0]
    assert "co-production leads NPM on " in paragraph and "public value (+10%)" in paragraph
    assert "equity gap between top and bottom fifth (0.03 against 0.05 wellbeing points)" \
        in paragraph, "lower is better: co-production's smaller gap is a lead"
    assert "NPM leads on" not in paragraph, paragraph
    assert "_" not in paragraph and "`" not in paragraph, "code names in the brief"
    for number in re.findall(r"\d+\.\d+|\d+", paragraph):
        digits = number.replace(".", "").lstrip("0")
        assert len(digits) <= 3 or number in ("20",), number  # weeks and counts are whole numbers
    assert "No clear difference in trust" in paragraph
    assert "figures/differences.png" in brief


def test_caveats_name_what_the_intervals_do_not_cover(report):
    caveats = report["text"].split("## Caveats", 1)[1].split("\n## ", 1)[0]
    for needed in ("seed noise only", "**Calibration**", "200 citizens", "coprosim map",
                   "**What the model leaves out**", "free"):
        assert needed in caveats, needed


def test_design_section_describes_part_files(report):
    design = report["text"].split("## Design", 1)[1].split("\n## ", 1)[0]
    assert "part files" in design and "one file per run" not in design


def test_forest_plot_covers_every_headline_metric_turned_toward_better(report):
    """Every headline metric is on the one scale (standardised), and the sign is turned so that
    positive is better: equity gap (lower is better) falls in co-production, so it is positive."""
    from coprosim.experiments.statistics import standardised_differences

    table, ends = report["table"], report["ends"]
    frame = []
    for scenario, values in ends.items():
        for r in range(REPS):
            frame.append({"condition": scenario, "scenario": scenario, "point": 0, "replication": r,
                          **{m: float(v[r]) for m, v in values.items()}})
    frame = pd.DataFrame(frame)
    metrics = [m for m in dict.fromkeys(table["metric"]) if m in frame]
    scaled = standardised_differences(table, frame, metrics, "npm").set_index("metric")
    assert set(scaled.index) == set(metrics)
    gap = scaled.loc["equity_gap"]
    d = ends["coproduction"]["equity_gap"] - ends["npm"]["equity_gap"]
    sd = math.sqrt((ends["coproduction"]["equity_gap"].var(ddof=1)
                    + ends["npm"]["equity_gap"].var(ddof=1)) / 2)
    assert gap["d"] == pytest.approx(d.mean() / sd, rel=1e-12) and gap["toward_better"] > 0
    assert gap["toward_better_low"] <= gap["toward_better"] <= gap["toward_better_high"]
    value = scaled.loc["public_value"]
    assert value["toward_better"] == pytest.approx(value["d"]) and value["d"] > 0
    assert math.isnan(scaled.loc["hours_dialogue", "d"]) or scaled.loc["hours_dialogue", "sd"] > 0
    assert (report["out"] / "figures" / "differences.png").is_file()


def test_lead_from_week_finds_when_the_lead_changes():
    """A metric on which B leads until week 30 and A after: the lead is A's from week 31."""
    from coprosim.experiments.statistics import lead_from_week

    steps = np.arange(0, 101)
    rows = [{"condition": "a", "step": t, "metric": "public_value", "mean": 0.02 * t - 0.005}
            for t in steps]
    rows += [{"condition": "b", "step": t, "metric": "public_value", "mean": 0.6 + 0.0 * t}
             for t in steps]
    over_time = pd.DataFrame(rows)
    assert lead_from_week(over_time, "public_value", "a", "b") == 31
    assert lead_from_week(over_time, "public_value", "b", "a") is None
    lower = over_time.assign(metric="waiting_time")  # lower is better: b leads from week 31
    assert lead_from_week(lower, "waiting_time", "b", "a") == 31


def test_intervals_are_the_textbook_ones():
    """The report's t intervals (one sample, paired, per step) and the map's Wilson intervals,
    which come from SciPy, against the textbook formulas written out here: mean +- t(0.975, n-1)
    * sd / sqrt(n), and Wilson's score interval with z from the standard library. Edge cases: NaNs
    dropped, n < 2 gives nan bounds, no spread gives the mean, k = 0 and k = n stay in [0, 1]."""
    from statistics import NormalDist

    from coprosim.experiments.scenario_map import wilson
    from coprosim.experiments.statistics import mean_ci, summarise_over_time

    def textbook_t(x):
        half = stats.t.ppf(0.975, x.size - 1) * np.std(x, ddof=1) / math.sqrt(x.size)
        return x.mean() - half, x.mean() + half

    rng = np.random.default_rng(7)
    for _ in range(200):
        x = rng.normal(rng.uniform(-5, 5), rng.uniform(0.001, 3), rng.integers(2, 40))
        y = x + rng.normal(0.1, 0.5, x.size)
        n, mean, low, high = mean_ci(np.append(x, np.nan))
        assert n == x.size and mean == pytest.approx(x.mean(), rel=1e-12)
        assert (low, high) == pytest.approx(textbook_t(x), rel=1e-12, abs=1e-12)
        assert mean_ci(y - x)[2:] == pytest.approx(textbook_t(y - x), rel=1e-12, abs=1e-12)
    assert mean_ci([np.nan, np.nan])[0] == 0 and all(map(math.isnan, mean_ci([])[1:]))
    n, mean, low, high = mean_ci([0.3, np.nan])
    assert (n, mean) == (1, 0.3) and math.isnan(low) and math.isnan(high)
    assert mean_ci([0.25] * 5) == (5, 0.25, 0.25, 0.25)  # no spread: the interval is the mean
    frame = pd.DataFrame({"condition": "npm", "step": np.repeat([1, 2, 3, 4], [10, 10, 1, 3]),
                          "public_value": [*rng.normal(1, 0.1, 20), 0.5, 0.7, 0.7, 0.7]})
    over = summarise_over_time(frame, ["public_value"]).set_index("step")
    for step in (1, 2):
        x = frame.loc[frame["step"] == step, "public_value"].to_numpy()
        assert (over.loc[step, "ci_low"], over.loc[step, "ci_high"]) == pytest.approx(
            textbook_t(x), rel=1e-12)
    assert over.loc[3, ["ci_low", "ci_high"]].isna().all()  # one run: no interval
    assert over.loc[4, ["mean", "ci_low", "ci_high"]].tolist() == pytest.approx([0.7] * 3, rel=1e-15)
    z = NormalDist().inv_cdf(0.975)
    for k, n in ((0, 10), (1, 10), (3, 10), (10, 10), (37, 120), (119, 120)):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        assert wilson(k, n) == pytest.approx((max(0.0, centre - half), min(1.0, centre + half)),
                                             rel=1e-12, abs=1e-15)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0
    assert all(map(math.isnan, wilson(0, 0)))
