"""Class mode in the browser: the teacher's Class tab (``ClassTab``) and the students' page
(``JoinPage``, at ``/join``), both drawn by Solara.

What a class shares lives in ``registry.ClassRoom`` (server-side, with a lock). Each open page
subscribes to its class (``use_class``); when the class changes, the callback runs on the notify
pool and sets a value of this page's own state inside this page's kernel context, so only that
tab renders again, and only if what it shows has changed (``page_view`` and the cards' views: a
student's page does not render again when someone else joins, and a new round renders only the
role-play card).
"""

from __future__ import annotations

import base64
import html
import threading
import urllib.parse

import solara
from solara.server import kernel_context

from . import roleplay as rp
from .address import join_address, qr_svg
from .charts import prediction_bars_html, roleplay_chart_png, sample_chart_png
from .predictions import measure, question_for
from .registry import REGISTRY, ClassError, ClassRoom, check_code
from .sample import SAMPLES

CSS = """
.cp-join { max-width: 480px; margin: 0 auto; padding: 10px 12px 40px; box-sizing: border-box;
           font-size: 17px; line-height: 1.4; overflow-wrap: anywhere; }
.cp-join h1 { font-size: 1.35em; margin: 4px 0 2px; }
.cp-join h2 { font-size: 1.15em; margin: 14px 0 4px; }
.cp-join .v-btn { text-transform: none; letter-spacing: 0; font-size: 17px; }
.cp-join .v-btn.cp-option { width: 100%; height: auto !important; min-height: 44px;
                            white-space: normal; justify-content: flex-start; margin: 3px 0;
                            text-align: left; padding: 6px 12px; }
.cp-join .v-btn .v-btn__content { white-space: normal; flex: 1 1 auto; }
.cp-join .cp-card { border: 1px solid #ddd; border-radius: 8px; padding: 8px 12px;
                    margin: 8px 0; }
.cp-join .cp-muted { color: #555; font-size: 0.95em; }
.cp-class .cp-muted { color: #555; }
.cp-class .v-btn, .cp-class .v-btn.v-size--small { font-size: 16px; }
.cp-join .cp-state { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 6px; }
.cp-join .cp-state div { border-radius: 6px; background: #f2f6fa; padding: 4px 6px; }
.cp-join .cp-state b { display: block; font-size: 1.4em; }
.cp-join table, .cp-class table { border-collapse: collapse; width: 100%; }
.cp-join td, .cp-join th, .cp-class td, .cp-class th { border-bottom: 1px solid #ddd;
                                                      padding: 2px 4px; text-align: left; }
.cp-class { display: grid; grid-template-columns: minmax(15em, 22em) minmax(0, 1fr); gap: 18px;
            padding: 6px 4px 30px 0; font-size: clamp(16px, 1.1vw, 22px); line-height: 1.35; }
.cp-class h3 { font-size: 1.2em; margin: 10px 0 4px; }
.cp-class .cp-address { font-size: 1.15em; font-weight: 700; word-break: break-all; }
.cp-class .cp-code { font-size: 2.4em; font-weight: 800; letter-spacing: 0.12em; }
.cp-class .cp-qr svg { width: 100%; max-width: 15em; height: auto; }
.cp-class .cp-counts { font-size: 1.3em; font-weight: 700; }
.cp-class .v-btn { text-transform: none; letter-spacing: 0; }
.cp-pbar { margin: 4px 0; }
.cp-pbar .b { display: flex; align-items: center; gap: 6px; }
.cp-pbar .b span { display: inline-block; height: 1.1em; border-radius: 3px; }
.cp-pbar .b i { font-style: normal; font-weight: 700; }
.cp-class img.cp-sample { width: 100%; max-width: 42em; height: auto; }
"""


def _html(text: str, classes: str = "", tag: str = "div"):
    return solara.HTML(tag=tag, unsafe_innerHTML=text, classes=[classes] if classes else [])


def _yes(value) -> str:
    return {True: "yes", False: "no"}.get(value, "not chosen")


# --- following a class from one tab ----------------------------------------------------------

