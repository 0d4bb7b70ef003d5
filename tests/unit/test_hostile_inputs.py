"""Hostile inputs through every upload path and every cvlib function that takes user data.

A corpus crafted in code (tests/hostile_corpus.py: decompression bombs, a 1x100,000 PNG, a
GIF of 10,000 frames, a TIFF of 10,000 pages, a video whose header claims a million frames,
truncated, zero-byte and random files behind valid magic numbers, huge EXIF, odd CSVs, odd
arrays) plus Hypothesis-generated ones. What must hold for every input: the function
returns a sensible result, or raises one of cvlib's own errors (a ``CVLibError``) with a
plain message, or, for an argument of the wrong type or range, the ``ValueError`` /
``TypeError`` of cvlib's own checks (cvlib/validation.py's convention) with a plain message.
Nothing escapes from inside numpy, Pillow, PyAV or TensorFlow. bench/hostile_inputs.py
drives 10,000+ such inputs and records time and memory per input.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from cvlib import zoo
from cvlib.imageio import MAX_PIXELS, ImageDecodeError, decode_image
from cvlib.masks import MAX_BOXES, MaskError, decode_mask, parse_boxes_csv
from cvlib.videoio import VideoDecodeError, decode_video, probe_video
from tests import hostile_corpus as hc
from tests.conftest import skip_or_fail

FAST = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CLASSES = [str(i) for i in range(10)]


@pytest.fixture(scope="module")
def images():
    return hc.image_files()


@pytest.fixture(scope="module")
def videos():
    return hc.video_files()


def check(fn, arg, allowed=("decoded", "refused", "argument")):
    """Run one input; fail with the input's outcome unless it is allowed and plain."""
    kind, exc, _ = hc.outcome(fn, arg)
    assert kind in allowed, (kind, type(exc).__name__, str(exc)[:300])
    if exc is not None:
        assert hc.plain(str(exc)), str(exc)
    return kind, exc


def run_all(fn, items, **kw) -> dict[str, tuple]:
    """Every (label, input) through ``fn``: {label: (outcome, error)}; all failures at once."""
    out, bad = {}, []
    for label, data in items:
        try:
            out[label] = check(fn, data, **kw)
        except AssertionError as exc:
            bad.append(f"{label}: {exc}")
    assert not bad, "\n".join(bad)
    return out


# --- images ----------------------------------------------------------------------------------

def test_every_crafted_image_decodes_or_is_refused_plainly(images):
    def decode(data):
        img = decode_image(data)
        assert img.mode == "RGB" and img.width * img.height <= MAX_PIXELS
    got = run_all(decode, images, allowed=("decoded", "refused"))
    kinds = {label: getattr(exc, "kind", None) for label, (_, exc) in got.items()}
    # the valid seeds all decode; each hostile one lands where it should
    assert all(got[label][0] == "decoded" for label, _ in hc.valid_images())
    for label in ("png_bomb_100k_x_100k", "png_bomb_1gp_16bit_rgba", "tiff_bomb_100k_x_100k",
                  "pgm_bomb", "jpeg_declaring_65535_x_65535", "webp_16383_square"):
        assert kinds[label] == "too_large", (label, got[label])
    for label in ("ico", "tga", "svg", "pdf", "heic", "magic_only_heic"):
        assert kinds[label] == "format", (label, got[label])
    assert kinds["zero_bytes"] == "empty"
    for label in ("png_1_x_100000", "png_100000_x_1", "gif_10000_frames",
                  "gif_10000_frames_4k_screen", "tiff_10000_pages", "jpeg_exif_60k"):
        assert got[label][0] == "decoded", (label, got[label])


