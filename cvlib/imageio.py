"""Safe decoding of uploaded images: bytes in, an RGB ``PIL.Image`` out, or one plain error.

Every upload passes :func:`decode_image` before anything else looks at it. It decides by
content, never by file name, and turns every way a file can be broken into an
:class:`ImageDecodeError` whose message a user understands ("the file is cut off", "this is
not an image", "the picture is too large"):

- formats: PNG, JPEG, WebP, BMP and GIF (first frame); anything else is refused;
- pixel count: checked from the header *before* decoding, so a decompression bomb (a tiny
  file that declares a huge picture) costs nothing. A JPEG bigger than ``max_pixels`` (a
  48 or 200 MP phone photo) is decoded at 1/2, 1/4 or 1/8 of its size by the decoder
  itself (Pillow's ``draft`` mode: the DCT is scaled, the full picture never exists in
  memory), up to ``MAX_DECLARED_PIXELS`` declared; other formats cannot be decoded
  reduced and are refused above ``max_pixels`` (bench/decode_big_photo.py measures time
  and peak memory);
- modes: CMYK, 16-bit, palette, grey + alpha ... all become 8-bit RGB. 16-bit grey is
  scaled by its bit depth (a 12-bit scan in a 16-bit PNG uses the whole 0-255 range).
  Where a picture has transparency, the opaque pixels are the content: they are laid on
  a background that contrasts with them (white ink on a transparent layer -> on black,
  dark ink -> on white), never white on white;
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
MAX_PIXELS = 40_000_000   # at most 40 megapixels decoded into memory (about 120 MB RGB)
# A JPEG may declare up to this many pixels: it is decoded reduced (draft mode) to fit
# MAX_PIXELS. Beyond it (a gigapixel "bomb") every format is refused from the header.
MAX_DECLARED_PIXELS = 256_000_000
DRAFT_FORMATS = ("JPEG", "MPO")
# Pillow refuses pictures over 2 x MAX_IMAGE_PIXELS in Image.open(); our own check, from
# the header, comes first, so only raise Pillow's limit to ours (never lower it).
if Image.MAX_IMAGE_PIXELS is not None and 2 * Image.MAX_IMAGE_PIXELS < MAX_DECLARED_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_DECLARED_PIXELS // 2
MAX_BYTES = 20 * 1024 * 1024   # matches server.maxUploadSize in .streamlit/config.toml
# The kinds of ImageDecodeError (see its docstring for the params of each).
ERROR_KINDS = ("not_bytes", "empty", "file_size", "unknown", "unreadable", "format",
               "no_pixels", "too_large", "truncated", "damaged")


class ImageDecodeError(CVLibError, ValueError):
    """The bytes are not an image CV Lab can read; the message says why and what to try.

    Besides its English message it carries, for a user interface that speaks other
    languages, a machine-readable ``kind`` and the ``params`` the message was made from:

    ==============  ==================================================================
    kind            params
    ==============  ==================================================================
    ``not_bytes``   ``type``: the type name that was given instead of bytes
    ``empty``       (none)
    ``file_size``   ``mb``: the file's size, ``limit_mb``: the upload limit
    ``unknown``     (none): not an image format at all
    ``unreadable``  ``detail``: the parser's own words
    ``format``      ``format``: an image format CV Lab does not read (e.g. "TIFF")
    ``no_pixels``   ``width``, ``height``
    ``too_large``   ``width``, ``height`` (0 when unknown), ``limit_mp``, ``jpeg_mp``
                    (0 unless a bigger JPEG would be read at reduced size)
    ``truncated``   (none): the file ends before the picture does
    ``damaged``     ``detail``: the decoder's own words
    ==============  ==================================================================

    Every kind also has ``params["name"]``, the file name given to :func:`decode_image`
    ("" when none).
    """

    def __init__(self, message: str, kind: str = "damaged", **params):
        super().__init__(message)
        self.kind = kind
        self.params = params

    def __reduce__(self):   # picklable with its kind and params (caches, worker processes)
        return _rebuild_decode_error, (str(self), self.kind, self.params)


def _rebuild_decode_error(message: str, kind: str, params: dict) -> ImageDecodeError:
    return ImageDecodeError(message, kind, **params)


def decode_image(data: bytes, max_pixels: int = MAX_PIXELS, name: str = "",
                 max_declared_pixels: int = MAX_DECLARED_PIXELS) -> Image.Image:
    """Decode an uploaded file into an 8-bit RGB image.

    Args:
        data: the file's bytes.
        max_pixels: the most pixels decoded into memory. A bigger JPEG is decoded reduced
            by a power of two (1/2, 1/4 or 1/8 per side) so that it fits; a bigger
            picture in another format is refused (checked before decoding).
        name: the file name, only to make messages clearer.
        max_declared_pixels: refuse any picture whose header declares more pixels than
            this (decompression bombs), whatever its format.

    Returns:
        A loaded ``PIL.Image`` in mode "RGB" (the first frame of an animation), at most
        ``max_pixels`` pixels; ``size`` is the decoded size (the declared one is in
        ``image.info["declared_size"]`` when the picture was reduced).

    Raises:
        ImageDecodeError: empty, cut-off, unknown-format, too large or otherwise unreadable
            data. Nothing else escapes.
    """
    what = f"{name!r}" if name else "The file"

    def error(message: str, kind: str, **params) -> ImageDecodeError:
        return ImageDecodeError(message, kind, name=name, **params)

    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise error(f"{what} must be given as bytes; got {type(data).__name__}.",
                    "not_bytes", type=type(data).__name__)
    data = bytes(data)
    if not data:
        raise error(f"{what} is empty (0 bytes). Choose the image file again.", "empty")
    if len(data) > MAX_BYTES:
        mb, limit = round(len(data) / 2**20), MAX_BYTES // 2**20
        raise error(f"{what} is {mb} MB; the limit is {limit} MB. Save a smaller copy and "
                    f"try again.", "file_size", mb=mb, limit_mb=limit)
    try:
        with warnings.catch_warnings():
            # Pillow warns (then raises) on huge declared sizes; our own check comes first.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise _too_large(what, name, None, max_pixels) from None
    except UnidentifiedImageError:
        raise error(f"{what} is not an image CV Lab can read. Use a PNG, JPEG, WebP, BMP or "
                    f"GIF file.", "unknown") from None
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad file
        raise error(f"{what} could not be read as an image ({_short(exc)}). Use a PNG, "
                    f"JPEG, WebP, BMP or GIF file.", "unreadable", detail=_short(exc)) from None
    try:
        if im.format not in FORMATS:
            fmt = im.format or "unknown"
            raise error(f"{what} is a {fmt} image; CV Lab reads PNG, JPEG, WebP, BMP and GIF. "
                        f"Convert it to PNG or JPEG and try again.", "format", format=fmt)
        w, h = im.size
        if w < 1 or h < 1:
            raise error(f"{what} has no pixels ({w}×{h}).", "no_pixels", width=w, height=h)
        if w * h > max_pixels:
            if im.format not in DRAFT_FORMATS or w * h > max_declared_pixels:
                jpeg = im.format in DRAFT_FORMATS
                raise _too_large(what, name, (w, h),
                                 max_declared_pixels if jpeg else max_pixels,
                                 None if jpeg or w * h > max_declared_pixels
                                 else max_declared_pixels)
            # JPEG: let the decoder scale the DCT by 1/2, 1/4 or 1/8 (libjpeg), the
            # smallest reduction that fits; the full-size picture is never allocated.
            k = 2
            while -(-w // k) * -(-h // k) > max_pixels and k < 8:
                k *= 2
            im.draft("RGB", (-(-w // k), -(-h // k)))
            if im.size[0] * im.size[1] > max_pixels:
                raise _too_large(what, name, (w, h), max_pixels)
            im.info["declared_size"] = (w, h)
        if getattr(im, "n_frames", 1) > 1:
            im.seek(0)                       # animated GIF/WebP/PNG: the first frame
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            im.load()
        return to_rgb(im)
    except ImageDecodeError:
        raise
    except Image.DecompressionBombError:
        raise _too_large(what, name, im.size, max_pixels) from None
    except OSError as exc:
        if "truncated" in str(exc).lower() or "broken" in str(exc).lower():
            raise error(f"{what} is cut off: it ends before the picture does (an interrupted "
                        f"download or copy?). Save or export it again.", "truncated") from None
        raise error(f"{what} is damaged and could not be decoded ({_short(exc)}). Save or "
                    f"export it again.", "damaged", detail=_short(exc)) from None
    except Exception as exc:  # noqa: BLE001 - never let a decoder error escape raw
        raise error(f"{what} is damaged and could not be decoded ({_short(exc)}). Save or "
                    f"export it again.", "damaged", detail=_short(exc)) from None


def to_rgb(im: Image.Image) -> Image.Image:
    """Any loaded PIL image -> 8-bit RGB, upright.

    - 16/32-bit grey is scaled by its bit depth: the smallest 2**b - 1 (b >= 8) that holds
      its maximum, so a 12-bit scan stored in a 16-bit PNG (0-4095) fills 0-255 instead
      of using its bottom 6%.
    - Transparency: the opaque pixels are the content. They are laid on black when they
      are light (mean luminance > 127, e.g. white ink exported from a paint program) and
      on white otherwise, so ink never disappears into its background.
    """
    try:
        im = ImageOps.exif_transpose(im)
    except Exception:  # noqa: BLE001 - a broken EXIF block must not lose the picture
        pass
    info = dict(im.info)
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        a = np.asarray(im, dtype=np.float64)
        top = float(a.max(initial=0))
        bits = max(8, int(np.ceil(np.log2(top + 1)))) if top > 0 else 8
        a = np.clip(a / (2.0 ** bits - 1) * 255.0, 0, 255).round().astype(np.uint8)
        out = Image.fromarray(a, "L").convert("RGB")
        out.info.update(info)
        return out
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif mode == "PA":
        im = im.convert("RGBA")
    elif mode in ("L", "RGB") and "transparency" in im.info:
        im = im.convert("RGBA")      # a tRNS colour key
    if im.mode in ("RGBA", "LA", "La", "RGBa"):
        rgba = im.convert("RGBA")
        out = Image.alpha_composite(Image.new("RGBA", rgba.size, _backdrop(rgba)),
                                    rgba).convert("RGB")
    else:
        out = im.convert("RGB")
    out.info.update({k: v for k, v in info.items() if k == "declared_size"})
    return out


def _backdrop(rgba: Image.Image) -> tuple[int, int, int, int]:
    """Black behind light opaque content, white behind dark (or fully opaque) content."""
    a = np.asarray(rgba, np.float32)
    alpha = a[..., 3] / 255.0
    if alpha.min(initial=1.0) >= 1.0 or alpha.sum() == 0:
        return (255, 255, 255, 255)
    lum = a[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    mean = float((lum * alpha).sum() / alpha.sum())
    return (0, 0, 0, 255) if mean > 127 else (255, 255, 255, 255)


def _too_large(what: str, name: str, size, max_pixels: int,
               jpeg_limit: int | None = None) -> ImageDecodeError:
    declared = f" ({size[0]:,}×{size[1]:,} pixels)" if size else ""
    hint = (f" (a JPEG of up to {jpeg_limit / 1e6:.0f} megapixels is read at reduced size)"
            if jpeg_limit else "")
    return ImageDecodeError(
        f"{what} declares a picture that is too large{declared}; the limit is "
        f"{max_pixels / 1e6:.0f} megapixels{hint}. Resize it (for example to 2000 pixels "
        f"on the long side) or save it as JPEG, and try again.", "too_large", name=name,
        width=size[0] if size else 0, height=size[1] if size else 0,
        limit_mp=round(max_pixels / 1e6), jpeg_mp=round(jpeg_limit / 1e6) if jpeg_limit else 0)


def _short(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 120 else text[:117] + "…"


# Videos: decoded and encoded by cvlib.videoio (PyAV); re-exported here so every upload,
# image or video, goes through cvlib.imageio.
from cvlib.videoio import VideoDecodeError, decode_video, encode_video  # noqa: E402,F401
