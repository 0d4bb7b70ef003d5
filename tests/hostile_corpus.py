"""Hostile inputs for every upload path, crafted in code (no binary files in the repository).

Used by tests/unit/test_hostile_inputs.py (each crafted file once, plus Hypothesis) and by
bench/hostile_inputs.py (the same corpus plus seeded random mutations, 10,000+ inputs).

- :func:`image_files`, :func:`video_files`, :func:`csv_files`: ``[(label, bytes)]``,
  valid and hostile (decompression bombs, a 1x100,000 PNG, a GIF of 10,000 frames, a TIFF of
  10,000 pages, a video whose header claims a million frames, truncated, zero-byte, random
  bytes behind a valid magic number, huge EXIF ...);
- :func:`mutate`: a seeded random corruption of a file (bit flips, cuts, inserted bytes);
- :func:`odd_arrays`: arrays of odd shapes and dtypes (empty, 1x100,000, NaN, inf, bool,
  complex, object, str) for the functions that take pictures as arrays;
- :func:`outcome`: runs one input through a path and sorts the result into "decoded",
  "refused" (a ``cvlib.CVLibError``), "argument" (a ``ValueError``/``TypeError`` raised by
  cvlib's own checks, the project's convention for argument errors) or "uncaught"
  (anything else, or a ValueError/TypeError raised from inside numpy, Pillow, PyAV ...).
"""

from __future__ import annotations

import io
import os
import struct
import time
import traceback
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

CVLIB = str(Path(__file__).resolve().parent.parent / "cvlib") + os.sep


# --- building blocks ---------------------------------------------------------------------

def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (struct.pack(">I", len(body)) + kind + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))


