"""Shared test set-up: every test writes its runs into a temporary folder, never ~/.cvlab.

Missing preconditions (a shipped model, the full data under ``$CVLIB_DATA_DIR``, real
photos, Chromium) skip a test on a developer's machine, with the reason; under CI (the
``CI`` environment variable set, as `.ci/run` runs) they make it FAIL, because CI always
has them. Use ``skip_or_fail(reason)`` inside a test or fixture, or the marker
``@pytest.mark.needs(condition, reason="...")`` where a ``skipif`` would go; under CI any
other skip fails as well.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def skip_or_fail(reason: str):
    """Skip this test because something it needs is missing here, or fail under CI."""
    if in_ci():
        pytest.fail(f"CI must not skip this test: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "needs(condition, reason): skip (fail under CI) unless condition is true")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI, any other skip (a plain ``pytest.skip``, ``skipif``, ``importorskip``) is a
    failure too: CI has everything, so a skip there hides a broken precondition."""
    outcome = yield
    report = outcome.get_result()
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"CI must not skip this test: {reason}"


def pytest_runtest_setup(item):
    for mark in item.iter_markers("needs"):
        if not mark.args[0]:
            skip_or_fail(mark.kwargs.get("reason") or (mark.args[1:] or ["a precondition"])[0])


@pytest.fixture(autouse=True)
def _isolated_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("CVLAB_RUNS_DIR", str(tmp_path / "runs"))
    yield
