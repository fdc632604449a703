"""Class mode end to end: the dashboard served by ``solara run``, one teacher and 20 or more
students, each in a browser context of their own (their own cookies: separate people), in
Debian's Chromium.

The teacher opens the Class tab; the students open the join address on phone-sized pages (360 px
wide), join with no account, predict, run the lesson on their own seeds, play citizens and staff
round by round, and one reloads. What each page shows is checked in each page: every change
reaches every student's own tab (Solara's state is per tab; the class lives on the server). How
fast a round reaches 30 screens is measured by benchmarks/bench_class.py, not here.
"""

from __future__ import annotations

import csv
import io
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.accessibility import UNDESCRIBED, UNNAMED

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
STUDENTS = 20
PHONE = {"width": 360, "height": 740}
PROBLEM = re.compile(r"Traceback|Error|Exception", re.IGNORECASE)
BENIGN = ("samesite=none require https", "warnings.warn(f\"\"\"Cookies with samesite")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                       "(make browser installs it)"),
]


# --- helpers (benchmarks/bench_class.py uses them too) -------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(log_path: Path | None = None, cull: str | None = None,
                 extra_env: dict | None = None):
    """The dashboard as ``coprosim dashboard`` serves it, on a free loopback port:
    (process, base url)."""
    import os

    from coprosim.dashboards.cli import server_environment

    port = free_port()
    env = server_environment(dict(os.environ, **({"SOLARA_KERNEL_CULL_TIMEOUT": cull}
                                                 if cull else {}), **(extra_env or {})))
    command = [str(Path(sys.executable).with_name("solara")), "run",
               str(ROOT / "dashboards" / "app.py"), "--port", str(port), "--host", "127.0.0.1",
               "--production"]
    out = open(log_path, "w") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=2)
            return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("dashboard server did not start") from None
            time.sleep(0.5)


