"""AppTest: the Video page's moving objects (background subtraction + IoU tracker) in the
Motion tab, on the generated three-digit sample, in English and Chinese."""

from __future__ import annotations

from tests.app.helpers import image_captions, open_page, texts


def test_motion_tab_tracks_moving_objects():
    at = open_page("pages/video.py", vid_sample="digit_scene", vid_tab="Motion")
    assert "Moving objects (background subtraction)" in [h.value for h in at.subheader]
    assert "not \"cars\"" in texts(at)                  # says what the method cannot do
    slider = at.slider(key="vid_moving_frame")
    assert (slider.min, slider.max) == (0, 39)
    caption = next(c for c in image_captions(at) if "track ids in the clip" in c)
    assert f"frame {slider.value} ·" in caption
    assert len(at.get("plotly_chart")) == 2         # frame energy, moving objects per frame
    at.slider(key="vid_moving_frame").set_value(5).run()
    assert not at.exception, at.exception
    # three digits, two boxes: the thin "1" of this sample is under the size floor (the note
    # on the page says so)
    assert any(c.startswith("frame 5 · 0.50 s: 2 moving objects") for c in image_captions(at)), \
        image_captions(at)


def test_motion_tab_tracks_in_chinese():
    at = open_page("pages/video.py", "zh", vid_sample="digit_scene", vid_tab="运动")
    assert "运动物体（背景减除）" in [h.value for h in at.subheader]
    assert any("个轨迹编号" in c for c in image_captions(at))
