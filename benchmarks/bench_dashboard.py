"""The dashboard measured in a real Chromium: step-to-plot latency, Play speed, server memory.

Serves ``dashboards/app.py`` with ``solara run --production`` on a free loopback port and:

1. loads the default model (co-production, 1,000 citizens) at 1366x768 and clicks Step N times
   (default 60, so the yearly time-axis change at week 53 is included), timing each click until
   the week counter shows the new week and every picture has been replaced by its new image,
   loaded. Targets: median under 120 ms, no click over 250 ms.
2. the same side by side with 5,000 citizens (from a link). Target: median under 250 ms.
3. Play at the slider's top speed for a few seconds: the weeks per second reached, and what the
   page says it reaches ("Playing at ... weeks/s").
4. server memory (resident set of the server process) after one browser session was opened,
   stepped and closed, and after 20 more. Target: within 5% of after the first. The server runs
   with ``SOLARA_KERNEL_CULL_TIMEOUT=5s`` so that a closed session is freed within the benchmark
   (the dashboard's own default is 2 minutes), in the environment `coprosim dashboard` gives it
   (`dashboards/cli.py`: `server_environment`).
5. (``EXTRA``; one alone with ``--only NAME``) presentation mode at 1366x768: the smallest
   visible text and the side-by-side table's rows in view; the Mesa page's Play at its defaults.

Each click is a real mouse click on the Step button (its place is looked up before the clock
starts) and is timed twice: in the page, from the click event to the frame in which the new week
and all new pictures are there ("in page": what a student sees), and by the benchmark, from
sending the click to Chromium until it reported that frame ("round trip": adds the DevTools
protocol's messages, a few ms each way). ``--locator-clicks`` also times some clicks the way
earlier versions of this benchmark did (Playwright's ``locator.click``, which first checks that
the button is visible, enabled and has stopped moving for two animation frames: some tens of ms
that no user waits for), for comparison with the numbers measured then.

    .venv/bin/python benchmarks/bench_dashboard.py [--clicks 60] [--sessions 20]
        [--locator-clicks 20] [--baseline DIR [--rounds 2]] [--screenshot PATH]

``--baseline DIR`` serves a second copy of the dashboard package from DIR (for instance an
earlier commit's, ``git archive <commit> dashboards | tar -x -C /tmp/old``, giving
``/tmp/old/dashboards``) next to the current one, and measures the two alternately, ``--rounds``
times, so that each before/after pair is taken back to back under the same load.

``--screenshot`` also saves the side-by-side view after some weeks at 1920x1080 (the README's
``results/figures/dashboard.png`` is made this way). The machine's load average is printed with
every number: on a shared machine the numbers move with it.
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

# Installed once per page: the time of the last click event, in the page's clock.
RECORD_CLICKS = """() => { if (!window.__cpClicks) { window.__cpClicks = true;
  document.addEventListener('click', () => { window.__cpClickAt = performance.now(); }, true); } }"""
# Polled at every animation frame: false until the week counter shows the new week and every
# picture of the simulation view has a new image, loaded; then the ms since the click event.
NEW_WEEK_SHOWN = """([week, old]) => {
  const counter = Array.from(document.querySelectorAll('.cp-week'))
    .some(e => e.textContent.trim().startsWith('Week ' + week));
  const imgs = Array.from(document.querySelectorAll('.cp-sim img'));
  const done = counter && imgs.length >= 2
    && imgs.every(i => !old.includes(i.src) && i.complete && i.naturalWidth > 0);
  return done ? Math.max(performance.now() - window.__cpClickAt, 0.001) : false;
}"""
CULL = "5s"
# Serves the dashboard package from another folder (``--baseline``): the package's path is
# pointed there before the app is loaded. argv: folder, then solara's arguments.
BASELINE_LAUNCHER = """import sys
import coprosim.dashboards as package
package.__path__[:] = [sys.argv[1]]
sys.argv = ["solara", *sys.argv[2:]]
from solara.__main__ import main
main()
"""


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (5 min {five:.1f})"


def start_server(cull: str = CULL, dashboards: Path | None = None, app: str = "app.py"):
    port = free_port()
    from coprosim.dashboards.cli import server_environment  # as `coprosim dashboard` serves it

    env = server_environment({**os.environ, "SOLARA_KERNEL_CULL_TIMEOUT": cull})
    command = solara_command(port)
    if app != "app.py":  # another page of the package (the Mesa page)
        command[2] = str(ROOT / "dashboards" / app)
    if dashboards is not None:
        app = dashboards / "app.py"
        if not app.exists():
            raise SystemExit(f"--baseline: no app.py in {dashboards}")
        command = [sys.executable, "-c", BASELINE_LAUNCHER, str(dashboards),
                   *command[1:2], str(app), *command[3:]]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
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


def stop_server(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


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


def shown_week(page) -> int:
    return int(page.locator(".cp-week").first.inner_text().split()[1])


def measure(page, clicks: int, locator: bool = False) -> tuple[list[float], list[float]]:
    """Milliseconds from each Step click to the new week's counter and pictures: (in the page,
    round trip). ``locator``: click with Playwright's ``locator.click`` instead of the mouse."""
    page.evaluate(RECORD_CLICKS)
    button = page.get_by_role("button", name="Step")
    box = button.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    in_page, round_trip = [], []
    start = shown_week(page)
    for week in range(start + 1, start + clicks + 1):
        old = page.eval_on_selector_all(".cp-sim img", "imgs => imgs.map(i => i.src)")
        started = time.perf_counter()
        if locator:
            button.click()
        else:
            page.mouse.click(x, y)
        shown = page.wait_for_function(NEW_WEEK_SHOWN, arg=[week, old], timeout=30_000,
                                       polling="raf")
        round_trip.append(1000 * (time.perf_counter() - started))
        in_page.append(float(shown.json_value()))
    return in_page, round_trip