def png_declaring(width: int, height: int, depth: int = 8, colour: int = 0,
                  idat: bytes | None = None, extra: bytes = b"") -> bytes:
    """A PNG whose IHDR declares ``width`` x ``height``, with tiny (or given) pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    body = zlib.compress(b"\x00" * 1024) if idat is None else idat
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + extra + _chunk(b"IDAT", body)
            + _chunk(b"IEND", b""))


def png_strip(width: int, height: int) -> bytes:
    """A real, fully decodable grey PNG of width x height (a ramp), e.g. 1 x 100,000."""
    row = np.arange(width, dtype=np.uint64) % 256
    raw = b"".join(b"\x00" + ((row + y) % 256).astype(np.uint8).tobytes()
                   for y in range(height))
    return png_declaring(width, height, idat=zlib.compress(raw, 9))


def gif_frames(n: int, screen: tuple[int, int] = (8, 8), far: int | None = None) -> bytes:
    """A GIF89a of ``n`` 1x1-pixel frames (alternating colours) on a ``screen`` canvas;
    written byte by byte, so 10,000 frames cost ~200 KB and no encoding time. Frame
    ``far`` (if given) is placed at (60000, 60000), far outside the canvas (Pillow grows
    the canvas to hold it: 3.6 gigapixels)."""
    w, h = screen
    head = b"GIF89a" + struct.pack("<HHBBB", w, h, 0xF0, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    frames = []
    for i in range(n):
        gce = b"\x21\xf9\x04\x00\x0a\x00\x00\x00"          # 0.1 s per frame
        x, y = (60_000, 60_000) if i == far else (i % w, (i // w) % h)
        desc = b"\x2c" + struct.pack("<HHHH", x, y, 1, 1) + b"\x00"
        # LZW, min code size 2: clear (4), pixel (i % 2), end (5), 3-bit codes LSB first
        data = b"\x02\x02" + bytes([0x44 | ((i % 2) << 3), 0x01]) + b"\x00"
        frames.append(gce + desc + data)
    return head + loop + b"".join(frames) + b"\x3b"


def tiff_pages(n: int, size: tuple[int, int] = (2, 2)) -> bytes:
    """A little-endian TIFF of ``n`` uncompressed grey pages, written byte by byte."""
    w, h = size
    pixels = bytes((17 * i) % 256 for i in range(w * h))
    out = bytearray(b"II*\x00" + struct.pack("<I", 8))
    entries = 8
    ifd_size = 2 + 12 * entries + 4
    for page in range(n):
        ifd_at = len(out)
        data_at = ifd_at + ifd_size
        next_at = data_at + len(pixels) if page < n - 1 else 0
        tags = [(256, 4, 1, w), (257, 4, 1, h), (258, 3, 1, 8), (259, 3, 1, 1),
                (262, 3, 1, 1), (273, 4, 1, data_at), (278, 4, 1, h),
                (279, 4, 1, len(pixels))]
        out += struct.pack("<H", entries)
        for tag, typ, count, value in tags:
            out += struct.pack("<HHII", tag, typ, count, value)
        out += struct.pack("<I", next_at)
        out += pixels
    return bytes(out)


def tiff_declaring(width: int, height: int) -> bytes:
    """A one-page TIFF whose tags declare width x height, with 4 bytes of pixels."""
    data = tiff_pages(1, (2, 2))
    return (data.replace(struct.pack("<HHII", 256, 4, 1, 2), struct.pack("<HHII", 256, 4, 1, width))
            .replace(struct.pack("<HHII", 257, 4, 1, 2), struct.pack("<HHII", 257, 4, 1, height)))


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small real JPEG whose SOF0 header is patched to declare width x height."""
    data = bytearray(encode(Image.new("RGB", (16, 16), (200, 30, 30)), "JPEG"))
    at = data.index(b"\xff\xc0")
    data[at + 5:at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def jpeg_with_exif(size: int) -> bytes:
    """A JPEG with an EXIF block of about ``size`` bytes (a long ImageDescription)."""
    exif = Image.Exif()
    exif[0x010E] = "x" * size            # ImageDescription
    exif[0x0112] = 6                     # orientation: rotate
    return encode(Image.new("RGB", (40, 20), "white"), "JPEG", exif=exif.tobytes())


def gradient(w: int = 64, h: int = 48) -> Image.Image:
    x = np.linspace(0, 255, w, dtype=np.uint8)[None, :].repeat(h, 0)
    y = np.linspace(0, 255, h, dtype=np.uint8)[:, None].repeat(w, 1)
    return Image.fromarray(np.stack([x, y, 255 - x], -1), "RGB")


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """One seeded random corruption: flipped bytes, a cut, a duplicated or inserted run."""
    b = bytearray(data)
    if not b:
        return bytes(rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8))
    how = int(rng.integers(0, 4))
    if how == 0:                                   # flip a few bytes (header included)
        for pos in rng.integers(0, len(b), size=int(rng.integers(1, 9))):
            b[int(pos)] = int(rng.integers(0, 256))
    elif how == 1:                                 # cut anywhere
        b = b[:int(rng.integers(0, len(b)))]
    elif how == 2:                                 # insert random bytes
        pos = int(rng.integers(0, len(b) + 1))
        b[pos:pos] = rng.integers(0, 256, int(rng.integers(1, 256)), dtype=np.uint8).tobytes()
    else:                                          # magic number kept, the rest random
        keep = min(len(b), int(rng.integers(2, 32)))
        b = b[:keep] + rng.integers(0, 256, max(1, len(b) - keep), dtype=np.uint8).tobytes()
    return bytes(b)


# --- images --------------------------------------------------------------------------------

MAGICS = {"png": b"\x89PNG\r\n\x1a\n", "jpeg": b"\xff\xd8\xff\xe0", "gif": b"GIF89a",
          "bmp": b"BM", "webp": b"RIFF\x00\x00\x00\x00WEBPVP8 ", "tiff": b"II*\x00",
          "tiff_be": b"MM\x00*", "pgm": b"P5\n", "ppm": b"P6\n", "pbm": b"P4\n",
          "ico": b"\x00\x00\x01\x00", "heic": b"\x00\x00\x00\x18ftypheic"}