def use_class(room: ClassRoom | None, view=None, view_key=None):
    """Render again when ``room`` changes (``view(room)``: only when that value changes);
    returns the value last seen. Pass it on to child components as a prop: a child whose props
    are unchanged is not rendered again.

    The callback runs on the notify pool; it enters this tab's kernel context before setting
    this tab's state, so the change reaches this tab only (Solara's state is per kernel).
    ``view_key``: what ``view`` depends on (it is subscribed again when that changes).
    """
    shown, set_shown = solara.use_state(0)

    def follow():
        if room is None:
            return None
        context = kernel_context.get_current_context()
        busy = threading.Lock()  # one update of this tab at a time; a newer one follows

        def on_change():
            with busy, context:
                set_shown(view(room) if view else room.version)

        unsubscribe = room.subscribe(on_change)
        on_change()  # what changed between the first render and subscribing
        return unsubscribe

    solara.use_effect(follow, [room, view_key])
    return shown


def page_view(token: str):
    """What a student's page itself shows (the cards follow the class on their own): a change
    elsewhere in the class, such as another student joining, renders nothing here."""
    def view(room: ClassRoom):
        with room.lock:
            me = room.students.get(token)
            play = room.roleplay
            return (room.closed, None if me is None else me.name,
                    play is not None and token in play.roles, id(play))
    return view


def prediction_view(token: str):
    def view(room: ClassRoom):
        with room.lock:
            me = room.students.get(token)
            return (room.question.key if room.question else None, room.outcome is not None,
                    me.prediction if me else None)
    return view


def own_run_view(token: str):
    def view(room: ClassRoom):
        with room.lock:
            me = room.students.get(token)
            return (room.question.key if room.question else None,
                    repr(me.sample) if me else None)
    return view


def roleplay_view(token: str):
    def view(room: ClassRoom):
        with room.lock:
            play = room.roleplay
            if play is None:
                return None
            # not the round: a new round updates the card's live part in place
            return (id(play), play.ended, repr(play.choices.get(token)))
    return view


# --- the student's page ----------------------------------------------------------------------

def parse_join_query(search: str | None) -> tuple[str, str]:
    """(code, token) from the join page's query string."""
    values = dict(urllib.parse.parse_qsl((search or "").lstrip("?")))
    return values.get("code", ""), values.get("me", "")


@solara.component
def JoinPage():
    """The student's page, for phones: join with the class code (no account), predict, run the
    lesson on one's own seed, and play one's part in the role-play. The address keeps the code
    and the student's token, so a reload rejoins as the same person."""
    solara.Title("coprosim class")
    router = solara.use_router()
    code_text, token = parse_join_query(router.search)
    typed, set_typed = solara.use_state(code_text)
    name, set_name = solara.use_state("")
    problem, set_problem = solara.use_state(None)

    room, found_problem = None, None
    if code_text:
        try:
            room = REGISTRY.find(code_text)
        except ClassError as exc:
            found_problem = str(exc)
    me = room.student(token) if room is not None and token else None
    use_class(room, page_view(token) if room is not None else None, view_key=token)

    def on_connect():
        if room is None or me is None:
            return None
        room.connected(me.token, +1)
        return lambda: room.connected(me.token, -1)
    solara.use_effect(on_connect, [room, me])

    def go(code: str, who: str = ""):
        query = {"code": code}
        if who:
            query["me"] = who
        router.push(f"{router.path or '/join'}?{urllib.parse.urlencode(query)}")

    def on_code():
        try:
            code = check_code(typed)
            REGISTRY.find(code)
        except ClassError as exc:
            set_problem(str(exc))
            return
        set_problem(None)
        go(code)

    def on_join():
        try:
            student = room.join(name)
        except ClassError as exc:
            set_problem(str(exc))
            return
        go(room.code, student.token)

    solara.Style(CSS)
    with solara.Column(classes=["cp-join"], gap="4px"):
        if room is None:
            _html("<h1>Join your class</h1>")
            if found_problem:
                solara.Error(found_problem)
            solara.InputText("Class code (on your teacher's screen)", value=typed,
                             on_value=set_typed, continuous_update=True)
            solara.Button("Open the class", on_click=on_code, color="primary")
            if problem:
                solara.Error(problem)
            return
        if room.closed:  # ended while this page was open
            solara.Warning(f"Class {room.code} has ended. Thank you for taking part.")
            return
        if me is None:
            _html(f"<h1>Class {html.escape(room.code)}</h1>")
            if token:
                solara.Warning("This page's link is from an earlier class or another server: "
                               "join again below.")
            _html("No account needed. Type your name or your group's name if you like (the "
                  "class sees it), then join.", "cp-muted")
            solara.InputText("Your name or group (optional)", value=name, on_value=set_name,
                             continuous_update=True)
            solara.Button("Join", on_click=on_join, color="primary")
            if problem:
                solara.Error(problem)
            return
        _html(f"<h1>Class {html.escape(room.code)}</h1><div class='cp-muted'>You are "
              f"<b>{html.escape(me.name)}</b> (number {me.number}). Keep this page open; if "
              "you reload it, you come back as the same person.</div>")
        with room.lock:
            play = room.roleplay
            playing = play is not None and me.token in play.roles
        if playing:  # each card follows the class itself (see use_class)
            RolePlayCard(room, me.token)
        PredictionCard(room, me.token)
        OwnRunCard(room, me.token)


