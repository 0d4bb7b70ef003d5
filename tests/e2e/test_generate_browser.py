"""Generate page in Chromium: sample a grid, change the class, download the grid as PNG,
and open the live-training tab."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from cvlib import zoo
from tests.e2e.conftest import screenshot, wait_ready

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.needs(zoo.status("cgan_mnist") == "shipped",
                       reason="cgan_mnist is not shipped in models/: train it with "
                              "`python -m cvlib train --task gan ... --save cgan_mnist`"),
]


def open_page(app, page):
    page.set_viewport_size({"width": 1400, "height": 2000})
    page.goto(app.url + "/generate")
    wait_ready(page)
    page.get_by_text("Generate images with a GAN").first.wait_for()
    # cold server: TensorFlow, the generator, the classifier, tracing
    page.get_by_text("agrees with the requested class").first.wait_for(timeout=120_000)
    wait_ready(page)


def test_sample_grid_and_download_png(app, page, tmp_path):
    open_page(app, page)
    assert page.locator('[data-testid="stImage"] img').count() >= 2
    # ask for sevens
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Class").first.click()
    page.get_by_role("option", name="7", exact=True).click()
    wait_ready(page)
    try:
        page.get_by_text("7 → ").first.wait_for()
    finally:
        screenshot(page, "generate_sample")
    with page.expect_download() as d:
        page.get_by_role("button", name="Download grid (PNG)").click()
    path = tmp_path / "grid.png"
    d.value.save_as(path)
    assert d.value.suggested_filename.endswith(".png")
    im = Image.open(io.BytesIO(path.read_bytes()))
    assert im.format == "PNG" and im.size == (8 * 30 + 2, 2 * 30 + 2)   # 16 samples, 8 a row


def test_latent_and_train_tabs_render(app, page):
    open_page(app, page)
    page.get_by_role("tab", name="Latent space").click()
    page.get_by_text("Interpolate between two seeds").first.wait_for()
    page.get_by_text("Principal directions").first.wait_for()
    wait_ready(page)
    screenshot(page, "generate_latent")
    page.get_by_role("tab", name="Train a GAN live").click()
    page.get_by_role("button", name="Train GAN").wait_for()
    screenshot(page, "generate_train_tab")


def test_a_sample_opens_in_recognize(app, page):
    open_page(app, page)
    page.get_by_role("button", name="Open sample in Recognize").click()
    page.get_by_text("Recognize an image").first.wait_for()
    try:
        page.get_by_text("Grad-CAM on the original").first.wait_for(timeout=120_000)
    finally:
        screenshot(page, "generate_to_recognize")
    wait_ready(page)
    assert "/recognize" in page.url
