"""The one job panel every page uses for long work: Start / Stop, the place in the queue,
the progress fragment (epoch, batch, images/s, ETA) and one rerun when the job ends.

A page gives a slot name (its session keys are derived from it) and a function that
creates the job (any :class:`cvlib.jobs.BackgroundJob`); the panel does the rest::

    panel = JobPanel("train", start_label=t("start"))
    panel.buttons(lambda: TrainingJob(config, store=store), disabled=config is None)
    panel.progress()                       # a fragment, polling while the job runs
    panel.live(draw_curves, every=1.0)     # optional: a page's own live figure

Heavy jobs wait their turn in the server's FIFO queue (:class:`cvlib.jobs.JobQueue`, a
few workers per process): a Start while the workers are busy shows the job's place in the
queue and when it should start, the Stop button then reads "Leave the queue", and the job
starts by itself when its turn comes (the page reruns once then). The job lives in the
session, not in a page run: the user can visit other pages meanwhile. It is tied to the
browser tab that started it (:func:`ui.jobs.watch_session`): closing the tab takes it out
of the queue, or stops it and keeps what was learned.
"""

from __future__ import annotations

import math
from typing import Callable

import streamlit as st

from ui.i18n import t
from ui.models import user_message


def fmt_eta(seconds: float | None) -> str:
    """Seconds -> "m:ss" ("–" when unknown)."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


class JobPanel:
    """Start / Stop / progress for this session's job in ``slot``.

    Args:
        slot: a short name; session keys ``<slot>_job``, ``<slot>_notice``,
            ``<slot>_shown_done``, ``<slot>_was_queued`` and widget keys ``<slot>_start`` /
            ``<slot>_stop``.
        poll: seconds between progress refreshes while the job runs.
        on_started: called with the new job (e.g. to make the results follow it).
        describe: ``describe(snapshot) -> (fraction 0-1, text)`` for jobs whose snapshot
            is not epoch-based (video frames, ...); default: epoch, batch, images/s, ETA.
        ended: ``ended(snapshot) -> bool``; default ``snapshot.done``.
    """

    def __init__(self, slot: str, poll: float = 0.5,
                 on_started: Callable | None = None, describe: Callable | None = None,
                 ended: Callable | None = None):
        self.slot = slot
        self.poll = poll
        self.on_started = on_started
        self.describe = describe
        self.ended = ended or (lambda snap: bool(snap.done))

    # --- state ---------------------------------------------------------------------
    @property
    def job(self):
        return st.session_state.get(f"{self.slot}_job")

    @property
    def running(self) -> bool:
        job = self.job
        return job is not None and job.running

    def _notice(self, kind: str, text: str) -> None:
        st.session_state[f"{self.slot}_notice"] = (kind, text)

    # --- actions -------------------------------------------------------------------
    def start(self, make_job: Callable) -> None:
        """Start ``make_job()`` (it runs now or waits in the server's queue) unless this
        session's job in this slot has not ended yet."""
        from ui.jobs import watch_session
        if self.running:
            self._notice("warning", t("busy_self_queued" if self.job.queued else "busy_self"))
            return
        try:
            job = make_job().start()
        except Exception as exc:  # noqa: BLE001 - a bad setting must not become a traceback
            self._notice("error", t("job_failed", err=user_message(exc)))
            return
        st.session_state[f"{self.slot}_job"] = job
        st.session_state.pop(f"{self.slot}_notice", None)
        if self.on_started is not None:
            self.on_started(job)
        watch_session(job)

    def stop(self) -> None:
        job = self.job
        if job is not None and job.running:
            job.stop()

    # --- drawing -------------------------------------------------------------------
    def buttons(self, make_job: Callable | None, start_label: str | None = None,
                stop_label: str | None = None, disabled: bool = False,
                places=None) -> None:
        """The Start and Stop buttons side by side (or in ``places``, two containers of
        the page's own layout), then any busy notice."""
        a, b = places if places is not None else st.columns([1, 1, 4])[:2]
        a.button(start_label or t("start"), type="primary", key=f"{self.slot}_start",
                 on_click=self.start, args=(make_job,),
                 disabled=disabled or make_job is None, icon=":material/play_arrow:")
        queued = self.running and self.job.queued
        b.button(t("leave_queue") if queued else (stop_label or t("stop")),
                 key=f"{self.slot}_stop", on_click=self.stop,
                 disabled=not self.running, icon=":material/stop:")
        notice = st.session_state.get(f"{self.slot}_notice")
        if notice:
            getattr(st, notice[0])(notice[1])
        elif not self.running:
            self.server_load()

    @staticmethod
    def server_load() -> None:
        """A caption saying how busy the server's job queue is, when it is (so a Start is
        expected to wait); nothing when a worker is free."""
        from cvlib import CVLibError
        from cvlib.jobs import job_queue
        try:
            queue = job_queue()
        except CVLibError:
            return                      # a bad setting: Start will say what
        running, waiting = len(queue.running_jobs()), len(queue.waiting_jobs())
        if running >= queue.workers:
            st.caption(t("server_busy", running=running, waiting=waiting))

    def queue_body(self, snap) -> bool:
        """While the job waits: its place in the queue and estimated start (True). When it
        has just left the queue, rerun the page once (its buttons and figures follow)."""
        job, key = self.job, f"{self.slot}_was_queued"
        if snap.status == "queued":
            st.session_state[key] = job
            eta = t("queued_eta", eta=fmt_eta(snap.starts_in)) \
                if snap.starts_in is not None else t("queued_eta_unknown")
            st.progress(0.0, text=f"{t('status_queued')} · " + t(
                "queued_text", position=snap.position, eta=eta))
            st.caption(t("queued_help"))
            return True
        if st.session_state.get(key) is job and job is not None:
            st.session_state.pop(key)
            if snap.status != "cancelled":
                st.rerun()
        if snap.status == "cancelled":
            st.info(t("cancelled_note", reason=t_reason(snap.reason)))
            self.rerun_when_done(snap)
            return True
        return False

    def progress_body(self, title: str | None = None) -> None:
        """Progress bar and status (the fragment's body; tests call it directly)."""
        job = self.job
        if job is None:
            return
        snap = job.snapshot()
        if title:
            st.subheader(title)
        if self.queue_body(snap):
            return
        status = t(f"status_{snap.status}") if snap.status else ""
        if self.describe is not None:
            fraction, text = self.describe(snap)
            st.progress(min(1.0, max(0.0, float(fraction))), text=f"{status} · {text}")
        elif snap.status == "pending" or (snap.status == "running" and snap.epoch == 0):
            st.progress(0.0, text=t("loading"))
        else:
            st.progress(min(1.0, max(0.0, float(snap.fraction))), text=f"{status} · " + t(
                "progress_text", epoch=max(snap.epoch, 1), epochs=snap.epochs,
                batch=snap.batch, batches=snap.steps_per_epoch, ips=snap.images_per_second,
                eta=fmt_eta(None if snap.done else snap.eta_seconds)))
        if snap.status == "failed":
            exc = getattr(job, "exception", None)
            st.error(t("job_failed", err=user_message(exc) if exc is not None else snap.error))
        elif snap.status == "stopped":
            st.info(t("stopped_note", reason=t_reason(snap.reason)))
        self.rerun_when_done(snap)

    def rerun_when_done(self, snap) -> None:
        """Rerun the whole page once when the job has ended, so its results appear."""
        job = self.job
        key = f"{self.slot}_shown_done"
        if snap is not None and self.ended(snap) and st.session_state.get(key) is not job:
            st.session_state[key] = job
            st.rerun()

    def progress(self, title: str | None = None) -> None:
        """:meth:`progress_body` in a fragment that polls while the job runs."""
        st.fragment(lambda: self.progress_body(title),
                    run_every=self.poll if self.running else None)()

    def live(self, body: Callable, every: float = 1.0) -> None:
        """A page's own live figure, redrawn every ``every`` seconds while the job runs."""
        st.fragment(body, run_every=every if self.running else None)()


REASONS = {"stopped by the user": "reason_user", "browser tab closed": "reason_tab_closed",
           "the server was stopped": "reason_server_stopped"}   # cvlib.shutdown


def t_reason(reason: str) -> str:
    """A job's stop reason in the UI language (unknown reasons are shown as they are)."""
    key = REASONS.get(reason)
    return t(key) if key else reason
