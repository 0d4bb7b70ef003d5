"""Safe decoding of uploaded images: bytes in, an RGB ``PIL.Image`` out, or one plain error.

Every upload passes :func:`decode_image` before anything else looks at it. It decides by
content, never by file name, and turns every way a file can be broken into an
:class:`ImageDecodeError` whose message a user understands ("the file is cut off", "this is
not an image", "the picture is too large"):

- formats: PNG, JPEG, WebP, BMP and GIF (first frame); anything else is refused;
- pixel count: checked from the header *before* decoding, so a decompression bomb (a tiny
  file that declares a huge picture) costs nothing;
- modes: CMYK, 16-bit, palette, grey + alpha ... all become 8-bit RGB; transparent pixels
  are laid on white (a drawing with a transparent background is ink on white paper);
- orientation: the EXIF orientation tag of a phone photo is applied.

Example:
    >>> from cvlib.imageio import decode_image
    >>> img = decode_image(open("photo.jpg", "rb").read())  # doctest: +SKIP
    >>> img.mode, img.size  # doctest: +SKIP
    ('RGB', (640, 480))
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cvlib import CVLibError

FORMATS = ("PNG", "JPEG", "MPO", "WEBP", "BMP", "GIF")   # MPO = JPEG from some cameras
EXTENSIONS = ("png", "jpg", "jpeg", "webp", "bmp", "gif")
MAX_PIXELS = 40_000_000   # 40 megapixels: any phone photo, not a decompression bomb
MAX_BYTES = 20 * 1024 * 1024   # matches server.maxUploadSize in .streamlit/config.toml


class ImageDecodeError(CVLibError, ValueError):
    """The bytes are not an image CV Lab can read; the message says why and what to try."""


def decode_image(data: bytes, max_pixels: int = MAX_PIXELS, name: str = "") -> Image.Image:
    """Decode an uploaded file into an 8-bit RGB image.

    Args:
        data: the file's bytes.
        max_pixels: refuse pictures with more pixels than this (checked before decoding).
        name: the file name, only to make messages clearer.

    Returns:
        A loaded ``PIL.Image`` in mode "RGB" (the first frame of an animation).

    Raises:
        ImageDecodeError: empty, cut-off, unknown-format, too large or otherwise unreadable
            data. Nothing else escapes.
    """
    what = f"{name!r}" if name else "The file"
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ImageDecodeError(f"{what} must be given as bytes; got {type(data).__name__}.")
    data = bytes(data)
    if not data:
        raise ImageDecodeError(f"{what} is empty (0 bytes). Choose the image file again.")
    if len(data) > MAX_BYTES:
        raise ImageDecodeError(f"{what} is {len(data) / 2**20:.0f} MB; the limit is "
                               f"{MAX_BYTES // 2**20} MB. Save a smaller copy and try again.")
    try:
        with warnings.catch_warnings():
            # Pillow warns (then raises) on huge declared sizes; our own check comes first.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise _too_large(what, None, max_pixels) from None
    except UnidentifiedImageError:
        raise ImageDecodeError(
            f"{what} is not an image CV Lab can read. Use a PNG, JPEG, WebP, BMP or GIF "
            f"file.") from None
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad file
        raise ImageDecodeError(f"{what} could not be read as an image ({_short(exc)}). Use a "
                               f"PNG, JPEG, WebP, BMP or GIF file.") from None
    try:
        if im.format not in FORMATS:
            raise ImageDecodeError(
                f"{what} is a {im.format or 'unknown'} image; CV Lab reads PNG, JPEG, WebP, "
                f"BMP and GIF. Convert it to PNG or JPEG and try again.")
        w, h = im.size
        if w < 1 or h < 1:
            raise ImageDecodeError(f"{what} has no pixels ({w}×{h}).")
        if w * h > max_pixels:
            raise _too_large(what, (w, h), max_pixels)
        if getattr(im, "n_frames", 1) > 1:
            im.seek(0)                       # animated GIF/WebP/PNG: the first frame
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            im.load()
        return to_rgb(im)
    except ImageDecodeError:
        raise
    except Image.DecompressionBombError:
        raise _too_large(what, im.size, max_pixels) from None
    except OSError as exc:
        if "truncated" in str(exc).lower() or "broken" in str(exc).lower():
            raise ImageDecodeError(
                f"{what} is cut off: it ends before the picture does (an interrupted "
                f"download or copy?). Save or export it again.") from None
        raise ImageDecodeError(f"{what} is damaged and could not be decoded "
                               f"({_short(exc)}). Save or export it again.") from None
    except Exception as exc:  # noqa: BLE001 - never let a decoder error escape raw
        raise ImageDecodeError(f"{what} is damaged and could not be decoded "
                               f"({_short(exc)}). Save or export it again.") from None


def to_rgb(im: Image.Image) -> Image.Image:
    """Any loaded PIL image -> 8-bit RGB, upright, transparency laid on white."""
    try:
        im = ImageOps.exif_transpose(im)
    except Exception:  # noqa: BLE001 - a broken EXIF block must not lose the picture
        pass
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        # 16/32-bit grey: scale the real range to 0-255 (a plain convert would clip).
        a = np.asarray(im, dtype=np.float64)
        hi = 65535.0 if a.max(initial=0) > 255 else 255.0
        a = np.clip(a / hi * 255.0, 0, 255).round().astype(np.uint8)
        return Image.fromarray(a, "L").convert("RGB")
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif mode == "PA":
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "La", "RGBa"):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return im.convert("RGB")


def _too_large(what: str, size, max_pixels: int) -> ImageDecodeError:
    declared = f" ({size[0]:,}×{size[1]:,} pixels)" if size else ""
    return ImageDecodeError(
        f"{what} declares a picture that is too large{declared}; the limit is "
        f"{max_pixels / 1e6:.0f} megapixels. Resize it (for example to 2000 pixels on the "
        f"long side) and try again.")


def _short(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 120 else text[:117] + "…"
