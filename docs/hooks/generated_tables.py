"""MkDocs hook: tables written from the code each time the site is built, so the pages cannot
fall behind the model or the dashboard.

A page asks for a table with a marker line (an HTML comment, invisible where the Markdown is read
as it is, e.g. on a code host):

- ``<!-- generated: metrics -->``: every metric the model reports (``coprosim.model.METRICS``),
  with its unit and better direction (``METRIC_INFO``);
- ``<!-- generated: lessons -->``: the dashboard's lessons (``coprosim.dashboards.lessons``),
  title, the ideas each is about and its second run;
- ``<!-- generated: experiments -->``: the experiment files shipped with coprosim
  (``coprosim.experiments.shipped_experiments``), with the command each is for and its size;
- ``<!-- generated: readme-front -->``: the README's headline figure, its caption and what
  follows it up to the first section, so the home page and the README never disagree.

coprosim is imported from the environment that runs MkDocs (``make docs`` uses .venv, where it
is installed from this checkout). Nothing is fetched.
"""

from __future__ import annotations

import re
from pathlib import Path

BETTER = {1: "higher", -1: "lower", 0: "neither"}


def cell(text: object) -> str:
    """Text for a Markdown table cell (one line, no bare pipe)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def metrics_table() -> str:
    """One row per metric: name, meaning, unit, which direction the reports count as better."""
    from coprosim.model import METRIC_INFO, METRICS

    rows = ["| metric | meaning | unit | better |", "|---|---|---|---|"]
    for name, meaning in METRICS.items():
        info = METRIC_INFO[name]
        rows.append(f"| `{name}` | {cell(meaning)} | {cell(info.unit)} | "
                    f"{BETTER.get(info.better, cell(info.better))} |")
    return "\n".join(rows)


def lessons_table() -> str:
    """One row per lesson, in the dashboard's order: its title, the ideas it is about, and its
    second run (if it has one)."""
    from coprosim.dashboards.lessons import LESSONS

    rows = ["| lesson | the ideas it is about | second run |", "|---|---|---|"]
    rows += [f"| {cell(lesson.title)} | {cell(lesson.ideas)} | "
             f"{cell(getattr(lesson, 'then_label', '') or '')} |" for lesson in LESSONS]
    return "\n".join(rows)


def experiments_table() -> str:
    """One row per experiment file shipped with coprosim: the command it is for, what it says it
    is (its description), and its size (scenarios, sweep points, replications, weeks, citizens)."""
    import tomllib

    from coprosim.experiments import load_experiment, shipped_experiments

    rows = ["| name | command | what it is | scenarios x points x replications, weeks, citizens |",
            "|---|---|---|---|"]
    for name, path in sorted(shipped_experiments().items()):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        experiment = load_experiment(path)
        if "map" in data:
            command = "`coprosim map`"
        elif "sensitivity" in data:
            method = data["sensitivity"].get("method")
            command = "`coprosim sensitivity`" + (f" ({method})" if method else "")
        elif "sweep" in data:
            command = "`coprosim sweep`"
        else:
            command = "`coprosim compare`"
        citizens = sorted({experiment.params_for(s).n_citizens for s in experiment.scenarios})
        size = (f"{len(experiment.scenarios)} x {len(experiment.points)} x "
                f"{experiment.replications}, {experiment.steps} weeks, "
                f"{'/'.join(f'{n:,}' for n in citizens)} citizens")
        rows.append(f"| `{name}` | {command} | {cell(experiment.description)} | {size} |")
    return "\n".join(rows)


README = Path(__file__).resolve().parents[2] / "README.md"


def readme_front() -> str:
    """The README's headline: from its first image to its first section heading (the figure,
    its caption and what follows it), with links made relative to docs/ (``results/figures/`` is
    ``figures/`` here, ``docs/X.md`` is ``X.md``), so the site's home page shows the same figure
    and the same numbers as the README, whoever updates them."""
    text = README.read_text(encoding="utf-8")
    start = text.find("![")
    end = text.find("\n## ", start)
    if start < 0 or end < 0:
        raise ValueError("README.md: no figure before its first '## ' section")
    part = text[start:end].strip()
    part = part.replace("](results/figures/", "](figures/")
    return re.sub(r"\]\(docs/", "](", part)


TABLES = {"metrics": metrics_table, "lessons": lessons_table, "experiments": experiments_table,
          "readme-front": readme_front}


def on_page_markdown(markdown: str, **kwargs) -> str:
    """Replace each marker line with its table (an unknown marker fails the build)."""
    lines = []
    for line in markdown.split("\n"):
        stripped = line.strip()
        if stripped.startswith("<!-- generated:") and stripped.endswith("-->"):
            name = stripped[len("<!-- generated:"):-len("-->")].strip()
            if name not in TABLES:
                raise ValueError(f"unknown generated table {name!r} (known: {', '.join(TABLES)})")
            line = TABLES[name]()
        lines.append(line)
    return "\n".join(lines)
