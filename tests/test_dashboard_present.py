"""End to end in Chromium: presentation mode and keys, every table row in view, the address that
keeps a run (reload resumes), "Is it real?", accessible names and the keyboard, worksheets.

Served by ``solara run`` as ``coprosim dashboard`` serves it; skipped only when Debian's
/usr/bin/chromium is absent (``make test`` installs it). Model numbers are never written here:
the checks are about what the page shows and does.
"""

from __future__ import annotations

import re
import urllib.parse

import pytest

from tests import test_dashboard_browser as base
from tests.accessibility import UNDESCRIBED, UNNAMED
from tests.test_dashboard_browser import CHROMIUM, open_page, server_problems, step

server = base.server  # the dashboard served as in test_dashboard_browser (one per module)
browser = base.browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                       "(make browser installs it)"),
]

# Visible text smaller than this many CSS pixels, as (font size, text) pairs.
SMALL_TEXT = """(limit) => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || el.closest('.cp-bridge, style, script, [aria-hidden=true], .v-tooltip__content'))
      continue;
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || s.visibility === 'hidden' || s.display === 'none'
        || s.opacity === '0' || r.bottom < 0 || r.top > innerHeight || r.right < 0
        || r.left > innerWidth) continue;
    const size = parseFloat(s.fontSize);
    if (size < limit) out.push([size, node.textContent.trim().slice(0, 40)]);
  }
  return out;
}"""
# Each picture: (its name, drawn pixels, shown CSS pixels x the screen's pixel ratio).
PICTURE_SIZES = """() => [...document.querySelectorAll('img.cp-fill')].map(i => {
  const r = i.parentElement.getBoundingClientRect();
  const name = [...i.classList].find(c => c.startsWith('cp-pic-'));
  return [name, i.naturalWidth, i.naturalHeight, r.width * devicePixelRatio,
          r.height * devicePixelRatio];
})"""
# Buttons whose label is wider or taller than the button.
OVERFLOWING = """() => [...document.querySelectorAll('.cp-page .v-btn')].filter(b => {
  const c = b.querySelector('.v-btn__content'); if (!c || !b.offsetParent) return false;
  const br = b.getBoundingClientRect(), cr = c.getBoundingClientRect();
  return cr.right > br.right + 1 || cr.left < br.left - 1 || cr.bottom > br.bottom + 1
    || c.scrollWidth > c.clientWidth + 1;
}).map(b => b.textContent.trim())"""


def week_of(page) -> int:
    return int(page.locator(".cp-week").first.inner_text().split()[1])


def query_of(page) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(page.url).query))


def wait_for_address(page, **expected) -> None:
    """Until the address holds every ``key=value`` given."""
    page.wait_for_function(
        """(want) => { const q = new URLSearchParams(location.search);
             return Object.entries(want).every(([k, v]) => q.get(k) === String(v)); }""",
        arg={k: str(v) for k, v in expected.items()}, timeout=120_000)


