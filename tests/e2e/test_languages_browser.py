"""中文 everywhere in Chromium: on Recognize, Generate, Segment and Video, after a switch
to 中文 none of a list of known English strings (model descriptions, sample buttons, class
names, "background", task names, image-decode errors) is left in the page's text; the
pages are screenshotted in both languages (test-artifacts/lang_<page>_<en|zh>.png)."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from tests.e2e.conftest import MAIN, screenshot, wait_ready

pytestmark = pytest.mark.e2e

# English that the 中文 UI used to show; each must be gone after the switch.
ENGLISH = ("The worked-example CNN", "A CNN trained on", "A conditional DCGAN",
           "A compact U-Net", "centre-point", "Trouser", "T-shirt", "Bag",
           "background", "(classify)", "Sample images", "is not an image CV Lab can read",
           "with the same content", "trash icon", "Download the weights",
           # values of translated boxes and radios, which the browser kept in English
           " · shipped", "one moving digit", "Digit scene")

# page: (English text that shows it is drawn, its Chinese counterpart, what to wait for)
PAGES = {
    "recognize": ("Recognize an image", "图像识别", "Grad-CAM"),
    "generate": ("Generate images with a GAN", "用 GAN 生成图像", None),
    "segment": ("Segment", "分割", None),
    "video": ("Video", "视频", None),
}


def _main_text(page) -> str:
    """The page's visible text and the values its boxes show (an input's value)."""
    return page.evaluate("""() => {
        const app = document.querySelector('[data-testid="stApp"]');
        const values = [...app.querySelectorAll('input')].map(i => i.value);
        return app.innerText + '\\n' + values.join('\\n');
    }""")


def _wait(page, text: str, timeout: float = 120_000):
    page.get_by_text(text).first.wait_for(timeout=timeout)
    wait_ready(page)


def _files(tmp_path) -> list[str]:
    im = Image.new("RGB", (120, 120), "white")
    ImageDraw.Draw(im).line([(30, 20), (90, 20), (50, 100)], fill="black", width=10)
    seven, again = tmp_path / "seven.png", tmp_path / "seven_again.png"
    im.save(seven)
    im.save(again)                                  # the same content under another name
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"these are notes, not a picture")
    return [str(seven), str(again), str(bad)]


@pytest.mark.parametrize("name", list(PAGES))
def test_chinese_page_has_no_known_english(app, page, name, tmp_path):
    en_title, zh_title, ready = PAGES[name]
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.goto(f"{app.url}/{name}")
    wait_ready(page)
    page.get_by_text(en_title).first.wait_for(timeout=120_000)
    if ready:
        _wait(page, ready)
    page.wait_for_timeout(500)
    wait_ready(page)
    screenshot(page, f"lang_{name}_en")
    page.locator('[data-testid="stSidebar"]').get_by_text("中文", exact=True).first.click()
    wait_ready(page)
    page.get_by_text(zh_title).first.wait_for(timeout=120_000)
    if ready:
        _wait(page, ready)
    if name == "recognize":
        MAIN(page).get_by_text("上传", exact=True).first.click()
        wait_ready(page)
        MAIN(page).locator('input[type="file"]').set_input_files(_files(tmp_path))
        _wait(page, "不是 CV Lab 能读取的图像")            # the decode error, in Chinese
        _wait(page, "内容相同")                            # the duplicate, left out
        screenshot(page, "lang_recognize_zh_upload")
        page.get_by_text("手绘", exact=True).first.click()
        _wait(page, "垃圾桶")
        page.wait_for_timeout(2000)                  # the canvas component mounts (or not)
        screenshot(page, "lang_recognize_zh_draw")
        page.get_by_text("示例", exact=True).first.click()
        _wait(page, "Grad-CAM")
    page.wait_for_timeout(500)
    wait_ready(page)
    screenshot(page, f"lang_{name}_zh")
    text = _main_text(page)
    left = [s for s in ENGLISH if s in text]
    assert not left, f"English on the 中文 {name} page: {left}"
