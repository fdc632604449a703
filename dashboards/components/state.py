"""What one browser tab's dashboard holds, and what its controls do (``DashboardState``).

Everything lives in component state made per browser session (``use_dashboard_state``), never in
a module global, so several students can use one server at once. The state is a plain object
with Solara reactives in it: the components read the reactives they show, and call its methods
(``apply``, ``step``, ``set_up``, ``start_lesson``, ...) to act.
"""

from __future__ import annotations

import dataclasses
import time

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


class DashboardState:
    """One tab's session, the settings shown (``pending``) and running (``applied``), Play, and
    the lesson running. Made once per browser tab by ``use_dashboard_state``."""

    def __init__(self, session: Session, link_problems: list[str], on_location=None):
        self.session = session
        self.on_location = on_location
        self.version = solara.reactive(0)  # rises with every new week or run
        self.applied = solara.reactive(session.settings)  # what runs now
        self.pending = solara.reactive(session.settings)  # what the controls show
        self.seed_text = solara.reactive(str(session.settings.seed))
        self.seed_error = solara.reactive(None)
        self.notes = solara.reactive(list(link_problems))
        self.playing = solara.reactive(False)
        self.speed = solara.reactive(DEFAULT_SPEED)
        self.achieved = solara.reactive(0.0)
        self.tab = solara.reactive(TABS["simulation"])
        self.more = solara.reactive(False)
        self.lessons = load_lessons()
        self.lesson_on = solara.reactive(None)  # (index, stage) of the lesson running, if any
        self.lesson_shown = solara.reactive(0)  # the lesson the Lessons tab shows
        self.pause_at = solara.reactive(None)  # Play pauses at this week (the lesson's length)

    # --- the run ------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.version.value += 1

    def publish(self) -> None:
        """Tell the address bar the run's settings and week."""
        if self.on_location is not None and self.session.settings is not None:
            self.on_location(self.session.settings.to_query(week=self.session.week))

    def apply(self, settings: Settings, extra_notes: list[str] | None = None) -> bool:
        """Start a run with ``settings`` (the old run becomes the ghost); False if refused."""
        self.playing.value = False
        started = self.session.reset(settings)
        if started:
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

    def toggle_play(self) -> None:
        self.playing.value = not self.playing.value

    def play_loop(self) -> None:
        """Steps at the chosen weeks per second; when a picture takes longer than a week's
        share of a second, several weeks go into one picture, so the speed holds."""
        session, speed, pause_at = self.session, self.speed, self.pause_at
        started, first_week, rate = time.perf_counter(), session.week, speed.value
        stop = pause_at.value if pause_at.value and session.week < pause_at.value else None
        said = 0.0  # when the page was last told the speed reached
        while self.playing.value:
            frame_started = time.perf_counter()
            if speed.value != rate:  # the slider moved: count the new speed from now
                started, first_week, rate = frame_started, session.week, speed.value
            due = first_week + int(rate * (frame_started - started)) + 1
            weeks = max(1, min(due - session.week, 4 * rate))
            if stop is not None:  # a lesson's run pauses at its last week
                weeks = max(1, min(weeks, stop - session.week))
            ok = session.step(weeks)
            self.refresh()
            elapsed = time.perf_counter() - started
            if elapsed > 0.5 and frame_started - said >= 1.0:  # once a second: a new value
                self.achieved.value = round((session.week - first_week) / elapsed, 1)
                said = frame_started
            if not ok or (stop is not None and session.week >= stop):
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

    def set_compare(self, compare: bool) -> None:
        self.apply(dataclasses.replace(self.pending.value, compare=compare))

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
        first run as the ghost. A lesson's first run starts with no ghost."""
        lesson = self.lessons[index]
        setup = getattr(lesson, "then", None) if stage == "then" else lesson.setup
        if not setup:
            return
        if self.set_up(setup):
            if stage == "setup" and self.session.ghost is not None:
                self.session.clear_ghost()
                self.refresh()
            self.lesson_on.value = (index, stage)
            self.lesson_shown.value = index
            self.pause_at.value = getattr(lesson, "weeks", None)

    def end_lesson(self) -> None:
        self.lesson_on.value = None
        self.pause_at.value = None

    def running_lesson(self):
        """(index, stage, lesson) of the lesson running, or None."""
        on = self.lesson_on.value
        if on is None or on[0] >= len(self.lessons):
            return None
        return on[0], on[1], self.lessons[on[0]]


def use_dashboard_state(session_factory=Session, query: str | None = None,
                        on_location=None) -> DashboardState:
    """The dashboard's state for this browser tab (made on first render), its session freed
    when the tab closes, and Play's loop running while ``playing`` is on."""
    def make() -> DashboardState:
        initial, replay_weeks, link_problems = Settings.from_query(query)
        session = session_factory(initial) if query is not None else session_factory()
        if replay_weeks:
            session.step(replay_weeks)
        return DashboardState(session, link_problems, on_location)

    state = solara.use_memo(make, [])
    solara.use_effect(lambda: state.session.close, [])  # free the models when the tab closes
    solara.lab.use_task(state.play_loop, dependencies=[state.playing.value],
                        prefer_threaded=True)
    return state
