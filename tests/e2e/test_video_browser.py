"""Video page in Chromium: upload a clip, run the timeline job, scrub to a frame, download
the per-frame CSV; the real traffic clip decodes end to end."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from cvlib import zoo
from tests.conftest import skip_or_fail
from tests.e2e.conftest import screenshot, wait_ready

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.needs(zoo.status("mnist_cnn") == "shipped", reason="mnist_cnn is not shipped"),
]

CAR = Path(os.environ.get("CVLIB_DATA_DIR") or Path(__file__).resolve().parents[3] /
           "shared" / "data") / "video" / "car-detection.mp4"


def upload(app, page, path: Path):
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.goto(app.url + "/video")
    wait_ready(page)
    page.get_by_text("Video: frames, motion").first.wait_for()
    page.get_by_text("upload a clip").first.click()
    wait_ready(page)
    page.locator('[data-testid="stFileUploaderDropzone"] input[type="file"]').set_input_files(
        str(path))
    wait_ready(page)


def test_upload_timeline_scrub_and_csv(app, page, tmp_path):
    from cvlib.video import sample_clip
    data, truth = sample_clip("moving_digit", seed=2)
    clip = tmp_path / "digit.mp4"
    clip.write_bytes(data)
    upload(app, page, clip)
    page.get_by_text("20 frames · 128×128 px").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Analyse").click()
    button = page.get_by_role("button", name="Download per-frame CSV")
    try:
        button.wait_for(timeout=120_000)            # cold server: TensorFlow + the model
        page.locator('[data-testid="stPlotlyChart"]').first.wait_for()
        wait_ready(page)
        # scrub: move the frame slider's thumb 5 steps to the right
        thumb = page.locator('[data-testid="stSlider"]').filter(
            has_text="Frame (scrub)").get_by_role("slider")
        thumb.focus()
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        wait_ready(page)
        page.get_by_text("5 · 0.50 s").first.wait_for()
    finally:
        screenshot(page, "video_timeline")
    with page.expect_download() as d:
        button.click()
    rows = list(csv.DictReader(io.StringIO(Path(d.value.path()).read_text("utf-8-sig"))))
    assert d.value.suggested_filename == "timeline.csv"
    assert len(rows) == 20 and rows[1]["time_s"] == "0.1"
    digit = str(truth["digit"][0])
    assert sum(r["top1"] == digit for r in rows) >= 15


def test_real_traffic_clip_decodes(app, page):
    if not CAR.exists():
        skip_or_fail(f"the shared clip {CAR} is not on this machine")
    upload(app, page, CAR)
    try:
        page.get_by_text("377 frames · 768×432 px").first.wait_for(timeout=60_000)
        page.get_by_role("tab", name="Motion").click()
        page.get_by_text("Fastest motion here").first.wait_for(timeout=60_000)
        # moving objects by background subtraction: the 4 cars of the clip, 4 track ids
        page.get_by_text("4 track ids in the clip (4 lasting").first.wait_for(timeout=60_000)
    finally:
        screenshot(page, "video_car")
