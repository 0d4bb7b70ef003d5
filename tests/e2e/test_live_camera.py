"""The Video page's live camera in Chromium, with a fake camera that plays a generated clip
of one moving MNIST digit (tests/e2e/fake_camera.py): Start, the right digit and a frame
rate above 0 shown, Stop; in English and Chinese; and a refused camera shows its message
and sends nothing."""

from __future__ import annotations

import re
import time

import pytest

from cvlib import zoo
from tests.e2e.conftest import MAIN, screenshot, wait_ready
from tests.e2e.fake_camera import camera_args, digit_clip, write_y4m

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.needs(zoo.status("mnist_cnn") == "shipped", reason="mnist_cnn is not shipped"),
]

TEXT = {
    "en": {"tab": "Live camera", "empty": "No frame analysed yet", "model": "Model",
           "start": "Start", "result": "Result", "fps": "Frames analysed per second"},
    "zh": {"tab": "实时摄像头", "empty": "尚未分析任何帧", "model": "模型",
           "start": "开始", "result": "结果", "fps": "每秒分析帧数"},
}


@pytest.fixture(scope="module")
def digit_camera(chromium_path, tmp_path_factory):
    """Chromium whose camera plays the digit clip; and the digit."""
    from playwright.sync_api import sync_playwright
    frames, digit = digit_clip(seed=3)
    y4m = write_y4m(tmp_path_factory.mktemp("camera") / "digit.y4m", frames)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=[
            "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
            "--disable-background-networking", "--no-first-run", *camera_args(y4m)])
        yield b, digit
        b.close()


def open_live_tab(app, browser, lang: str, camera: bool = True):
    context = browser.new_context(viewport={"width": 1400, "height": 2200},
                                  permissions=["camera"] if camera else [])
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(app.url + "/video" + ("?lang=zh" if lang == "zh" else ""))
    wait_ready(page)
    page.get_by_role("tab", name=TEXT[lang]["tab"]).click()
    wait_ready(page)
    MAIN(page).get_by_text(TEXT[lang]["empty"]).first.wait_for()
    return page


def metric(page, label: str) -> str:
    box = MAIN(page).locator('[data-testid="stMetric"]').filter(has_text=label)
    return box.locator('[data-testid="stMetricValue"]').first.inner_text()


def frames_sent(page) -> int:
    """The frame count on the component's status line ("● live · frame 12 · ...")."""
    return int(re.findall(r"\d+", page.get_by_test_id("live-status").inner_text())[0])


def choose_model(page, lang: str, option: str) -> None:
    MAIN(page).locator('[data-testid="stSelectbox"]').filter(
        has_text=TEXT[lang]["model"]).first.click()
    page.get_by_role("option", name=option).click()
    wait_ready(page)


def read_the_digit(page, lang: str, digit: int) -> None:
    """Choose mnist_cnn, press Start, wait until the page shows the digit and a frame
    rate above 0."""
    text = TEXT[lang]
    choose_model(page, lang, re.compile(r"^mnist_cnn "))
    page.get_by_role("button", name=text["start"], exact=True).click()
    # the first frame loads TensorFlow and the model on a cold server
    MAIN(page).locator('[data-testid="stMetric"]').first.wait_for(timeout=120_000)
    deadline, seen = time.time() + 60, []
    while time.time() < deadline:
        result, fps = metric(page, text["result"]), float(metric(page, text["fps"]))
        seen.append((result, fps))
        if result.split()[0] == str(digit) and fps > 0:
            return
        time.sleep(0.5)
    pytest.fail(f"the digit {digit} with a frame rate > 0 never showed: {seen[-5:]}")


@pytest.mark.needs(zoo.status("cifar_cnn") == "shipped", reason="cifar_cnn is not shipped")
def test_live_camera_reads_the_digit_switches_model_stops_and_comes_back(app, digit_camera):
    browser, digit = digit_camera
    page = open_live_tab(app, browser, "en")
    status = page.get_by_test_id("live-status")
    caption = MAIN(page).locator('[data-testid="stImage"] [data-testid="stImageCaption"]')
    try:
        read_the_digit(page, "en", digit)
        screenshot(page, "video_live_en")
        # another model while the camera runs: the stream goes on with it
        sent = frames_sent(page)
        choose_model(page, "en", re.compile(r"^cifar_cnn "))
        cifar = set(zoo.class_names("cifar_cnn"))
        deadline = time.time() + 30
        while metric(page, "Result").rsplit(" ", 1)[0] not in cifar:
            assert time.time() < deadline, metric(page, "Result")
            time.sleep(0.5)
        assert frames_sent(page) > sent
    finally:
        page.get_by_role("button", name="Stop", exact=True).click()
    assert "stopped" in status.inner_text()
    # stopped means stopped: after the frame that was on its way, nothing is sent or
    # analysed any more
    time.sleep(1.0)
    wait_ready(page)
    first, sent_text = caption.first.inner_text(), status.inner_text()
    time.sleep(1.5)
    assert caption.first.inner_text() == first and status.inner_text() == sent_text
    # away to another tab (the component goes, and releases the camera) and back: the
    # new component goes on from the last frame answered
    page.get_by_role("tab", name="Timeline").click()
    wait_ready(page)
    page.get_by_role("tab", name="Live camera").click()
    wait_ready(page)
    assert status.inner_text() == ""
    last = int(re.findall(r"\d+", first)[0])
    page.get_by_role("button", name="Start", exact=True).click()
    deadline = time.time() + 30
    while int(re.findall(r"\d+", caption.first.inner_text())[0]) <= last:
        assert time.time() < deadline, caption.first.inner_text()
        time.sleep(0.3)
    page.get_by_role("button", name="Stop", exact=True).click()
    page.context.close()


def test_live_camera_in_chinese(app, digit_camera):
    browser, digit = digit_camera
    page = open_live_tab(app, browser, "zh")
    try:
        read_the_digit(page, "zh", digit)
        assert "实时" in page.get_by_test_id("live-status").inner_text()
        screenshot(page, "video_live_zh")
    finally:
        page.get_by_role("button", name="停止", exact=True).click()
    assert "已停止" in page.get_by_test_id("live-status").inner_text()
    page.context.close()


def test_refused_camera_shows_why_and_sends_nothing(app, digit_camera):
    browser, _ = digit_camera
    page = open_live_tab(app, browser, "en", camera=False)
    page.get_by_role("button", name="Start", exact=True).click()
    error = page.get_by_test_id("live-error")
    error.wait_for()
    assert "The camera was not allowed" in error.inner_text()
    assert page.get_by_role("button", name="Start", exact=True).is_enabled()
    time.sleep(1.0)
    assert page.get_by_test_id("live-status").inner_text() == ""     # no frame sent
    MAIN(page).get_by_text(TEXT["en"]["empty"]).first.wait_for()
    screenshot(page, "video_live_denied")
    page.context.close()
