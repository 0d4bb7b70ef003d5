"""End background jobs cleanly when the process is asked to end, so that a training that was
running is recorded as "stopped" (with the weights learned so far) instead of being cut off
and read later as "interrupted" (cvlib.runs).

Nothing is installed at import. An entry point calls one of these once:

* :func:`stop_jobs_on_sigterm` from the main thread of a script or command line that runs
  jobs (``kill <pid>`` / a service manager's stop then records the runs as stopped);
* :func:`stop_jobs_at_exit` from a Streamlit app (its script thread cannot install signal
  handlers; Streamlit's own SIGTERM handler stops the server, and Python then runs the exit
  hooks before it ends the job threads).

SIGKILL (``kill -9``, the out-of-memory killer, a power cut) cannot be caught: the run
stays "running" on disk and every reader shows it as "interrupted" (cvlib.runs); the files
it wrote before are whole, because each is written to a temporary file and renamed.
"""

from __future__ import annotations

import atexit
import signal
import threading
import time

from cvlib import CVLibError

SERVER_STOPPED = "the server was stopped"
DEFAULT_WAIT = 10.0          # seconds for the running jobs to save their runs


def stop_all_jobs(wait: float = DEFAULT_WAIT, reason: str = SERVER_STOPPED) -> int:
    """Stop every job of this process's queue (waiting ones leave it, running ones stop
    after their current batch and save their run) and wait up to ``wait`` seconds in all.

    Returns:
        How many jobs had not ended when the time was up (0: all saved).
    """
    from cvlib import jobs
    try:
        queue = jobs.job_queue()
    except CVLibError:        # a bad queue setting: there never was a queue to stop
        return 0
    pending = [*queue.waiting_jobs(), *queue.running_jobs()]
    for job in pending:
        job.stop(reason=reason, timeout=0)
    deadline = time.monotonic() + max(0.0, float(wait))
    return sum(not job.join(max(0.0, deadline - time.monotonic())) for job in pending)


def stop_jobs_on_sigterm(wait: float = DEFAULT_WAIT) -> None:
    """On SIGTERM, :func:`stop_all_jobs` (up to ``wait`` s), then do what was done before:
    call the previous Python handler, or exit with status 143 (128 + SIGTERM) when there
    was none, or go on when SIGTERM was ignored.

    Raises:
        ValueError: not called from the main thread (Python's rule for signal handlers).
    """
    if threading.current_thread() is not threading.main_thread():
        raise ValueError("stop_jobs_on_sigterm must be called from the main thread.")
    previous = signal.getsignal(signal.SIGTERM)

    def handler(signum, frame):
        stop_all_jobs(wait)
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


_AT_EXIT = threading.Lock()
_registered = False


def stop_jobs_at_exit(wait: float = DEFAULT_WAIT) -> None:
    """When the interpreter exits normally (including a Streamlit server stopped by
    SIGTERM or Ctrl-C), :func:`stop_all_jobs` first. Safe to call from any thread and any
    number of times: the hook is registered once."""
    global _registered
    with _AT_EXIT:
        if not _registered:
            atexit.register(stop_all_jobs, wait)
            _registered = True
