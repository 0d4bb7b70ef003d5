"""Recognize page in Chromium: a real upload through the file input, a drawn stroke."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tests.e2e.conftest import MAIN, draw_seven, screenshot, wait_ready

pytestmark = pytest.mark.e2e


def open_page(app, page):
    page.set_viewport_size({"width": 1400, "height": 2400})
    page.goto(app.url + "/recognize")
    wait_ready(page)
    page.get_by_text("Recognize an image").first.wait_for()
    # the default sample is classified first (cold server: TensorFlow, the model, tracing)
    page.get_by_text("Grad-CAM on the original").first.wait_for(timeout=120_000)
    wait_ready(page)


def a_digit(tmp_path) -> str:
    """A digit drawn with a marker on white, saved as a JPEG upload."""
    im = Image.new("RGB", (200, 200), "white")
    ImageDraw.Draw(im).line([(50, 40), (150, 40), (90, 170)], fill="black", width=14)
    path = tmp_path / "seven.jpg"
    im.save(path)
    return str(path)


def a_photo(tmp_path) -> str:
    """A real photo from ../shared/data when there is one, else a drawn digit file."""
    photo = Path(os.environ.get("CVLIB_DATA_DIR", "/nonexistent")) / "photos" / "kitten.jpg"
    if photo.exists():
        return str(photo)
    im = Image.new("RGB", (200, 200), "white")
    ImageDraw.Draw(im).line([(50, 40), (150, 40), (90, 170)], fill="black", width=14)
    path = tmp_path / "seven.jpg"
    im.save(path)
    return str(path)


def test_upload_shows_topk_chart_and_grad_cam(app, page, tmp_path):
    open_page(app, page)
    MAIN(page).get_by_text("Upload", exact=True).first.click()
    page.get_by_text("Upload one or more images").first.wait_for()
    # a digit for the digit model (a photo has no ink stroke for it to read: it says so
    # instead of answering); the same upload then goes to the photo model
    MAIN(page).locator('input[type="file"]').set_input_files(a_digit(tmp_path))
    try:
        page.get_by_text("Grad-CAM on the original").first.wait_for(timeout=90_000)
    finally:
        screenshot(page, "recognize_upload")
    wait_ready(page)
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= 1
    assert page.get_by_text("Model call:").count() >= 1
    imgs = page.locator('[data-testid="stImage"] img')
    assert imgs.count() >= 4
    screenshot(page, "recognize_upload")
    # the same upload through the photo model: it answers from its surest view
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="cifar_cnn", exact=False).first.click()
    try:
        page.get_by_text("zoomed crops (each also mirrored)").first.wait_for(timeout=90_000)
    finally:
        screenshot(page, "recognize_upload_cifar")
    wait_ready(page)
    assert page.get_by_text("knows only the 10 CIFAR-10 classes").count() >= 1
    # "Class to explain" follows the new answer (it kept the digit model's "4" once)
    chosen = page.get_by_role("combobox", name="Class to explain").first.input_value()
    assert re.fullmatch(r"(airplane|automobile|bird|cat|deer|dog|frog|horse|ship|truck) "
                        r"\(\d+\.\d%\)", chosen), chosen


def test_broken_upload_is_one_plain_error(app, page, tmp_path):
    open_page(app, page)
    MAIN(page).get_by_text("Upload", exact=True).first.click()
    page.get_by_text("Upload one or more images").first.wait_for()
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    MAIN(page).locator('input[type="file"]').set_input_files(str(bad))
    page.locator('[data-testid="stAlertContentError"]').first.wait_for(timeout=60_000)
    text = page.locator('[data-testid="stAlertContentError"]').first.inner_text()
    assert "broken.png" in text and "Traceback" not in page.content()


def _open_canvas(app, page):
    open_page(app, page)
    page.get_by_text("Draw", exact=True).first.click()
    wait_ready(page)
    page.get_by_text("Draw something on the canvas").first.wait_for()


def test_drawing_a_stroke_is_classified(app, page):
    # In 2 of 5 full CI runs on the loaded 2-core machine the canvas component did not
    # mount on the first load (an empty frame, no toolbar, strokes ignored); a reload
    # mounted it. A user would reload too, so the test does, up to three loads, and keeps
    # a screenshot of each miss. Seen only under load; the cause is not found yet.
    for attempt in range(3):
        _open_canvas(app, page)
        draw_seven(page)
        try:
            page.get_by_text("Grad-CAM on the original").nth(0).wait_for(timeout=40_000)
            if page.get_by_text("Draw something on the canvas").count() == 0:
                break
        except Exception:
            pass
        screenshot(page, f"recognize_drawn_miss{attempt + 1}")
        assert attempt < 2, "the drawing was never classified (see the miss screenshots)"
    wait_ready(page)
    assert page.get_by_text("Draw something on the canvas").count() == 0
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= 1
    screenshot(page, "recognize_drawn")


@pytest.fixture
def camera_page(browser):
    """A page allowed to use the camera: Chromium's fake device (see conftest.browser)."""
    context = browser.new_context(viewport={"width": 1400, "height": 2400},
                                  permissions=["camera"])
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def test_camera_photo_is_classified(app, camera_page):
    page = camera_page
    open_page(app, page)
    page.get_by_text("Camera", exact=True).first.click()
    page.get_by_text("Allow the browser to use the camera").first.wait_for()
    take = page.get_by_role("button", name="Take Photo")
    take.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)            # let the fake stream deliver frames
    take.click()
    try:
        page.get_by_text("Original: camera.jpg").first.wait_for(timeout=90_000)
    finally:
        screenshot(page, "recognize_camera")
    wait_ready(page)
    assert page.get_by_text("Allow the browser to use the camera").count() == 0
    assert page.get_by_text("Grad-CAM on the original").count() >= 1
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= 1
