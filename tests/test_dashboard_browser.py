"""End to end: the dashboard served by ``solara run`` and driven in a real Chromium.

Skipped only when Debian's /usr/bin/chromium is absent (``make test`` installs it). Never uses a
downloaded browser build.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
RESULTS = ROOT / "results"
# Lines a healthy server may print; anything else that looks like a problem fails the test.
BENIGN = ("samesite=none require https", "warnings.warn(f\"\"\"Cookies with samesite")
PROBLEM = re.compile(r"Traceback|Error|Exception|Could not load URL", re.IGNORECASE)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                       "(make browser installs it)"),
]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def solara_command(port: int) -> list[str]:
    solara = Path(sys.executable).with_name("solara")
    return [str(solara), "run", str(ROOT / "dashboards" / "app.py"), "--port", str(port),
            "--host", "127.0.0.1", "--production"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The dashboard on a free loopback port; yields (url, log path); always stopped."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("dashboard") / "server.log"
    log = open(log_path, "w")
    process = subprocess.Popen(solara_command(port), cwd=ROOT, stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(f"dashboard server did not start:\n{log_path.read_text()}")
                time.sleep(0.5)
        yield url, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def server_problems(log_path: Path) -> list[str]:
    return [line for line in log_path.read_text().splitlines()
            if PROBLEM.search(line) and not any(b in line for b in BENIGN)]


def image_sources(page) -> list[str]:
    return page.eval_on_selector_all("img", "imgs => imgs.map(i => i.src)")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def open_page(browser, url, width=1366, height=768):
    page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
    problems = {"console": [], "failed": [], "external": []}
    page.on("console", lambda m: m.type == "error" and problems["console"].append(m.text))
    page.on("pageerror", lambda e: problems["console"].append(str(e)))
    page.on("requestfailed", lambda r: problems["failed"].append(r.url))
    page.on("response", lambda r: r.status >= 400 and problems["failed"].append(f"{r.status} {r.url}"))
    page.on("request", lambda r: not r.url.startswith(url.split("?")[0].rstrip("/"))
            and not r.url.startswith(("data:", "blob:", "ws://127.0.0.1"))
            and problems["external"].append(r.url))
    page.goto(url, timeout=90_000)
    page.get_by_text("Week 0", exact=False).first.wait_for(timeout=90_000)
    return page, problems


def step(page, weeks: int, both: bool = False) -> None:
    suffix = " (both regimes)" if both else ""
    start = int(page.locator(".cp-week").inner_text().split()[1])
    for week in range(start + 1, start + weeks + 1):
        page.get_by_role("button", name="Step").click()
        page.get_by_text(f"Week {week}{suffix}", exact=True).wait_for(timeout=30_000)


def outside_viewport(page, selectors: list[str]) -> list[str]:
    """Selectors with a match that is missing or not wholly inside the viewport."""
    size = page.viewport_size
    bad = []
    for selector in selectors:
        boxes = [page.locator(selector).nth(i).bounding_box()
                 for i in range(page.locator(selector).count())]
        if not boxes:
            bad.append(f"{selector}: not on the page")
        for box in boxes:
            if box is None or box["width"] < 20 or box["height"] < 20 or box["x"] < 0 \
                    or box["y"] < 0 or box["x"] + box["width"] > size["width"] + 0.5 \
                    or box["y"] + box["height"] > size["height"] + 0.5:
                bad.append(f"{selector}: {box}")
    return bad


ESSENTIALS = [
    "button:has-text('Step')", "button:has-text('Play')", "button:has-text('Reset')",
    ".v-select", "input[type=text]", ".cp-net img", ".cp-chart img", ".cp-week",
]


def test_essentials_fit_a_classroom_projector(server, browser):
    """At 1366x768, controls, network(s), headline numbers and the four key charts are all
    inside the window, one regime and side by side; no Solara badge; nothing from the internet."""
    url, log_path = server
    page, problems = open_page(browser, url)
    try:
        step(page, 10)
        assert page.locator(".cp-chart img").count() == 4
        assert not outside_viewport(page, ESSENTIALS + [".cp-tile"]), \
            outside_viewport(page, ESSENTIALS + [".cp-tile"])
        page.get_by_role("button", name="Side by side").click()
        page.get_by_role("button", name="Switch to side by side").click()  # mid-run: it asks
        page.get_by_text("Week 0 (both regimes)").wait_for(timeout=30_000)
        step(page, 5, both=True)
        assert page.locator(".cp-net img").count() == 2
        assert not outside_viewport(page, ESSENTIALS + [".cp-table"]), \
            outside_viewport(page, ESSENTIALS + [".cp-table"])
        scroll = page.evaluate("[document.scrollingElement.scrollHeight, innerHeight,"
                               " document.scrollingElement.scrollWidth, innerWidth]")
        assert scroll[0] <= scroll[1] and scroll[2] <= scroll[3], f"the page scrolls: {scroll}"
        assert page.get_by_text("This website runs on").count() == 0 or \
            not page.get_by_text("This website runs on").first.is_visible()
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / "dashboard_e2e.png"))
        assert not problems["console"], problems["console"]
        assert not problems["failed"], problems["failed"]
        assert not problems["external"], f"the page must not reach the internet: {problems}"
    finally:
        page.close()
    assert not server_problems(log_path), server_problems(log_path)


def test_a_disabled_slider_says_why_and_a_link_keeps_the_setup(server, browser):
    url, _ = server
    page, _ = open_page(browser, url + "?scenario=npm&seed=3&withness=0")
    try:
        page.get_by_text("Running: Custom: NPM (customer rules) with withness").wait_for(
            timeout=30_000)
        label = page.get_by_text("Elite capture (co-creating agenda):", exact=False).first
        label.wait_for(timeout=30_000)
        slider = label.locator("xpath=following-sibling::*[1]")
        assert "v-input--is-disabled" in (slider.get_attribute("class") or ""), \
            slider.get_attribute("class")
        why = label.locator("xpath=following-sibling::*[2]")
        assert why.inner_text().startswith("No effect here: no staff time is co-creating")
        assert why.is_visible()
        page.reload()
        page.get_by_text("Running: Custom: NPM (customer rules) with withness").wait_for(
            timeout=90_000)
    finally:
        page.close()


def test_the_csv_download_holds_the_run(server, browser, tmp_path):
    url, _ = server
    page, _ = open_page(browser, url)
    try:
        step(page, 6)
        with page.expect_download(timeout=30_000) as download:
            page.get_by_role("button", name="Metrics (CSV)").click()
        path = tmp_path / "run.csv"
        download.value.save_as(path)
        lines = path.read_text().splitlines()
        assert lines[0].startswith("# coprosim dashboard run: Co-production")
        header = lines[1].split(",")
        assert header[:4] == ["regime", "scenario", "seed", "week"] and "mean_trust" in header
        weeks = [int(line.split(",")[3]) for line in lines[2:]]
        assert weeks == list(range(7)), "weeks 0-6 of the run on screen"
    finally:
        page.close()


def test_a_lessons_one_click_setup_changes_the_parameters_it_names(server, browser):
    """At 1366x768 the Lessons tab shows the first lesson with its setup button in view; one click
    puts the page into the lesson's view (side by side or one regime) with every value it names:
    in the 'Running' line (readable labels), in the address bar, and a note of the lesson running."""
    from coprosim.dashboards.app import load_lessons
    from coprosim.dashboards.settings import (
        Settings,
        apply_setup,
        format_value,
        parameter_label,
        scenario_label,
    )
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    lessons = load_lessons()
    if not lessons:
        pytest.skip("no dashboards/lessons.py")
    lesson = lessons[0]
    expected, _ = apply_setup(Settings(), lesson.setup)
    named = lesson.setup.get("overrides", {})
    assert set(expected.changes()) == set(named), "every value the lesson names is a change"
    url, _ = server
    page, problems = open_page(browser, url)
    try:
        page.get_by_role("tab", name="Lessons").click()
        button = page.get_by_role("button", name="Set this up").first
        button.wait_for(timeout=30_000)
        page.locator(".cp-sim").wait_for(state="hidden", timeout=10_000)  # the tabs' slide ends
        try:  # the tab slides in: wait until it has come to rest
            page.wait_for_function(
                "() => { const b = [...document.querySelectorAll('button')].find("
                "x => x.textContent.includes('Set this up')); if (!b) return false;"
                " const r = b.getBoundingClientRect(); return r.left >= 0 &&"
                " r.right <= innerWidth && r.bottom <= innerHeight; }", timeout=5_000)
        except PlaywrightTimeout:
            pass  # the assertion below says where it is
        assert not outside_viewport(page, ["button:has-text('Set this up')"]), \
            "the one-click setup is in view at 1366x768"
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / "dashboard_lessons.png"))
        button.click()
        week = "Week 0 (both regimes)" if expected.compare else "Week 0"
        page.get_by_text(week, exact=True).wait_for(timeout=30_000)
        for name, value in named.items():
            words = f"{parameter_label(name).lower()} {format_value(name, value)}"
            page.wait_for_function(
                "words => document.querySelector('.cp-running').textContent.toLowerCase()"
                ".includes(words)", arg=words, timeout=30_000)
            assert f"{name}={format_value(name, value)}" in page.url, (name, page.url)
        running = page.locator(".cp-running").inner_text()
        for scenario in expected.scenarios:
            assert scenario_label(scenario) in running, (scenario, running)
        page.locator(".cp-lessonstrip", has_text=f"Lesson 1: {lesson.title}").wait_for(
            timeout=30_000)
        assert not problems["console"] and not problems["external"], problems
    finally:
        page.close()
