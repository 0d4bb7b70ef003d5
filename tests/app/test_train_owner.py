"""Runs belong to the browser that made them (issue 15, part 2): two sessions, each with its
own private id, see and delete only their own runs; the teacher view lists every run with
the configured password, refuses a wrong one, and is off without a password."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.app.helpers import open_page, texts
from tests.e2e.fake_runs import fake_run
from ui.owner import COOKIE_SENT, OWNER_STATE, PASSWORD_ENV

RUN_A, RUN_B, SHARED = "20200101-100000-aaaa", "20200101-110000-bbbb", "20200101-090000-cccc"
PASSWORD = "correct horse battery staple"


def _listed(at) -> list[str]:
    """Run ids in the runs table (and the results box: the same ones)."""
    table = at.dataframe[-1].value
    ids = list(table["run"])
    options = [o.split(" · ")[0] for o in at.selectbox(key="result_run").options]
    assert sorted(options) == sorted(ids)
    return ids


def _everything_shown(at) -> str:
    parts = [texts(at), *(str(d.value.to_dict()) for d in at.dataframe),
             *(str(s.options) for s in at.selectbox), *(b.label for b in at.button)]
    return "\n".join(parts)


@pytest.fixture
def two_browsers(monkeypatch):
    """Two sessions (two browsers), each with one run of its own, and one shared run."""
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    runs = Path(os.environ["CVLAB_RUNS_DIR"])
    a, b = open_page("pages/train.py"), open_page("pages/train.py")
    key_a, key_b = a.session_state[OWNER_STATE], b.session_state[OWNER_STATE]
    assert key_a != key_b
    fake_run(runs, RUN_A, 1, epochs=1, owner=key_a)
    fake_run(runs, RUN_B, 2, epochs=2, owner=key_b)
    fake_run(runs, SHARED, 1, epochs=1)           # made outside the app: no owner
    a.run()
    b.run()
    assert not a.exception and not b.exception
    return a, b, runs


def test_each_browser_sees_and_deletes_only_its_own_runs(two_browsers):
    a, b, runs = two_browsers
    assert sorted(_listed(a)) == [SHARED, RUN_A] and sorted(_listed(b)) == [SHARED, RUN_B]
    # the private ids do not leak: neither id, nor its owner key, shows on the other's page
    for me, other in ((a, b), (b, a)):
        shown = _everything_shown(other)
        assert me.session_state[COOKIE_SENT] not in shown
        assert me.session_state[OWNER_STATE] not in shown
    # nothing on A's page acts on B's run (the results box offers only A's and shared runs)
    assert a.selectbox(key="result_run").value == RUN_A
    assert not [w for w in a.button if w.key and RUN_B in w.key]
    # A deletes its own run (asked first); B's run and the shared one stay
    a.button(key=f"del_{RUN_A}").click().run()
    a.button(key=f"del_yes_{RUN_A}").click().run()
    assert not a.exception
    assert not (runs / RUN_A).exists() and (runs / RUN_B).exists()
    assert _listed(a) == [SHARED]
    # the shared run can be looked at but not deleted by a student
    assert a.selectbox(key="result_run").value == SHARED
    assert not [w for w in a.button if w.key == f"del_{SHARED}"]
    assert "only the teacher view can delete it" in texts(a)
    b.run()
    assert sorted(_listed(b)) == [SHARED, RUN_B]


def test_teacher_view_needs_the_password(two_browsers, monkeypatch):
    a, b, runs = two_browsers
    assert not [w for w in a.text_input if w.key == "teacher_pw"]    # no password: off
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    a.run()
    a.text_input(key="teacher_pw").input("correct horse").run()        # wrong
    assert not a.exception
    assert "Wrong password." in texts(a)
    assert sorted(_listed(a)) == [SHARED, RUN_A]
    assert a.text_input(key="teacher_pw").value == ""                  # never kept
    a.text_input(key="teacher_pw").input(PASSWORD).run()
    assert not a.exception
    assert sorted(_listed(a)) == [SHARED, RUN_A, RUN_B]
    table = a.dataframe[-1].value
    browsers = dict(zip(table["run"], table["browser"]))
    assert browsers[SHARED] == "shared" and browsers[RUN_A] != browsers[RUN_B]
    assert PASSWORD not in _everything_shown(a)
    # the teacher can delete another browser's run
    a.selectbox(key="result_run").set_value(RUN_B).run()
    a.button(key=f"del_{RUN_B}").click().run()
    a.button(key=f"del_yes_{RUN_B}").click().run()
    assert not (runs / RUN_B).exists()
    # the other session is not in the teacher view
    b.run()
    assert _listed(b) == [SHARED]
    a.button(key="teacher_pw_leave").click().run()
    assert sorted(_listed(a)) == [SHARED, RUN_A]


def test_too_many_wrong_passwords_lock_the_box(two_browsers, monkeypatch):
    a, _, _ = two_browsers
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    a.run()
    for i in range(5):
        a.text_input(key="teacher_pw").input(f"guess {i}").run()
    assert not [w for w in a.text_input if w.key == "teacher_pw"]
    assert "Too many wrong passwords" in texts(a)
    assert sorted(_listed(a)) == [SHARED, RUN_A]
