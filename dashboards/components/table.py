"""The headline numbers (tiles for one regime, a table side by side) and the network's legend,
as HTML strings: they change every week and are sent as one small message each."""

from __future__ import annotations

import html

from coprosim.dashboards.charts import DERIVED
from coprosim.dashboards.figures import CITIZEN_STATES, STATE_COLOURS, STATE_LABELS, regime_colour
from coprosim.dashboards.session import Session, Snapshot
from coprosim.model import METRICS

HEADLINES = [
    ("participation_rate", "Participation"),
    ("emergent_value", "Emergent value (per 1,000)"),
    ("mean_wellbeing", "Wellbeing"),
    ("mean_trust", "Trust"),
    ("withdrawn_share", "Withdrawn"),
    ("hidden_need", "Hidden need"),
    ("equity_gap", "Equity gap"),
    ("cost", "Cost per citizen"),
    ("social_cost", "Social cost"),
    ("value_destroyed", "Value destroyed (per 1,000)"),
    ("waiting_time", "Waiting (weeks)"),
    ("volunteers", "Volunteers"),
]


def fmt(name: str, value: float | None) -> str:
    if value is None or value != value:  # missing or NaN
        return "–"
    if name in ("participation_rate", "withdrawn_share"):
        return f"{100 * value:.0f}%"
    if name in ("emergent_value", "value_destroyed"):  # small flows: per 1,000 citizens
        return f"{1000 * value:.2f}"
    if name in ("volunteers", "innovations", "throughput"):
        return f"{value:.0f}"
    if name in ("cost", "social_cost", "waiting_time"):
        return f"{value:.2f}"
    return f"{value:.3f}"


def ghost_value(session: Session, snap: Snapshot, name: str, index: int,
                 week: int) -> float | None:
    """The ghost's value of ``name`` at ``week`` for the same regime (matched by scenario)."""
    ghost = session.ghost
    if ghost is None:
        return None
    scenario = snap.runs[index][0]
    matches = [i for i, (s, _) in enumerate(ghost.runs) if s == scenario]
    if not matches and len(ghost.runs) == len(snap.runs):
        matches = [index]
    if not matches or name not in ghost.series[matches[0]]:
        return None
    values = ghost.series[matches[0]][name]
    return float(values[min(week, len(values) - 1)]) if len(values) else None


# Metrics a lesson may ask for that are not headline numbers: shown (and highlighted) while
# the lesson runs.
EXTRA_LABELS = {
    "value_per_cost": "Value per paid hour",
    "public_value": "Public value",
    "wicked_value": "Value on wicked needs",
    "throughput": "Cases closed",
    "mean_efficacy": "Efficacy",
    "staff_motivation": "Staff motivation",
    "unmet_need": "Unmet need",
    "innovations": "Innovations",
}


def headline_rows(metrics: set[str], highlight: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(metric, label) of the rows shown: the headline numbers the model reports, then any
    highlighted metric that is not one of them."""
    rows = [(k, label) for k, label in HEADLINES if k in metrics]
    shown = {k for k, _ in rows}
    rows += [(k, EXTRA_LABELS.get(k, k.replace("_", " ").capitalize())) for k in highlight
             if k in metrics and k not in shown]
    return rows


def headlines_html(session: Session, snap: Snapshot, highlight: tuple[str, ...] = ()) -> str:
    """The headline numbers (those the model reports); with a ghost, its value at the same week.
    One run: tiles (the widget has the class ``cp-tiles``); two: a table whose header stays in
    view. ``highlight``: the lesson's key measures, marked (the first one most)."""
    shown = headline_rows(set(snap.metrics[0]), highlight)
    ghost = session.ghost

    def mark(key: str) -> str:
        if not highlight or key not in highlight:
            return ""
        return " cp-key" if key == highlight[0] else " cp-watch"

    if len(snap.runs) == 1:
        tiles = []
        for key, label in shown:
            was = ghost_value(session, snap, key, 0, snap.week)
            extra = f'<div class="g">last run {fmt(key, was)}</div>' if ghost else ""
            tiles.append(f'<div class="cp-tile{mark(key)}" title="{html.escape(metric_meaning(key))}">'
                         f'<div class="k">{label}</div><div class="v">'
                         f'{fmt(key, snap.metrics[0][key])}</div>{extra}</div>')
        return "".join(tiles)
    head = "".join(f'<th scope="col"><span style="color:{regime_colour(s, i)}">&#9632;</span> '
                   f"{html.escape(label.split(' (')[0])}</th>"
                   for i, (s, label) in enumerate(snap.runs))
    rows = []
    for key, label in shown:
        cells = []
        for i, metrics in enumerate(snap.metrics):
            was = ghost_value(session, snap, key, i, snap.week)
            extra = f' <span class="g">({fmt(key, was)})</span>' if ghost else ""
            cells.append(f'<td class="n">{fmt(key, metrics.get(key))}{extra}</td>')
        rows.append(f'<tr class="{mark(key).strip()}" title="{html.escape(metric_meaning(key))}">'
                    f'<th scope="row">{label}</th>{"".join(cells)}</tr>')
    note = '<caption>in brackets: last run, same week</caption>' if ghost else ""
    return (f'<table class="cp-table">{note}<thead><tr><th></th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def metric_meaning(key: str) -> str:
    return METRICS.get(key) or DERIVED.get(key, "")


def network_legend_html(snap: Snapshot) -> str:
    """What the network's colours mean, with the counts of each regime."""
    counts = [net.counts() for net in snap.networks]
    items = []
    for state in CITIZEN_STATES:
        shape = "border-radius:0;clip-path:polygon(0 0,100% 0,50% 100%)" if state == "withdrawn" \
            else ""
        number = " / ".join(str(c[state]) for c in counts)
        items.append(f'<span><span class="sw" style="background:{STATE_COLOURS[state]};{shape}">'
                     f"</span>{STATE_LABELS[state]} <b>{number}</b></span>")
    volunteers = " / ".join(str(c["volunteers"]) for c in counts)
    items.append('<span><span class="sw" style="border:2px solid black;background:white"></span>'
                 f"volunteer <b>{volunteers}</b></span>")
    items.append('<span><span class="sw" style="border-radius:0;background:#41ab5d"></span>'
                 "staff (darker = more motivated)</span>")
    return "".join(items)