def test_extreme_but_valid_files_give_their_real_pixels():
    strip = decode_image(hc.png_strip(1, 100_000))
    assert strip.size == (1, 100_000)
    assert np.asarray(strip)[:300, 0, 0].tolist() == [y % 256 for y in range(300)]
    assert decode_image(hc.png_strip(100_000, 1)).size == (100_000, 1)
    first = np.asarray(decode_image(hc.gif_frames(10_000)))      # the first frame only
    assert first.shape == (8, 8, 3) and first[0, 0].tolist() == [0, 0, 0]
    page = decode_image(hc.tiff_pages(10_000, (3, 2)))
    assert np.asarray(page)[:, :, 0].tolist() == [[0, 17, 34], [51, 68, 85]]
    rotated = decode_image(hc.jpeg_with_exif(60_000))           # huge EXIF, still applied
    assert rotated.size == (20, 40)


def test_a_jpeg_declaring_more_than_max_pixels_is_read_reduced_or_refused():
    kind, exc = check(decode_image, hc.jpeg_declaring(16_000, 16_000))
    if exc is not None:                   # its 16x16 of real data cannot fill 256 MP
        assert exc.kind in ("truncated", "damaged")


@FAST
@given(st.binary(max_size=3000))
def test_random_bytes_never_escape(data):
    check(decode_image, data, allowed=("decoded", "refused"))
    check(lambda d: decode_mask(d, (40, 30), 11), data, allowed=("decoded", "refused"))


@FAST
@given(seed=st.sampled_from(range(19)), magic=st.sampled_from(sorted(hc.MAGICS)),
       body=st.binary(min_size=1, max_size=600))
def test_valid_magic_numbers_with_random_bodies(seed, magic, body):
    check(decode_image, hc.MAGICS[magic] + body, allowed=("decoded", "refused"))


@FAST
@given(which=st.integers(0, 18), edits=st.lists(
    st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=8),
       cut=st.floats(0.05, 1.0))
def test_corrupted_valid_files_never_escape(which, edits, cut):
    data = bytearray(hc.valid_images()[which][1])
    for where, value in edits:
        data[min(len(data) - 1, int(where * len(data)))] = value
    data = bytes(data[: max(1, int(cut * len(data)))])
    check(decode_image, data, allowed=("decoded", "refused"))
    check(lambda d: decode_mask(d, (40, 30), 11), data, allowed=("decoded", "refused"))


# --- masks and box CSVs ------------------------------------------------------------------------

def test_every_crafted_file_as_a_mask(images):
    run_all(lambda d: decode_mask(d, (40, 30), 11), images, allowed=("decoded", "refused"))


def test_every_crafted_boxes_csv():
    got = run_all(lambda d: parse_boxes_csv(d, CLASSES, (128, 128)), hc.csv_files(),
                  allowed=("decoded", "refused"))
    assert got["ok"][0] == got["ok_by_class"][0] == "decoded"
    for label, words in (("inf_label", "label must be a class index"),
                         ("nan_label", "label must be a class index"),
                         ("many_rows", f"more than {MAX_BOXES:,}"),
                         ("nul_bytes", "not CSV"), ("utf16", "not CSV"), ("binary", "not CSV"),
                         ("formula", "unknown class"), ("negative_label", "not a class"),
                         ("huge_numbers", "box must"), ("ragged", "Line 3")):
        outcome, exc = got[label]
        assert outcome == "refused" and words in str(exc), (label, str(exc))


cells = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
                  st.integers(-10**30, 10**30).map(str), st.text(max_size=8))


@FAST
@given(st.one_of(st.text(max_size=400),
                 st.lists(st.lists(cells, min_size=0, max_size=7), max_size=6).map(
                     lambda rows: "x0,y0,x1,y1,label,class\n" + "\n".join(
                         ",".join(r) for r in rows))))
def test_random_boxes_csv_never_escapes(text):
    kind, _ = check(lambda d: parse_boxes_csv(d, CLASSES, (128, 128)),
                    text.encode("utf-8", "surrogatepass"), allowed=("decoded", "refused"))


# --- videos ----------------------------------------------------------------------------------

