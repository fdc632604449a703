"""The classes open on this server: one plain object per class, shared by every browser tab.

Solara's reactive values belong to one browser tab (one kernel), so what a class shares (who has
joined, their predictions, their runs, the role-play) lives here, in ordinary objects guarded by a
lock, and every tab that shows a class subscribes to it. When something changes, each subscriber
is called on a small pool of threads (``notify``); the page's callback then updates its own tab,
inside that tab's kernel context (see ``classroom.pages``). Plain Python, no Solara: the tests use
it directly.

A class is found by its code (4 to 8 letters or digits, ``check_code``). A student's browser keeps
a token (in the page's address), so a reload rejoins as the same person. Codes and tokens are
drawn from the operating system's randomness (``secrets``), never from a model's generators:
they are names, not part of any simulation.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

# No 0/O or 1/I: a code read off a projector is typed without mistakes.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 5
CODE_PATTERN = re.compile(r"[A-Z0-9]{4,8}")
MAX_NAME = 30  # characters of a student's name kept
FIRST_STUDENT_SEED = 101  # student k runs the lesson on seed 100 + k (the teacher's run: seed 1)
NOTIFY_THREADS = 6
IDLE_HOURS = 12  # a class with no page open and no change for this long is ended  # tabs told of a change at once (each renders its own page)


class ClassError(ValueError):
    """A plain one-line message for the page (a wrong code, an unknown student)."""


def check_code(text: str | None) -> str:
    """The class code in capitals, or a ClassError naming the field and what is allowed."""
    code = (text or "").strip().upper()
    if not CODE_PATTERN.fullmatch(code):
        shown = (text or "").strip()
        raise ClassError(f"class code: must be 4 to 8 letters or digits, got {shown!r}"
                         if shown else "class code: type the code shown on the teacher's screen "
                         "(4 to 8 letters or digits)")
    return code


def new_code(taken: set[str]) -> str:
    """A fresh class code not in ``taken``."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            return code


def clean_name(text: str | None, number: int) -> str:
    """A student's name as typed (trimmed, at most MAX_NAME characters), else 'Student N'."""
    name = " ".join((text or "").split())[:MAX_NAME]
    return name or f"Student {number}"


@dataclass
class Student:
    """One student (or group) in a class: who they are and what they have done."""

    token: str
    number: int
    name: str
    joined: float
    prediction: str | None = None
    sample: dict[str, Any] | None = None  # the student's own run: status, seed, values
    online: int = 0  # tabs open on this student now

    @property
    def seed(self) -> int:
        """The seed of this student's own run of the lesson (the class as a sample)."""
        return FIRST_STUDENT_SEED + self.number - 1


@dataclass
class ClassRoom:
    """One class: its code, students, the lesson's question and predictions, the runs of the
    class as a sample, and the role-play (``roleplay``, set by ``classroom.roleplay``).

    Every change goes through a method that takes ``lock`` and then tells the subscribers.
    ``version`` rises with every change; a page compares it with what it last drew.
    """

    code: str
    created: float = field(default_factory=time.time)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    students: dict[str, Student] = field(default_factory=dict)
    question: Any = None  # predictions.Question of the lesson in hand
    outcome: Any = None  # predictions.Outcome, once the teacher shows it
    roleplay: Any = None  # roleplay.RolePlay while one runs (or has ended)
    version: int = 0
    closed: bool = False
    active: float = field(default_factory=time.time)  # the last change
    _listeners: dict[int, Callable[[], None]] = field(default_factory=dict, repr=False)
    _next_listener: int = 0

    # --- subscribers -------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback()`` after every change; returns the function that unsubscribes."""
        with self.lock:
            key = self._next_listener
            self._next_listener += 1
            self._listeners[key] = callback

        def unsubscribe() -> None:
            with self.lock:
                self._listeners.pop(key, None)
        return unsubscribe

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    def changed(self) -> None:
        """Count a change and tell every subscriber (on the notify pool, never in the caller's
        thread: the teacher's click returns at once and the tabs update side by side)."""
        with self.lock:
            self.version += 1
            self.active = time.time()
            callbacks = list(self._listeners.values())
        notify(callbacks)

    # --- students ----------------------------------------------------------------------------
    def join(self, name: str | None = None) -> Student:
        """A new student (or group), with a token their browser keeps to rejoin."""
        with self.lock:
            if self.closed:
                raise ClassError(f"class {self.code} has ended; ask your teacher for the new code")
            number = len(self.students) + 1
            token = secrets.token_urlsafe(9)
            student = Student(token, number, clean_name(name, number), time.time())
            self.students[token] = student
            if self.roleplay is not None:
                self.roleplay.add_student(student)
        self.changed()
        return student

    def student(self, token: str | None) -> Student | None:
        """The student with this token, or None (a token from another class or server)."""
        with self.lock:
            return self.students.get(token or "")

    def rename(self, token: str, name: str) -> None:
        with self.lock:
            student = self._known(token)
            student.name = clean_name(name, student.number)
        self.changed()

    def _known(self, token: str) -> Student:
        student = self.students.get(token)
        if student is None:
            raise ClassError("student: not in this class; join again with the class code")
        return student

    def connected(self, token: str, delta: int) -> None:
        """A tab of this student opened (+1) or closed (-1): the teacher sees who is online."""
        with self.lock:
            student = self.students.get(token)
            if student is None:
                return
            student.online = max(0, student.online + delta)
        self.changed()

    @property
    def joined(self) -> int:
        return len(self.students)

    def roster(self) -> list[Student]:
        with self.lock:
            return sorted(self.students.values(), key=lambda s: s.number)

    # --- predictions -------------------------------------------------------------------------
    def ask(self, question) -> None:
        """Set the lesson's question; predictions, outcome and runs of an earlier one are
        cleared (a new lesson is a new question)."""
        with self.lock:
            if self.question is not None and question is not None and \
                    self.question.key == question.key:
                return
            self.question = question
            self.outcome = None
            for student in self.students.values():
                student.prediction = None
                student.sample = None
        self.changed()

    def predict(self, token: str, choice: str) -> None:
        """A student's prediction (their latest choice counts until the outcome is shown)."""
        with self.lock:
            student = self._known(token)
            if self.question is None:
                raise ClassError("prediction: there is no question yet; wait for your teacher")
            if choice not in self.question.options:
                raise ClassError(f"prediction: must be one of {', '.join(self.question.options)}"
                                 f", got {choice!r}")
            if self.outcome is not None:
                raise ClassError("prediction: the outcome is already shown; predictions are "
                                 "closed")
            student.prediction = choice
        self.changed()

    def predictions(self) -> dict[str, int]:
        """How many students chose each option (in the question's order)."""
        with self.lock:
            if self.question is None:
                return {}
            counts = dict.fromkeys(self.question.options, 0)
            for student in self.students.values():
                if student.prediction in counts:
                    counts[student.prediction] += 1
            return counts

    @property
    def predicted(self) -> int:
        with self.lock:
            return sum(1 for s in self.students.values() if s.prediction is not None)

    def reveal(self, outcome) -> None:
        with self.lock:
            self.outcome = outcome
        self.changed()

    # --- the class as a sample ---------------------------------------------------------------
    def set_sample(self, token: str, result: dict[str, Any]) -> None:
        with self.lock:
            self._known(token).sample = result
        self.changed()

    def samples(self) -> list[tuple[Student, dict[str, Any]]]:
        """The finished runs of the class as a sample, by student number."""
        with self.lock:
            return [(s, dict(s.sample)) for s in self.roster()
                    if s.sample and s.sample.get("status") == "done"]


