"""Class mode without a browser: the class registry, the lesson's question and its outcome, the
class as a sample, the join address and QR code, and the role-play in the real model.

The browser side (20 or more students' pages, role-play rounds, reload) is in
tests/test_class_browser.py.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
import pytest
from coprosim.dashboards.classroom import roleplay as rp
from coprosim.dashboards.classroom.address import is_loopback, join_address, qr_svg, split_host
from coprosim.dashboards.classroom.predictions import (
    ABOVE_ZERO,
    BELOW_ZERO,
    SAME,
    measure,
    question_for,
)
from coprosim.dashboards.classroom.registry import (
    ClassError,
    Registry,
    check_code,
    clean_name,
)
from coprosim.dashboards.classroom.sample import SampleQueue
from coprosim.dashboards.lessons import LESSONS
from coprosim.dashboards.session import Session
from coprosim.dashboards.settings import Settings, apply_setup
from coprosim.model import CoproductionModel, Params

# --- codes and the registry ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["ABCD", "abcd2", " K7Q9XZ ", "A1B2C3D4"])
def test_a_code_of_4_to_8_letters_or_digits_is_accepted_in_capitals(text):
    assert check_code(text) == text.strip().upper()


@pytest.mark.parametrize("text", ["", "ABC", "ABCDEFGHJ", "AB-CD", "ABÇD", "AB CD", None])
def test_a_bad_code_gets_one_plain_line_naming_the_field_and_the_rule(text):
    with pytest.raises(ClassError) as caught:
        check_code(text)
    message = str(caught.value)
    assert message.startswith("class code:") and "4 to 8 letters or digits" in message
    assert "\n" not in message


def test_the_registry_finds_an_open_class_and_gives_a_wrong_code_a_plain_message():
    registry = Registry()
    room = registry.open()
    assert check_code(room.code) == room.code
    assert registry.find(room.code.lower()) is room
    other = "ZZZZZ" if room.code != "ZZZZZ" else "YYYYY"
    with pytest.raises(ClassError, match=f"There is no class with code {other} on this server"):
        registry.find(other)
    registry.close(room.code)
    with pytest.raises(ClassError, match=f"Class {room.code} has ended"):
        registry.find(room.code)
    with pytest.raises(ClassError, match="has ended"):
        room.join("late")


def test_a_class_left_idle_with_no_page_open_is_ended():
    registry = Registry()
    idle, followed, recent = registry.open(), registry.open(), registry.open()
    unsubscribe = followed.subscribe(lambda: None)
    later = time.time() + 13 * 3600
    recent.active = later - 60
    assert registry.end_idle(now=later) == [idle.code]
    assert idle.closed and not followed.closed and not recent.closed
    unsubscribe()


def test_codes_are_distinct_across_many_classes():
    registry = Registry()
    codes = {registry.open().code for _ in range(300)}
    assert len(codes) == 300


def test_students_join_with_a_token_that_finds_them_again():
    room = Registry().open()
    ada = room.join("  Ada   Lovelace ")
    anon = room.join("")
    assert ada.name == "Ada Lovelace" and anon.name == "Student 2"
    assert room.student(ada.token) is ada and room.student("no such token") is None
    assert ada.token != anon.token and len(ada.token) >= 12
    assert ada.seed != anon.seed  # the class as a sample: a seed each
    assert room.joined == 2 and [s.number for s in room.roster()] == [1, 2]
    assert clean_name("x" * 100, 3) == "x" * 30


def test_predictions_are_counted_per_option_and_close_once_the_outcome_is_shown():
    room = Registry().open()
    question = question_for(LESSONS[0])
    students = [room.join(f"s{i}") for i in range(5)]
    with pytest.raises(ClassError, match="no question yet"):
        room.predict(students[0].token, question.options[0])
    room.ask(question)
    for student, option in zip(students, [0, 0, 2, 1, 0], strict=True):
        room.predict(student.token, question.options[option])
    room.predict(students[1].token, question.options[2])  # a change of mind counts once
    assert room.predicted == 5
    assert list(room.predictions().values()) == [2, 1, 2]
    with pytest.raises(ClassError, match="must be one of"):
        room.predict(students[0].token, "Something else")
    with pytest.raises(ClassError, match="not in this class"):
        room.predict("stranger", question.options[0])
    room.reveal(measure(LESSONS[0], question, question.seed))
    with pytest.raises(ClassError, match="closed"):
        room.predict(students[0].token, question.options[1])
    room.ask(question_for(LESSONS[1]))  # a new question starts afresh
    assert room.predicted == 0 and room.outcome is None


def test_subscribers_hear_of_every_change_until_they_unsubscribe():
    room = Registry().open()
    heard = []
    done = threading.Event()

    def listener():
        heard.append(room.version)
        done.set()
    unsubscribe = room.subscribe(listener)
    room.join("a")
    assert done.wait(5) and heard[-1] >= 1
    unsubscribe()
    before = len(heard)
    room.join("b")
    time.sleep(0.3)
    assert len(heard) == before and room.listeners == 0


def test_a_failing_subscriber_does_not_stop_the_others():
    room = Registry().open()
    done = threading.Event()

    def broken():
        raise RuntimeError("a closed tab")
    room.subscribe(broken)
    room.subscribe(done.set)
    room.join("a")
    assert done.wait(5)


# --- the question and its outcome ----------------------------------------------------------------

@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.key)
def test_every_lesson_has_a_question_the_class_can_answer_by_choosing(lesson):
    question = question_for(lesson)
    assert question is not None and question.key == lesson.key
    assert question.text.endswith("?") and "_" not in question.text
    assert len(set(question.options)) == len(question.options) in (2, 3)
    if len(question.options) == 3:
        assert question.options[1] == SAME and len(question.sides) == 2
    else:
        assert question.options == (ABOVE_ZERO, BELOW_ZERO)


def test_the_options_follow_the_lessons_order_not_the_promise():
    """The first option is not always the one the lesson promises (the options would give the
    answer away)."""
    promised_first = []
    for lesson in LESSONS:
        question = question_for(lesson)
        effect = next(e for e in lesson.effects if e.more is not None and e.less is not None
                      and e.more.minus is None and e.less.minus is None)
        first = question.sides[0]
        promised_first.append((first.scenario, first.stage, first.start) ==
                              (effect.more.scenario, effect.more.stage, effect.more.start))
    assert any(promised_first) and not all(promised_first)


def test_the_verdict_reads_the_values():
    question = question_for(LESSONS[0])
    assert question.verdict((1.0, 0.5)) == question.options[0]
    assert question.verdict((0.5, 1.0)) == question.options[2]
    assert question.verdict((1.0, 0.97)) == SAME
    assert question.verdict((1.0, 0.94)) == question.options[0]


def test_the_outcome_is_the_run_on_the_teachers_screen():
    """Measured headless, the outcome equals what the dashboard's own session shows for the
    lesson's setup after its weeks."""
    lesson = next(x for x in LESSONS if x.key == "matthew")
    question = question_for(lesson)
    outcome = measure(lesson, question, question.seed)
    settings, _ = apply_setup(Settings(), lesson.setup)
    session = Session(settings)
    try:
        session.step(lesson.weeks)
        by_scenario = {run.scenario: run.series()[question.metric] for run in session.runs}
    finally:
        session.close()
    for side, value in zip(question.sides, outcome.values, strict=True):
        assert value == pytest.approx(float(np.mean(by_scenario[side.scenario][side.start:
                                                                               side.stop])))
    assert outcome.verdict == question.verdict(outcome.values)