def test_presentation_mode_large_type_sharp_charts_and_keys(server, browser):
    """Key P: presentation mode; no visible text under 16 px at 1366x768; every chart has a
    legend; every picture is drawn at the size it is shown. Space plays and pauses, the right
    arrow steps, R resets."""
    url, log_path = server
    page, problems = open_page(browser, url + "?scenario=coproduction&n_citizens=300")
    try:
        step(page, 2)
        page.locator("body").click(position={"x": 700, "y": 60})  # focus the page, not a field
        page.keyboard.press("p")
        page.locator(".cp-page.cp-present").wait_for(timeout=120_000)
        wait_for_address(page, present=1)
        page.wait_for_timeout(1500)  # the pictures are redrawn at their new size
        small = page.evaluate(SMALL_TEXT, 16)
        assert not small, f"text under 16 px in presentation mode: {small[:10]}"
        charts = page.locator(".cp-charts > .cp-chart")
        assert charts.count() == 4
        for i in range(charts.count()):
            assert charts.nth(i).locator(".cp-chartlegend .sw").count() >= 1, "a legend"
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.cp-fill')].every(i => { const r ="
            " i.parentElement.getBoundingClientRect(); return Math.abs(i.naturalWidth -"
            " r.width * devicePixelRatio) <= 8 || Math.abs(i.naturalHeight - r.height *"
            " devicePixelRatio) <= 8; })", timeout=120_000)
        for name, width, height, shown_w, shown_h in page.evaluate(PICTURE_SIZES):
            assert abs(width - shown_w) <= 8 or abs(height - shown_h) <= 8, \
                (name, width, height, shown_w, shown_h)
        assert not page.evaluate(OVERFLOWING)

        before = week_of(page)
        page.keyboard.press("ArrowRight")
        page.get_by_text(f"Week {before + 1}", exact=True).wait_for(timeout=120_000)
        page.keyboard.press(" ")
        page.get_by_role("button", name="Pause").wait_for(timeout=120_000)
        page.wait_for_function(f"() => parseInt(document.querySelector('.cp-week')"
                               f".textContent.split(' ')[1]) > {before + 2}", timeout=120_000)
        page.keyboard.press(" ")
        page.get_by_role("button", name="Play").wait_for(timeout=120_000)
        page.keyboard.press("r")
        page.get_by_text("Week 0", exact=True).wait_for(timeout=120_000)
        page.keyboard.press("p")
        page.locator(".cp-page.cp-present").wait_for(state="detached", timeout=120_000)
        assert not problems["console"] and not problems["external"], problems
    finally:
        page.close()
    assert not server_problems(log_path), server_problems(log_path)


@pytest.mark.parametrize("zoom", [1.0, 1.25])
def test_charts_are_drawn_at_the_size_they_are_shown(server, browser, zoom):
    """At 100% and 125% zoom (the screen's pixel ratio), each picture has as many pixels as the
    screen shows: no blur from scaling, text as large as it was meant."""
    url, _ = server
    context = browser.new_context(viewport={"width": 1366, "height": 768},
                                  device_scale_factor=zoom)
    page = context.new_page()
    try:
        page.goto(url + "?view=compare&n_citizens=300", timeout=90_000)
        page.get_by_text("Week 0 (both regimes)").wait_for(timeout=90_000)
        step(page, 1, both=True)
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.cp-fill')].length >= 6 &&"
            " [...document.querySelectorAll('img.cp-fill')].every(i => { const r ="
            " i.parentElement.getBoundingClientRect(); return Math.abs(i.naturalWidth -"
            " r.width * devicePixelRatio) <= 8 || Math.abs(i.naturalHeight - r.height *"
            " devicePixelRatio) <= 8; })", timeout=120_000)
        sizes = page.evaluate(PICTURE_SIZES)
        assert len(sizes) >= 6, sizes
        for name, width, height, shown_w, shown_h in sizes:
            assert abs(width - shown_w) <= 8 or abs(height - shown_h) <= 8, \
                (zoom, name, width, height, shown_w, shown_h)
    finally:
        context.close()