def valid_images() -> list[tuple[str, bytes]]:
    """One small valid file per format and mode (the seeds that mutations start from)."""
    g = gradient(40, 30)
    ramp16 = Image.fromarray(np.linspace(0, 65535, 40 * 30).reshape(30, 40).astype(np.uint16))
    out = [("png_rgb", encode(g, "PNG")), ("jpeg", encode(g, "JPEG")),
           ("webp", encode(g, "WEBP")), ("bmp", encode(g, "BMP")), ("gif", encode(g, "GIF")),
           ("tiff_rgb", encode(g, "TIFF")), ("tiff_lzw", encode(g, "TIFF", compression="tiff_lzw")),
           ("tiff_16", encode(ramp16, "TIFF")), ("png_16", encode(ramp16, "PNG")),
           ("ppm", encode(g, "PPM")), ("pgm", encode(g.convert("L"), "PPM")),
           ("pbm", encode(g.convert("1"), "PPM")), ("png_1bit", encode(g.convert("1"), "PNG")),
           ("png_rgba", encode(g.convert("RGBA"), "PNG")),
           ("png_la", encode(g.convert("LA"), "PNG")),
           ("jpeg_cmyk", encode(g.convert("CMYK"), "JPEG")),
           ("tiff_cmyk", encode(g.convert("CMYK"), "TIFF")),
           ("tiff_float", encode(Image.fromarray(np.linspace(0, 1, 1200, dtype=np.float32)
                                                 .reshape(30, 40)), "TIFF"))]
    p = g.convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    out.append(("png_palette_transparent", encode(p, "PNG", transparency=0)))
    return out


