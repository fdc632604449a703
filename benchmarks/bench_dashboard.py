"""Step-to-plot latency of the dashboard, measured in a real Chromium.

Serves ``dashboards/app.py`` with ``solara run --production`` on a free loopback port, loads the
default model (co-production preset, 1,000 citizens), then clicks Step N times and times each
click until the week counter shows the new week and every picture (network and charts) has been
replaced. Prints the median and 90th percentile; target: under 300 ms.

    .venv/bin/python benchmarks/bench_dashboard.py [--clicks 40] [--screenshot PATH]

``--screenshot`` also runs the side-by-side view for some weeks and saves a screenshot (the
README's ``results/figures/dashboard.png`` is made this way).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS, free_port, solara_command  # noqa: E402

WAIT_FOR_NEW_PICTURES = """([week, old]) => {
  const counter = Array.from(document.querySelectorAll('div, span'))
    .some(e => e.childElementCount === 0 && e.textContent.trim() === 'Week ' + week);
  const now = Array.from(document.images).map(i => i.src);
  return counter && now.length >= 2 && now.every(src => !old.includes(src));
}"""


def start_server():
    port = free_port()
    process = subprocess.Popen(solara_command(port), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise SystemExit("dashboard server did not start") from None
            time.sleep(0.5)


def measure(page, clicks: int) -> list[float]:
    """Milliseconds from each Step click to the new week's counter and pictures."""
    latencies = []
    for week in range(1, clicks + 1):
        old = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.src)")
        started = time.perf_counter()
        page.get_by_role("button", name="Step").click()
        page.wait_for_function(WAIT_FOR_NEW_PICTURES, arg=[week, old], timeout=30_000,
                               polling="raf")
        latencies.append(1000 * (time.perf_counter() - started))
    return latencies


def screenshot(page, path: Path, weeks: int) -> None:
    page.set_viewport_size({"width": 1600, "height": 1560})
    page.get_by_role("button", name="Side by side").click()
    page.get_by_text("Week 0 (both regimes)").wait_for(timeout=30_000)
    for week in range(1, weeks + 1):
        page.get_by_role("button", name="Step").click()
        page.get_by_text(f"Week {week} (both regimes)").wait_for(timeout=30_000)
    page.wait_for_timeout(800)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=40)
    parser.add_argument("--screenshot", type=Path)
    parser.add_argument("--weeks", type=int, default=60, help="weeks before the screenshot")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print(f"needs {CHROMIUM} (make browser)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    process, url = start_server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(url, timeout=90_000)
            page.get_by_text("Week 0", exact=True).wait_for(timeout=90_000)
            page.wait_for_timeout(1000)
            latencies = measure(page, args.clicks)
            ordered = sorted(latencies)
            p90 = ordered[max(0, int(round(0.9 * len(ordered))) - 1)]
            print(f"step-to-plot latency, default model (1,000 citizens), {len(latencies)} clicks: "
                  f"median {statistics.median(latencies):.0f} ms, p90 {p90:.0f} ms, "
                  f"max {max(latencies):.0f} ms (target < 300 ms)")
            if args.screenshot:
                screenshot(page, args.screenshot, args.weeks)
                print(f"screenshot written to {args.screenshot}")
            browser.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