def summary(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p90 = ordered[max(0, int(round(0.9 * len(ordered))) - 1)]
    return (f"median {statistics.median(latencies):.0f} ms, p90 {p90:.0f} ms, "
            f"max {max(latencies):.0f} ms")


def play_speed(page, seconds: float = 6.0) -> tuple[float, str]:
    """Weeks per second reached by Play at the speed slider's top value, and what the page says
    it plays at."""
    slider = page.locator(".v-slider").first
    box = slider.bounding_box()
    page.mouse.click(box["x"] + box["width"] - 1, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    first = shown_week(page)
    page.get_by_role("button", name="Play").click()
    page.wait_for_timeout(1000)  # let it settle
    begin_week = shown_week(page)
    started = time.perf_counter()
    page.wait_for_timeout(seconds * 1000)
    end_week = shown_week(page)
    elapsed = time.perf_counter() - started
    said = page.get_by_text("Playing at").first
    says = said.inner_text() if said.count() else "(nothing)"
    page.get_by_role("button", name="Pause").click()
    assert end_week > first
    return (end_week - begin_week) / elapsed, says


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


def step_to_plot(browser, url: str, name: str, clicks: int, locator_clicks: int,
                 side_by_side: bool = True, play: bool = False) -> None:
    """Print the one-regime and side-by-side step-to-plot numbers of one server."""
    page = open_page(browser, url)
    before = load()
    in_page, round_trip = measure(page, clicks)
    print(f"[{name}] step-to-plot, one regime, 1,000 citizens, {clicks} mouse clicks (incl. the "
          f"yearly axis change; {before} -> {load()}):\n"
          f"    in page {summary(in_page)}; round trip {summary(round_trip)} "
          "(target: median < 120 ms, max < 250 ms)", flush=True)
    if locator_clicks:
        before = load()
        _, by_locator = measure(page, locator_clicks, locator=True)
        print(f"[{name}]     as earlier versions measured it (locator.click, round trip), "
              f"{locator_clicks} clicks: {summary(by_locator)} ({before} -> {load()})",
              flush=True)
    if play:
        weeks_per_second, says = play_speed(page)
        print(f"[{name}] Play at the slider's top speed (20 weeks/s): {weeks_per_second:.1f} "
              f"weeks/s reached; the page says {says!r} ({load()})", flush=True)
    page.close()
    if side_by_side:
        page = open_page(browser, url + "?view=compare&n_citizens=5000")
        before = load()
        in_page, round_trip = measure(page, max(10, clicks // 3))
        print(f"[{name}] step-to-plot, side by side, 5,000 citizens, {len(in_page)} clicks "
              f"({before} -> {load()}):\n    in page {summary(in_page)}; round trip "
              f"{summary(round_trip)} (target: median < 250 ms)", flush=True)
        page.close()


# --- further measurements: each is (browser, url, server process, args) -> None and prints its
# numbers; all run after the ones above, or one alone with --only NAME. Add one to EXTRA. ---------

PRESENTATION_CHECK = """() => {
  let smallest = 1e9, where = '';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || !el || el.closest('style, script')) continue;
    const r = el.getBoundingClientRect(), st = getComputedStyle(el);
    if (!r.width || !r.height || st.display === 'none' || st.visibility === 'hidden'
        || r.bottom < 0 || r.top > innerHeight || r.left > innerWidth) continue;
    const size = parseFloat(st.fontSize);
    if (size < smallest) { smallest = size; where = walker.currentNode.textContent.trim(); }
  }
  const rows = [...document.querySelectorAll('.cp-table tr')];
  const inView = rows.filter(r => { const b = r.getBoundingClientRect();
    return b.top >= 0 && b.bottom <= innerHeight; }).length;
  return [smallest, where.slice(0, 30), inView, rows.length];
}"""


def presentation(browser, url: str, process, args) -> None:
    """Presentation mode at 1366x768, side by side: the smallest visible text, and the table's
    rows in view."""
    page = open_page(browser, url + "?view=compare&present=1")
    page.locator(".cp-page.cp-present").wait_for(timeout=60_000)
    page.wait_for_timeout(2000)
    smallest, where, in_view, rows = page.evaluate(PRESENTATION_CHECK)
    print(f"presentation mode at 1366x768: smallest visible text {smallest:.1f} px ({where!r}); "
          f"table rows in view {in_view} of {rows} ({load()})", flush=True)
    page.close()


def mesa_play(browser, url: str, process, args, seconds: float = 8.0) -> None:
    """The Mesa page (on a server of its own) at its defaults: the weeks per second Play
    reaches."""
    import re

    server, mesa_url = start_server(app="mesa_app.py")
    try:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(mesa_url, timeout=90_000)
        page.get_by_text("This run", exact=False).first.wait_for(timeout=90_000)

        def week() -> float:
            found = re.search(r"(?:Step|Time):\s*([0-9.]+)", page.locator("body").inner_text())
            return float(found.group(1)) if found else 0.0

        page.wait_for_timeout(1500)  # the page's widgets are ready
        page.get_by_role("button", name="▶").click()
        deadline = time.perf_counter() + 30
        while week() < 1 and time.perf_counter() < deadline:  # Play has begun
            page.wait_for_timeout(200)
        first, started = week(), time.perf_counter()
        page.wait_for_timeout(seconds * 1000)
        rate = (week() - first) / (time.perf_counter() - started)
        print(f"Mesa page Play at its defaults: {rate:.1f} weeks/s ({load()})", flush=True)
        page.close()
    finally:
        stop_server(server)


EXTRA = {"presentation": presentation, "mesa-play": mesa_play}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=60)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--locator-clicks", type=int, default=20)
    parser.add_argument("--baseline", type=Path, help="a dashboards folder to compare with")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--screenshot", type=Path)
    parser.add_argument("--weeks", type=int, default=60, help="weeks before the screenshot")
    parser.add_argument("--class-students", type=int, default=0, metavar="N",
                        help="class mode instead: a role-play round's latency to N students' "
                        "screens and the server's memory (benchmarks/bench_class.py)")
    parser.add_argument("--only", choices=sorted(EXTRA),
                        help="run only this measurement (of the current dashboard)")
    args = parser.parse_args()
    if args.class_students:
        import bench_class

        sys.argv = [sys.argv[0], "--students", str(args.class_students)]
        return bench_class.main()
    for name in ("clicks", "sessions", "locator_clicks", "rounds", "weeks"):
        if getattr(args, name) < 0 or (name in ("clicks", "rounds") and getattr(args, name) < 1):
            parser.error(f"--{name.replace('_', '-')} must be a whole number of at least "
                         f"{1 if name in ('clicks', 'rounds') else 0}")
    if not CHROMIUM.exists():
        print(f"needs {CHROMIUM} (make browser)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    servers = []
    try:
        servers.append(("current", *start_server()))
        if args.baseline is not None:
            servers.append(("baseline", *start_server(dashboards=args.baseline.resolve())))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            print(f"{load()} at start on {os.cpu_count()} cores", flush=True)
            _, process, url = servers[0]
            if args.only:
                EXTRA[args.only](browser, url, process, args)
                browser.close()
                return 0
            if args.sessions:
                before, first, last = memory(browser, url, process, args.sessions)
                print(f"server memory: {before:.0f} MiB at start, {first:.0f} MiB after one "
                      f"session, {last:.0f} MiB after {args.sessions} more opened and closed "
                      f"({100 * (last - first) / first:+.1f}%; target within 5%; {load()})",
                      flush=True)
            if args.baseline is None:
                step_to_plot(browser, url, "current", args.clicks, args.locator_clicks,
                             play=True)
            else:
                for round_ in range(args.rounds):
                    order = servers if round_ % 2 else servers[::-1]  # baseline first, then
                    for name, _, server_url in order:                 # alternate
                        step_to_plot(browser, server_url, f"{name}, round {round_ + 1}",
                                     args.clicks, args.locator_clicks,
                                     play=round_ == args.rounds - 1)
            if args.baseline is None:
                for measure in EXTRA.values():
                    measure(browser, url, process, args)
            if args.screenshot:
                screenshot(browser, url, args.screenshot, args.weeks)
                print(f"screenshot written to {args.screenshot}")
            print(f"{load()} at end", flush=True)
            browser.close()
    finally:
        for _, process, _ in servers:
            stop_server(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
