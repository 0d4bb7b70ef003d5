"""Contract tests of cvlib.imageio.decode_image with broken and unusual files.

Each file either decodes to the right RGB picture or raises ImageDecodeError with a
message a user understands; nothing else may escape.
"""

from __future__ import annotations

import io
import os
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from cvlib.imageio import ImageDecodeError, decode_image


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def gradient(w=64, h=48) -> Image.Image:
    x = np.linspace(0, 255, w, dtype=np.uint8)[None, :].repeat(h, 0)
    y = np.linspace(0, 255, h, dtype=np.uint8)[:, None].repeat(w, 1)
    return Image.fromarray(np.stack([x, y, 255 - x], -1), "RGB")


def assert_user_message(exc: ImageDecodeError):
    msg = str(exc)
    assert msg and "Traceback" not in msg and len(msg) < 300, msg
    assert msg[0].isupper() or msg[0] in "'\"", msg


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "GIF"])
def test_each_format_decodes_to_rgb(fmt):
    src = gradient()
    img = decode_image(encode(src, fmt))
    assert img.mode == "RGB" and img.size == src.size
    if fmt in ("PNG", "BMP"):
        assert np.array_equal(np.asarray(img), np.asarray(src))


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (os.urandom(4096), "not an image"),
    (b"GIF89a" + b"\x00" * 3, ""),
    ("not bytes", "bytes"),
])
def test_empty_random_and_non_bytes_raise_plain_errors(data, words):
    with pytest.raises(ImageDecodeError) as info:
        decode_image(data)
    assert_user_message(info.value)
    assert words in str(info.value)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP", "BMP"])
