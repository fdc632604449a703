"""The documentation site (MkDocs, ``make docs``) and the README, its front door.

The site must build in strict mode (any warning fails: a broken link or anchor, a page missing
from the nav, an API reference entry that no longer exists), with nothing fetched from the
internet; the README stays short and every relative link in it and in the docs resolves; the
Python examples of the pages run; and the guides keep up with the code (every preset, lesson and
metric is named where a reader looks for it).
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml
from markdown.extensions.toc import slugify

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
README_LIMIT = 15_000  # characters: a front door, not a manual (issue 16)
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's banner about MkDocs 2, not a warning

FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.M)
PAGES = ("getting-started.md", "teaching.md", "class-mode.md", "experiments.md", "reports.md",
         "ODD.md", "api/index.md", "benchmarks.md", "supported-versions.md")


def markdown_files() -> list[Path]:
    """The README and every page under docs/."""
    return [README, *sorted(DOCS.rglob("*.md"))]


def prose(text: str) -> str:
    """The text without code blocks and inline code (a link there is an example, not a link)."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def links(path: Path) -> list[str]:
    """Every link and image target in a Markdown file."""
    text = prose(path.read_text(encoding="utf-8"))
    return LINK.findall(text) + REFERENCE.findall(text)


def is_relative(target: str) -> bool:
    return not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) and not target.startswith("//")


def anchors(path: Path) -> set[str]:
    """The ids Python-Markdown's toc gives the headings of a page (GitHub's are the same here)."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slugify(re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", title), "-")
            for title in HEADING.findall(text)}


def nav_pages(entries) -> list[str]:
    pages = []
    for entry in entries:
        if isinstance(entry, str):
            pages.append(entry)
        elif isinstance(entry, dict):
            for value in entry.values():
                pages += nav_pages(value) if isinstance(value, list) else [value]
    return pages


def mkdocs_config() -> dict:
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def build(config: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config),
                           "--site-dir", str(site)],
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)


# --- the README -----------------------------------------------------------------------------------
def test_readme_is_a_front_door():
    text = README.read_text(encoding="utf-8")
    assert len(text) <= README_LIMIT, (
        f"README.md is {len(text):,} characters (at most {README_LIMIT:,}): move the details to "
        "a page under docs/")
    assert "(results/figures/regimes_map.png)" in text, "the headline figure is missing"
    for command in ("make run", "make test", "make dashboard", "make docs", "pip install"):
        assert command in text, f"README does not give `{command}`"
    linked = {unquote(t.split("#")[0]) for t in links(README)}
    missing = [page for page in PAGES if f"docs/{page}" not in linked]
    assert not missing, f"README does not link to these pages of the site: {missing}"


def test_readme_and_getting_started_name_every_preset():
    from coprosim import preset_names

    for path in (README, DOCS / "getting-started.md"):
        text = path.read_text(encoding="utf-8")
        missing = [name for name in preset_names() if f"`{name}`" not in text]
        assert not missing, f"{path.relative_to(ROOT)} does not name the presets {missing}"


# --- links and the nav --------------------------------------------------------------------------
def test_every_relative_link_in_readme_and_docs_resolves():
    broken = []
    for path in markdown_files():
        for target in links(path):
            if not is_relative(target):
                continue
            where, _, fragment = target.partition("#")
            goal = (path.parent / unquote(where)).resolve() if where else path
            if not goal.exists():
                broken.append(f"{path.relative_to(ROOT)}: {target} (no such file)")
            elif fragment and goal.suffix == ".md" and fragment not in anchors(goal):
                broken.append(f"{path.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_the_link_checker_sees_a_broken_link(tmp_path):
    """The checks above can fail: a missing file and a missing heading are both caught."""
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n## A section\n\n[a](nowhere.md) [b](page.md#no-such) "
                    "[c](page.md#a-section) `[d](ignored.md)`\n\n```\n[e](ignored.md)\n```\n")
    assert links(page) == ["nowhere.md", "page.md#no-such", "page.md#a-section"]
    assert anchors(page) == {"title", "a-section"}


def test_every_page_is_in_the_nav():
    pages = set(nav_pages(mkdocs_config()["nav"]))
    files = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert not files - pages, f"pages not in mkdocs.yml's nav (unreachable on the site): {sorted(files - pages)}"
    assert not pages - files, f"the nav names pages that do not exist: {sorted(pages - files)}"


# --- the site -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site as `make docs` builds it (once for this module), into a temporary folder."""
    site = tmp_path_factory.mktemp("docs") / "site"
    result = build(ROOT / "mkdocs.yml", site)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{output[-5000:]}"
    assert "WARNING" not in output, output[-5000:]
    return site


def page_text(site: Path, page: str) -> str:
    """A built page's text, tags removed."""
    return html.unescape(re.sub(r"<[^>]+>", "", (site / page).read_text(encoding="utf-8")))


