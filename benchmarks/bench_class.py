"""Class mode measured in a real Chromium: how fast a role-play round reaches every student's
screen, and the server's memory, with a class of 30 (default).

Serves the dashboard as ``coprosim dashboard`` does (``dashboards/cli.py``'s environment), opens
the teacher's Class tab at 1366x768 and 30 students' phones (360x740), each in a browser context
of its own (separate people, separate Solara sessions), who join, predict and make a role-play
choice. Then the teacher presses "Next round" ``--rounds`` times (default 10). Each student's page
records, with a MutationObserver, the moment its round number changes (``Date.now()``); the
teacher's page records the moment of the click (a capturing click listener). All pages run in one
browser on this machine, so the clocks agree. A round's latency is the time from the click until
the last of the 30 screens shows the new round. Target: within 1 s.

The server's CPU time for each round (``/proc``: all its threads, from the click until the
updates were sent) says what a round costs whatever else the machine is doing: on a core of its
own, a round takes about that long plus the network.

Memory is the resident set of the server process (``/proc``): at start, with the teacher's page
open, with the 30 students joined, after the rounds, and after every page has closed and the
sessions were culled (``SOLARA_KERNEL_CULL_TIMEOUT=5s`` here).

The browser runs on the same two cores as the server (as it would not in a classroom, where each
phone renders its own page), so the numbers are upper bounds; the machine's load is printed with
every number.

    .venv/bin/python benchmarks/bench_class.py [--students 30] [--rounds 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_class_browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    join_student,
    local_join_url,
    open_class_tab,
    start_server,
    stop_server,
    wait_counts,
    wait_round,
)

# In each student's page: the first moment each round number is on screen.
WATCH_ROUNDS = """() => { window.__cpRounds = {};
  const mark = () => { const e = document.querySelector('.cp-join [data-round]');
    if (e) { const r = e.getAttribute('data-round');
             if (!(r in window.__cpRounds)) window.__cpRounds[r] = Date.now(); } };
  new MutationObserver(mark).observe(document.body, {subtree: true, childList: true,
                                                     attributes: true, characterData: true});
  mark(); }"""
# In the teacher's page: the moment of the last click.
WATCH_CLICKS = """() => { document.addEventListener('click',
  () => { window.__cpClickAt = Date.now(); }, true); }"""


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (5 min {five:.1f})"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """CPU time the process has used so far (all its threads, user and system), in s."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def deliveries(path: Path) -> list[tuple[float, float]]:
    """(change made, last tab updated) of each change the server delivered, in s."""
    if not path.exists():
        return []
    return [tuple(map(float, line.split())) for line in path.read_text().splitlines() if line]


