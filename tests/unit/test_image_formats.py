"""Every format people bring, in every mode, decodes to the right size and the right values.

The matrix: PNG, JPEG, WebP, BMP, GIF, TIFF and Netpbm (PBM/PGM/PPM) x 1-bit, grey, 16-bit
grey (full and 12-bit range), 32-bit and float grey, palette with transparency, RGBA, LA,
CMYK (each where the format can hold it). Every picture is checked by its pixels: a ramp
must still run from black to white, a 16-bit ramp must stretch to 0..255, ink on a
transparent layer must contrast with what it is laid on. Formats CV Lab does not read are
refused by name, with the article right ("an ICO"), and told what to convert to.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cvlib.imageio import EXTENSIONS, FORMATS, ImageDecodeError, decode_image
from cvlib.masks import MASK_EXTENSIONS, decode_mask
from tests.hostile_corpus import encode

W, H = 64, 24
LOSSY = {"JPEG": 12, "WEBP": 12}          # grey levels a lossy codec may move a pixel


def ramp8() -> np.ndarray:
    """uint8 [H, W]: 0 at the left edge, 255 at the right."""
    return np.round(np.linspace(0, 255, W))[None, :].repeat(H, 0).astype(np.uint8)


def ramp(top: int, dtype) -> np.ndarray:
    return np.round(np.linspace(0, top, W))[None, :].repeat(H, 0).astype(dtype)


def digit(mode: str, ink, paper) -> Image.Image:
    """A bar "digit" of ``ink`` on ``paper`` (transparent where alpha is 0)."""
    im = Image.new(mode, (W, H), paper)
    im.paste(ink, (24, 4, 40, 20))
    return im


def assert_ramp(img: Image.Image, fmt: str = "PNG"):
    """Decoded RGB [H, W, 3]: left edge black, right edge white, grey and rising."""
    a = np.asarray(img).astype(int)
    assert img.mode == "RGB" and img.size == (W, H)
    tol = LOSSY.get(fmt, 1)
    cols = a.mean(axis=(0, 2))
    assert cols[0] <= tol and cols[-1] >= 255 - tol, (cols[0], cols[-1])
    assert np.all(np.diff(cols[::8]) > 0), cols[::8]            # rising, left to right
    assert np.abs(a - a[..., :1]).max() <= tol                  # grey stays grey


def assert_ink(img: Image.Image):
    """The bar is the content: it contrasts with its surroundings by most of the range."""
    a = np.asarray(img).astype(int).mean(-1)
    assert img.mode == "RGB" and img.size == (W, H)
    assert abs(a[12, 32] - a[2, 2]) > 200, (a[12, 32], a[2, 2])


# --- grey ramps: every format that holds 8-bit grey or RGB ----------------------------------

@pytest.mark.parametrize("fmt, mode", [
    ("PNG", "L"), ("PNG", "RGB"), ("JPEG", "L"), ("JPEG", "RGB"), ("WEBP", "RGB"),
    ("BMP", "L"), ("BMP", "RGB"), ("GIF", "L"), ("TIFF", "L"), ("TIFF", "RGB"),
    ("PPM", "L"), ("PPM", "RGB")])
def test_grey_ramp_in_every_format(fmt, mode):
    img = decode_image(encode(Image.fromarray(ramp8()).convert(mode), fmt))
    assert_ramp(img, fmt)


@pytest.mark.parametrize("fmt", ["PNG", "TIFF", "BMP", "PPM"])
def test_one_bit(fmt):
    a = np.zeros((H, W), bool)
    a[:, W // 2:] = True                              # left black, right white
    img = np.asarray(decode_image(encode(Image.fromarray(a).convert("1"), fmt)))
    assert img.shape == (H, W, 3)
    assert (img[:, : W // 2] == 0).all() and (img[:, W // 2:] == 255).all()


# --- deeper than 8 bits: the stretch rules of cvlib.imageio.to_rgb -------------------------

@pytest.mark.parametrize("fmt", ["PNG", "TIFF", "PPM"])
@pytest.mark.parametrize("top", [65535, 4095, 1023])   # full 16-bit, 12-bit and 10-bit data
def test_16_bit_grey_stretches_by_its_bit_depth(fmt, top):
    # (Pillow writes 16-bit PGM with maxval 65535 whatever the data, so 12-bit data fills
    # 1/16 of it there too: the bit-depth rule must bring it back to 0..255)
    assert_ramp(decode_image(encode(Image.fromarray(ramp(top, np.uint16)), fmt)))


def test_16_bit_pgm_with_its_own_maxval():
    # P5 with maxval 1023 (a 10-bit sensor): Pillow scales to 16 bits, CV Lab to 8
    data = b"P5\n4 1\n1023\n" + np.array([0, 341, 682, 1023], ">u2").tobytes()
    row = np.asarray(decode_image(data))[0, :, 0]
    assert row.tolist() == [0, 85, 170, 255]


def test_ascii_netpbm_p1_p2_p3():
    pbm = np.asarray(decode_image(b"P1\n3 1\n0 1 0\n"))[0, :, 0]      # 1 = black in PBM
    assert pbm.tolist() == [255, 0, 255]
    pgm = np.asarray(decode_image(b"P2\n3 1\n15\n0 5 15\n"))[0, :, 0]
    assert pgm.tolist() == [0, 85, 255]
    ppm = np.asarray(decode_image(b"P3\n2 1\n255\n255 0 0  0 0 255\n"))[0]
    assert ppm.tolist() == [[255, 0, 0], [0, 0, 255]]


def test_32_bit_integer_tiff():
    img = decode_image(encode(Image.fromarray(ramp(2**20 - 1, np.int32), "I"), "TIFF"))
    assert_ramp(img)                                  # 20-bit data fills 0..255


def test_float_tiff_in_0_1_and_in_counts():
    unit = Image.fromarray(np.linspace(0, 1, W, dtype=np.float32)[None, :].repeat(H, 0))
    assert unit.mode == "F"
    assert_ramp(decode_image(encode(unit, "TIFF")))
    counts = Image.fromarray(ramp(4095, np.float32))  # a microscope's 12-bit counts as float
    assert_ramp(decode_image(encode(counts, "TIFF")))


def test_float_tiff_with_negative_values_and_nan_is_stretched():
    a = np.linspace(-5.0, 5.0, W, dtype=np.float32)[None, :].repeat(H, 0)
    a[0, 0] = np.nan
    img = np.asarray(decode_image(encode(Image.fromarray(a), "TIFF")))
    assert img[1, 0, 0] == 0 and img[1, -1, 0] == 255 and img[0, 0, 0] == 0
    assert 120 <= img[1, W // 2, 0] <= 135


def test_48_bit_rgb_tiff():
    import tifffile
    a = np.zeros((H, W, 3), np.uint16)
    a[..., 0] = 65535                                 # pure red, 16 bits per channel
    buf = io.BytesIO()
    tifffile.imwrite(buf, a, photometric="rgb")
    img = np.asarray(decode_image(buf.getvalue()))
    assert img.shape == (H, W, 3)
    assert (img[..., 0] > 240).all() and (img[..., 1:] < 15).all()


# --- transparency: the ink is the content ---------------------------------------------------

@pytest.mark.parametrize("fmt", ["PNG", "GIF"])      # the formats with a palette + tRNS
@pytest.mark.parametrize("ink", [(0, 0, 0), (255, 255, 255)])   # dark and light ink
def test_palette_with_transparency_reads_as_ink(fmt, ink):
    p = Image.new("P", (W, H), 0)
    p.putpalette([*(128, 128, 128), *ink] + [0] * 762)  # index 0 (transparent) is grey
    p.paste(1, (24, 4, 40, 20))
    assert_ink(decode_image(encode(p, fmt, transparency=0)))


@pytest.mark.parametrize("fmt, mode, ink, paper", [
    ("PNG", "RGBA", (0, 0, 0, 255), (0, 0, 0, 0)),
    ("PNG", "RGBA", (255, 255, 255, 255), (255, 255, 255, 0)),   # white ink, white paper
    ("PNG", "LA", (255, 255), (255, 0)),
    ("PNG", "LA", (0, 255), (0, 0)),
    ("TIFF", "RGBA", (255, 255, 255, 255), (0, 0, 0, 0)),
    ("TIFF", "LA", (0, 255), (255, 0)),
    ("WEBP", "RGBA", (255, 255, 255, 255), (0, 0, 0, 0)),
    ("WEBP", "RGBA", (0, 0, 0, 255), (0, 0, 0, 0))])
def test_alpha_reads_as_ink(fmt, mode, ink, paper):
    assert_ink(decode_image(encode(digit(mode, ink, paper), fmt)))


# --- CMYK, multi-page, frames, EXIF -----------------------------------------------------------

@pytest.mark.parametrize("fmt", ["JPEG", "TIFF"])
def test_cmyk(fmt):
    img = decode_image(encode(Image.new("CMYK", (W, H), (0, 255, 255, 0)), fmt))   # red
    r, g, b = np.asarray(img).reshape(-1, 3).mean(0)
    assert img.size == (W, H) and r > 200 and g < 60 and b < 60


def test_multi_page_tiff_gives_its_first_page():
    pages = [Image.new("RGB", (W, H), c) for c in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]
    data = encode(pages[0], "TIFF", save_all=True, append_images=pages[1:])
    assert Image.open(io.BytesIO(data)).n_frames == 3
    assert np.asarray(decode_image(data))[5, 5].tolist() == [255, 0, 0]


def test_tiff_orientation_tag_is_applied():
    src = Image.fromarray(ramp8())
    data = encode(src, "TIFF", tiffinfo={274: 6})   # Orientation: rotate 90° clockwise
    assert decode_image(data).size == (H, W)


def test_compressed_tiffs():
    src = Image.fromarray(ramp8()).convert("RGB")
    for compression in ("tiff_lzw", "tiff_adobe_deflate", "packbits", "jpeg"):
        assert_ramp(decode_image(encode(src, "TIFF", compression=compression)),
                    "JPEG" if compression == "jpeg" else "TIFF")


# --- masks from the new formats --------------------------------------------------------------

@pytest.mark.parametrize("fmt, mode", [("TIFF", "L"), ("TIFF", "I;16"), ("PPM", "L"),
                                       ("PNG", "I;16")])
def test_index_masks_in_lossless_formats(fmt, mode):
    truth = np.zeros((H, W), np.uint16)
    truth[4:20, 24:40] = 7
    data = encode(Image.fromarray(truth if mode == "I;16" else truth.astype(np.uint8)), fmt)
    mask, kind = decode_mask(data, (W, H), 11)
    assert kind == "index" and np.array_equal(mask, truth)


# --- what is refused, and how ----------------------------------------------------------------

@pytest.mark.parametrize("data, article, convert", [
    (encode(Image.new("RGB", (16, 16)), "ICO"), "an ICO", "PNG"),
    (encode(Image.new("RGB", (8, 8)), "TGA"), "a TGA", "PNG"),
    (encode(Image.new("RGB", (8, 8)), "PCX"), "a PCX", "PNG"),
    (encode(Image.new("RGB", (8, 8)), "SGI"), "an SGI", "PNG"),
    (encode(Image.new("RGB", (8, 8)), "JPEG2000"), "a JPEG 2000", "JPEG"),
    (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "a PDF", "PNG"),
    (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "an SVG", "PNG"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 32, "a HEIC/HEIF", "JPEG"),
    (b"%!PS-Adobe-3.0 EPSF-3.0\n", "an EPS", "PNG")])
def test_refused_formats_are_named_with_their_article_and_a_conversion(data, article, convert):
    with pytest.raises(ImageDecodeError) as info:
        decode_image(data, name="x")
    msg = str(info.value)
    assert info.value.kind == "format" and f"is {article} " in msg, msg
    assert f"Convert it to {convert}" in msg and "TIFF" in msg and "PGM/PPM" in msg
    assert info.value.params["convert"] == convert


def test_every_accepted_extension_names_a_decoded_format():
    # what the upload widgets accept (EXTENSIONS, MASK_EXTENSIONS) is what decode_image reads
    by_ext = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "webp": "WEBP", "bmp": "BMP",
              "gif": "GIF", "tif": "TIFF", "tiff": "TIFF", "pgm": "PPM", "ppm": "PPM",
              "pbm": "PPM", "pnm": "PPM"}
    assert set(EXTENSIONS) == set(by_ext) and set(by_ext.values()) <= set(FORMATS)
    assert set(MASK_EXTENSIONS) <= set(EXTENSIONS) and not {"jpg", "jpeg"} & set(MASK_EXTENSIONS)
    for ext in EXTENSIONS:
        mode = "1" if ext == "pbm" else "L" if ext == "pgm" else "RGB"
        data = encode(Image.fromarray(ramp8()).convert(mode), by_ext[ext])
        assert decode_image(data, name=f"x.{ext}").size == (W, H)
