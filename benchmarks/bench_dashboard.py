"""The dashboard measured in a real Chromium: step-to-plot latency, Play speed, server memory.

Serves ``dashboards/app.py`` with ``solara run --production`` on a free loopback port and:

1. loads the default model (co-production, 1,000 citizens) at 1366x768 and clicks Step N times
   (default 60, so the yearly time-axis change at week 53 is included), timing each click until
   the week counter shows the new week and every picture has been replaced.
   Targets: median under 120 ms, no click over 250 ms.
2. the same side by side with 5,000 citizens (from a link). Target: median under 250 ms.
3. Play at the slider's top speed for a few seconds: the weeks per second reached.
4. server memory (resident set of the server process) after one browser session was opened,
   stepped and closed, and after 20 more. Target: within 5% of after the first. The server runs
   with ``SOLARA_KERNEL_CULL_TIMEOUT=5s`` so that a closed session is freed within the benchmark
   (the dashboard's own default is 2 minutes).

    .venv/bin/python benchmarks/bench_dashboard.py [--clicks 60] [--sessions 20] [--screenshot PATH]

``--screenshot`` also saves the side-by-side view after some weeks at 1920x1080 (the README's
``results/figures/dashboard.png`` is made this way). The machine's load average is printed with
the results: on a shared machine the numbers move with it.
"""

from __future__ import annotations

import argparse
import os
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
  const counter = Array.from(document.querySelectorAll('.cp-week'))
    .some(e => e.textContent.trim().startsWith('Week ' + week));
  const now = Array.from(document.querySelectorAll('.cp-sim img')).map(i => i.src);
  return counter && now.length >= 2 && now.every(src => !old.includes(src));
}"""
CULL = "5s"


def start_server(cull: str = CULL):
    port = free_port()
    env = {**os.environ, "SOLARA_KERNEL_CULL_TIMEOUT": cull}
    process = subprocess.Popen(solara_command(port), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=env)
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


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children, in MiB (Linux /proc)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def open_page(browser, url: str, width: int = 1366, height: int = 768):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url, timeout=90_000)
    page.locator(".cp-week").first.wait_for(timeout=90_000)
    page.wait_for_timeout(500)
    return page


def measure(page, clicks: int) -> list[float]:
    """Milliseconds from each Step click to the new week's counter and pictures."""
    latencies = []
    start = int(page.locator(".cp-week").inner_text().split()[1])
    for week in range(start + 1, start + clicks + 1):
        old = page.eval_on_selector_all(".cp-sim img", "imgs => imgs.map(i => i.src)")
        started = time.perf_counter()
        page.get_by_role("button", name="Step").click()
        page.wait_for_function(WAIT_FOR_NEW_PICTURES, arg=[week, old], timeout=30_000,
                               polling="raf")
        latencies.append(1000 * (time.perf_counter() - started))
    return latencies


def summary(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p90 = ordered[max(0, int(round(0.9 * len(ordered))) - 1)]
    return (f"median {statistics.median(latencies):.0f} ms, p90 {p90:.0f} ms, "
            f"max {max(latencies):.0f} ms")


def play_speed(page, seconds: float = 6.0) -> float:
    """Weeks per second reached by Play at the speed slider's top value."""
    slider = page.locator(".v-slider").first
    box = slider.bounding_box()
    page.mouse.click(box["x"] + box["width"] - 1, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    first = int(page.locator(".cp-week").inner_text().split()[1])
    page.get_by_role("button", name="Play").click()
    page.wait_for_timeout(1000)  # let it settle
    begin_week = int(page.locator(".cp-week").inner_text().split()[1])
    started = time.perf_counter()
    page.wait_for_timeout(seconds * 1000)
    end_week = int(page.locator(".cp-week").inner_text().split()[1])
    elapsed = time.perf_counter() - started
    page.get_by_role("button", name="Pause").click()
    assert end_week > first
    return (end_week - begin_week) / elapsed


def memory(browser, url: str, process, sessions: int) -> tuple[float, float, float]:
    """Server MiB before any session, after the first and after ``sessions`` more, each opened,
    stepped 20 weeks and closed."""
    def one_session():
        page = open_page(browser, url)
        for _ in range(20):
            page.get_by_role("button", name="Step").click()
        page.get_by_text("Week 20", exact=True).wait_for(timeout=60_000)
        page.close()

    def settled() -> float:
        time.sleep(8)  # past the cull timeout, and a gc
        return rss_mib(process.pid)

    before = rss_mib(process.pid)
    one_session()
    first = settled()
    for _ in range(sessions):
        one_session()
    return before, first, settled()


def screenshot(browser, url: str, path: Path, weeks: int) -> None:
    page = open_page(browser, url + "?view=compare", 1920, 1080)
    for week in range(1, weeks + 1):
        page.get_by_role("button", name="Step").click()
        page.get_by_text(f"Week {week} (both regimes)").wait_for(timeout=30_000)
    page.wait_for_timeout(800)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    page.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=60)
    parser.add_argument("--sessions", type=int, default=20)
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
            print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            if args.sessions:
                before, first, last = memory(browser, url, process, args.sessions)
                print(f"server memory: {before:.0f} MiB at start, {first:.0f} MiB after one "
                      f"session, {last:.0f} MiB after {args.sessions} more opened and closed "
                      f"({100 * (last - first) / first:+.1f}%; target within 5%)")
            page = open_page(browser, url)
            latencies = measure(page, args.clicks)
            print(f"step-to-plot, one regime, 1,000 citizens, {len(latencies)} clicks "
                  f"(incl. the yearly axis change): {summary(latencies)} "
                  "(target: median < 120 ms, max < 250 ms)")
            weeks_per_second = play_speed(page)
            print(f"Play at the slider's top speed (20 weeks/s): {weeks_per_second:.1f} weeks/s")
            page.close()
            page = open_page(browser, url + "?view=compare&n_citizens=5000")
            latencies = measure(page, max(10, args.clicks // 3))
            print(f"step-to-plot, side by side, 5,000 citizens, {len(latencies)} clicks: "
                  f"{summary(latencies)} (target: median < 250 ms)")
            page.close()
            if args.screenshot:
                screenshot(browser, url, args.screenshot, args.weeks)
                print(f"screenshot written to {args.screenshot}")
            print(f"load average at end: {os.getloadavg()[0]:.1f}")
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