@solara.component
def PredictionCard(room: ClassRoom, token: str):
    """The lesson's question, the options as large buttons, and 'Submit prediction'."""
    use_class(room, prediction_view(token), view_key=token)
    with room.lock:
        question, outcome = room.question, room.outcome
        mine = room.students[token].prediction
    chosen, set_chosen = solara.use_state(mine)
    error, set_error = solara.use_state(None)
    if question is None or chosen not in question.options:  # a new question: choose afresh
        chosen = mine if question is not None and mine in question.options else None
    with solara.Column(classes=["cp-card"], gap="2px"):
        _html("<h2>Your prediction</h2>")
        if question is None:
            _html("Your teacher has not asked the class a question yet. It appears here.",
                  "cp-muted")
            return
        _html(f"<b>{html.escape(question.title)}</b>")
        if question.prompt:
            _html(html.escape(question.prompt), "cp-muted")
        _html(f"<p><b>{html.escape(question.text)}</b></p>")
        if outcome is not None:
            right = mine == outcome.verdict
            _html(f"What happened: <b>{html.escape(outcome.verdict)}</b>.<br>"
                  + (f"You predicted: {html.escape(mine)}. "
                     + ("You were right." if right else "Not this time: why not?")
                     if mine else "You did not predict."))
            return
        for option in question.options:
            selected = option == chosen
            solara.Button(("● " if selected else "○ ") + option, classes=["cp-option"],
                          outlined=not selected, color="primary",
                          on_click=lambda option=option: set_chosen(option))

        def submit():
            try:
                room.predict(token, chosen)
                set_error(None)
            except ClassError as exc:
                set_error(str(exc))
        solara.Button("Submit prediction", on_click=submit, color="primary",
                      disabled=chosen is None)
        if error:
            solara.Error(error)
        if mine:
            _html(f"Sent: <b>{html.escape(mine)}</b>. You can change it until your teacher "
                  "shows the outcome.", "cp-muted")


@solara.component
def OwnRunCard(room: ClassRoom, token: str):
    """The student's own run of the lesson, on a seed of their own (the class as a sample)."""
    use_class(room, own_run_view(token), view_key=token)
    with room.lock:
        question = room.question
        me = room.students[token]
        sample = dict(me.sample or {})
        seed = me.seed
    if question is None:
        return
    lesson = lesson_by_key(question.key)
    with solara.Column(classes=["cp-card"], gap="2px"):
        _html("<h2>Your own run</h2>")
        _html(f"The same lesson on your own seed, {seed}: the class's runs together show how "
              "much the result varies by chance.", "cp-muted")
        status = sample.get("status")
        if status is None:
            solara.Button("Run my seed", color="primary", disabled=lesson is None,
                          on_click=lambda: SAMPLES.submit(room, token, lesson, question))
        elif status in ("queued", "running"):
            _html("Running your seed…" if status == "running" else "Waiting for the server…")
        elif status == "failed":
            solara.Error(sample.get("error", "the run failed"))
        else:
            values = sample["values"]
            parts = ", ".join(f"{html.escape(side.label)} {value:.3g}"
                              for side, value in zip(question.sides, values, strict=True))
            _html(f"On your seed: {parts}: <b>{html.escape(sample['verdict'])}</b>.")


