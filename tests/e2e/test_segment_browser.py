"""Segment page in Chromium: upload a photo, move the opacity and score-threshold sliders,
upload a true mask (IoU, Dice, the disagreement picture), download the mask as a PNG of
class indices; screenshots in English and 中文 go to test-artifacts/."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cvlib import classical, zoo
from tests.e2e.conftest import draw_seven, screenshot, wait_ready

pytestmark = [pytest.mark.e2e, pytest.mark.needs(
    zoo.status("digit_segmenter") == "shipped",
    reason="digit_segmenter is not in models/: train it with `python -m cvlib train "
           "--task segment ... --save digit_segmenter`")]


def slider_value(page, label: str) -> float:
    thumb = page.locator(f'input[type="range"][aria-label="{label}"]').first
    thumb.wait_for(state="attached")
    return float(thumb.input_value())


def move_slider(page, label: str, key: str, times: int):
    thumb = page.locator(f'input[type="range"][aria-label="{label}"]').first
    thumb.focus()
    for _ in range(times):
        thumb.press(key)
    wait_ready(page)


def uploader(page, label: str):
    return page.locator('[data-testid="stFileUploader"]').filter(has_text=label) \
        .locator('input[type="file"]').first


def test_upload_sliders_true_mask_and_mask_download(app, page, tmp_path):
    photo = tmp_path / "astronaut.png"
    Image.fromarray(classical.sample_photo("astronaut")).save(photo)      # 512 x 512
    truth = np.zeros((512, 512), np.uint8)
    truth[40:480, 120:420] = 255                                          # black and white
    truth_path = tmp_path / "truth.png"
    Image.fromarray(truth).save(truth_path)

    page.set_viewport_size({"width": 1400, "height": 1800})
    page.goto(app.url + "/segment")
    wait_ready(page)
    page.get_by_text("Segment and detect").first.wait_for()
    page.get_by_text("Upload", exact=True).first.click()
    uploader(page, "Upload pictures").set_input_files(str(photo))
    page.get_by_text("Classes and their area").first.wait_for(timeout=120_000)
    wait_ready(page)

    assert slider_value(page, "Overlay opacity") == pytest.approx(0.5)
    move_slider(page, "Overlay opacity", "ArrowRight", 2)
    assert slider_value(page, "Overlay opacity") == pytest.approx(0.6)
    screenshot(page, "segment_upload")

    # the mask as a PNG of class indices, the photo's size
    with page.expect_download() as dl:
        page.get_by_text("Mask (PNG of class indices)").first.click()
    data = open(dl.value.path(), "rb").read()
    mask = np.asarray(Image.open(io.BytesIO(data)))
    assert mask.shape == (512, 512) and mask.max() < 11
    assert dl.value.suggested_filename == "astronaut_mask.png"

    page.locator('[data-testid="stButtonGroup"]').get_by_text("Detection").first.click()
    page.get_by_text("Score threshold").first.wait_for(timeout=60_000)
    wait_ready(page)
    move_slider(page, "Score threshold", "ArrowLeft", 4)
    assert slider_value(page, "Score threshold") == pytest.approx(0.3)
    move_slider(page, "NMS IoU threshold", "ArrowRight", 2)
    assert slider_value(page, "NMS IoU threshold") == pytest.approx(0.6)
    if zoo.status("digit_detector") == "shipped":
        page.get_by_text("Segmentation answers").first.wait_for()
    else:                                        # one plain line instead of the boxes
        page.get_by_text("digit_detector").first.wait_for()
    screenshot(page, "segment_detect")

    page.locator('[data-testid="stButtonGroup"]').get_by_text("Measure").first.click()
    page.get_by_text("Upload a true mask").first.wait_for(timeout=60_000)
    uploader(page, "Upload a true mask").set_input_files(str(truth_path))
    page.get_by_text("pixels where prediction and truth disagree").first.wait_for(
        timeout=60_000)
    wait_ready(page)
    assert page.get_by_text("black-and-white mask: object against background").count() >= 1
    assert page.get_by_text("mean IoU").count() >= 1
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    screenshot(page, "segment_measure")


def test_page_in_chinese_and_a_broken_upload(app, page, tmp_path):
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.goto(app.url + "/segment?lang=zh")
    wait_ready(page)
    page.get_by_text("分割与检测").first.wait_for()
    page.get_by_text("类别及其面积").first.wait_for(timeout=120_000)     # the default scene
    wait_ready(page)
    screenshot(page, "segment_zh")
    page.get_by_text("上传", exact=True).first.click()
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    uploader(page, "上传图片").set_input_files(str(bad))
    page.locator('[data-testid="stAlertContentError"]').first.wait_for(timeout=60_000)
    assert page.get_by_text("Traceback").count() == 0


def test_drawn_digits_are_segmented(app, page):
    """Draw a 7 on the canvas: the segmenter colours its pixels as class 7."""
    page.set_viewport_size({"width": 1400, "height": 2000})
    for attempt in range(3):          # the canvas may not mount on a loaded machine: reload
        page.goto(app.url + "/segment")
        wait_ready(page)
        page.get_by_text("Draw", exact=True).first.click()
        wait_ready(page)
        page.get_by_text("Draw digits with the mouse").first.wait_for()
        draw_seven(page)
        try:
            page.get_by_text("Classes and their area").first.wait_for(timeout=60_000)
            break
        except Exception:
            screenshot(page, f"segment_drawn_miss{attempt + 1}")
            assert attempt < 2, "the drawing was never segmented (see the miss screenshots)"
    wait_ready(page)
    screenshot(page, "segment_drawn")
    with page.expect_download() as dl:
        page.get_by_text("Mask (PNG of class indices)").first.click()
    mask = np.asarray(Image.open(io.BytesIO(open(dl.value.path(), "rb").read())))
    ink = mask[mask > 0]
    assert ink.size > 500                                    # the stroke was found
    assert np.bincount(ink, minlength=11).argmax() == 8      # class 8 = digit 7