def measure_class(browser, url: str, pid: int, students: int, rounds: int,
                  timing: Path | None = None) -> dict:
    """Round latencies (s), the server's share of them, and server memory (MiB) for a class
    of ``students``."""
    memory = {"start": rss_mib(pid)}
    teacher, code, address = open_class_tab(browser, url)
    memory["teacher"] = rss_mib(pid)
    join_url = local_join_url(url, address)
    started = time.perf_counter()
    pages = [join_student(browser, join_url, f"Pupil {i + 1}") for i in range(students)]
    wait_counts(teacher, students, 0)
    joined_in = time.perf_counter() - started
    teacher.get_by_role("button", name="Ask the class this lesson's question").click()
    for i, page in enumerate(pages):
        page.get_by_role("button", name="Submit prediction").wait_for(timeout=60_000)
        options = page.locator(".cp-option")
        options.nth(i % options.count()).click()
        page.get_by_role("button", name="Submit prediction").click()
    wait_counts(teacher, students, students)
    memory["joined"] = rss_mib(pid)
    teacher.get_by_role("button", name="Start role-play").click()
    wait_round(pages, 0)
    for i, page in enumerate(pages):  # every player makes a choice
        buttons = page.locator(".cp-card button", has_text="○")
        buttons.nth(i % 2).click()
    teacher.get_by_text(f"{students} of {students} players have chosen").wait_for(
        timeout=60_000)
    for page in pages:
        page.evaluate(WATCH_ROUNDS)
    teacher.evaluate(WATCH_CLICKS)
    latencies, server, loads, cpu = [], [], [], []
    for number in range(1, rounds + 1):
        time.sleep(1.0)  # the class reads its screens
        used = cpu_seconds(pid)
        teacher.get_by_role("button", name="Next round").click()
        clicked = teacher.evaluate("window.__cpClickAt")
        wait_round(pages, number)
        seen = [page.evaluate(f"window.__cpRounds['{number}']") for page in pages]
        latencies.append((max(seen) - clicked) / 1000)
        loads.append(os.getloadavg()[0])
        line = (f"  round {number}: last of {students} screens after "
                f"{latencies[-1] * 1000:.0f} ms (first {(min(seen) - clicked):.0f} ms, median "
                f"{statistics.median(seen) - clicked:.0f} ms")
        if timing is not None:
            time.sleep(0.3)
            mine = [done for made, done in deliveries(timing) if made * 1000 >= clicked - 50]
            if mine:
                server.append(mine[0] - clicked / 1000)
                line += f"; the server had sent every update after {server[-1] * 1000:.0f} ms"
        else:
            time.sleep(0.3)
        cpu.append(cpu_seconds(pid) - used)  # the round's work (the server is idle between)
        line += f"; server CPU {cpu[-1] * 1000:.0f} ms"
        print(line + f"; load {loads[-1]:.1f})", flush=True)
    memory["rounds"] = rss_mib(pid)
    for page in [teacher, *pages]:
        page.context.close()
    time.sleep(12)  # the sessions are culled 5 s after their pages close
    memory["closed"] = rss_mib(pid)
    return {"latencies": latencies, "server": server, "memory": memory, "joined_in": joined_in,
            "loads": loads, "cpu": cpu}


def report(result: dict, students: int) -> str:
    lat = result["latencies"]
    mem = result["memory"]
    server = result["server"]
    served = (f" (the server's part: median {statistics.median(server) * 1000:.0f} ms, max "
              f"{max(server) * 1000:.0f} ms)" if server else "")
    return (f"class of {students}: a round reached every screen in median "
            f"{statistics.median(lat) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms over "
            f"{len(lat)} rounds (target 1,000 ms; {sum(x <= 1.0 for x in lat)}/{len(lat)} "
            f"within){served}; the server's CPU time for a round: median "
            f"{statistics.median(result['cpu']) * 1000:.0f} ms, max "
            f"{max(result['cpu']) * 1000:.0f} ms, at load {min(result['loads']):.1f} to {max(result['loads']):.1f}; "
            f"server memory {mem['start']:.0f} MiB at start, {mem['teacher']:.0f} with "
            f"the teacher's page, {mem['joined']:.0f} with {students} students joined and "
            f"predicted (+{(mem['joined'] - mem['teacher']) / students:.1f} MiB a student), "
            f"{mem['rounds']:.0f} after the rounds, {mem['closed']:.0f} after every page closed")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    for name in ("students", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be a whole number of at least 1")
    if not CHROMIUM.exists():
        print(f"needs {CHROMIUM} (make browser)", file=sys.stderr)
        return 2
    import tempfile

    from playwright.sync_api import sync_playwright

    timing = Path(tempfile.mkdtemp(prefix="bench_class_")) / "deliveries.txt"
    process, url = start_server(cull="5s", extra_env={"COPROSIM_CLASS_TIMING": str(timing)})
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            print(f"{load()} at start on {os.cpu_count()} cores", flush=True)
            result = measure_class(browser, url, process.pid, args.students, args.rounds,
                                   timing)
            print(report(result, args.students), flush=True)
            print(f"{load()} at end", flush=True)
            browser.close()
    finally:
        stop_server(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