def test_a_students_seed_gives_a_run_of_its_own():
    lesson = LESSONS[0]
    question = question_for(lesson)
    a, b = measure(lesson, question, 101), measure(lesson, question, 102)
    assert a.values != b.values and a.seed == 101
    assert measure(lesson, question, 101).values == a.values  # reproducible


def test_the_sample_queue_runs_each_students_seed_once():
    room = Registry().open()
    lesson = LESSONS[0]
    question = question_for(lesson)
    room.ask(question)
    students = [room.join(f"s{i}") for i in range(3)]
    queue = SampleQueue()
    for student in students:
        queue.submit(room, student.token, lesson, question)
        queue.submit(room, student.token, lesson, question)  # a second press does nothing
    deadline = time.monotonic() + 60
    while len(room.samples()) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    samples = room.samples()
    assert [s.number for s, _ in samples] == [1, 2, 3]
    assert [r["seed"] for _, r in samples] == [s.seed for s in students]
    assert len({tuple(r["values"]) for _, r in samples}) == 3
    for _, result in samples:
        assert result["verdict"] == question.verdict(tuple(result["values"]))


# --- the join address and its QR code ------------------------------------------------------------

def test_the_join_address_keeps_the_teachers_host_and_port():
    address, note = join_address("K7Q9X", "192.168.10.4:8765")
    assert address == "http://192.168.10.4:8765/join?code=K7Q9X" and note is None
    assert join_address("K7Q9X", "class.example.org")[0] == "http://class.example.org/join?code=K7Q9X"


