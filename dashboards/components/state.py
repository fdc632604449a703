"""What one browser tab's dashboard holds, and what its controls do (``DashboardState``).

Everything lives in component state made per browser session (``use_dashboard_state``), never in
a module global, so several students can use one server at once. The state is a plain object
with Solara reactives in it: the components read the reactives they show, and call its methods
(``apply``, ``step``, ``set_up``, ``start_lesson``, ...) to act.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
import urllib.parse

import solara
import solara.lab
from coprosim.dashboards.components.lessons import load_lessons
from coprosim.dashboards.session import Session
from coprosim.dashboards.settings import Settings, apply_setup, parse_seed
from coprosim.model import ParameterError

SPEED_RANGE = (1, 20)  # weeks per second while playing
DEFAULT_SPEED = 5
MAX_FRAMES_PER_SECOND = 8  # above this, Play steps several weeks per picture to keep its speed
TABS = {"simulation": 0, "explain": 1, "lessons": 2}  # later tabs (Class, ...) follow
PUBLISH_EVERY = 1.0  # seconds: while playing, the address follows the week this often
PAGE_KEYS = ("lesson", "stage", "present")  # the address's keys that are not run settings


def split_query(query: str | None) -> tuple[str, dict[str, str]]:
    """The run's settings (for ``Settings.from_query``) and the page's own keys (lesson, its
    stage, presentation mode) from an address's query string."""
    items = urllib.parse.parse_qsl((query or "").lstrip("?"), keep_blank_values=True)
    page = {k: v for k, v in items if k in PAGE_KEYS}
    rest = urllib.parse.urlencode([(k, v) for k, v in items if k not in PAGE_KEYS])
    return rest, page


