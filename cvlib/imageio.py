"""Safe decoding of uploaded images: bytes in, an RGB ``PIL.Image`` out, or one plain error.

Every upload passes :func:`decode_image` before anything else looks at it. It decides by
content, never by file name, and turns every way a file can be broken into an
:class:`ImageDecodeError` whose message a user understands ("the file is cut off", "this is
not an image", "the picture is too large"):

- formats: PNG, JPEG, WebP, BMP, GIF (first frame), TIFF (first page; scanners,
  microscopes) and Netpbm PBM/PGM/PPM (classic vision data sets). Anything else is refused
  with its name and the format to convert it to ("... is an ICO (Windows icon) file,
  which CV Lab does not read ... Convert it to PNG and try again");
- pixel count: checked from the header *before* decoding, so a decompression bomb (a tiny
  file that declares a huge picture) costs nothing. A JPEG bigger than ``max_pixels`` (a
  48 or 200 MP phone photo) is decoded at 1/2, 1/4 or 1/8 of its size by the decoder
  itself (Pillow's ``draft`` mode: the DCT is scaled, the full picture never exists in
  memory), up to ``MAX_DECLARED_PIXELS`` declared; other formats cannot be decoded
  reduced and are refused above ``max_pixels`` (bench/decode_big_photo.py measures time
  and peak memory);
- modes: 1-bit, CMYK, 16-bit, 32-bit and float grey, palette, grey + alpha ... all become
  8-bit RGB. Integer grey deeper than 8 bits is scaled by its bit depth (a 12-bit scan in
  a 16-bit PNG or TIFF uses the whole 0-255 range); float grey in 0-1 is scaled by 255;
  data with negative values is stretched from its minimum to its maximum.
  Where a picture has transparency, the opaque pixels are the content: they are laid on
  a background that contrasts with them (white ink on a transparent layer -> on black,
  dark ink -> on white), never white on white;
- orientation: the EXIF orientation tag of a phone photo is applied;
- time and memory: only the header and the first frame/page are read, so a GIF of 10,000
  frames or a TIFF of 10,000 pages costs what its first picture costs.

Example:
    >>> from cvlib.imageio import decode_image
    >>> img = decode_image(open("photo.jpg", "rb").read())  # doctest: +SKIP
    >>> img.mode, img.size  # doctest: +SKIP
    ('RGB', (640, 480))
"""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cvlib import CVLibError

# Pillow's format names; MPO = JPEG from some cameras, PPM = Netpbm PBM/PGM/PPM (P1-P6).
FORMATS = ("PNG", "JPEG", "MPO", "WEBP", "BMP", "GIF", "TIFF", "PPM")
EXTENSIONS = ("png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff", "pgm", "ppm", "pbm",
              "pnm")
READS = "PNG, JPEG, WebP, BMP, GIF, TIFF or PGM/PPM"   # for messages
# Formats refused by name: what they are called in a message, and what to convert them to
# (lossless PNG for drawings, icons and documents; JPEG for photos). Pillow identifies most
# of them; the ones it cannot open here are recognised by their first bytes (_SIGNATURES).
_REFUSED = {"ICO": ("ICO (Windows icon)", "PNG"), "ICNS": ("ICNS (macOS icon)", "PNG"),
            "PSD": ("PSD (Photoshop)", "PNG"), "EPS": ("EPS (PostScript)", "PNG"),
            "PDF": ("PDF", "PNG"), "SVG": ("SVG (vector drawing)", "PNG"),
            "HEIC": ("HEIC/HEIF (iPhone photo)", "JPEG"), "AVIF": ("AVIF", "JPEG"),
            "JPEG2000": ("JPEG 2000", "JPEG"), "JXL": ("JPEG XL", "JPEG"),
            "SPIDER": ("SPIDER (electron microscopy)", "TIFF")}