def test_every_table_row_shows_with_its_header_and_nothing_overflows(server, browser):
    """Side by side at 1366x768, with the co-destruction lesson (it asks for Value destroyed):
    every row of the table and its header are inside the window, the key measure's row is
    marked, no button label overflows, and 'Running:' stays on one line."""
    from coprosim.dashboards.lessons import LESSONS

    index = next(i for i, lesson in enumerate(LESSONS) if lesson.key == "codestruction")
    url, _ = server
    page, _ = open_page(browser, url)
    try:
        page.get_by_role("tab", name="Lessons").click()
        page.get_by_role("button", name=f"{index + 1}. {LESSONS[index].title}").click()
        page.locator(".cp-lesson h2", has_text=LESSONS[index].title).wait_for(timeout=120_000)
        page.locator(".cp-lesson").get_by_role("button", name="Set this up").click()
        page.get_by_text("Week 0 (both regimes)", exact=True).wait_for(timeout=120_000)
        step(page, 3, both=True)
        rows = page.locator(".cp-table tr")
        assert rows.count() >= 13  # the header and the twelve headline numbers
        size = page.viewport_size
        for i in range(rows.count()):
            box = rows.nth(i).bounding_box()
            assert box and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] + 0.5, \
                (rows.nth(i).inner_text(), box)
            holder = page.evaluate(
                "(i) => { const r = document.querySelectorAll('.cp-table tr')[i]"
                ".getBoundingClientRect(); const s = document.querySelector('.cp-side')"
                ".getBoundingClientRect(); return r.top >= s.top - 1 && r.bottom <= s.bottom + 1; }",
                i)
            assert holder, f"row {i} is scrolled out of its box"
        assert page.locator(".cp-table tr.cp-key", has_text="Value destroyed").count() == 1
        page.locator("body").click(position={"x": 700, "y": 60})
        page.keyboard.press("p")  # and in presentation mode, in large type
        page.locator(".cp-page.cp-present").wait_for(timeout=120_000)
        page.wait_for_timeout(1000)
        in_box = page.evaluate(
            "() => { const s = document.querySelector('.cp-side').getBoundingClientRect();"
            " return [...document.querySelectorAll('.cp-table tr')].map(r => { const b ="
            " r.getBoundingClientRect(); return b.top >= s.top - 1 && b.bottom <= s.bottom + 1"
            " && b.bottom <= innerHeight; }); }")
        assert all(in_box), f"rows out of view in presentation mode: {in_box}"
        page.keyboard.press("p")
        page.locator(".cp-page.cp-present").wait_for(state="detached", timeout=120_000)
        running = page.locator(".cp-running")
        line = float(page.evaluate("parseFloat(getComputedStyle("
                                   "document.querySelector('.cp-running')).lineHeight)"))
        assert running.bounding_box()["height"] <= 1.6 * line
        assert not page.evaluate(OVERFLOWING), page.evaluate(OVERFLOWING)
    finally:
        page.close()


def test_the_address_keeps_the_lesson_stage_mode_and_week_and_a_reload_resumes(server, browser):
    """After a lesson's set-up the address names the lesson and its stage; while playing it
    follows the week; a reload comes back to the same week of the same lesson. A switch of view
    mid-run asks first."""
    from coprosim.dashboards.lessons import LESSONS

    lesson = LESSONS[0]
    url, _ = server
    page, _ = open_page(browser, url)
    try:
        page.get_by_role("tab", name="Lessons").click()
        page.get_by_role("button", name="Set this up").first.click()
        both = bool(lesson.setup.get("compare"))
        page.get_by_text("Week 0" + (" (both regimes)" if both else ""), exact=True).wait_for(
            timeout=120_000)
        wait_for_address(page, lesson=lesson.key, stage="setup")
        page.get_by_role("button", name="Play").click()
        page.wait_for_function("() => parseInt(new URLSearchParams(location.search)"
                               ".get('week') || '0') >= 3", timeout=120_000)  # while playing
        page.get_by_role("button", name="Pause").click()
        page.get_by_role("button", name="Play").wait_for(timeout=120_000)
        week = week_of(page)
        wait_for_address(page, week=week)
        query = query_of(page)
        assert query["lesson"] == lesson.key and query["stage"] == "setup"
        assert query.get("view") == ("compare" if both else None) or not both
        page.reload()
        page.get_by_text(f"Week {week}", exact=False).first.wait_for(timeout=90_000)
        assert week_of(page) == week
        page.locator(".cp-lessonstrip", has_text=lesson.title).wait_for(timeout=120_000)

        mode = "One regime" if both else "Side by side"
        page.get_by_role("button", name=mode).click()
        page.get_by_text("starts a new run at week 0").wait_for(timeout=120_000)
        page.get_by_role("button", name="Keep this run").click()
        assert week_of(page) == week, "the run is kept"
    finally:
        page.close()


