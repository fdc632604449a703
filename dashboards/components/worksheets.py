"""Printable worksheets: each lesson on one page (``/worksheets``, or ``/worksheets?lesson=KEY``).

A worksheet holds the lesson's question, room to write a prediction, what to watch, the setup in
words, and a QR code of the setup's address (drawn on the server with ``segno``: nothing is sent
to an outside service), so a student's phone or a lab computer opens the same run. The print
stylesheet puts each lesson on its own A4 page and leaves out the page's buttons.
"""

from __future__ import annotations

import html
import urllib.parse

import solara
from coprosim.dashboards.classroom.address import qr_svg
from coprosim.dashboards.settings import Settings, apply_setup

PRINT_CSS = """
.cp-sheets { max-width: 190mm; margin: 0 auto; padding: 12px; font-size: 16px; color: #111;
             font-family: Roboto, Arial, sans-serif; }
.cp-sheets-bar { display: flex; gap: 12px; align-items: center; margin-bottom: 12px; }
.cp-sheets-bar button { font-size: 16px; padding: 6px 14px; }
.cp-worksheet { border: 1px solid #ccc; padding: 10mm 12mm; margin-bottom: 10mm; background: #fff;
                box-sizing: border-box; }
.cp-worksheet h1 { font-size: 22px; margin: 0 0 2px 0; }
.cp-worksheet .n { color: #555; font-size: 14px; }
.cp-worksheet h2 { font-size: 17px; margin: 12px 0 4px 0; color: #0b5394; }
.cp-worksheet p, .cp-worksheet li { font-size: 15px; line-height: 1.35; margin: 2px 0; }
.cp-worksheet .lines { border-bottom: 1px solid #999; height: 9mm; }
.cp-worksheet .top { display: flex; gap: 8mm; justify-content: space-between; }
.cp-worksheet .qr { flex: 0 0 auto; text-align: center; font-size: 11px; color: #444;
                    max-width: 46mm; word-break: break-all; }
.cp-worksheet .qr svg { width: 40mm; height: 40mm; }
@page { size: A4; margin: 12mm; }
@media print {
  .cp-sheets-bar, .v-app-bar, header { display: none !important; }
  .cp-sheets { max-width: none; padding: 0; }
  .cp-worksheet { border: none; padding: 0; margin: 0; page-break-after: always;
                  break-after: page; break-inside: avoid; }
  .cp-worksheet:last-child { page-break-after: auto; break-after: auto; }
}
"""


def setup_query(lesson) -> str:
    """The address query that opens a lesson's first run (its setup, the lesson, its stage)."""
    settings, _ = apply_setup(Settings(), lesson.setup)
    return settings.to_query() + "&" + urllib.parse.urlencode(
        {"lesson": lesson.key, "stage": "setup"})


def worksheet_html(lesson, number: int, count: int, base: str) -> str:
    """One lesson's worksheet as HTML (``base``: the dashboard's address, ending in '/')."""
    from coprosim.dashboards.lessons import parameter_lines, setup_words

    address = base + "?" + setup_query(lesson)
    weeks = getattr(lesson, "weeks", None)
    question = "".join(f"<p>{html.escape(p)}</p>" for p in lesson.predict.split("\n\n"))
    watch = "".join(f"<li>{html.escape(w)}</li>" for w in lesson.watch)
    params = ", ".join(f"{html.escape(label)} {html.escape(value)}"
                       for label, value in parameter_lines(lesson.setup))
    run = html.escape(setup_words(lesson.setup)) + (f", {weeks} weeks" if weeks else "")
    then = (f"<p><b>Then:</b> {html.escape(lesson.then_label)}.</p>"
            if getattr(lesson, "then", None) else "")
    return (
        f'<section class="cp-worksheet" data-lesson="{html.escape(lesson.key)}">'
        f'<div class="top"><div><div class="n">coprosim · Lesson {number} of {count}</div>'
        f"<h1>{html.escape(lesson.title)}</h1>"
        f'<p class="n">{html.escape(getattr(lesson, "ideas", ""))}</p></div>'
        f'<div class="qr">{qr_svg(address)}<div>Scan or type to open this setup:</div>'
        f"<div>{html.escape(address)}</div></div></div>"
        f"<h2>1 · The question</h2>{question}"
        f'<h2>2 · My prediction, and why</h2>{"<div class=lines></div>" * 4}'
        f"<h2>3 · The run</h2><p>{run}.</p><p>{params}.</p>{then}"
        f"<h2>4 · What to watch</h2><ul>{watch}</ul>"
        f'<h2>5 · What happened? Was my prediction right?</h2>{"<div class=lines></div>" * 4}'
        "</section>")


def _host() -> str:
    """The dashboard's address as the browser reached it (its Host header), else loopback."""
    try:
        import solara.lab

        headers = solara.lab.headers.value or {}
    except Exception:  # outside a server (tests)
        headers = {}
    host = (headers.get("host") or headers.get("Host") or ["127.0.0.1:8765"])[0]
    scheme = (headers.get("x-forwarded-proto") or ["http"])[0]
    return f"{scheme}://{host}/"


@solara.component
def WorksheetsPage():
    """Every lesson's worksheet, or one (``?lesson=KEY``), ready to print."""
    from coprosim.dashboards.components.lessons import load_lessons

    solara.Title("coprosim worksheets")
    router = solara.use_router()
    wanted = dict(urllib.parse.parse_qsl(router.search or "")).get("lesson")
    lessons = load_lessons()
    base = solara.use_memo(_host, [])
    chosen = [(i, lesson) for i, lesson in enumerate(lessons)
              if wanted is None or getattr(lesson, "key", None) == wanted]
    solara.Style(PRINT_CSS)
    bar = ('<div class="cp-sheets-bar"><button onclick="window.print()">Print</button>'
           '<a href="./">Back to the dashboard</a>'
           + (' <a href="worksheets">All lessons</a>' if wanted else "") + "</div>")
    if not chosen:
        body = f"<p>No lesson {html.escape(str(wanted))!s}; see <a href='worksheets'>all lessons</a>.</p>"
    else:
        body = "".join(worksheet_html(lesson, i + 1, len(lessons), base) for i, lesson in chosen)
    solara.HTML(tag="div", unsafe_innerHTML=bar + body, classes=["cp-sheets"])