class DashboardState:
    """One tab's session, the settings shown (``pending``) and running (``applied``), Play, and
    the lesson running. Made once per browser tab by ``use_dashboard_state``."""

    def __init__(self, session: Session, link_problems: list[str], on_location=None,
                 page: dict[str, str] | None = None):
        self.session = session
        self.on_location = on_location
        self.bridge = None  # the browser side (``bridge.Bridge``), once the page has one
        self.published = 0.0  # when the address was last told the week (while playing)
        self.version = solara.reactive(0)  # rises with every new week or run
        self.applied = solara.reactive(session.settings)  # what runs now
        self.pending = solara.reactive(session.settings)  # what the controls show
        self.seed_text = solara.reactive(str(session.settings.seed))
        self.seed_error = solara.reactive(None)
        self.notes = solara.reactive(list(link_problems))
        self.playing = solara.reactive(False)
        # rises with every press of Play: each press starts a loop of its own (see play_loop)
        self.play_presses = solara.reactive(0)
        self.speed = solara.reactive(DEFAULT_SPEED)
        self.achieved = solara.reactive(0.0)
        self.tab = solara.reactive(TABS["simulation"])
        self.more = solara.reactive(False)
        self.lessons = load_lessons()
        self.lesson_on = solara.reactive(None)  # (index, stage) of the lesson running, if any
        self.lesson_shown = solara.reactive(0)  # the lesson the Lessons tab shows
        self.pause_at = solara.reactive(None)  # Play pauses at this week (the lesson's length)
        self.present = solara.reactive(False)  # presentation mode: full screen, large type
        self.sizes = solara.reactive({})  # picture name -> (width, height, pixel ratio) shown
        self.mode_question = solara.reactive(None)  # a mode switch waiting for "yes" (mid-run)
        self.reality_job = solara.reactive(None)  # "Is it real?": the check running or done
        self.reality_progress = solara.reactive(None)  # (runs done, runs in all)
        self._restore(page or {})

    def _restore(self, page: dict[str, str]) -> None:
        """The lesson and its stage, and presentation mode, from the address (a reload)."""
        key, stage = page.get("lesson"), page.get("stage", "setup")
        for index, lesson in enumerate(self.lessons):
            if getattr(lesson, "key", None) == key and stage in ("setup", "then"):
                self.lesson_on.value = (index, stage)
                self.lesson_shown.value = index
                weeks = getattr(lesson, "weeks", None)
                self.pause_at.value = weeks if weeks and self.session.week < weeks else None
                break
        else:
            if key:
                self.notes.value = [*self.notes.value,
                                    f"lesson: no lesson {key!r}; the run is shown without it"]
        self.present.value = page.get("present") == "1"

    # --- the run ------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.version.value += 1

    def query(self) -> str:
        """The address's query: the run's settings and week, the lesson running and its stage,
        presentation mode."""
        if self.session.settings is None:
            return ""
        items = [self.session.settings.to_query(week=self.session.week)]
        running = self.running_lesson()
        if running is not None:
            _, stage, lesson = running
            if getattr(lesson, "key", None):
                items.append(urllib.parse.urlencode({"lesson": lesson.key, "stage": stage}))
        if self.present.value:
            items.append("present=1")
        return "&".join(item for item in items if item)

    def publish(self) -> None:
        """Tell the address bar (and ``on_location``) the run's settings, week, lesson and mode."""
        self.published = time.perf_counter()
        query = self.query()
        if self.bridge is not None:
            self.bridge.query = query
        if self.on_location is not None and self.session.settings is not None:
            self.on_location(query)

    def apply(self, settings: Settings, extra_notes: list[str] | None = None) -> bool:
        """Start a run with ``settings`` (the old run becomes the ghost); False if refused."""
        self.playing.value = False
        started = self.session.reset(settings)
        if started:
            self.stop_reality()
            if self.reality_job.value is not None:  # a result about another run
                self.reality_job.value = None
            self.pending.value = settings
            self.applied.value = settings
            self.seed_text.value = str(settings.seed)
            self.seed_error.value = None
            self.notes.value = list(extra_notes or [])
            self.publish()
        self.refresh()
        return started

    def reset(self) -> None:
        self.apply(self.pending.value)

    def step(self) -> None:
        self.session.step(1)
        self.refresh()
        self.publish()

    def toggle_play(self) -> None:
        if not self.playing.value:
            self.play_presses.value += 1
        self.playing.value = not self.playing.value

    def play_loop(self, play_on: bool = True, press: int | None = None) -> None:
        """Steps at the chosen weeks per second; when a picture takes longer than a week's
        share of a second, several weeks go into one picture, so the speed holds.

        One loop per press of Play (``play_presses``): a loop that stops at a lesson's last week
        may still be on its way out when Play is pressed again, and the press must start a new
        loop rather than find the old one ending (it did: Play then showed Pause and nothing
        ran). A loop whose press is no longer the latest stops and leaves ``playing`` alone.
        ``play_on`` and ``press``: ``playing`` and ``play_presses`` when the page asked for this
        loop (a loop asked for while paused does nothing, even if Play is pressed as it starts:
        that press asks for a loop of its own)."""
        if not play_on:
            return
        session, speed, pause_at = self.session, self.speed, self.pause_at
        press = self.play_presses.value if press is None else press
        started, first_week, rate = time.perf_counter(), session.week, speed.value
        stop = pause_at.value if pause_at.value and session.week < pause_at.value else None
        said = 0.0  # when the page was last told the speed reached
        while self.playing.value and self.play_presses.value == press:
            frame_started = time.perf_counter()
            if speed.value != rate:  # the slider moved: count the new speed from now
                started, first_week, rate = frame_started, session.week, speed.value
            due = first_week + int(rate * (frame_started - started)) + 1
            weeks = max(1, min(due - session.week, 4 * rate))
            if stop is not None:  # a lesson's run pauses at its last week
                weeks = max(1, min(weeks, stop - session.week))
            ok = session.step(weeks)
            self.refresh()
            if frame_started - self.published >= PUBLISH_EVERY:  # a reload resumes here
                self.publish()
            elapsed = time.perf_counter() - started
            if elapsed > 0.5 and frame_started - said >= 1.0:  # once a second: a new value
                self.achieved.value = round((session.week - first_week) / elapsed, 1)
                said = frame_started
            if not ok or (stop is not None and session.week >= stop):
                if stop is not None and session.week >= stop:
                    self.pause_at.value = None  # the lesson's pause is done: Play goes on
                if self.play_presses.value == press:
                    self.playing.value = False
                break
            frame = 1.0 / min(rate, MAX_FRAMES_PER_SECOND)
            time.sleep(max(0.0, frame - (time.perf_counter() - frame_started)))
        self.publish()

    # --- controls -----------------------------------------------------------------------------
    def type_seed(self, text: str) -> None:
        """A typed seed: a bad one says why here and keeps the run."""
        self.seed_text.value = text
        try:
            seed = parse_seed(text)
        except ParameterError as exc:
            self.seed_error.value = f"{exc}. The run keeps its old seed."
            return
        self.seed_error.value = None
        self.apply(dataclasses.replace(self.pending.value, seed=seed))

    def set_parameter(self, name: str, value) -> None:
        pending = self.pending.value
        self.pending.value = dataclasses.replace(pending,
                                                 overrides={**pending.overrides, name: value})

    def set_compare(self, compare: bool, confirmed: bool = False) -> None:
        """One regime or side by side. Mid-run this starts a new run, so it asks first
        (``mode_question``); ``confirmed`` answers yes."""
        if compare == self.applied.value.compare:
            self.mode_question.value = None
            return
        if self.session.week > 0 and not confirmed:
            self.mode_question.value = compare
            return
        self.mode_question.value = None
        self.apply(dataclasses.replace(self.pending.value, compare=compare))

    # --- "Is it real?" --------------------------------------------------------------------------
    def start_reality(self, check) -> None:
        """Run ``check`` (a ``reality.Check``) on its seeds in the background."""
        from coprosim.dashboards import reality

        self.stop_reality()
        context = _kernel_context()

        def on_progress(job) -> None:  # called from the worker pool's thread
            with context or contextlib.nullcontext():
                if self.reality_job.value is job:
                    self.reality_progress.value = (job.done, job.total, job.error)

        job = reality.start(check, on_progress)
        self.reality_progress.value = (0, job.total, None)
        self.reality_job.value = job

    def stop_reality(self) -> None:
        job = self.reality_job.value
        if job is not None and job.result is None:
            job.cancel()
            self.reality_job.value = None

    # --- keys and presentation ----------------------------------------------------------------
    def toggle_present(self) -> None:
        self.present.value = not self.present.value
        if self.bridge is not None:
            self.bridge.fullscreen = self.present.value
        self.publish()

    def on_key(self, name: str) -> None:
        """A key pressed on the page (``bridge``): play, step, reset, present."""
        if name == "play":
            if not self.session.failed() or self.playing.value:
                self.toggle_play()
        elif name == "step":
            if not self.playing.value and not self.session.failed():
                self.step()
        elif name == "reset":
            self.reset()
        elif name == "present":
            self.toggle_present()

    def set_scenario(self, side: str, scenario: str) -> None:
        self.apply(self.pending.value.with_scenario(side, scenario))

    def pin(self) -> None:
        self.session.pin()
        self.refresh()

    def clear_ghost(self) -> None:
        self.session.clear_ghost()
        self.refresh()

    # --- one-click setups and lessons ---------------------------------------------------------
    def set_up(self, setup: dict) -> bool:
        """A one-click setup (an idea's or a lesson's), shown on the Simulation tab."""
        settings, skipped = apply_setup(self.pending.value, setup)
        extra = [f"This setup names {', '.join(skipped)}, which the model no longer has; "
                 "skipped."] if skipped else []
        self.tab.value = TABS["simulation"]
        return self.apply(settings, extra)

    def set_up_idea(self, setup: dict) -> None:
        """An idea's 'Set this up': ends any lesson."""
        self.end_lesson()
        self.set_up(setup)

    def start_lesson(self, index: int, stage: str) -> None:
        """A lesson's one-click setup ('setup'), or its second run ('then'), which keeps the
        first run as the ghost. A lesson's first run starts with no ghost. The page is drawn
        once, for the lesson's run with its charts (not once per change)."""
        lesson = self.lessons[index]
        setup = getattr(lesson, "then", None) if stage == "then" else lesson.setup
        if not setup:
            return
        with _one_render():
            if self.set_up(setup):
                if stage == "setup" and self.session.ghost is not None \
                        and not self.session.ghost.pinned:
                    self.session.clear_ghost()
                self.lesson_on.value = (index, stage)
                self.lesson_shown.value = index
                self.pause_at.value = getattr(lesson, "weeks", None)
                self.refresh()
                self.publish()

    def end_lesson(self) -> None:
        self.lesson_on.value = None
        self.pause_at.value = None
        self.publish()

    def key_measures(self) -> tuple[str, ...]:
        """The running lesson's key measures (highlighted on the page), else none."""
        running = self.running_lesson()
        if running is None:
            return ()
        return tuple(getattr(running[2], "key_measures", ()) or ())

    def running_lesson(self):
        """(index, stage, lesson) of the lesson running, or None."""
        on = self.lesson_on.value
        if on is None or on[0] >= len(self.lessons):
            return None
        return on[0], on[1], self.lessons[on[0]]