def person_html(play, token: str) -> str:
    """What changes on a player's card every round: the round, their person's need, wellbeing
    and trust (with the change since the round began) and what happened to them. Called under
    the class's lock."""
    role = play.roles[token]
    state = play.person(token)
    before = play.round_start.get(token, state)
    week = int(play.model.steps)

    def change(key: str) -> str:
        delta = state[key] - before[key]
        if play.round == 0 or abs(delta) < 0.005:
            return ""
        return f" <small>{'▲' if delta > 0 else '▼'} {abs(delta):.2f}</small>"

    if play.ended:
        status = "The role-play has ended."
    elif play.last_round_played:
        status = (f"Round {play.round} of {play.rounds} (week {week}), the last: your teacher "
                  "will show the class's choices beside the simulated people's.")
    else:
        status = (f"Round {play.round} of {play.rounds} (week {week}). Your choice counts from "
                  "the teacher's next round.")
    label = "Your" if role.kind == rp.CITIZEN else "Citizens' (mean)"
    if role.kind == rp.CITIZEN:
        facts = ["You took part last week." if state["took_part"] else
                 "You did not take part last week."]
        if state["withdrawn"]:
            facts.append("You have stopped asking for help.")
        elif not state["in_need"]:
            facts.append(f"Your need is below {state['threshold']:.2g}, so you do not ask for "
                         "help now: taking part counts when you do.")
        if state["volunteer"]:
            facts.append("You volunteer.")
    else:
        facts = [f"Your motivation {state['motivation']:.2f}, burnout {state['burnout']:.2f}."]
    return (f"<div class='cp-muted' data-round='{play.round}'>{html.escape(status)}</div>"
            "<div class='cp-state'>"
            f"<div>{label} need<b>{state['need']:.2f}{change('need')}</b></div>"
            f"<div>{label} wellbeing<b>{state['wellbeing']:.2f}{change('wellbeing')}</b></div>"
            f"<div>{label} trust<b>{state['trust']:.2f}{change('trust')}</b></div></div>"
            f"<div class='cp-muted'>{html.escape(' '.join(facts))}</div>")


@solara.component
def RolePlayCard(room: ClassRoom, token: str):
    """The person a student plays: their need, wellbeing and trust, and their choices.

    A new round does not render this card again: what changes every round is one widget,
    made once and updated in place (``person_html``), so a round costs each phone one small
    message. The card renders again only when the choices shown or the role-play's state
    (running, ended) change.
    """
    with room.lock:
        play = room.roleplay
        role = play.roles[token]
        chosen = dict(play.choices.get(token, {}))
        ended = play.ended
        summary = play.summary() if ended else []
        first = person_html(play, token)
    error, set_error = solara.use_state(None)
    live = solara.use_memo(lambda: solara.widgets.HTML(tag="div", unsafe_innerHTML=first),
                           [id(play), token])

    def follow_rounds():
        context = kernel_context.get_current_context()
        busy = threading.Lock()

        def on_change():
            with room.lock:
                if room.roleplay is not play or token not in play.roles:
                    return
                text = person_html(play, token)
            with busy, context:
                if live.unsafe_innerHTML != text:
                    live.unsafe_innerHTML = text

        unsubscribe = room.subscribe(on_change)
        on_change()
        return unsubscribe
    solara.use_effect(follow_rounds, [live])
    # subscribed after the live part, so that when the last round also ends the role-play, the
    # round's numbers are sent before the card is rebuilt with the summary
    use_class(room, roleplay_view(token), view_key=token)

    def choose(kind: str, value: bool):
        try:
            with room.lock:
                play.choose(token, kind, value)
            set_error(None)
        except ValueError as exc:
            set_error(str(exc))
            return
        room.changed()

    with solara.Column(classes=["cp-card"], gap="2px"):
        who = (f"a citizen (number {role.index})" if role.kind == rp.CITIZEN
               else f"a staff member (number {role.index})")
        _html(f"<h2>Role-play: you are {who}</h2>")
        solara.v.Html(tag="div", children=[live])
        if not ended:
            for kind in rp.KINDS[role.kind]:
                with solara.Row(gap="6px", style={"flex-wrap": "wrap", "align-items": "center"}):
                    for value in (True, False):
                        words = rp.CHOICE_WORDS[(kind, value)]
                        on = chosen.get(kind) is value
                        solara.Button(("● " if on else "○ ") + words.capitalize(),
                                      color="primary", outlined=not on,
                                      on_click=lambda kind=kind, value=value: choose(kind, value))
            if not chosen:
                _html("Until you choose, the model decides for your person.", "cp-muted")
        if error:
            solara.Error(error)
        if summary:
            RolePlaySummary(summary)