def test_is_it_real_runs_in_the_background_and_shows_the_interval(server, browser):
    """Side by side: 'Is it real?' shows progress, the page steps meanwhile, then the
    difference's 95% interval on a chart and what it means."""
    from coprosim.dashboards.reality import SEEDS

    url, log_path = server
    page, _ = open_page(browser, url + "?view=compare&n_citizens=150")
    try:
        page.get_by_role("button", name="Is it real?").click()
        page.get_by_text("runs done").wait_for(timeout=120_000)
        step(page, 1, both=True)  # the page keeps working while the seeds run
        sentence = page.locator(".cp-real .cp-realsentence")
        sentence.wait_for(timeout=240_000)
        text = sentence.inner_text()
        assert f"On {len(SEEDS)} other seeds" in text and "95%" in text, text
        numbers = re.findall(r"[-+]\d+\.?\d*", text)
        assert len(numbers) >= 3, text  # the mean and the interval's two ends
        low, high = float(numbers[1]), float(numbers[2])
        assert low <= float(numbers[0]) <= high
        assert ("includes zero" in text) == (low <= 0 <= high)
        assert page.locator(".cp-realdialog img").count() == 1  # the interval on its chart
        # every picture described: both networks, the charts, the interval's chart
        assert not page.evaluate(UNDESCRIBED), page.evaluate(UNDESCRIBED)
        assert "95% interval" in page.locator(".cp-realdialog img").get_attribute("alt")
        assert "network under" in page.locator("img.cp-pic-net1").get_attribute("alt")
        page.get_by_role("button", name="Close").click()
    finally:
        page.close()
    assert not server_problems(log_path), server_problems(log_path)


def test_every_control_has_a_name_and_the_keyboard_reaches_the_run(server, browser):
    """Every visible button, slider, field, select and tab has an accessible name (in words,
    not a symbol) and every picture a text alternative, the other charts and both regimes'
    pictures included; Tab reaches Step, Play, Reset, the view, the seed and a parameter
    slider; Enter on Step steps."""
    url, _ = server
    page, _ = open_page(browser, url)
    try:
        unnamed = page.evaluate(UNNAMED)
        assert not unnamed, unnamed
        page.locator("img.cp-pic-net0").wait_for(timeout=60_000)
        assert not page.evaluate(UNDESCRIBED), page.evaluate(UNDESCRIBED)
        alt = page.locator("img.cp-pic-net0").get_attribute("alt")
        assert alt.startswith("The citizens' network"), alt
        page.get_by_role("button", name="More charts below").click()
        page.locator("img.cp-pic-hours0").wait_for(timeout=60_000)
        page.wait_for_timeout(500)
        assert not page.evaluate(UNDESCRIBED), page.evaluate(UNDESCRIBED)
        assert page.locator("img.cp-pic-value").get_attribute("alt").startswith(
            "Chart: Public value")
        page.get_by_role("button", name="Hide more charts").click()
        page.get_by_role("tab", name="Lessons").click()
        page.wait_for_timeout(800)
        assert not page.evaluate(UNNAMED), page.evaluate(UNNAMED)
        assert not page.evaluate(UNDESCRIBED), page.evaluate(UNDESCRIBED)
        page.get_by_role("tab", name="Simulation").click()
        reached = set()
        page.locator("body").click(position={"x": 5, "y": 5})
        for _ in range(80):
            page.keyboard.press("Tab")
            reached.add(page.evaluate(
                "() => { const e = document.activeElement; return (e.getAttribute('aria-label')"
                " || e.textContent || e.getAttribute('placeholder') || '').trim().slice(0, 40) }"))
        for wanted in ("Step", "Play", "Reset", "One regime", "Side by side",
                       "Co-production share"):
            assert any(r.lower().startswith(wanted.lower()) for r in reached), (wanted, reached)
        page.get_by_role("button", name="Step").focus()
        page.keyboard.press("Enter")
        page.get_by_text("Week 1", exact=True).wait_for(timeout=120_000)
    finally:
        page.close()


def test_each_lesson_prints_as_a_one_page_worksheet_with_a_qr_code(server, browser):
    from coprosim.dashboards.lessons import LESSONS

    url, _ = server
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        page.goto(url + "worksheets", timeout=90_000)
        page.locator(".cp-worksheet").first.wait_for(timeout=90_000)
        assert page.locator(".cp-worksheet").count() == len(LESSONS)
        assert page.locator(".cp-worksheet .qr svg").count() == len(LESSONS)
        first = page.locator(".cp-worksheet").first.inner_text()
        assert LESSONS[0].title in first and "prediction" in first.lower()
        assert f"lesson={LESSONS[0].key}" in first.replace("\n", "")
        pdf = page.pdf(format="A4")
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert pages == len(LESSONS), f"{pages} printed pages for {len(LESSONS)} lessons"
    finally:
        page.close()