_SIGNATURES = ((b"%PDF", "PDF"), (b"%!PS", "EPS"), (b"\xc5\xd0\xd3\xc6", "EPS"),
               (b"\xff\x0a", "JXL"), (b"\x00\x00\x00\x0cJXL ", "JXL"))
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
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
    ``format``      ``format``: an image format CV Lab does not read (e.g. "ICO
                    (Windows icon)"), ``convert``: the format to convert it to ("PNG")
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
    sniffed = _sniff_refused(data)
    if sniffed:
        raise _refused(what, name, sniffed)
    try:
        with warnings.catch_warnings():
            # Pillow warns (then raises) on huge declared sizes; our own check comes first.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise _too_large(what, name, None, max_pixels) from None
    except UnidentifiedImageError:
        raise error(f"{what} is not an image CV Lab can read. Use a {READS} file.",
                    "unknown") from None
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad file
        raise error(f"{what} could not be read as an image ({_short(exc)}). Use a {READS} "
                    f"file.", "unreadable", detail=_short(exc)) from None
    try:
        if im.format not in FORMATS:
            raise _refused(what, name, im.format or "unknown")
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
        # An animation or a multi-page TIFF is at its first frame/page after open(); its
        # frames are never counted (n_frames would walk a GIF of 10,000 frames).
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


def _sniff_refused(data: bytes) -> str:
    """The name of a format Pillow cannot open here (PDF, EPS, HEIC, JPEG XL, SVG), from
    its first bytes; "" for anything else."""
    for magic, fmt in _SIGNATURES:
        if data.startswith(magic):
            return fmt
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIC"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in head:
        return "SVG"
    return ""


def _refused(what: str, name: str, fmt: str) -> ImageDecodeError:
    """A format CV Lab does not read, named with its article, and what to convert it to."""
    shown, convert = _REFUSED.get(fmt, (fmt, "PNG"))
    # "an" before a vowel sound: acronyms spelled letter by letter (an ICO, an SVG) and
    # words (an AVIF); "a" before the rest (a PDF, a TGA, a SPIDER file).
    spelled = shown.split()[0]
    vowel = spelled[0].upper() in "AEIOU" or (spelled.isupper() and len(spelled) <= 4
                                              and spelled[0] in "FHLMNRSX")
    return ImageDecodeError(
        f"{what} is {'an' if vowel else 'a'} {shown} file, which CV Lab does not read (it "
        f"reads {READS}). Convert it to {convert} and try again.", "format", name=name,
        format=shown, convert=convert)


def to_rgb(im: Image.Image) -> Image.Image:
    """Any loaded PIL image -> 8-bit RGB, upright.

    - 16/32-bit grey is scaled by its bit depth: the smallest 2**b - 1 (b >= 8) that holds
      its maximum, so a 12-bit scan stored in a 16-bit PNG (0-4095) fills 0-255 instead
      of using its bottom 6%. Float grey ("F", e.g. a TIFF from a microscope) whose values
      lie in 0-1 is scaled by 255; grey with negative values (signed or float data) is
      stretched from its minimum to its maximum; NaN and infinities become 0.
    - Transparency: the opaque pixels are the content. They are laid on black when they
      are light (mean luminance > 127, e.g. white ink exported from a paint program) and
      on white otherwise, so ink never disappears into its background.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # "Corrupt EXIF data"
            im = ImageOps.exif_transpose(im)
    except Exception:  # noqa: BLE001 - a broken EXIF block must not lose the picture
        pass
    info = dict(im.info)
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        out = Image.fromarray(_grey_to_8bit(np.asarray(im)), "L").convert("RGB")
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


def to_rgb_array(image, min_side: int = 1) -> np.ndarray:
    """Any picture a caller hands over -> uint8 [H, W, 3] RGB: the one rule every module
    that takes a picture as an argument uses (segment, detect, faces, the classical
    methods, video frames, the UI's overlays).

    Args:
        image: bytes (an image file, through :func:`decode_image`), a PIL image (through
            :func:`to_rgb`: 16-bit grey by its bit depth, transparency on a backdrop), or
            a number array [H, W], [H, W, 1], [H, W, 3] or [H, W, 4] (alpha dropped).
            Arrays that are not uint8: float arrays whose maximum is at most 1 are taken
            as 0-1 and scaled by 255; then NaN becomes 0, values are clipped to 0-255 and
            rounded.
        min_side: the smallest height and width accepted, in pixels.

    Raises:
        TypeError: not a picture or an array of numbers (strings, objects, complex).
        ValueError: an empty picture, one smaller than ``min_side``, or an array of
            another shape.
        ImageDecodeError: bytes that are not a readable image.

    >>> to_rgb_array(np.array([[0.0, 0.5], [1.0, np.nan]])).tolist()
    [[[0, 0, 0], [128, 128, 128]], [[255, 255, 255], [0, 0, 0]]]
    """
    from cvlib.validation import number_array
    if isinstance(image, (bytes, bytearray, memoryview)):
        if len(image) == 0:
            raise ValueError("image is empty (0 bytes); upload a PNG or JPEG picture.")
        image = decode_image(bytes(image))
    if isinstance(image, Image.Image):
        image = np.asarray(to_rgb(image)) if image.width and image.height else \
            np.zeros((image.height, image.width, 3), np.uint8)
    a = number_array(image)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] not in (3, 4)):
        raise ValueError(f"image must be an array [H, W], [H, W, 1], [H, W, 3] or [H, W, 4]; "
                         f"got shape {a.shape}.")
    if a.shape[0] < min_side or a.shape[1] < min_side:
        raise ValueError(f"image is empty or too small ({a.shape[1]}x{a.shape[0]} pixels); "
                         f"give a picture of at least {min_side}x{min_side} pixels.")
    if a.dtype != np.uint8:
        with np.errstate(invalid="ignore"):
            if np.issubdtype(a.dtype, np.floating) and a.size and \
                    np.nanmax(a, initial=0.0) <= 1.0:
                a = a * 255.0            # float images in 0-1
            a = np.clip(np.nan_to_num(a, nan=0.0, posinf=255.0, neginf=0.0), 0, 255)
        a = a.round().astype(np.uint8)
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=-1)
    return np.ascontiguousarray(a[..., :3])


def _grey_to_8bit(a: np.ndarray) -> np.ndarray:
    """Grey deeper than 8 bits (uint16, int32, float32 [H, W]) -> uint8 [H, W] by the rules
    of :func:`to_rgb`; float32 work arrays, in place (a 40 MP picture needs 160 MB)."""
    is_float = a.dtype.kind == "f"
    a = a.astype(np.float32)               # a copy: the work array
    bad = ~np.isfinite(a) if is_float else None
    if bad is not None and bad.any():
        a[bad] = 0.0                       # 0 is inside [lo, top] already (initial=0)
    else:
        bad = None
    lo, top = float(a.min(initial=0)), float(a.max(initial=0))
    if lo < 0:                             # signed data: its own range
        a -= lo
        scale = top - lo
    elif is_float and top <= 1.0:
        scale = 1.0
    else:
        bits = max(8, int(np.ceil(np.log2(top + 1)))) if top > 0 else 8
        scale = 2.0 ** bits - 1
    a *= 255.0 / scale if scale > 0 else 0.0
    np.clip(a, 0, 255, out=a)
    if bad is not None:
        a[bad] = 0.0                       # NaN and infinities: black
    return np.rint(a, out=a).astype(np.uint8)


def _backdrop(rgba: Image.Image) -> tuple[int, int, int, int]:
    """Black behind light opaque content, white behind dark (or fully opaque) content."""
    if rgba.getchannel("A").getextrema()[0] >= 255:
        return (255, 255, 255, 255)        # fully opaque: the backdrop is never seen
    if rgba.width * rgba.height > 1_000_000:   # the mean of a reduced copy is as good
        k = int(np.ceil(np.sqrt(rgba.width * rgba.height / 1_000_000)))
        rgba = rgba.reduce(k)
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
    return error_detail(str(exc).strip() or type(exc).__name__)


def error_detail(text: str) -> str:
    """A decoder's own words, fit for a user's message: no reprs of the file object or
    of raw bytes (a parser quotes the garbage it choked on), at most 120 characters."""
    text = re.sub(r"\s*<_io\.\w+ object at 0x[0-9a-fA-F]+>", "", text)
    if "\\x" in text or not text.isprintable():   # quoted bytes: keep the words before them
        text = re.sub(r"^b['\"]", "", text.split(":")[0].strip()).strip("'\" ")
        if not text or "\\x" in text or not text.isprintable():
            text = "unreadable data"
    return text if len(text) < 120 else text[:117] + "…"


# Videos: decoded and encoded by cvlib.videoio (PyAV); re-exported here so every upload,
# image or video, goes through cvlib.imageio.
from cvlib.videoio import VideoDecodeError, decode_video, encode_video  # noqa: E402,F401