def test_every_crafted_video(videos):
    probed = run_all(probe_video, videos, allowed=("decoded", "refused"))
    decoded = run_all(lambda d: decode_video(d, max_frames=200, max_seconds=5.0), videos,
                      allowed=("decoded", "refused"))
    assert probed["mp4"][0] == decoded["mp4"][0] == "decoded"
    for label in ("zero_bytes", "random", "wav_audio_only", "png_still", "text"):
        assert decoded[label][0] == "refused", label


def test_a_video_that_claims_a_million_frames_decodes_what_it_has():
    data = hc.mp4_claiming(1_000_000)
    assert probe_video(data).frames == 1_000_000                    # the claim is read ...
    clip = decode_video(data)                                       # ... and costs nothing
    assert len(clip) == 12 and clip.frames.shape == (12, 24, 32, 3) and not clip.truncated
    assert np.array_equal(clip.frames[:, 12, :, 0] > 128,           # the real content
                          decode_video(hc.tiny_mp4()).frames[:, 12, :, 0] > 128)


def test_a_gif_of_10000_frames_is_counted_without_decoding_and_bounded(monkeypatch):
    import cvlib.videoio as videoio
    data = hc.gif_frames(10_000)
    info = probe_video(data)
    assert (info.frames, info.duration, info.fps) == (10_000, 1000.0, 10.0)
    clip = decode_video(data, max_frames=300)
    assert len(clip) == 300 and clip.truncated and clip.indices[-1] == 299
    # memory budget: at most MAX_CLIP_BYTES of frames, the rest reported as truncated
    monkeypatch.setattr(videoio, "MAX_CLIP_BYTES", 50 * 8 * 8 * 3)
    clip = decode_video(data, max_frames=1000)
    assert len(clip) == 50 and clip.truncated and clip.frames.nbytes <= 50 * 8 * 8 * 3
    # GIF/WebP compositing budget: stops after MAX_ANIMATION_PIXELS canvas pixels
    monkeypatch.setattr(videoio, "MAX_ANIMATION_PIXELS", 64 * 40)
    clip = decode_video(data, max_frames=1000)
    assert len(clip) == 40 and clip.truncated


def test_a_gif_frame_far_outside_its_canvas_is_never_allocated():
    # Pillow grows the canvas to hold such a frame: 60,000 x 60,000 would need 10 GB
    clip = decode_video(hc.gif_frames(50, far=31))
    assert len(clip) == 31 and clip.frames.shape[1:] == (8, 8, 3)
    with pytest.raises(ImageDecodeError, match="too large"):
        decode_image(hc.gif_frames(3, far=0))
    with pytest.raises(VideoDecodeError, match="frames larger than the limit"):
        decode_video(hc.gif_frames(3, far=0))


def test_a_cut_off_gif_keeps_its_frames_or_is_refused():
    data = hc.gif_frames(50)
    for cut in (300, 200, 40, 14):
        for fn in (probe_video, decode_video):
            check(fn, data[:cut], allowed=("decoded", "refused"))
    assert probe_video(data[:300]).frames == len(decode_video(data[:300]))


@FAST
@given(st.binary(max_size=2000), st.sampled_from([b"", b"GIF89a", b"\x00\x00\x00\x18ftypisom",
                                                  b"RIFF\x00\x00\x00\x00WEBP", b"\x1aE\xdf\xa3"]))
def test_random_bytes_as_a_video_never_escape(body, magic):
    check(lambda d: decode_video(d, max_frames=20, deadline=5.0), magic + body,
          allowed=("decoded", "refused"))


# --- arrays into the public functions ---------------------------------------------------------

def _pure_paths():
    from cvlib import classical, detect, recognize, segment
    return {"as_pil": recognize.as_pil, "to_rgb_array": segment.to_rgb_array,
            "otsu": lambda a: classical.segment("otsu", a),
            "check_mask": lambda a: segment.check_mask(a, num_classes=11),
            "check_boxes": lambda a: detect.check_boxes(a, 100, 100)}


def test_odd_arrays_into_the_functions_without_models():
    for name, fn in _pure_paths().items():
        run_all(fn, hc.odd_arrays())