def test_a_loopback_address_is_never_given_to_students_without_a_note():
    address, note = join_address("K7Q9X", "127.0.0.1:8765")
    assert address.endswith(":8765/join?code=K7Q9X")
    assert note is not None
    host = split_host(address.split("//")[1].split("/")[0])[0]
    assert not is_loopback(host) or "no network address" in note


def test_the_qr_code_is_drawn_here_as_svg():
    svg = qr_svg("http://192.168.10.4:8765/join?code=K7Q9X")
    assert svg.startswith("<svg") and "</svg>" in svg
    assert "href" not in svg  # nothing fetched from anywhere
    import segno

    qr = segno.make("http://192.168.10.4:8765/join?code=K7Q9X", error="m", micro=False)
    assert qr.designator.endswith("M")


# --- role-play in the real model -----------------------------------------------------------------

needs_choices = pytest.mark.skipif(
    not rp.supports_roleplay(CoproductionModel(params=Params.preset("coproduction",
                                                                    n_citizens=20), seed=0)),
    reason="the model has no human_choices yet (role-play waits for it)")


def class_of(n: int):
    room = Registry().open()
    for i in range(n):
        room.join(f"student {i + 1}")
    return room


@needs_choices
def test_roles_are_distinct_agents_spread_over_resources():
    room = class_of(30)
    play = rp.RolePlay.start("coproduction", 1, room.roster(), staff_roles=5)
    try:
        roles = list(play.roles.values())
        citizens = [r.index for r in roles if r.kind == rp.CITIZEN]
        staff = [r.index for r in roles if r.kind == rp.STAFF]
        assert len(staff) == 5 and len(set(staff)) == 5 and len(citizens) == 25
        assert len(set(citizens)) == 25
        resources = np.asarray(play.model.citizen_state["resources"])
        ranks = np.argsort(np.argsort(resources))[citizens] / len(resources)
        assert ranks.min() < 0.2 and ranks.max() > 0.8  # rich and poor citizens are played
        late = room.join("late")
        play.add_student(late)
        assert play.roles[late.token].kind == rp.CITIZEN
        assert play.roles[late.token].index not in citizens
    finally:
        play.close()