@solara.component
def RolePlaySummary(summary: list[tuple[str, str, str]]):
    rows = "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td>"
                   f"<td>{html.escape(c)}</td></tr>" for a, b, c in summary)
    _html("<h3>The class beside the simulated people</h3><table><tr><th></th><th>Played by the "
          f"class</th><th>Simulated</th></tr>{rows}</table>")


# --- the teacher's tab ------------------------------------------------------------------------

@solara.component
def Layout(children=[]):  # noqa: B006 (Solara API)
    """The join page is the whole window: no app bar, no navigation."""
    return children[0] if len(children) == 1 else solara.Column(children=children)


routes = [solara.Route(path="join", component=JoinPage, label="Join", layout=Layout)]


def lesson_by_key(key: str):
    """The lesson with this key (from the dashboard's lessons), or None."""
    for lesson in all_lessons():
        if getattr(lesson, "key", None) == key:
            return lesson
    return None


def all_lessons() -> list:
    """The dashboard's lessons (``coprosim.dashboards.lessons.LESSONS``), or none."""
    import importlib

    try:
        return list(getattr(importlib.import_module("coprosim.dashboards.lessons"), "LESSONS",
                            []))
    except ImportError:
        return []


_TEACHERS: dict[str, str] = {}  # browser session -> class code (a reload keeps the class)
_TEACHERS_LOCK = threading.Lock()


def teacher_class() -> ClassRoom:
    """The class of this browser's teacher: the same class after a reload, a new one at first."""
    try:
        session = solara.get_session_id()
    except Exception:  # no session (a test rendering the component headless)
        session = None
    with _TEACHERS_LOCK:
        code = _TEACHERS.get(session) if session else None
        if code is not None:
            try:
                return REGISTRY.find(code)
            except ClassError:
                pass
        room = REGISTRY.open()
        if session:
            _TEACHERS[session] = room.code
        return room


def _host_header() -> str | None:
    try:
        import solara.lab

        headers = solara.lab.headers.value or {}
    except Exception:
        return None
    values = headers.get("host") or headers.get("Host") or []
    return values[0] if values else None


