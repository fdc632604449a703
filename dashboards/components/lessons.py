"""The Lessons tab (one lesson at a time, as the cycle predict, run, watch, explain, next) and the
strip in the controls that says which lesson runs."""

from __future__ import annotations

import html

import solara
from coprosim.dashboards.components.base import Prose
from coprosim.dashboards.components.base import div as _div
from coprosim.dashboards.components.base import html_element as _html


def load_lessons() -> list:
    """The lessons of ``dashboards/lessons.py`` (its list ``LESSONS``), if that module exists.

    A lesson needs ``title`` and ``setup`` (a dict for ``settings.apply_setup``) and may have
    ``text`` (markdown: the question, what to watch, what to discuss) and ``weeks`` (how far to
    play). With no lessons module there is no Lessons tab: no empty state.
    """
    import importlib

    try:  # by module name, so that a test's stand-in module (sys.modules) is found
        lessons = importlib.import_module("coprosim.dashboards.lessons")
    except ImportError:
        return []
    return list(getattr(lessons, "LESSONS", []))



LESSON_STEPS = ("Predict", "Run", "Watch", "Explain", "Next experiment")


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


def _list(items) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"


def _parameters(lines: list[tuple[str, str]]) -> str:
    """Parameters as 'Readable label: value' (no code names on the projector)."""
    return '<ul class="cp-params">' + "".join(
        f"<li><b>{html.escape(label)}</b>: {html.escape(value)}</li>" for label, value in lines
    ) + "</ul>"


def _step(number: int, body: str, classes: str = "") -> None:
    _html(f'<div class="h">{number} · {LESSON_STEPS[number - 1]}</div>{body}',
          ["cp-step", *classes.split()])


@solara.component
def LessonCard(lesson, number: int, count: int, on_lesson):
    """One lesson as the cycle of experiential learning: predict, run (one click, and a second
    run where the lesson has one), watch, explain (shown on request, after the run), next."""
    from coprosim.dashboards.lessons import change_lines, parameter_lines, setup_words

    shown, set_shown = solara.use_state(False)
    weeks = getattr(lesson, "weeks", None)
    then = getattr(lesson, "then", None)
    ideas = getattr(lesson, "ideas", "")
    _html(f'<div class="n">Lesson {number} of {count}</div>'
          f"<h2>{html.escape(lesson.title)}</h2>"
          + (f'<div class="idea">The ideas: {html.escape(ideas)}</div>' if ideas else ""),
          ["cp-lesson-head"])
    with _div("cp-lesson-body"):
        with _div("cp-lesson-col"):
            _step(1, _paragraphs(lesson.predict) + '<p class="hint">Write your prediction '
                  "down before you run.</p>", "predict")
            run = f"<p>{html.escape(setup_words(lesson.setup))}"
            run += f", {weeks} weeks.</p>" if weeks else ".</p>"
            _step(2, run + _parameters(parameter_lines(lesson.setup)))
            with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
                solara.Button("Set this up", color="primary",
                              on_click=lambda: on_lesson(number - 1, "setup"))
                _html("then press Play" + (f": it pauses at week {weeks}." if weeks else "."),
                      ["cp-hint"], tag="span")
            if then:
                changes = change_lines(lesson.setup, then)
                what = "one thing" if len(changes) == 1 else "these"
                _html(f"<p><b>Then change {what} and run again</b> (the first run stays as a "
                      "faint ghost):</p>" + _parameters(changes), ["cp-then"])
                solara.Button(lesson.then_label, color="primary", outlined=True,
                              on_click=lambda: on_lesson(number - 1, "then"),
                              style={"text-transform": "none", "white-space": "normal",
                                     "height": "auto", "min-height": "36px"})
        with _div("cp-lesson-col"):
            _step(3, _list(lesson.watch))
            _step(4, "" if shown else "<p class=\"hint\">After the run: compare with your "
                  "prediction, then open the explanation.</p>")
            solara.Button("Hide the explanation" if shown else "Show what happened, and why",
                          on_click=lambda: set_shown(not shown), outlined=True, small=True,
                          style={"text-transform": "none"})
            if shown:
                effects = [e.text for e in getattr(lesson, "effects", ())]
                _html(("<p><b>What the model shows</b> (on this seed and on average over ten "
                       "seeds):</p>" + _list(effects) if effects else "")
                      + _paragraphs(lesson.explain), ["cp-explain"])
            _step(5, _paragraphs(lesson.next))


@solara.component
def LessonsView(lessons: list, on_lesson, chosen: int = 0, on_choose=None):
    """The lessons of ``dashboards/lessons.py``, one at a time, with a list to choose from.

    A lesson with the whole cycle (``predict``, ``watch``, ``explain``, ``next``; see
    ``lessons.Lesson``) shows it as numbered steps; a simpler one (``title``, ``text``, ``setup``)
    shows its text and its one-click setup. ``on_lesson(index, stage)`` sets a lesson up
    (stage "setup", or "then" for its second run).
    """
    chosen = min(chosen, len(lessons) - 1)
    with _div("cp-lessons"):
        with _div("cp-lesson-nav"):
            _html("Each lesson is one turn of the learning cycle: predict, run, watch, explain, "
                  "try the next experiment (plan, act, observe, reflect).", ["cp-caption"])
            _html('<a href="worksheets" target="_blank" rel="noopener">Print the worksheets</a>'
                  " (one page per lesson, with a QR code of its setup)", ["cp-caption"])
            for index, lesson in enumerate(lessons):
                solara.Button(f"{index + 1}. {getattr(lesson, 'title', 'Lesson')}", text=True,
                              on_click=lambda i=index: on_choose and on_choose(i),
                              classes=["cp-nav-on" if index == chosen else "cp-nav"])
        lesson = lessons[chosen]
        with _div("cp-lesson"):
            if getattr(lesson, "predict", None):
                LessonCard(lesson, chosen + 1, len(lessons), on_lesson).key(f"lesson-{chosen}")
            else:
                _html(f"<h2>{html.escape(getattr(lesson, 'title', 'Lesson'))}</h2>",
                      ["cp-lesson-head"])
                if getattr(lesson, "text", ""):
                    Prose(lesson.text)
                solara.Button("Set this up", color="primary",
                              on_click=lambda: on_lesson(chosen, "setup"))


@solara.component
def LessonStrip(lesson, number: int, stage: str, week: int, on_then, on_open, on_close):
    """The lesson running, in the controls: which run it is, where Play pauses, the second run's
    button, and the way back to the lesson's text."""
    weeks = getattr(lesson, "weeks", None)
    then = getattr(lesson, "then", None)
    if stage == "then":
        part = "Second run: the first is the faint ghost."
    else:
        part = "First run." if then else ""
    if weeks:
        part += (f" Week {weeks} reached: back to the lesson to explain." if week >= weeks
                 else f" Press Play: it pauses at week {weeks}.")
    with solara.Card(margin=0, classes=["cp-lessonstrip"]):
        _html(f"<b>Lesson {number}: {html.escape(lesson.title)}</b>", ["cp-label"])
        _html(html.escape(part.strip()), ["cp-caption"])
        if then and stage == "setup":
            solara.Button(lesson.then_label, on_click=on_then, color="primary", outlined=True,
                          small=True, style={"text-transform": "none", "white-space": "normal",
                                             "height": "auto", "min-height": "28px",
                                             "text-align": "left"})
        with solara.Row(gap="6px"):
            solara.Button("Open the lesson", on_click=on_open, small=True, text=True,
                          style={"text-transform": "none"})
            solara.Button("End lesson", on_click=on_close, small=True, text=True,
                          style={"text-transform": "none"})