def test_truncated_files_raise(fmt):
    data = encode(gradient(200, 150), fmt)
    for cut in (len(data) // 2, 40, 12):
        try:
            img = decode_image(data[:cut])
        except ImageDecodeError as exc:
            assert_user_message(exc)
        else:   # some decoders pad a cut-off tail; the result must still be a full RGB image
            assert img.mode == "RGB" and img.size == (200, 150)


def test_truncated_png_says_cut_off():
    data = encode(gradient(300, 300), "PNG")
    with pytest.raises(ImageDecodeError, match="cut off|damaged"):
        decode_image(data[: len(data) * 2 // 3])


def test_wrong_extension_is_decoded_by_content():
    # a PNG named .jpg: decoded by its bytes, the name only appears in messages
    img = decode_image(encode(gradient(), "PNG"), name="photo.jpg")
    assert img.size == (64, 48)
    with pytest.raises(ImageDecodeError, match="notes.png"):
        decode_image(b"hello, this is text", name="notes.png")


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares a huge picture (a decompression bomb)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("size", [(50_000, 50_000), (100_000, 100_000), (9_000, 9_000)])
def test_decompression_bomb_is_refused_before_decoding(size):
    data = _png_declaring(*size)
    assert len(data) < 2000
    with pytest.raises(ImageDecodeError, match="too large") as info:
        decode_image(data)
    assert_user_message(info.value)


def test_max_pixels_is_respected():
    data = encode(gradient(100, 100), "PNG")
    assert decode_image(data, max_pixels=10_000).size == (100, 100)
    with pytest.raises(ImageDecodeError, match="too large"):
        decode_image(data, max_pixels=9_999)


def test_cmyk_jpeg():
    src = Image.new("CMYK", (32, 16), (0, 255, 255, 0))    # pure red in CMYK
    img = decode_image(encode(src, "JPEG", quality=95))
    r, g, b = np.asarray(img).reshape(-1, 3).mean(0)
    assert img.mode == "RGB" and r > 200 and g < 60 and b < 60


def test_16bit_grey_png_keeps_its_range():
    a = np.linspace(0, 65535, 64 * 8).reshape(8, 64).astype(np.uint16)
    data = encode(Image.fromarray(a), "PNG")
    img = np.asarray(decode_image(data))
    assert img.dtype == np.uint8 and img.shape == (8, 64, 3)
    assert img.min() == 0 and img.max() == 255
    assert 100 < img.mean() < 155          # not clipped to white


def test_palette_and_transparency():
    p = gradient().convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    assert decode_image(encode(p, "PNG")).mode == "RGB"
    # a transparent drawing: black ink on a transparent background -> ink on white
    rgba = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    rgba.paste((0, 0, 0, 255), (5, 5, 15, 15))
    a = np.asarray(decode_image(encode(rgba, "PNG")))
    assert (a[0, 0] == 255).all() and (a[10, 10] == 0).all()
    la = Image.new("LA", (4, 4), (0, 0))
    assert (np.asarray(decode_image(encode(la, "PNG"))) == 255).all()


def test_exif_rotation_is_applied():
    src = gradient(60, 20)                  # landscape
    exif = Image.Exif()
    exif[0x0112] = 6                        # "rotate 90° clockwise to display"
    img = decode_image(encode(src, "JPEG", exif=exif.tobytes()))
    assert img.size == (20, 60)


def test_animated_gif_gives_first_frame():
    frames = [Image.new("RGB", (16, 16), c) for c in ((255, 0, 0), (0, 0, 255))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100,
                  loop=0)
    img = decode_image(data)
    r, g, b = np.asarray(img)[8, 8]
    assert r > 200 and b < 50


def test_unsupported_format_is_named():
    data = encode(gradient(), "ICO")
    with pytest.raises(ImageDecodeError, match=r"is an ICO .*Convert it to PNG"):
        decode_image(data)


def test_random_corruption_never_escapes():
    rng = np.random.default_rng(0)
    base = [encode(gradient(40, 30), f) for f in ("PNG", "JPEG", "GIF", "WEBP", "BMP")]
    for i in range(150):
        data = bytearray(base[i % len(base)])
        for pos in rng.integers(0, len(data), size=8):
            data[pos] = int(rng.integers(0, 256))
        try:
            img = decode_image(bytes(data))
        except ImageDecodeError as exc:
            assert_user_message(exc)
        else:
            assert img.mode == "RGB"


def _kind(data: bytes, **kw) -> ImageDecodeError:
    with pytest.raises(ImageDecodeError) as info:
        decode_image(data, name="x.png", **kw)
    return info.value


def test_every_error_has_a_kind_and_the_params_of_its_message():
    """A user interface translates the errors by kind (ui/models.py: decode_error)."""
    import pickle

    from cvlib.imageio import ERROR_KINDS
    assert _kind(b"").kind == "empty"
    assert _kind(b"not an image at all").kind == "unknown"
    png = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(png, "PNG")
    cut = _kind(png.getvalue()[:60])
    assert cut.kind in ("truncated", "unreadable", "damaged")
    ico = io.BytesIO()
    Image.new("RGB", (16, 16)).save(ico, "ICO")
    err = _kind(ico.getvalue())
    assert err.kind == "format" and err.params["format"].startswith("ICO")
    assert err.params["convert"] == "PNG"
    big = _kind(png.getvalue(), max_pixels=100)
    assert big.kind == "too_large" and (big.params["width"], big.params["height"]) == (64, 64)
    assert big.params["limit_mp"] == 0 and big.params["name"] == "x.png"
    again = pickle.loads(pickle.dumps(big))          # st.cache_data pickles results
    assert (again.kind, again.params, str(again)) == (big.kind, big.params, str(big))
    assert {e.kind for e in (cut, err, big)} <= set(ERROR_KINDS)


def test_every_module_that_takes_a_picture_reads_an_array_the_same_way():
    """Five modules each had their own "array -> uint8 RGB" rule: a float picture in 0-1
    was scaled by the segmenter but went black in the classical methods and the overlays,
    and a float video frame wrapped around instead of clipping. One rule now
    (cvlib.imageio.to_rgb_array), checked on each kind of array people pass."""
    from cvlib import classical, segment
    from cvlib.imageio import to_rgb_array
    from cvlib.video import analysis
    from ui import overlay
    rng = np.random.default_rng(0)
    unit = rng.random((6, 5, 3))
    cases = {
        "float 0-1": unit,
        "float 0-255 with NaN": np.where(unit > 0.9, np.nan, unit * 300.0),
        "int16 grey": (unit[..., 0] * 600 - 100).astype(np.int16),
        "bool mask": unit[..., 0] > 0.5,
        "RGBA uint8": (unit[..., [0, 1, 2, 0]] * 255).astype(np.uint8),
        "grey [H, W, 1]": (unit[..., :1] * 255).astype(np.uint8),
    }
    for name, a in cases.items():
        want = to_rgb_array(a)
        assert want.dtype == np.uint8 and want.shape == (6, 5, 3), name
        for convert in (segment.to_rgb_array, classical._rgb, analysis._rgb, overlay.as_rgb):
            np.testing.assert_array_equal(convert(a), want, err_msg=f"{name}: {convert}")
    np.testing.assert_array_equal(to_rgb_array(unit), np.round(unit * 255).astype(np.uint8))
    assert to_rgb_array(np.array([[300.0, -5.0]])).tolist() == [[[255] * 3, [0] * 3]]
    with pytest.raises(ValueError, match="at least 2x2"):
        classical._rgb(np.zeros((1, 5)))
    with pytest.raises(ValueError, match="shape"):
        to_rgb_array(np.zeros((4, 4, 2)))