class Registry:
    """The classes open on this server, by code (one registry per server process)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.classes: dict[str, ClassRoom] = {}
        self.ended: set[str] = set()  # codes of ended classes (their students are told so)

    def open(self) -> ClassRoom:
        """A new class with a fresh code (classes left idle for IDLE_HOURS with no page open
        are ended first, so a server that runs for weeks does not keep every class)."""
        self.end_idle()
        with self.lock:
            room = ClassRoom(new_code(set(self.classes) | self.ended))
            self.classes[room.code] = room
            return room

    def end_idle(self, now: float | None = None) -> list[str]:
        """End the classes with no page open and no change for IDLE_HOURS; their codes."""
        now = time.time() if now is None else now
        with self.lock:
            idle = [code for code, room in self.classes.items()
                    if room.listeners == 0 and now - room.active > IDLE_HOURS * 3600]
        for code in idle:
            self.close(code)
        return idle

    def find(self, text: str | None) -> ClassRoom:
        """The open class with this code, or a ClassError in plain words."""
        code = check_code(text)
        with self.lock:
            room = self.classes.get(code)
            ended = code in self.ended
        if ended or (room is not None and room.closed):
            raise ClassError(f"Class {code} has ended. If your teacher has opened a new class, "
                             "use its code.")
        if room is None:
            raise ClassError(f"There is no class with code {code} on this server. Check the code "
                             "on your teacher's screen.")
        return room

    def close(self, code: str) -> None:
        """End a class: its students see that it has ended; the code no longer works."""
        with self.lock:
            room = self.classes.pop(code, None)
            if room is not None:
                self.ended.add(code)
        if room is not None:
            with room.lock:
                room.closed = True
                if room.roleplay is not None:
                    room.roleplay.close()
            room.changed()


REGISTRY = Registry()

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


# benchmarks/bench_class.py sets this to a file: each change's delivery is appended there (when
# the change was made, and when the last tab had rendered and sent its update), so the server's
# share of a round's latency can be told from the browsers'.
TIMING_LOG = os.environ.get("COPROSIM_CLASS_TIMING")


def notify(callbacks: list[Callable[[], None]]) -> None:
    """Run each callback on the notify pool; a failing callback (a closed tab) is dropped
    quietly, the others still run."""
    global _pool
    if not callbacks:
        return
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(NOTIFY_THREADS, thread_name_prefix="class-notify")
    delivery = _Delivery(len(callbacks)) if TIMING_LOG else None
    for callback in callbacks:
        _pool.submit(_quietly, callback, delivery)


class _Delivery:
    """The time from a change to the last tab updated (written to TIMING_LOG)."""

    def __init__(self, tabs: int):
        self.started = time.time()
        self.left = tabs
        self.lock = threading.Lock()

    def done(self) -> None:
        with self.lock:
            self.left -= 1
            if self.left:
                return
        with open(TIMING_LOG, "a") as out:
            out.write(f"{self.started:.4f} {time.time():.4f}\n")


def _quietly(callback: Callable[[], None], delivery: _Delivery | None = None) -> None:
    try:
        callback()
    except Exception:  # a tab that closed mid-update must not stop the others
        import logging

        logging.getLogger(__name__).debug("class notify failed", exc_info=True)
    finally:
        if delivery is not None:
            delivery.done()
