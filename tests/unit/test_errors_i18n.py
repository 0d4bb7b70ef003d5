"""cvlib's errors in the session's language: real errors (a cut-off video, a mask of the
wrong size, a boxes file with a bad box, a missing model, a busy or missing run) worded by
ui.models.user_message from their kind and params, and cvlib's English message wherever
the UI has no words (unknown kind, params that do not fit, not a cvlib error).

The catalog side (every kind raised in cvlib has err_<kind> in both languages with the
placeholders its raise site fills) is tests/unit/test_i18n.py."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest
from PIL import Image

import ui.i18n
import ui.models
from cvlib import CVLibError
from ui.i18n import catalog
from ui.models import user_message


@pytest.fixture(params=["en", "zh"])
def lang(request, monkeypatch):
    monkeypatch.setattr(ui.i18n, "lang", lambda: request.param)
    monkeypatch.setattr(ui.models, "lang", lambda: request.param)
    return request.param


def _png(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.zeros((h, w), np.uint8), "L").save(buf, "PNG")
    return buf.getvalue()


def _raised(fn, *args, **kwargs) -> CVLibError:
    with pytest.raises(CVLibError) as info:
        fn(*args, **kwargs)
    return info.value


def _has_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _check(exc: CVLibError, lang: str, *shown: str) -> str:
    """The worded message: the kind's catalog text, with ``shown`` (values from the
    params) in it, Chinese in zh; English in en is cvlib's own sentence start."""
    text = user_message(exc)
    assert exc.kind and f"err_{exc.kind}" in catalog(lang), exc.kind
    for s in shown:
        assert s in text, (s, text)
    if lang == "zh":
        assert _has_han(text) and text != str(exc), text
    else:
        assert not _has_han(text), text
    return text


def test_a_cut_off_video(lang):
    from cvlib.videoio import VideoDecodeError, decode_video, encode_video
    frames = np.random.default_rng(0).integers(0, 255, (10, 64, 64, 3)).astype(np.uint8)
    mp4 = encode_video(frames, fps=10)
    exc = _raised(decode_video, mp4[:1000])          # the header, then nothing decodable
    assert isinstance(exc, VideoDecodeError) and exc.kind == "video_damaged"
    text = _check(exc, lang, exc.params["detail"])
    assert ("已损坏" in text) if lang == "zh" else text.startswith("The file is damaged")
    # the same kind and params survive pickling (st.cache_data, worker processes)
    again = pickle.loads(pickle.dumps(exc))
    assert (type(again), str(again), again.kind, again.params) == \
        (type(exc), str(exc), exc.kind, exc.params)


def test_an_empty_and_a_too_long_video(lang):
    from cvlib.videoio import decode_video, encode_video
    exc = _raised(decode_video, b"")
    assert exc.kind == "video_empty"
    _check(exc, lang, "0")
    clip = encode_video(np.zeros((20, 32, 32, 3), np.uint8), fps=10)      # 2 s
    exc = _raised(decode_video, clip, max_duration=1.0)
    assert exc.kind == "video_too_long" and exc.params["limit_s"] == 1.0
    _check(exc, lang, "2", "1")


def test_a_mask_of_the_wrong_size_and_a_broken_one(lang):
    from cvlib.masks import decode_mask
    exc = _raised(decode_mask, _png(6, 5), (10, 8), 3, "truth.png")
    assert exc.kind == "mask_size"
    text = _check(exc, lang, "truth.png", "6×5", "10×8")
    assert ("必须" in text) if lang == "zh" else "must be 10×8" in text
    # an unreadable mask passes the image decoder's kind on: worded by decode_<kind>
    exc = _raised(decode_mask, b"", (10, 8), 3, "truth.png")
    assert exc.kind == "empty"
    text = user_message(exc)
    assert "truth.png" in text and (("空" in text) if lang == "zh" else "empty" in text)