def _one_render():
    """Changes inside this block are drawn once, at its end (Solara's render context)."""
    try:
        from reacton.core import get_render_context

        context = get_render_context(required=False)
    except (ImportError, TypeError):  # pragma: no cover - another reacton
        context = None
    return context if context is not None else contextlib.nullcontext()


def _kernel_context():
    """This browser tab's Solara context (to change its state from another thread), if any."""
    try:
        from solara.server import kernel_context

        return kernel_context.get_current_context() if kernel_context.has_current_context() \
            else None
    except (ImportError, AttributeError):  # pragma: no cover - another Solara
        return None


def use_dashboard_state(session_factory=Session, query: str | None = None,
                        on_location=None) -> DashboardState:
    """The dashboard's state for this browser tab (made on first render), its session freed
    when the tab closes, and Play's loop running while ``playing`` is on."""
    def make() -> DashboardState:
        settings_query, page = split_query(query)
        initial, replay_weeks, link_problems = Settings.from_query(settings_query)
        session = session_factory(initial) if query is not None else session_factory()
        if replay_weeks:
            session.step(replay_weeks)
        return DashboardState(session, link_problems, on_location, page)

    state = solara.use_memo(make, [])
    solara.use_effect(lambda: state.session.close, [])  # free the models when the tab closes
    play_on, press = state.playing.value, state.play_presses.value
    solara.lab.use_task(lambda: state.play_loop(play_on, press), dependencies=[play_on, press],
                        prefer_threaded=True)
    return state
