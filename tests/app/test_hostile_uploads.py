"""AppTest: hostile files through the pages' real upload widgets (st.file_uploader).

Each bad file gives one plain error that names it, the good files next to it still work,
and nothing raises. Streamlit itself refuses a name with another extension (".ico"), so
the hostile files carry accepted names: the content decides, as in cvlib. The crafted
files come from tests/hostile_corpus.py; the exhaustive runs are
tests/unit/test_hostile_inputs.py and bench/hostile_inputs.py.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from cvlib import zoo
from tests import hostile_corpus as hc
from tests.app.helpers import open_page
from tests.conftest import skip_or_fail


def _shipped(*names):
    for name in names:
        if zoo.status(name) != "shipped":
            skip_or_fail(f"{name} is not trained: python -m cvlib train ... --save {name}")


def _errors(at) -> list[str]:
    return [e.value for e in at.error]


def test_recognize_upload_of_hostile_files_next_to_a_16_bit_tiff():
    _shipped("mnist_cnn")
    digit = np.zeros((28, 28), np.uint16)
    digit[6:22, 12:16] = 4095                       # a "1", 12-bit data in a 16-bit TIFF
    files = [("empty.png", b""), ("bomb.png", hc.png_declaring(100_000, 100_000)),
             ("icon.png", hc.encode(Image.new("RGB", (16, 16)), "ICO")),   # renamed
             ("cut.jpg", hc.encode(hc.gradient(200, 150), "JPEG")[:300]),
             ("scan.tif", hc.encode(Image.fromarray(digit), "TIFF"))]
    at = open_page("pages/recognize.py", rec_source="upload")
    at.file_uploader(key="rec_files_0").set_value(
        [(name, data, "application/octet-stream") for name, data in files]).run()
    assert not at.exception, at.exception
    errors = _errors(at)
    assert len(errors) == 4, errors
    for name, words in (("empty.png", "empty"), ("bomb.png", "too large"),
                        ("icon.png", "ICO (Windows icon)"), ("cut.jpg", "")):
        hit = [e for e in errors if name in e]
        assert len(hit) == 1 and words in hit[0] and hc.plain(hit[0]), (name, errors)
    assert not any("scan.tif" in e for e in errors)
    assert at.get("plotly_chart"), "the TIFF next to the bad files was classified"


def test_segment_measure_with_a_hostile_mask_and_boxes_csv():
    _shipped("digit_segmenter", "digit_detector")
    at = open_page("pages/segment.py", timeout=180, seg_view="measure")
    assert not at.error, _errors(at)
    at.file_uploader(key="seg_truth_file").set_value(
        ("frames.gif", hc.gif_frames(10_000), "image/gif")).run()
    assert not at.exception, at.exception
    assert any("frames.gif" in e and "pixels" in e for e in _errors(at)), _errors(at)
    at.file_uploader(key="seg_truth_file").set_value(None)
    at.file_uploader(key="seg_boxes_file").set_value(
        ("boxes.csv", b"x0,y0,x1,y1,label\n1,1,20,20,1e400\n", "text/csv")).run()
    assert not at.exception, at.exception
    assert any("label must be a class index" in e for e in _errors(at)), _errors(at)


def test_video_upload_of_sound_only_and_of_a_gif_of_10000_frames():
    at = open_page("pages/video.py", vid_source="upload")
    at.file_uploader(key="vid_upload").set_value(
        ("sound.mp4", hc.wav_silence(), "video/mp4")).run()            # a WAV, renamed
    assert not at.exception, at.exception
    assert any("sound" in e.lower() or "audio" in e.lower() for e in _errors(at)), _errors(at)
    at.file_uploader(key="vid_upload").set_value(
        ("frames.gif", hc.gif_frames(10_000), "image/gif")).run()
    assert not at.exception, at.exception
    assert not at.error, _errors(at)