def test_a_boxes_file_with_a_bad_box_and_an_unknown_class(lang):
    from cvlib.masks import parse_boxes_csv
    exc = _raised(parse_boxes_csv, b"x0,y0,x1,y1,label\n1,2,0,4,0\n", ["cat", "dog"], (10, 10))
    assert exc.kind == "boxes_bad_box" and exc.params["line"] == 2
    _check(exc, lang, "2", "1, 2, 0, 4", "10")
    exc = _raised(parse_boxes_csv, b"x0,y0,x1,y1,class\n1,2,5,6,zebra\n", ["cat", "dog"],
                  (10, 10))
    _check(exc, lang, "zebra", "cat, dog")


def test_a_missing_model_and_an_unknown_one(lang, tmp_path, monkeypatch):
    from cvlib import zoo
    monkeypatch.setenv("CVLIB_MODELS_DIR", str(tmp_path))          # an empty models folder
    exc = _raised(zoo.verified_weights_path, "mnist_cnn")
    assert isinstance(exc, zoo.ModelUnavailable) and exc.kind == "model_no_manifest"
    _check(exc, lang, "mnist_cnn", "--save mnist_cnn")
    exc = _raised(zoo.get, "no_such_model")
    _check(exc, lang, "no_such_model", "mnist_cnn")


def test_a_model_of_the_wrong_task_names_the_task_in_the_language(lang):
    from cvlib.recognize import get_classifier
    exc = _raised(get_classifier, "cgan_mnist")           # a generator, not a classifier
    assert exc.kind == "model_wrong_task" and exc.params["task"] == "generate"
    _check(exc, lang, "cgan_mnist", "mnist_cnn", catalog(lang)["task_generate"])


def test_a_missing_run(lang, tmp_path):
    from cvlib.runs import RunStore
    exc = _raised(RunStore(tmp_path).get, "20260101-000000-abcd")
    assert exc.kind == "run_not_found"
    _check(exc, lang, "20260101-000000-abcd")


def test_what_the_ui_cannot_word_stays_cvlib_english(lang):
    assert user_message(CVLibError("plain")) == "plain"                  # no kind
    assert user_message(CVLibError("new", kind="not_in_the_catalogs")) == "new"
    assert user_message(ValueError("bad value")) == "bad value"          # not cvlib's
    # params that do not fit the text (a number given as a word): the English message
    odd = CVLibError("The file is big.", kind="video_file_size", mb="big", limit_mb=20)
    assert user_message(odd) == "The file is big."
    missing = CVLibError("The file is big.", kind="video_file_size")     # no params
    assert user_message(missing) == "The file is big."


def test_the_error_base_keeps_the_library_english():
    exc = CVLibError("The video is empty.", kind="video_empty", seconds=1.5)
    assert str(exc) == "The video is empty." and exc.args == ("The video is empty.",)
    assert exc.kind == "video_empty" and exc.params == {"seconds": 1.5}
    assert CVLibError("x").kind is None and CVLibError("x").params == {}


def test_a_page_shows_a_missing_model_in_chinese(tmp_path, monkeypatch):
    """The Generate page in 中文 with no shipped models: the error is the Chinese text of
    the model's kind, not cvlib's English."""
    from tests.app.helpers import open_page
    monkeypatch.setenv("CVLIB_MODELS_DIR", str(tmp_path / "empty"))
    at = open_page("pages/generate.py", "zh")
    errors = [e.value for e in at.error]
    assert errors, "no error shown"
    assert "train it with" not in errors[0] and "训练" in errors[0], errors[0]
    assert "--save cgan_" in errors[0]


def test_a_grabcut_box_the_wrong_way_round(lang):
    from cvlib.classical import BoxError, check_box
    exc = _raised(check_box, (50, 5, 10, 40), (64, 48))
    assert isinstance(exc, BoxError) and isinstance(exc, ValueError)   # still a ValueError
    _check(exc, lang, "50, 5, 10, 40")
    exc = _raised(check_box, (0, 0, 80, 40), (64, 48))
    assert exc.kind == "box_outside"
    _check(exc, lang, "64×48")