@solara.component
def ClassTab(state=None, lessons: list | None = None, lesson_index: int | None = None,
             given_room=None):
    """The teacher's Class tab: the join address (text and QR code), who has joined, the
    lesson's question and the class's predictions, the outcome set against them, the class as
    a sample, and the role-play.

    ``state``: the dashboard's ``DashboardState`` (its lessons, and the lesson in hand: the one
    running, else the one the Lessons tab shows); or ``lessons`` and ``lesson_index`` directly.
    ``given_room``: a class to show (tests), else this teacher's class (kept through a reload).
    """
    running, week = None, 0
    if state is not None:
        lessons = getattr(state, "lessons", lessons)
        running = state.lesson_on.value if hasattr(state, "lesson_on") else None
        week = getattr(getattr(state, "session", None), "week", 0)
        if running is not None:
            lesson_index = running[0]
        elif hasattr(state, "lesson_shown"):
            lesson_index = state.lesson_shown.value
    lessons = list(lessons) if lessons is not None else all_lessons()
    generation, set_generation = solara.use_state(0)  # rises when the teacher ends a class
    room = solara.use_memo(lambda: given_room or teacher_class(), [generation])
    seen = use_class(room)
    ending, set_ending = solara.use_state(False)
    choice, set_choice = solara.use_state(lesson_index if lesson_index is not None else 0)
    solara.use_effect(lambda: set_choice(lesson_index) if lesson_index is not None else None,
                      [lesson_index])
    address, note = solara.use_memo(lambda: join_address(room.code, _host_header()), [room])
    qr = solara.use_memo(lambda: qr_svg(address), [address])

    with room.lock:
        joined, predicted = room.joined, room.predicted
        question, outcome = room.question, room.outcome
        roster = room.roster()
        counts = room.predictions()
        samples = room.samples()
        play = room.roleplay
    lesson = lessons[choice] if lessons and 0 <= choice < len(lessons) else None
    # the dashboard has run the lesson in hand to its last week: time for the outcome
    run_done = (running is not None and lesson is not None and running[0] == choice
                and week >= getattr(lesson, "weeks", 0))

    def end_class():
        REGISTRY.close(room.code)
        set_ending(False)
        set_generation(generation + 1)

    solara.Style(CSS)
    with solara.Row(classes=["cp-class"], gap="18px"):
        with solara.Column(gap="4px"):
            _html("<h3>Students join here</h3>"
                  f"<div class='cp-address' data-testid='join-address'>{html.escape(address)}"
                  f"</div><div class='cp-muted'>or scan the code, or open …/join and type"
                  f"</div><div class='cp-code' data-testid='class-code'>{room.code}</div>")
            _html(qr, "cp-qr")
            if note:
                _html(html.escape(note), "cp-muted")
            _html(f"<div class='cp-counts' data-testid='class-counts'>{joined} joined · "
                  f"{predicted} predictions</div>")
            online = sum(1 for s in roster if s.online)
            _html(f"{online} with the page open now. No account: each phone keeps its place "
                  "through a reload.", "cp-muted")
            if roster:
                names = ", ".join(html.escape(s.name) + (" ✓" if s.prediction else "")
                                  for s in roster)
                _html(f"<b>Who:</b> {names} <span class='cp-muted'>(✓ predicted)</span>")
            if not ending:
                solara.Button("End this class", on_click=lambda: set_ending(True), text=True,
                              small=True, disabled=given_room is not None)
            else:
                _html("End the class? The students' pages will say it has ended, and a new "
                      "class with a new code opens here.", "cp-muted")
                with solara.Row(gap="6px"):
                    solara.Button("Yes, end it", on_click=end_class, color="primary",
                                  small=True)
                    solara.Button("No", on_click=lambda: set_ending(False), small=True,
                                  outlined=True)
        with solara.Column(gap="4px"):
            PredictionsPanel(room, lessons, lesson, choice, set_choice, question, outcome,
                             counts, seen, run_done)
            if question is not None:
                SamplePanel(room, question, outcome, samples, joined, seen)
            RolePlayPanel(room, play, lesson, seen)


