"""End to end: Mesa's SolaraViz page (``dashboards/mesa_app.py``) served and driven in Chromium.

Runs on both Mesa lines (``make test``): the page's widgets are drawn by the browser from the
ipyvue/ipyvuetify front end, so this is where a Mesa, Solara or ipyvuetify release that breaks the
page in the browser shows (a component test with ``solara.render`` never runs that front end).
Skipped only when Debian's /usr/bin/chromium is absent (``make test`` installs it).
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from coprosim.dashboards.settings import scenario_label
from coprosim.model.mesa_internals import MESA_3_5

from tests.accessibility import UNDESCRIBED, UNNAMED
from tests.test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS, free_port, server_problems

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                       "(make browser installs it)"),
]


@pytest.fixture(scope="module")
def mesa_page(tmp_path_factory):
    """``solara run dashboards/mesa_app.py`` on a free loopback port; yields (url, log path)."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("mesa_page") / "server.log"
    solara = Path(sys.executable).with_name("solara")
    command = [str(solara), "run", str(ROOT / "dashboards" / "mesa_app.py"), "--port", str(port),
               "--host", "127.0.0.1", "--production"]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
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
                        pytest.fail(f"Mesa page server did not start:\n{log_path.read_text()}")
                    time.sleep(0.5)
            yield url, log_path
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def counter(steps: int) -> str:
    """Mesa's own step counter: "Step: 2" on Mesa 3.3, "Time: 2.0" on Mesa 3.5+."""
    return f"Time: {float(steps)}" if MESA_3_5 else f"Step: {steps}"


def test_the_mesa_page_steps_and_resets_to_another_scenario_in_a_browser(mesa_page):
    from playwright.sync_api import sync_playwright

    url, log_path = mesa_page
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
            page.on("request", lambda r: not r.url.startswith(url.rstrip("/"))
                    and not r.url.startswith(("data:", "blob:", "ws://127.0.0.1"))
                    and problems.append(f"external: {r.url}"))
            page.goto(url, timeout=90_000)
            page.get_by_text("This run", exact=False).first.wait_for(timeout=90_000)
            page.get_by_text(counter(0), exact=True).wait_for(timeout=30_000)
            assert page.locator("img").count() >= 2  # the network and Mesa's plots

            page.get_by_role("button", name="Step").click()
            page.get_by_text(counter(1), exact=True).wait_for(timeout=30_000)
            page.get_by_text("week 1", exact=False).first.wait_for(timeout=30_000)

            # a screen reader hears "Play", not "black right-pointing triangle", and every
            # picture has words: Mesa's own buttons are named by the page's Describe
            page.wait_for_timeout(300)
            assert page.evaluate(UNNAMED) == [], page.evaluate(UNNAMED)
            assert page.evaluate(UNDESCRIBED) == [], page.evaluate(UNDESCRIBED)
            assert page.locator("img.cp-pic-network").get_attribute("alt").startswith(
                "The citizens' network")
            page.get_by_role("button", name="Play", exact=True).click()
            page.get_by_role("button", name="Pause", exact=True).click(timeout=30_000)
            page.get_by_role("button", name="Play", exact=True).wait_for(timeout=30_000)
            assert page.evaluate(UNNAMED) == [], page.evaluate(UNNAMED)

            # the scenario select (Vuetify), then Reset: the new run is the chosen preset
            page.get_by_label("Scenario (sets the regime rules)").click(force=True)
            page.get_by_role("option", name="npm", exact=True).click()  # Mesa lists the values
            page.get_by_role("button", name="Reset").click()
            page.get_by_text(f"This run: {scenario_label('npm')}", exact=False).first.wait_for(
                timeout=30_000)
            page.get_by_text(counter(0), exact=True).wait_for(timeout=30_000)
        finally:
            browser.close()
    assert problems == [], problems
    assert server_problems(log_path) == []
