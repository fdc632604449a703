"""The class's pictures: how the class predicted (HTML bars, sharp at any size) and the spread of
outcomes over everyone's runs (matplotlib, drawn at the size it is shown)."""

from __future__ import annotations

import html
import io
import textwrap

import numpy as np

from .predictions import SAME, Question, metric_words

# Okabe-Ito colours (colour-blind safe), as the rest of the dashboard uses.
COLOURS = {"first": "#0072B2", "same": "#999999", "second": "#D55E00", "right": "#009E73"}


def prediction_bars_html(question: Question, counts: dict[str, int],
                         verdict: str | None = None) -> str:
    """One bar per option with its count; once the outcome is known, the true option is marked
    and the others greyed."""
    total = sum(counts.values())
    rows = []
    for option in question.options:
        n = counts.get(option, 0)
        share = n / total if total else 0.0
        mark = ""
        colour = "#56B4E9"
        if verdict is not None:
            colour = COLOURS["right"] if option == verdict else "#cccccc"
            mark = " &#10004; what happened" if option == verdict else ""
        rows.append(
            f'<div class="cp-pbar"><div class="o">{html.escape(option)}<b>{mark}</b></div>'
            f'<div class="b"><span style="width:{max(share * 100, 0.5):.1f}%;'
            f'background:{colour}"></span><i>{n}</i></div></div>')
    return "".join(rows)


def sample_chart_png(question: Question, samples: list[tuple[str, tuple[float, ...], str]],
                     class_values: tuple[float, ...] | None = None,
                     size: tuple[float, float] = (7.5, 4.2), dpi: int = 110) -> bytes:
    """The spread of outcomes over the class's runs: one dot per run (its difference, or its
    value against zero), coloured by the option it makes true; the class's own run (the
    lesson's seed) as a black diamond."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=dpi)
    ax = fig.add_subplot(1, 1, 1)
    two = len(question.sides) == 2
    values = np.array([v[0] - v[1] if two else v[0] for _, v, _ in samples], dtype=float)
    verdicts = [verdict for *_, verdict in samples]
    colour_of = {question.options[0]: COLOURS["first"], question.options[-1]: COLOURS["second"],
                 SAME: COLOURS["same"]}
    if len(values):
        # stack equal-ish values so every dot shows (a dot plot)
        order = np.argsort(values)
        span = (values.max() - values.min()) or 1.0
        bins = np.floor((values - values.min()) / span * 24)
        heights = np.zeros(len(values))
        counts: dict[float, int] = {}
        for i in order:
            counts[bins[i]] = counts.get(bins[i], 0) + 1
            heights[i] = counts[bins[i]]
        for option in question.options:
            chosen = [i for i, v in enumerate(verdicts) if v == option]
            if chosen:
                ax.scatter(values[chosen], heights[chosen], s=70, color=colour_of[option],
                           label=f"{option}: {len(chosen)}", zorder=3, edgecolor="white")
        top = heights.max()
    else:
        top = 1
    if class_values is not None:
        x = class_values[0] - class_values[1] if two else class_values[0]
        ax.scatter([x], [0], marker="D", s=90, color="black", label="the class's run", zorder=4)
    ax.axvline(0.0, color="#444", lw=1)
    ax.set_ylim(-0.8, top + 1.2)
    ax.set_yticks([])
    for spine in ("left", "top", "right"):
        ax.spines[spine].set_visible(False)
    label = (f"{question.sides[0].label} minus {question.sides[1].label}" if two
             else question.sides[0].label)
    ax.set_xlabel(textwrap.fill(f"{metric_words(question.metric).capitalize()}: {label}", 70),
                  fontsize=12)
    ax.tick_params(labelsize=11)
    ax.set_title(f"{len(values)} run{'s' if len(values) != 1 else ''}, one dot each; "
                 "0 means no difference", fontsize=13, loc="left")
    ax.legend(fontsize=11, loc="upper center", bbox_to_anchor=(0.5, -0.38), ncol=2,
              frameon=False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", bbox_inches="tight")
    return out.getvalue()


def roleplay_chart_png(rows: list[dict], simulated: list[dict],
                       size: tuple[float, float] = (7.5, 3.6), dpi: int = 110) -> bytes:
    """Week by week, the citizens the class played (their mean) beside the simulated citizens
    (their mean): wellbeing and trust, one panel each."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=dpi)
    weeks = [w["week"] for w in simulated]
    played: dict[int, list[dict]] = {}
    for row in rows:
        if row["role"] == "citizen":
            played.setdefault(row["week"], []).append(row)
    for panel, key in enumerate(("wellbeing", "trust")):
        ax = fig.add_subplot(1, 2, panel + 1)
        ours = [np.mean([float(r[key]) for r in played.get(w, [])]) if played.get(w) else np.nan
                for w in weeks]
        ax.plot(weeks, ours, color=COLOURS["first"], lw=2.5, label="played by the class")
        ax.plot(weeks, [w[key] for w in simulated], color=COLOURS["second"], lw=2.5, ls="--",
                label="simulated")
        ax.set_title(f"Citizens' {key}", fontsize=13, loc="left")
        ax.set_xlabel("week", fontsize=12)
        ax.tick_params(labelsize=11)
        for spine in ("top", "right"):
            ax.spines[spine].set_visible(False)
    fig.axes[0].legend(fontsize=11, loc="upper center", bbox_to_anchor=(1.1, -0.25), ncol=2,
                       frameon=False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", bbox_inches="tight")
    return out.getvalue()