@solara.component
def PredictionsPanel(room, lessons, lesson, choice, set_choice, question, outcome, counts,
                     seen=None, run_done=False):
    error, set_error = solara.use_state(None)
    _html("<h3>1. Predict</h3>")
    titles = [f"{i + 1}. {getattr(x, 'title', x)}" for i, x in enumerate(lessons)]
    if titles:
        solara.Select("Lesson in hand", value=titles[choice] if choice < len(titles) else None,
                      values=titles, on_value=lambda t: set_choice(titles.index(t)))

    def ask():
        q = question_for(lesson) if lesson is not None else None
        if q is None:
            set_error("This lesson has no question the class can answer by choosing.")
            return
        set_error(None)
        room.ask(q)

    asked = question is not None and lesson is not None and question.key == lesson.key
    if not asked:
        solara.Button("Ask the class this lesson's question", color="primary", on_click=ask,
                      disabled=lesson is None)
    if error:
        solara.Error(error)
    if question is None:
        return
    _html(f"<b>{html.escape(question.title)}</b>: {html.escape(question.text)}")
    _html(prediction_bars_html(question, counts, outcome.verdict if outcome else None))

    def show():
        the_lesson = lesson_by_key(question.key) or lesson
        try:
            room.reveal(measure(the_lesson, question, question.seed))
        except Exception as exc:  # the model failed: a line, not a traceback
            set_error(f"Could not measure the outcome: {type(exc).__name__}: {exc}")

    if outcome is None:
        if run_done and question.key == getattr(lesson, "key", None):
            _html(f"<b>The run has reached week {question.weeks}: show the class what "
                  "happened.</b>")
        solara.Button("Show the outcome (after the run)", on_click=show, color="primary",
                      outlined=not run_done)
        _html("It is measured on the lesson's run, the one on the Simulation tab (seed "
              f"{question.seed}, {question.weeks} weeks); predictions close when it is shown.",
              "cp-muted")
    else:
        parts = ", ".join(f"{html.escape(side.label)} {value:.3g}"
                          for side, value in zip(question.sides, outcome.values, strict=True))
        right = counts.get(outcome.verdict, 0)
        total = sum(counts.values())
        _html(f"<div data-testid='outcome'>The run (seed {outcome.seed}): {parts}. "
              f"<b>{html.escape(outcome.verdict)}</b>: {right} of {total} predicted this."
              "</div>")


@solara.component
def SamplePanel(room, question, outcome, samples, joined, seen=None):
    _html("<h3>2. The class as a sample</h3>")
    _html("Each student's page has 'Run my seed': the lesson on a seed of their own. One dot "
          "per run: do the runs agree with the class's run?", "cp-muted")
    lesson = lesson_by_key(question.key)

    def run_all():
        for student in room.roster():
            SAMPLES.submit(room, student.token, lesson, question)

    pending = sum(1 for s in room.roster() if s.sample and s.sample.get("status") in
                  ("queued", "running"))
    with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Button("Run every student's seed now", on_click=run_all, outlined=True,
                      disabled=lesson is None or joined == 0)
        _html(f"<span data-testid='sample-count'>{len(samples)} runs done"
              + (f", {pending} waiting" if pending else "") + "</span>")
    key = (question.key, tuple(s.number for s, _ in samples), outcome is not None)

    def draw():
        if not samples:
            return None
        rows = [(s.name, tuple(r["values"]), r["verdict"]) for s, r in samples]
        png = sample_chart_png(question, rows, outcome.values if outcome else None)
        return "data:image/png;base64," + base64.b64encode(png).decode()
    picture = solara.use_memo(draw, [key])
    if picture:
        _html(f"<img class='cp-sample' alt='Spread of outcomes over the class's runs' "
              f"src='{picture}'>")
        verdicts = [r["verdict"] for _, r in samples]
        shares = ", ".join(f"{o}: {verdicts.count(o)}" for o in question.options)
        _html(f"Over {len(samples)} runs: {html.escape(shares)}.", "cp-muted")


