"""The class as a sample: each student (or group) runs the lesson on a seed of its own.

A student's "Run my seed" puts a job in one queue for the whole server; one worker thread runs
the jobs in turn (a lesson's runs take a few tenths of a second), so thirty students pressing at
once never run thirty models side by side on a two-core server, and the pages stay quick. The
result goes to the student's record in the class (``ClassRoom.set_sample``), which tells every
page: the student sees their own outcome, the teacher's class chart gains a dot.
"""

from __future__ import annotations

import queue
import threading
import traceback


class SampleQueue:
    """One queue of lesson runs for the server, worked through by one thread."""

    def __init__(self):
        self.jobs: queue.Queue = queue.Queue()
        self.lock = threading.Lock()
        self.waiting = 0
        self.thread: threading.Thread | None = None

    def submit(self, room, token: str, lesson, question) -> None:
        """Queue the run of ``lesson`` on the student's seed (once per question: a second press
        while it waits or after it ran does nothing)."""
        student = room.student(token)
        if student is None or question is None:
            return
        if student.sample and student.sample.get("status") in ("queued", "running", "done"):
            return
        room.set_sample(token, {"status": "queued", "seed": student.seed})
        with self.lock:
            self.waiting += 1
            self.jobs.put((room, token, lesson, question, student.seed))
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._work, name="class-sample",
                                               daemon=True)
                self.thread.start()

    def _work(self) -> None:
        from .predictions import measure

        while True:
            room, token, lesson, question, seed = self.jobs.get()
            with self.lock:
                self.waiting -= 1
            if room.closed or room.question is None or room.question.key != question.key:
                continue  # the class moved on to another question
            room.set_sample(token, {"status": "running", "seed": seed})
            try:
                result = measure(lesson, question, seed).as_dict()
            except Exception as exc:  # shown to the student as one line
                traceback.print_exc()
                result = {"status": "failed", "seed": seed,
                          "error": f"the run on seed {seed} failed ({type(exc).__name__}: {exc})"}
            if room.question is not None and room.question.key == question.key:
                room.set_sample(token, result)


SAMPLES = SampleQueue()