def image_files() -> list[tuple[str, bytes]]:
    """Valid files, then crafted hostile ones, as (label, bytes)."""
    out = valid_images()
    bmp = encode(Image.new("RGB", (2, 2)), "BMP")
    out += [("zero_bytes", b""), ("one_byte", b"\x89"), ("text", b"hello, this is text"),
            ("random_4k", np.random.default_rng(1).integers(0, 256, 4096, np.uint8).tobytes())]
    rng = np.random.default_rng(2)
    for name, magic in MAGICS.items():
        out.append((f"magic_only_{name}", magic))
        out.append((f"magic_then_random_{name}",
                    magic + rng.integers(0, 256, 2048, np.uint8).tobytes()))
    out += [("png_bomb_100k_x_100k", png_declaring(100_000, 100_000)),
            ("png_bomb_1gp_16bit_rgba", png_declaring(40_000, 25_000, 16, 6)),
            ("png_zero_width", png_declaring(0, 10)),
            ("png_1_x_100000", png_strip(1, 100_000)),
            ("png_100000_x_1", png_strip(100_000, 1)),
            ("png_ztxt_bomb", png_declaring(4, 4, extra=_chunk(
                b"zTXt", b"comment\x00\x00" + zlib.compress(b"A" * 50_000_000, 9)))),
            ("png_huge_exif", png_declaring(4, 4, extra=_chunk(
                b"eXIf", b"MM\x00*" + b"\x00" * 4_000_000))),
            ("jpeg_declaring_65535_x_65535", jpeg_declaring(65535, 65535)),
            ("jpeg_declaring_16000_x_16000", jpeg_declaring(16000, 16000)),
            ("jpeg_exif_60k", jpeg_with_exif(60_000)),
            ("gif_10000_frames", gif_frames(10_000)),
            ("gif_10000_frames_4k_screen", gif_frames(10_000, (3840, 2160))),
            ("gif_first_frame_far_outside", gif_frames(3, far=0)),
            ("tiff_10000_pages", tiff_pages(10_000)),
            ("tiff_bomb_100k_x_100k", tiff_declaring(100_000, 100_000)),
            ("tiff_declaring_6000_x_6000_no_data", tiff_declaring(6000, 6000)),
            ("pgm_bomb", b"P5\n100000 100000\n255\n" + b"\x00" * 64),
            ("pgm_maxval_0", b"P5\n2 2\n0\n\x00\x00\x00\x00"),
            ("pgm_maxval_65536", b"P5\n2 2\n65536\n" + b"\x00" * 8),
            ("pgm_ascii_garbage", b"P2\n3 1\n255\n1 x 300\n"),
            ("pgm_negative_size", b"P5\n-2 2\n255\n\x00\x00\x00\x00"),
            ("bmp_declaring_huge", bmp[:18] + struct.pack("<ii", 100_000, -100_000) + bmp[26:]),
            ("webp_16383_square", b"RIFF" + struct.pack("<I", 30) + b"WEBPVP8L"
             + struct.pack("<I", 10) + b"\x2f" + struct.pack("<I", 16382 | (16382 << 14))
             + b"\x00" * 5),
            ("ico", encode(Image.new("RGB", (16, 16)), "ICO")),
            ("tga", encode(Image.new("RGB", (8, 8)), "TGA")),
            ("svg", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'),
            ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"),
            ("heic", MAGICS["heic"] + b"\x00" * 64)]
    for name, data in valid_images()[:8]:
        out += [(f"{name}_cut_half", data[: len(data) // 2]), (f"{name}_cut_40", data[:40])]
    return out


# --- videos --------------------------------------------------------------------------------

def tiny_mp4(frames: int = 12, size: tuple[int, int] = (32, 24)) -> bytes:
    from cvlib.videoio import encode_video
    w, h = size
    clip = np.zeros((frames, h, w, 3), np.uint8)
    for i in range(frames):
        clip[i, :, : (i * w) // max(1, frames)] = 255
    return encode_video(clip, fps=10)


def mp4_claiming(frames_claimed: int, data: bytes | None = None) -> bytes:
    """An MP4 whose headers claim a huge duration and frame count (mvhd, tkhd, mdhd
    durations and the stts sample count patched), with only a dozen real frames."""
    b = bytearray(data or tiny_mp4())
    for box, offset in ((b"mvhd", 16), (b"mdhd", 16), (b"tkhd", 20)):
        at = b.find(box)
        if at > 0 and b[at + 4] == 0:                # version 0: 32-bit durations
            b[at + 4 + offset:at + 8 + offset] = struct.pack(">I", min(2**32 - 1,
                                                                      frames_claimed * 1000))
    at = b.find(b"stts")
    if at > 0:
        b[at + 12:at + 16] = struct.pack(">I", frames_claimed)
    return bytes(b)


def wav_silence(seconds: float = 0.5) -> bytes:
    n = int(8000 * seconds)
    return (b"RIFF" + struct.pack("<I", 36 + n) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8) + b"data" + struct.pack("<I", n) + b"\x80" * n)


def video_files() -> list[tuple[str, bytes]]:
    mp4 = tiny_mp4()
    rng = np.random.default_rng(3)
    return [("mp4", mp4), ("mp4_claims_a_million_frames", mp4_claiming(1_000_000, mp4)),
            ("mp4_cut_half", mp4[: len(mp4) // 2]), ("mp4_cut_100", mp4[:100]),
            ("mp4_head_then_random", mp4[:64] + rng.integers(0, 256, 4096, np.uint8).tobytes()),
            ("zero_bytes", b""), ("random", rng.integers(0, 256, 8192, np.uint8).tobytes()),
            ("wav_audio_only", wav_silence()), ("png_still", encode(gradient(), "PNG")),
            ("gif_10000_frames", gif_frames(10_000)),
            ("gif_10000_frames_4k_screen", gif_frames(10_000, (3840, 2160))),
            ("gif_frame_31_far_outside", gif_frames(50, far=31)),
            ("gif_cut", gif_frames(50)[:300]), ("text", b"not a video at all")]


# --- box CSVs ------------------------------------------------------------------------------

def csv_files() -> list[tuple[str, bytes]]:
    ok = b"x0,y0,x1,y1,label\n1,1,20,20,3\n"
    rows = b"".join(b"%d,%d,%d,%d,1\n" % (i % 50, i % 50, i % 50 + 5, i % 50 + 5)
                    for i in range(400_000))
    return [("ok", ok), ("ok_by_class", b"x0,y0,x1,y1,class\n1,1,20,20,3\n"),
            ("empty", b""), ("header_only", b"x0,y0,x1,y1,label\n"),
            ("binary", bytes(range(256)) * 8), ("utf16", ok.decode().encode("utf-16")),
            ("nul_bytes", b"x0,y0,x1,y1,label\n1,1\x00,20,20,3\n"),
            ("missing_columns", b"a,b\n1,2\n"), ("nan", b"x0,y0,x1,y1,label\nnan,1,20,20,3\n"),
            ("inf_label", b"x0,y0,x1,y1,label\n1,1,20,20,1e400\n"),
            ("nan_label", b"x0,y0,x1,y1,label\n1,1,20,20,nan\n"),
            ("huge_numbers", b"x0,y0,x1,y1,label\n1e308,1,1e309,20,3\n"),
            ("negative_label", b"x0,y0,x1,y1,label\n1,1,20,20,-1\n"),
            ("formula", b"x0,y0,x1,y1,class\n1,1,20,20,=HYPERLINK(\"http://x\")\n"),
            ("html_class", b"x0,y0,x1,y1,class\n1,1,20,20,<b>bold</b>\n"),
            ("long_field", b"x0,y0,x1,y1,label\n" + b"1" * 200_000 + b",1,20,20,3\n"),
            ("many_rows", b"x0,y0,x1,y1,label\n" + rows),
            ("ragged", b"x0,y0,x1,y1,label\n1,1,20,20,3,9,9\n1,1,20\n"),
            ("quotes", b'x0,y0,x1,y1,label\n"1,1,20,20,3\n')]


# --- arrays --------------------------------------------------------------------------------

def odd_arrays() -> list[tuple[str, object]]:
    """Pictures as arrays/objects of odd shapes, dtypes and values."""
    rng = np.random.default_rng(4)
    nan = np.full((20, 20, 3), np.nan, np.float32)
    inf = np.full((20, 20), np.inf)
    return [("ok_uint8", rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)),
            ("empty_0x0", np.zeros((0, 0), np.uint8)), ("empty_0x5x3", np.zeros((0, 5, 3))),
            ("one_pixel", np.zeros((1, 1), np.uint8)),
            ("strip_1_x_100000", np.zeros((1, 100_000), np.uint8)),
            ("strip_100000_x_1", np.full((100_000, 1, 3), 200, np.uint8)),
            ("two_channels", np.zeros((8, 8, 2), np.uint8)), ("five_channels", np.zeros((8, 8, 5))),
            ("four_d", np.zeros((2, 8, 8, 3))), ("one_d", np.zeros(10)), ("scalar", np.float64(3)),
            ("nan", nan), ("inf", inf), ("minus_inf", -inf), ("bool", np.eye(16, dtype=bool)),
            ("int64_huge", np.full((8, 8), 2**62, np.int64)),
            ("uint16", np.full((8, 8), 65535, np.uint16)),
            ("float16", np.ones((8, 8, 3), np.float16)), ("complex", np.ones((8, 8), np.complex64)),
            ("object", np.array([[None, 1], [2, 3]], dtype=object)),
            ("str", np.array([["a", "b"]])), ("ragged", [[1, 2], [3]]),
            ("list_of_lists", [[0, 255], [255, 0]]), ("none", None), ("text", "picture.png"),
            ("pil_1x1", Image.new("RGB", (1, 1))), ("pil_I16", Image.new("I;16", (8, 8), 4000)),
            ("pil_F_nan", Image.fromarray(np.full((8, 8), np.nan, np.float32)))]


# --- outcomes ------------------------------------------------------------------------------

def _own_raise(exc: BaseException) -> bool:
    """True when ``exc`` was raised by a ``raise`` statement in cvlib (its last frame is a
    ``raise`` line in cvlib), i.e. by one of cvlib's own argument checks, not by numpy,
    Pillow ... (whose C code adds no frame of its own)."""
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and os.path.realpath(frames[-1].filename).startswith(CVLIB) and (
        frames[-1].line or "").lstrip().startswith("raise")


def outcome(fn, arg) -> tuple[str, BaseException | None, float]:
    """Run ``fn(arg)``: ("decoded" | "refused" | "argument" | "uncaught", error, seconds)."""
    from cvlib import CVLibError
    t0 = time.perf_counter()
    try:
        fn(arg)
    except CVLibError as exc:
        return "refused", exc, time.perf_counter() - t0
    except (ValueError, TypeError) as exc:
        kind = "argument" if _own_raise(exc) else "uncaught"
        return kind, exc, time.perf_counter() - t0
    except Exception as exc:  # noqa: BLE001 - the point: count what escapes
        return "uncaught", exc, time.perf_counter() - t0
    return "decoded", None, time.perf_counter() - t0


def plain(message: str) -> bool:
    """A message a user can read: one sentence or a few, no traceback, no repr of bytes."""
    return (bool(message) and len(message) < 600 and "Traceback" not in message
            and "b'\\x" not in message and 'b"\\x' not in message and "<_io." not in message
            and "object at 0x" not in message)