def stop_server(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def open_class_tab(browser, url: str):
    """The teacher's dashboard at 1366x768 on its Class tab: (page, code, join address)."""
    context = browser.new_context(viewport={"width": 1366, "height": 768},
                                  accept_downloads=True)
    page = context.new_page()
    page.goto(url + "/", timeout=90_000)
    page.get_by_text("Week 0", exact=False).first.wait_for(timeout=90_000)
    page.get_by_role("tab", name="Class").click()
    page.get_by_test_id("class-code").wait_for(timeout=60_000)
    code = page.get_by_test_id("class-code").inner_text().strip()
    address = page.get_by_test_id("join-address").inner_text().strip()
    return page, code, address


def local_join_url(url: str, address: str) -> str:
    """The join address with this test's server in place of the network address it names
    (the server listens on loopback only)."""
    return url + address[address.index("/join"):]


def join_student(browser, join_url: str, name: str):
    """A student's phone: its own context (its own cookies), 360 px wide; joins with ``name``.
    Returns the page, on the student's own page."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(join_url, timeout=90_000)
    page.get_by_label("Your name or group (optional)").fill(name)
    page.get_by_role("button", name="Join").click()
    page.get_by_text(f"You are {name}").wait_for(timeout=60_000)
    return page


def counts(page) -> tuple[int, int]:
    text = page.get_by_test_id("class-counts").inner_text()
    joined, predicted = re.match(r"(\d+) joined · (\d+) predictions", text).groups()
    return int(joined), int(predicted)


def wait_counts(page, joined: int, predicted: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while counts(page) != (joined, predicted):
        if time.monotonic() > deadline:
            raise AssertionError(f"teacher shows {counts(page)}, expected {(joined, predicted)}")
        time.sleep(0.2)


def shown_round(page) -> int | None:
    found = page.locator(".cp-join [data-round]")
    return int(found.first.get_attribute("data-round")) if found.count() else None


def wait_round(pages, number: int, timeout: float = 60) -> None:
    for page in pages:
        page.wait_for_function(
            "n => { const e = document.querySelector('.cp-join [data-round]'); "
            "return e && Number(e.getAttribute('data-round')) === n; }",
            arg=number, timeout=timeout * 1000)


SMALL_TEXT = """selector => { const out = []; const root = document.querySelector(selector);
  const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) { const node = walk.currentNode; if (!node.textContent.trim()) continue;
    const element = node.parentElement; if (element.getBoundingClientRect().width === 0) continue;
    const size = parseFloat(getComputedStyle(element).fontSize);
    if (size < 16) out.push(size + 'px: ' + node.textContent.trim().slice(0, 40)); }
  return out; }"""


def small_text(page, selector: str) -> list[str]:
    """Text under 16 px inside ``selector`` (what the back of a classroom cannot read)."""
    return page.evaluate(SMALL_TEXT, selector)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


# --- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log_path = tmp_path_factory.mktemp("class") / "server.log"
    process, url = start_server(log_path, cull="5s")  # a closed phone's session ends soon
    try:
        yield url, log_path
    finally:
        stop_server(process)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def server_problems(log_path: Path) -> list[str]:
    return [line for line in log_path.read_text().splitlines()
            if PROBLEM.search(line) and not any(b in line for b in BENIGN)]


# --- tests ---------------------------------------------------------------------------------------

def assert_accessible(page) -> None:
    """Every control named in words and every picture (QR code, charts) described."""
    assert page.evaluate(UNNAMED) == [], page.evaluate(UNNAMED)
    assert page.evaluate(UNDESCRIBED) == [], page.evaluate(UNDESCRIBED)


def test_a_wrong_or_malformed_code_gets_a_plain_message(server, browser):
    url, log_path = server
    page = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    page.goto(url + "/join?code=QQQQ9", timeout=90_000)
    page.get_by_text("There is no class with code QQQQ9 on this server").wait_for(timeout=60_000)
    page.goto(url + "/join?code=ab", timeout=90_000)
    page.get_by_text("class code: must be 4 to 8 letters or digits, got 'ab'").wait_for(
        timeout=60_000)
    page.goto(url + "/join", timeout=90_000)  # no code: a field to type it in
    page.get_by_label("Class code (on your teacher's screen)").fill("zz-top")
    page.get_by_role("button", name="Open the class").click()
    page.get_by_text("class code: must be 4 to 8 letters or digits, got 'zz-top'").wait_for(
        timeout=30_000)
    assert "Traceback" not in page.inner_text("body")
    assert no_sideways_scroll(page)
    page.context.close()
    assert server_problems(log_path) == []


def test_a_class_of_twenty_predicts_samples_role_plays_and_rejoins(server, browser):
    url, log_path = server
    teacher, code, address = open_class_tab(browser, url)
    assert re.fullmatch(r"[A-Z0-9]{4,8}", code)
    assert re.fullmatch(rf"https?://[^/]+/join\?code={code}", address)
    assert teacher.locator(".cp-qr svg").count() == 1  # drawn here, as inline SVG
    assert_accessible(teacher)
    assert code in teacher.locator(".cp-qr svg").get_attribute("aria-label")

    # a student can also type the code on /join
    typed = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    typed.goto(url + "/join", timeout=90_000)
    typed.get_by_label("Class code (on your teacher's screen)").fill(code.lower())
    typed.get_by_role("button", name="Open the class").click()
    typed.get_by_label("Your name or group (optional)").wait_for(timeout=30_000)
    assert f"code={code}" in typed.url
    typed.context.close()

    join_url = local_join_url(url, address)
    students = [join_student(browser, join_url, f"Pupil {i + 1}") for i in range(STUDENTS)]
    wait_counts(teacher, STUDENTS, 0)
    assert all(no_sideways_scroll(page) for page in students)

    # predictions: each student's page gets the question; the teacher sees the count and bars
    teacher.get_by_role("button", name="Ask the class this lesson's question").click()
    options = None
    for i, page in enumerate(students):
        page.get_by_role("button", name="Submit prediction").wait_for(timeout=60_000)
        buttons = page.locator(".cp-option")
        if options is None:
            options = [buttons.nth(k).inner_text()[2:].strip() for k in range(buttons.count())]
        buttons.nth(i % len(options)).click()
        page.get_by_role("button", name="Submit prediction").click()
        page.get_by_text("Sent:").wait_for(timeout=30_000)
    wait_counts(teacher, STUDENTS, STUDENTS)
    expected = [sum(1 for i in range(STUDENTS) if i % len(options) == k)
                for k in range(len(options))]
    bars = [int(x) for x in teacher.locator(".cp-pbar i").all_inner_texts()]
    assert bars == expected
    assert all(no_sideways_scroll(page) for page in students)

    # the class as a sample: two students press for their own seed, the teacher runs the rest
    for page in students[:2]:
        page.get_by_role("button", name="Run my seed").click()
    students[0].get_by_text("On your seed").wait_for(timeout=120_000)
    teacher.get_by_role("button", name="Run every student's seed now").click()
    teacher.get_by_text(f"{STUDENTS} runs done").wait_for(timeout=300_000)
    assert teacher.locator("img.cp-sample").count() == 1
    seeds = set()
    for page in students:
        text = page.locator(".cp-card", has_text="Your own run").inner_text()
        seeds.add(re.search(r"your own seed, (\d+)", text).group(1))
        assert "On your seed" in text
    assert len(seeds) == STUDENTS

    # role-play: every student gets a role; their choices; two rounds reach every screen
    teacher.get_by_role("button", name="Start role-play").click()
    wait_round(students, 0)
    roles = {}
    for i, page in enumerate(students):
        heading = page.get_by_text(re.compile("Role-play: you are")).inner_text()
        roles[i] = heading
        if "citizen" in heading:
            page.get_by_role("button", name="○ Do not take part" if i % 2 else "○ Take part"
                             ).click()
            page.get_by_role("button", name="● " + ("Do not take part" if i % 2 else
                                                    "Take part")).wait_for(timeout=30_000)
        else:
            page.get_by_role("button", name="○ Invite input").click()
            page.get_by_role("button", name="● Invite input").wait_for(timeout=30_000)
    staff = [i for i, h in roles.items() if "staff" in h]
    assert len(staff) == round(STUDENTS / 6) and len(set(roles.values())) == STUDENTS
    teacher.get_by_text(f"{STUDENTS} of {STUDENTS} players have chosen").wait_for(timeout=30_000)
    assert small_text(teacher, ".cp-class") == []  # the Class tab reads from the back of a room
    teacher.get_by_role("button", name="Next round").click()
    wait_round(students, 1)
    teacher.get_by_role("button", name="Next round").click()
    wait_round(students, 2)
    assert_accessible(teacher)
    assert_accessible(students[0])
    for page in students:
        state = page.locator(".cp-state").inner_text()
        assert re.search(r"need\s*\d\.\d\d", state) and re.search(r"wellbeing\s*\d\.\d\d",
                                                                  state)
        assert re.search(r"trust\s*\d\.\d\d", state)

    # a reload rejoins as the same person, in the same role, with the same choice
    reloaded = students[3]
    reloaded.reload()
    reloaded.get_by_text("You are Pupil 4").wait_for(timeout=60_000)
    assert reloaded.get_by_text(re.compile("Role-play: you are")).inner_text() == roles[3]
    wait_round([reloaded], 2)
    assert reloaded.locator("button", has_text="●").count() >= 1
    wait_counts(teacher, STUDENTS, STUDENTS)  # nobody new joined

    # the outcome against the predictions, on the teacher's screen and every phone
    teacher.get_by_role("button", name=re.compile("Show the outcome")).click()
    outcome = teacher.get_by_test_id("outcome")
    outcome.wait_for(timeout=120_000)
    verdict_count = re.search(r"(\d+) of (\d+) predicted this", outcome.inner_text())
    assert int(verdict_count.group(2)) == STUDENTS
    for page in students:
        page.get_by_text("What happened:").wait_for(timeout=60_000)

    # the end: the class beside the simulated agents; the decisions in the CSV
    teacher.get_by_role("button", name="End role-play").click()
    for page in students[:5]:
        page.get_by_text("The class beside the simulated people").wait_for(timeout=60_000)
    teacher.get_by_text("The class beside the simulated people").wait_for(timeout=30_000)
    teacher.locator("img[alt^='Wellbeing and trust']").wait_for(timeout=30_000)
    assert_accessible(teacher)
    assert_accessible(students[0])
    with teacher.expect_download() as download:
        teacher.get_by_text("Role-play decisions (CSV)").click()
    text = Path(download.value.path()).read_text()
    rows = list(csv.DictReader(io.StringIO(text.split("\n", 1)[1].split("# the model's")[0])))
    played = [r for r in rows if r["who"] == "student"]
    assert {r["student"] for r in played} == {f"Pupil {i + 1}" for i in range(STUDENTS)}
    for i in range(STUDENTS):
        mine = [r for r in played if r["student"] == f"Pupil {i + 1}"]
        if i in staff:
            assert {r["invite"] for r in mine} == {"yes"}
        else:
            assert {r["take_part"] for r in mine} == {"no" if i % 2 else "yes"}
            if i % 2:
                assert {r["took_part"] for r in mine} == {"no"}
    assert "week,kind,agent,value" in text
    assert all(no_sideways_scroll(page) for page in students)

    # phones that close are no longer counted as open (their sessions end, their subscriptions
    # with them)
    for page in students[-5:]:
        page.context.close()
    teacher.get_by_text(f"{STUDENTS - 5} with the page open now").wait_for(timeout=90_000)
    students = students[:-5]

    # the teacher ends the class: the phones say so; a new class with a new code opens
    teacher.get_by_role("button", name="End this class").click()
    teacher.get_by_role("button", name="Yes, end it").click()
    for page in students[:3]:
        page.get_by_text(f"Class {code} has ended").wait_for(timeout=60_000)
    teacher.wait_for_function(
        "old => { const e = document.querySelector('[data-testid=class-code]'); "
        "return e && e.textContent.trim() !== old; }", arg=code, timeout=60_000)
    wait_counts(teacher, 0, 0)
    for page in [teacher, *students]:
        page.context.close()
    assert server_problems(log_path) == []
