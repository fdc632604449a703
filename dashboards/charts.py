"""The dashboard's charts: what each shows, in one line a student can read, and its scale.

``KEY_CHARTS`` are the four a lesson runs on (always on screen, also at 1366x768);
``MORE_CHARTS`` open below them on request. A chart line whose metric the model does not report
(for instance ``value_destroyed`` before the model has it) is left out, and a chart with no line
left is not shown, so the page follows the model as it changes. Three series are computed by the
dashboard itself from the citizens' state (``DERIVED``), to show why mean trust can rise while
need goes into hiding; one is read off a running total the model keeps (``FROM_TOTALS``): the
need reduced on wicked problems, the part of public value a count of closed cases does not show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Computed by the dashboard each week from the citizens' state (not model metrics).
DERIVED: dict[str, str] = {
    "withdrawn_share": "Share of all citizens who have stopped asking for help (withdrawn).",
    "trust_asking": "Mean trust of citizens who have not withdrawn.",
    "trust_withdrawn": "Mean trust of withdrawn citizens (empty while nobody has withdrawn).",
    "wicked_value": "Need reduced this week on wicked problems, per citizen (part of public "
                    "value).",
}
# Weekly series read off a running total the model keeps: series -> the model's attribute.
FROM_TOTALS: dict[str, str] = {"wicked_value": "wicked_value"}


def derived_metrics(citizens: dict[str, np.ndarray]) -> dict[str, float]:
    """The ``DERIVED`` values of one week from a model's ``citizen_state``."""
    withdrawn = citizens["withdrawn"]
    trust = citizens["trust"]
    return {
        "withdrawn_share": float(withdrawn.mean()),
        "trust_asking": float(trust[~withdrawn].mean()) if (~withdrawn).any() else float("nan"),
        "trust_withdrawn": float(trust[withdrawn].mean()) if withdrawn.any() else float("nan"),
    }


@dataclass(frozen=True)
class Line:
    """One metric in a chart: drawn solid, or dashed for the second line of a chart."""

    metric: str
    label: str


@dataclass(frozen=True)
class ChartSpec:
    """One chart: a title, a one-line definition, its lines and how its y-axis is scaled.

    ``ylim``: a fixed range (shares and means); None: derived from the run's parameters
    (``figures.metric_ranges``), widened only if the data leave it. ``scale`` multiplies the
    data for display (emergent value per 1,000 citizens, participation in per cent).
    """

    key: str
    title: str
    definition: str
    lines: tuple[Line, ...]
    ylim: tuple[float, float] | None = None
    scale: float = 1.0
    percent: bool = False

    def available(self, metrics: set[str]) -> ChartSpec | None:
        """This chart with only the lines whose metric exists; None if none does."""
        lines = tuple(line for line in self.lines if line.metric in metrics)
        if not lines:
            return None
        if lines == self.lines:
            return self
        definition = self.definition
        if self.lines[1:] and self.lines[1] not in lines:  # no dashed line: not described
            definition = definition.split("; dashed:")[0].rstrip(".") + "."
        return ChartSpec(self.key, lines[0].label if len(lines) == 1 else self.title,
                         definition, lines, self.ylim, self.scale, self.percent)

    @property
    def heading(self) -> str:
        """The title, naming which line is solid and which dashed when there are two."""
        if len(self.lines) == 1:
            return self.title
        return f"{self.lines[0].label} (solid), {self.lines[1].label.lower()} (dashed)"


KEY_CHARTS: list[ChartSpec] = [
    ChartSpec("participation", "Participation",
              "Of the citizens in need this week (asking, or withdrawn with a need), "
              "the share who took part in their service.",
              (Line("participation_rate", "Participation"),), (0.0, 100.0), 100.0, True),
    ChartSpec("emergent", "Emergent value (per 1,000 citizens)",
              "Need reduced by what nobody planned, minus need added when encounters went "
              "wrong: below zero when more was destroyed.",
              (Line("emergent_value", "Emergent value"),), None, 1000.0),
    ChartSpec("wellbeing", "Wellbeing",
              "Mean wellbeing of all citizens (1 = no unmet need); the model's headline outcome.",
              (Line("mean_wellbeing", "Wellbeing"),), None),
    ChartSpec("trust", "Trust",
              "Mean trust of all citizens (0-1); dashed: share of citizens who stopped asking, "
              "whose need is hidden.",
              (Line("mean_trust", "Trust"), Line("withdrawn_share", "Withdrawn")), (0.0, 1.0)),
]

MORE_CHARTS: list[ChartSpec] = [
    ChartSpec("value", "Public value",
              "Need reduced this week, per citizen; dashed: need added by co-destruction "
              "(value destroyed).",
              (Line("public_value", "Public value"), Line("value_destroyed", "Value destroyed")),
              None),
    ChartSpec("wicked", "Public value on wicked needs",
              "Need reduced this week on wicked problems, per citizen: the part of public value "
              "that a count of closed cases does not show.",
              (Line("wicked_value", "Public value on wicked needs"),), None),
    ChartSpec("hidden", "Hidden need",
              "Need of citizens who stopped asking for help, per citizen: nobody counts it.",
              (Line("hidden_need", "Hidden need"),), None),
    ChartSpec("trust_split", "Trust: still asking vs withdrawn",
              "Mean trust of citizens still asking (solid) and of those who withdrew (dashed): "
              "the disappointed leave, so the mean of the rest can rise.",
              (Line("trust_asking", "Trust, still asking"),
               Line("trust_withdrawn", "Trust, withdrawn")), (0.0, 1.0)),
    ChartSpec("equity", "Equity gap",
              "Wellbeing of the most minus the least resourceful fifth of citizens.",
              (Line("equity_gap", "Equity gap"),), None),
    ChartSpec("efficacy", "Efficacy",
              "Citizens' mean sense of agency, 0-1: grows by taking part, erodes by passive "
              "receipt.",
              (Line("mean_efficacy", "Efficacy"),), (0.0, 1.0)),
    ChartSpec("motivation", "Staff motivation",
              "Mean public-service motivation of staff, 0-1 (targets crowd it out).",
              (Line("staff_motivation", "Staff motivation"),), (0.0, 1.0)),
    ChartSpec("cost", "Cost",
              "Paid staff hours and hiring per citizen this week; dashed: social cost, adding "
              "citizens' and volunteers' hours at a shadow price.",
              (Line("cost", "Cost"), Line("social_cost", "Social cost")), None),
    ChartSpec("value_per_cost", "Value per paid hour",
              "Public value divided by the paid cost (staff hours, overtime, hiring) this week: "
              "the need reduced for each paid hour.",
              (Line("value_per_cost", "Value per paid hour"),), None),
    ChartSpec("waiting", "Waiting time",
              "Mean weeks from asking for help to being served.",
              (Line("waiting_time", "Waiting time"),), None),
    ChartSpec("throughput", "Throughput",
              "Cases closed this week: the indicator NPM manages by.",
              (Line("throughput", "Throughput"),), None),
]


def available_charts(specs: list[ChartSpec], metrics: set[str]) -> list[ChartSpec]:
    """The charts that can be drawn from these metrics (lines without data left out)."""
    return [chart for spec in specs if (chart := spec.available(metrics)) is not None]


def chart_metrics(specs: list[ChartSpec]) -> list[str]:
    return sorted({line.metric for spec in specs for line in spec.lines})
