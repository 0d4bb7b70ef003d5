"""AppTest: "Use your own model" on the Recognize page (a good file classifies the picture,
a hostile one is refused in plain words), and file names written with markup shown as
literal text on the Recognize and Segment pages (ui/text.py)."""

from __future__ import annotations

import io
import json
import re
import zipfile

import numpy as np
from markdown_it import MarkdownIt
from PIL import Image

from tests.app.helpers import open_page
from tests.conftest import ROOT

HOSTILE = "<img src=x onerror=alert(1)>**bold**[link](http://evil).png"


def _png(side: int = 64) -> bytes:
    a = np.full((side, side), 255, np.uint8)
    a[side // 4: 3 * side // 4, side // 2 - 3: side // 2 + 3] = 0     # a stroke: a "1"
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "PNG")
    return buf.getvalue()


def _bars(at) -> list[str]:
    return json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["y"]


def _top1(at) -> str:
    # topk_bar draws the best class last (top of the horizontal bar chart) or first
    data = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    return data["y"][int(np.argmax(data["x"]))]


def test_own_weights_file_classifies_the_sample():
    # The shipped Fashion-MNIST weights, as a user would drop a downloaded run: the page
    # keeps "mnist_cnn" chosen in the list, yet answers with the file's clothes classes.
    data = (ROOT / "models" / "fashion_cnn.weights.h5").read_bytes()
    from cvlib.safe_models import load_user_classifier
    from cvlib.samples import list_samples
    sample = next(s for s in list_samples() if s.name == "digit_7")
    want = load_user_classifier(data, "mine.weights.h5")(sample.read()).predictions[0].label
    at = open_page("pages/recognize.py")
    at.file_uploader(key="rec_own_file").set_value(
        ("my_clothes.weights.h5", data, "application/octet-stream")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="rec_model").value == "mnist_cnn"
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "Using your model my_clothes.weights.h5" in captions and "cnn" in captions
    assert _top1(at) == want and "Trouser" in _bars(at)        # the file's classes
    # the explanations run on it too (Grad-CAM layers of the code-built network)
    assert at.selectbox(key="rec_cam_layer").value == "conv3"
    # removing the file goes back to the model chosen in the list
    at.file_uploader(key="rec_own_file").clear().run()
    assert not at.exception and "7" == _top1(at)


def test_own_keras_file_and_a_hostile_one(tmp_path):
    from cvlib import zoo
    from cvlib.export import model_bytes
    good = model_bytes(zoo.load("mnist_cnn"), "keras")
    at = open_page("pages/recognize.py", rec_model="fashion_cnn")
    at.file_uploader(key="rec_own_file").set_value(
        ("digits.keras", good, "application/zip")).run()
    assert not at.exception and not at.error
    assert _top1(at) == "7"                 # the digit model of the file, not fashion_cnn
    # the same archive with a module outside Keras in its config.json (CVE-2025-1550)
    src = zipfile.ZipFile(io.BytesIO(good))
    cfg = json.loads(src.read("config.json"))
    cfg["config"]["layers"][1].update(module="os", class_name="system")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, json.dumps(cfg) if name == "config.json" else src.read(name))
    at.file_uploader(key="rec_own_file").set_value(
        ("evil.keras", out.getvalue(), "application/zip")).run()
    assert not at.exception
    assert len(at.error) == 1
    msg = at.error[0].value
    assert msg.startswith("Your model file was refused:") and "“os”" in msg
    assert "CVE-2025-1550" in msg and "\n" not in msg and "Traceback" not in msg
    assert "Trouser" in _bars(at)            # the page goes on with the model chosen above
    # (in Chinese: tests/unit/test_safe_models.py; AppTest cannot rerun a zh page whose
    # radio options are translated)


def _assert_literal(body: str, name: str) -> None:
    """``body`` (Markdown as Streamlit gets it) shows ``name`` as plain text: no link,
    image, emphasis or HTML element comes out of it."""
    rendered = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(body)
    for tag in ("<a", "<img", "<strong", "<em"):
        assert tag not in rendered, (tag, body, rendered)
    import html
    assert name in html.unescape(re.sub(r"<[^>]+>", "", rendered)), rendered


def _image_captions(at) -> list[str]:
    return [c for el in at.get("image") for c in el.captions]


def test_markup_file_name_is_shown_as_text_on_recognize():
    at = open_page("pages/recognize.py", rec_source="upload")
    at.file_uploader(key="rec_files_0").set_value((HOSTILE, _png(), "image/png")).run()
    assert not at.exception and not at.error
    captions = [c for c in _image_captions(at) if "onerror" in c]
    assert captions, _image_captions(at)
    for c in captions:
        _assert_literal(c, HOSTILE)
    # a broken file with that name: the error names it, as text
    at.file_uploader(key="rec_files_0").set_value(
        (HOSTILE, b"not a picture at all", "image/png")).run()
    assert not at.exception and at.error
    _assert_literal(at.error[0].value, HOSTILE)


def test_markup_file_name_is_shown_as_text_on_segment():
    at = open_page("pages/segment.py", seg_source="upload", seg_view="measure")
    at.file_uploader(key="seg_files_0").set_value(
        (HOSTILE, b"GIF89a broken", "image/gif")).run()
    assert not at.exception and at.error
    _assert_literal(at.error[0].value, HOSTILE)
    # the ground-truth mask of a generated scene, uploaded under that name
    at = open_page("pages/segment.py", seg_view="measure")
    from cvlib.data import digit_scenes
    mask = digit_scenes(1, seed=0, split="test").masks[0].astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(mask).save(buf, "PNG")
    at.file_uploader(key="seg_truth_file").set_value((HOSTILE, buf.getvalue(), "image/png"))
    at.run()
    assert not at.exception, at.exception
    shown = [c.value for c in at.caption if "onerror" in c.value]
    assert shown, [c.value for c in at.caption]
    _assert_literal(shown[0], HOSTILE)