def test_site_builds_in_strict_mode_offline_with_the_api_reference(site):
    # Nothing is loaded from the internet when a page opens: no fonts, scripts, styles or images.
    assert mkdocs_config()["theme"]["font"] is False
    remote = re.compile(r"<(?:link|script|img|iframe)\b[^>]*\b(?:src|href)=\"(?:https?:)?//", re.I)
    fetching = [str(p.relative_to(site)) for p in site.rglob("*.html")
                if remote.search(p.read_text(encoding="utf-8"))]
    assert not fetching, f"pages that load something from the internet: {fetching}"
    for page in PAGES:  # plain .html files (use_directory_urls: false): they open from the disk
        assert (site / page).with_suffix(".html").exists(), f"{page} was not built"
    # The API reference is generated from the docstrings, under the names a user imports.
    reference = {
        "api/model": ["coprosim.model.CoproductionModel", "coprosim.model.Params",
                      "coprosim.model.Params.preset", "coprosim.model.Params.spec"],
        "api/experiments": ["coprosim.experiments.load_experiment",
                            "coprosim.experiments.run_experiment",
                            "coprosim.experiments.load_results", "coprosim.experiments.load_runs",
                            "coprosim.experiments.compare", "coprosim.experiments.ema.ema_model",
                            "coprosim.experiments.sensitivity.run_sensitivity",
                            "coprosim.experiments.scenario_map.run_map",
                            "coprosim.experiments.calibration.run_calibration"],
        "api/dashboards": ["coprosim.dashboards.lessons.Lesson",
                           "coprosim.dashboards.settings"],
    }
    for page, ids in reference.items():
        built = (site / f"{page}.html").read_text(encoding="utf-8")
        missing = [i for i in ids if f'id="{i}"' not in built]
        assert not missing, f"{page}: no reference entry for {missing}"
        docstring = f"{page}: the reference has headings but no docstring text"
        assert built.count('class="doc doc-contents') >= len(ids), docstring


def test_a_broken_link_or_anchor_fails_the_strict_build(tmp_path):
    """The site's validation settings make a broken link or anchor fail the build (so the test
    above can fail)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\n[gone](gone.md)\n\n[no anchor](other.md#nowhere)\n")
    (docs / "other.md").write_text("# Other\n")
    config = mkdocs_config()
    config.update(docs_dir=str(docs), nav=["index.md", "other.md"], plugins=["search"])
    config.pop("hooks", None)  # the generated tables: not needed for this page
    path = tmp_path / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config))
    result = build(path, tmp_path / "site")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "gone.md" in output and "nowhere" in output, output


# --- the pages keep up with the code -----------------------------------------------------------
def test_teaching_guide_lists_every_lesson(site):
    """The lessons' table is written from the lesson files when the site is built."""
    from coprosim.dashboards.lessons import LESSONS

    text = page_text(site, "teaching.html")
    missing = [lesson.title for lesson in LESSONS if " ".join(lesson.title.split()) not in text]
    assert LESSONS and not missing, f"the teaching guide does not list the lessons {missing}"


def test_reading_a_report_lists_every_metric(site):
    """The metrics' table is written from coprosim.model.METRICS when the site is built; the
    ledger's columns are named in the page."""
    from coprosim.model import LEDGER, METRICS

    built = (site / "reports.html").read_text(encoding="utf-8")
    missing = [name for name in [*METRICS, *LEDGER] if f"<code>{name}</code>" not in built]
    assert not missing, f"Reading a report does not describe the metrics {missing}"
    assert "<!-- generated" not in built, "a generated table was left as its marker"


def test_home_page_shows_the_readmes_figure_and_caption(site):
    """The home page's headline is the README's, copied when the site is built."""
    readme = README.read_text(encoding="utf-8")
    figure = re.search(r"!\[[^\]]*\]\(results/figures/([^)]+)\)", readme)
    assert figure, "the README shows no figure from results/figures/"
    built = (site / "index.html").read_text(encoding="utf-8")
    assert f'src="figures/{figure.group(1)}"' in built
    caption = readme[figure.end():].strip().split("\n\n")[0]
    words = " ".join(re.sub(r"[*`]", "", caption).split()[:12])
    assert words in " ".join(page_text(site, "index.html").split()), words


def test_experiments_guide_lists_every_shipped_experiment(site):
    """The shipped files' table is written from the files when the site is built."""
    from coprosim.experiments import shipped_experiments

    built = (site / "experiments.html").read_text(encoding="utf-8")
    missing = [name for name in shipped_experiments() if f"<code>{name}</code>" not in built]
    assert not missing, f"the experiments guide does not list the shipped files {missing}"


def python_blocks() -> list[tuple[str, str]]:
    found = []
    for path in markdown_files():
        text = path.read_text(encoding="utf-8")
        for i, block in enumerate(re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)):
            found.append((f"{path.relative_to(ROOT)}[{i + 1}]", block))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("name, code", python_blocks(), ids=[n for n, _ in python_blocks()])
def test_python_examples_in_the_pages_run(name, code, tmp_path):
    """Each ```python block of the README and the docs runs as it is, in a fresh folder."""
    script = tmp_path / "example.py"
    script.write_text(code)
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=900, env={**os.environ, "MPLBACKEND": "Agg"})
    assert result.returncode == 0, f"{name} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
