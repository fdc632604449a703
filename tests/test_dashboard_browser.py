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


def test_dashboard_in_a_real_browser(server):
    """Loads cleanly, steps a chosen scenario 10 weeks, shows both regimes side by side."""
    from playwright.sync_api import sync_playwright

    url, log_path = server
    RESULTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1150})
            console_errors, failed, external = [], [], []
            page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
            page.on("pageerror", lambda e: console_errors.append(str(e)))
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
            page.on("request", lambda r: not r.url.startswith(url.rstrip("/"))
                    and not r.url.startswith(("data:", "blob:", "ws://127.0.0.1"))
                    and external.append(r.url))
            page.goto(url, timeout=90_000)
            page.get_by_text("Week 0", exact=True).wait_for(timeout=90_000)

            # choose a scenario, then step 10 weeks: counter and pictures update
            page.get_by_role("button", name="Scenario").or_(
                page.locator(".v-select").first).first.click()
            page.get_by_role("option", name="NPM (customer rules)").click()
            page.get_by_text("New Public Management: customer rules").wait_for(timeout=30_000)
            page.get_by_text("Week 0", exact=True).wait_for(timeout=30_000)
            before = image_sources(page)
            for week in range(1, 11):
                page.get_by_role("button", name="Step").click()
                page.get_by_text(f"Week {week}", exact=True).wait_for(timeout=30_000)
            page.wait_for_function(
                "old => Array.from(document.images).map(i => i.src).join() !== old",
                arg=",".join(before), timeout=30_000)
            assert len(image_sources(page)) >= 2, "network and charts"

            # side by side: both regimes, same week
            page.get_by_role("button", name="Side by side").click()
            page.get_by_text("Week 0 (both regimes)").wait_for(timeout=30_000)
            for week in range(1, 6):
                page.get_by_role("button", name="Step").click()
                page.get_by_text(f"Week {week} (both regimes)").wait_for(timeout=30_000)
            for heading in ("NPM (customer rules)", "Co-production"):
                assert page.get_by_text(heading, exact=True).count() >= 1, heading
            assert len(image_sources(page)) >= 3, "two networks and the charts"
            page.wait_for_timeout(500)
            page.screenshot(path=str(RESULTS / "dashboard_e2e.png"), full_page=True)

            # a bad seed shows a message in the page
            seed = page.get_by_label("Seed (whole number)")
            seed.fill("not a number")
            seed.press("Enter")
            page.get_by_text("seed: must be a whole number").first.wait_for(timeout=30_000)

            assert not console_errors, console_errors
            assert not failed, failed
            assert not external, f"the page must not reach the internet: {external}"
        finally:
            browser.close()
    assert not server_problems(log_path), server_problems(log_path)