@solara.component
def RolePlayPanel(room, play, lesson, seen=None):
    from coprosim.dashboards.settings import scenario_choices, scenario_label

    _html("<h3>3. Role-play</h3>")
    choices = scenario_choices()
    default = (lesson.regimes[-1] if lesson is not None and getattr(lesson, "regimes", None)
               else "coproduction")
    scenario, set_scenario = solara.use_state(default if default in choices else choices[0])
    staff_roles, set_staff_roles = solara.use_state(None)
    weeks, set_weeks = solara.use_state(rp.DEFAULT_WEEKS_PER_ROUND)
    rounds, set_rounds = solara.use_state(rp.DEFAULT_ROUNDS)
    error, set_error = solara.use_state(None)
    joined = room.joined
    staff_default = max(1, round(joined / 6)) if joined else 0

    def draw_ending():
        """The class beside the simulated citizens, week by week (once the role-play ends)."""
        if play is None or not play.ended or not play.simulated:
            return None
        with room.lock:
            played, simulated = list(play.rows), list(play.simulated)
        return "data:image/png;base64," + base64.b64encode(
            roleplay_chart_png(played, simulated)).decode()
    picture = solara.use_memo(draw_ending, [id(play), play is not None and play.ended])
    staff = staff_default if staff_roles is None else staff_roles

    def start():
        try:
            with room.lock:
                if room.roleplay is not None:
                    room.roleplay.close()
                room.roleplay = rp.RolePlay.start(scenario, seed=1, students=room.roster(),
                                                  staff_roles=staff, weeks_per_round=weeks,
                                                  rounds=rounds)
            set_error(None)
        except (rp.RolePlayUnavailable, ValueError) as exc:
            set_error(str(exc))
            return
        room.changed()

    def next_round():
        try:
            with room.lock:
                room.roleplay.next_round()
        except ValueError as exc:
            set_error(str(exc))
            return
        room.changed()

    def end():
        with room.lock:
            room.roleplay.end()
        room.changed()

    if play is None or play.ended:
        _html("Students play citizens (take part or not, volunteer or not) or staff (invite "
              "input or give the standard service) in one shared model; everyone else is "
              "simulated. Each round runs a few weeks at your 'Next round'.", "cp-muted")
        labels = [scenario_label(s) for s in choices]
        with solara.Row(gap="10px", style={"flex-wrap": "wrap"}):
            solara.Select("Regime", value=scenario_label(scenario), values=labels,
                          on_value=lambda t: set_scenario(choices[labels.index(t)]))
            solara.InputInt("Staff roles", value=staff, on_value=set_staff_roles,
                            style={"max-width": "9em"})
            solara.InputInt("Weeks a round", value=weeks,
                            on_value=lambda v: set_weeks(min(max(int(v), 1), 52)),
                            style={"max-width": "9em"})
            solara.InputInt("Rounds", value=rounds,
                            on_value=lambda v: set_rounds(min(max(int(v), 1), 100)),
                            style={"max-width": "9em"})
        solara.Button("Start role-play" if play is None else "Start a new role-play",
                      on_click=start, color="primary", disabled=joined == 0)
        if joined == 0:
            _html("Students need to join first.", "cp-muted")
    if error:
        solara.Error(error)
    if play is None:
        return
    with room.lock:
        week = int(play.model.steps)
        roles = [(play.names.get(t, ""), r, dict(play.choices.get(t, {})))
                 for t, r in play.roles.items()]
        summary = play.summary() if play.ended else []
        csv_text = play.csv if play.rows else None
    chose = sum(1 for *_, c in roles if c)
    status = (f"Role-play ended after {play.round} rounds (week {week})." if play.ended else
              f"Round {play.round} of {play.rounds} (week {week}): {chose} of {len(roles)} "
              "players have chosen.")
    _html(f"<b data-testid='roleplay-status' data-round='{play.round}'>{html.escape(status)}"
          "</b>")
    if not play.ended:
        last = play.last_round_played
        with solara.Row(gap="8px"):
            solara.Button("Next round", on_click=next_round, color="primary", disabled=last)
            solara.Button("End role-play: show the class's choices" if last else "End role-play",
                          on_click=end, outlined=not last, color="primary")
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{r.kind} {r.index}</td><td>"
        + html.escape(", ".join(f"{rp.CHOICE_WORDS[(k, v)]}" for k, v in c.items())
                      or "not chosen (simulated)") + "</td></tr>" for name, r, c in roles)
    _html(f"<table><tr><th>Student</th><th>Plays</th><th>Choices</th></tr>{rows}</table>")
    if summary:
        RolePlaySummary(summary)
        if picture:
            _html(f"<img class='cp-sample' alt='Wellbeing and trust of the citizens the class "
                  f"played beside the simulated citizens, week by week' src='{picture}'>")
    if csv_text is not None:
        solara.FileDownload(lambda: csv_text(), filename=f"roleplay-{room.code}.csv",
                            label="Role-play decisions (CSV)", mime_type="text/csv")