@needs_choices
def test_a_students_choice_goes_into_the_model_and_holds_until_changed():
    room = class_of(6)
    play = rp.RolePlay.start("coproduction", 3, room.roster(), staff_roles=1,
                             weeks_per_round=5, rounds=4)
    try:
        tokens = list(play.roles)
        citizens = [t for t in tokens if play.roles[t].kind == rp.CITIZEN]
        staff = [t for t in tokens if play.roles[t].kind == rp.STAFF]
        refuser, joiner = citizens[0], citizens[1]
        play.choose(refuser, "take_part", False)
        play.choose(joiner, "take_part", True)
        play.choose(staff[0], "invite", True)
        with pytest.raises(ValueError, match="a citizen chooses take_part or volunteer"):
            play.choose(refuser, "invite", True)
        play.next_round()
        play.next_round()
        model = play.model
        assert model.human_choices.take_part[play.roles[refuser].index] is False
        logged = {(kind, index, value) for _, kind, index, value in play.decisions()}
        assert ("invite", play.roles[staff[0]].index, True) in logged
        refuser_rows = [r for r in play.rows if r["student"] == play.names[refuser]]
        assert len(refuser_rows) == 10 and all(r["took_part"] == "no" for r in refuser_rows)
        assert all(r["take_part"] == "no" for r in refuser_rows)
        # every week the joiner asked for help, they took part (the model logs those weeks)
        asked = {step for step, kind, index, _ in play.decisions()
                 if kind == "take_part" and index == play.roles[joiner].index}
        joiner_rows = {r["week"]: r for r in play.rows if r["student"] == play.names[joiner]}
        for step in asked:
            assert joiner_rows[step + 1]["took_part"] == "yes"
        del play.choices[joiner]["take_part"]  # withdrawn: simulated again
        play.next_round()
        assert play.roles[joiner].index not in model.human_choices.take_part
        assert play.round == 3 and not play.ended
        play.next_round()
        assert play.last_round_played and not play.ended  # four rounds were set
        with pytest.raises(ValueError, match="all 4 rounds are played"):
            play.next_round()
        play.end()
        with pytest.raises(ValueError, match="ended"):
            play.next_round()
    finally:
        play.close()


@needs_choices
def test_the_summary_and_the_csv_hold_the_class_beside_the_simulated_agents():
    room = class_of(8)
    play = rp.RolePlay.start("coproduction", 2, room.roster(), staff_roles=2, weeks_per_round=3)
    try:
        for token, role in play.roles.items():
            if role.kind == rp.CITIZEN:
                play.choose(token, "take_part", True)
                play.choose(token, "volunteer", True)
            else:
                play.choose(token, "invite", False)
        for _ in range(3):
            play.next_round()
        summary = {what: (ours, theirs) for what, ours, theirs in play.summary()}
        assert summary["Citizens: chose to take part (of the weeks they chose)"][0] == "100%"
        assert "Staff: invited input (share of weeks chosen)" in summary
        assert summary["Staff: invited input (share of weeks chosen)"][0] == "0%"
        text = play.csv()
        lines = text.splitlines()
        header = lines[1].split(",")
        assert header[:9] == ["round", "week", "who", "student", "role", "agent", "take_part",
                              "volunteer", "invite"]
        students = [line for line in lines[2:] if line.split(",")[2:3] == ["student"]]
        assert len(students) == 8 * 9  # 8 players, 9 weeks
        assert sum("simulated citizens (mean)" in line for line in lines) == 9
        assert "# the model's log of the choices it applied" in text
        log_start = lines.index("# the model's log of the choices it applied")
        assert lines[log_start + 1] == "week,kind,agent,value"
        assert len(lines) - log_start - 2 == len(play.decisions()) > 0
        from coprosim.dashboards.classroom.charts import roleplay_chart_png

        assert roleplay_chart_png(play.rows, play.simulated).startswith(b"\x89PNG")
    finally:
        play.close()


@needs_choices
def test_a_role_play_is_reproducible():
    def played():
        room = class_of(5)
        play = rp.RolePlay.start("npm", 4, room.roster(), staff_roles=1, weeks_per_round=2)
        for token, role in play.roles.items():
            play.choose(token, *(("take_part", False) if role.kind == rp.CITIZEN
                                 else ("invite", True)))
        for _ in range(3):
            play.next_round()
        rows = [dataclasses.asdict(r) for r in play.roles.values()], \
            [{k: v for k, v in row.items() if k != "student"} for row in play.rows]
        play.close()
        return rows
    assert played() == played()


def test_spread_order_visits_every_position_once_middle_first():
    for n in (1, 2, 7, 400):
        order = rp.spread_order(n)
        assert sorted(order) == list(range(n))
    assert rp.spread_order(400)[0] == 200