@FAST
@given(hnp.arrays(dtype=st.one_of(hnp.scalar_dtypes(), hnp.unicode_string_dtypes()),
                  shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=9)))
def test_random_arrays_into_the_functions_without_models(a):
    for fn in _pure_paths().values():
        check(fn, a)


odd_numbers = st.one_of(st.integers(-2, 10**9), st.floats(allow_nan=True, allow_infinity=True),
                       st.none(), st.booleans(), st.text(max_size=2))


@FAST
@given(method=st.sampled_from(["watershed", "slic", "felzenszwalb", "grabcut"]),
       values=st.lists(odd_numbers, min_size=3, max_size=3))
def test_classical_parameters(method, values):
    from cvlib import classical
    img = hc.gradient(24, 16)
    names = {"watershed": ("markers", "compactness"), "slic": ("n_segments", "compactness"),
             "felzenszwalb": ("scale", "sigma", "min_size"), "grabcut": ("iterations", "box")}
    kw = dict(zip(names[method], values))
    if method == "grabcut" and not isinstance(kw.get("box"), (int, float)):
        kw["box"] = (2, 2, 12, 10)
    check(lambda k: classical.segment(method, img, **k), kw)


def _shipped(*names):
    for name in names:
        if zoo.status(name) != "shipped":
            skip_or_fail(f"{name} is not trained: python -m cvlib train ... --save {name}")


def test_odd_arrays_into_the_models():
    _shipped("mnist_cnn", "digit_segmenter", "digit_detector", "cgan_mnist")
    from cvlib import detect, explain, recognize, segment
    clf = recognize.get_classifier("mnist_cnn")
    paths = {"classify": lambda a: recognize.classify(a, clf),
             "segment": segment.segment, "detect": detect.detect,
             "grad_cam": lambda a: explain.grad_cam(clf, a),
             "saliency": lambda a: explain.saliency(clf, a)}
    for name, fn in paths.items():
        run_all(fn, hc.odd_arrays())
    # the model input itself still works (not everything is refused)
    x = clf.preprocess(np.zeros((28, 28), np.uint8)).x
    assert explain.grad_cam(clf, x).shape == (28, 28)
    check(lambda c: explain.grad_cam(clf, x, class_index=c), 99)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.fixed_dictionaries({}, optional={
    "n": st.one_of(st.integers(-5, 2000), st.floats(allow_nan=True), st.none(),
                   st.text(max_size=3)),
    "labels": st.one_of(st.integers(-3, 12), st.lists(st.integers(-1, 11), max_size=3),
                        st.floats(allow_nan=True), st.text(max_size=2), st.none()),
    "seed": st.one_of(st.integers(-2, 2**40), st.floats(allow_nan=True)),
    "temperature": st.floats(allow_nan=True, allow_infinity=True)}))
def test_generate_sampler_arguments(kwargs):
    if zoo.status("cgan_mnist") != "shipped":
        skip_or_fail("cgan_mnist is not trained")
    from cvlib.generate import sample
    kind, _ = check(lambda kw: sample("cgan_mnist", **kw), kwargs)
    if kind == "decoded":
        out = sample("cgan_mnist", **kwargs)
        assert out.dtype == np.uint8 and out.shape[1:] == (28, 28)


def test_a_picture_upload_and_the_same_bytes_as_an_array_agree():
    # the upload path (bytes) and the array path give the same picture to a model
    from cvlib.recognize import as_pil
    src = hc.gradient(30, 20)
    buf = io.BytesIO()
    src.save(buf, "TIFF")
    assert np.array_equal(np.asarray(as_pil(buf.getvalue())), np.asarray(as_pil(np.asarray(src))))
    assert isinstance(as_pil(Image.new("I;16", (4, 4), 4095)), Image.Image)
    with pytest.raises(ImageDecodeError):
        as_pil(b"")
    with pytest.raises(MaskError):
        decode_mask(b"", (4, 4), 2)
