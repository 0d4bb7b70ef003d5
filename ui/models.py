"""Names that cvlib keeps in English, shown in the session's language.

cvlib stays English (a library used from notebooks and scripts); the UI translates at
display time through catalog keys, falling back to cvlib's own text when a key is missing
(a model or class registered later still shows, in English):

- ``describe(name)``: a model's description, ``model_desc_<name>`` (ui/locales/*/home.json);
- ``task_label(task)``: ``task_<task>``;
- ``class_label(label, dataset)``: a class name, ``class_<dataset>_<slug>`` and then
  ``class_<slug>`` (slug = the name in lower case, other characters as "_"): Fashion-MNIST,
  CIFAR-10 and Pascal VOC classes, "background", "face"; digits stay digits;
- ``decode_error(exc)``: a ``cvlib.imageio.ImageDecodeError`` by its ``kind`` and
  ``params``, ``decode_<kind>`` (ui/locales/*/labels.json);
- ``user_message(exc)``: any error a page shows the user: a ``cvlib.CVLibError`` by its
  ``kind`` and ``params``, ``err_<kind>`` (ui/locales/*/errors.json), an image-decode kind
  through ``decode_error``; anything else (or a kind without a key) as ``str(exc)``.
"""

from __future__ import annotations

import re

from ui.i18n import FALLBACK, catalog, lang, t
from ui.text import md_escape, md_escape_params


def _text(key: str) -> str | None:
    return catalog(lang()).get(key) or catalog(FALLBACK).get(key)


def describe(name: str) -> str:
    """The description of the registry model ``name`` in the session's language."""
    text = _text(f"model_desc_{name}")
    if text:
        return text
    from cvlib import zoo
    return zoo.get(name).description


def task_label(task: str) -> str:
    return _text(f"task_{task}") or task


def slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(label).lower()).strip("_")


def class_label(label, dataset: str = "") -> str:
    """``label`` (a class name as cvlib gives it) in the session's language."""
    label = str(label)
    s = slug(label)
    if not s or s.isdigit():
        return label
    return (dataset and _text(f"class_{dataset}_{s}")) or _text(f"class_{s}") or label


def class_labels(labels, dataset: str = "") -> list[str]:
    return [class_label(x, dataset) for x in labels]


def dataset_of(class_names) -> str:
    """The data set whose classes these are ("" when none is known): a model trained on the
    Train page or a registry model, told apart by its class names alone."""
    from cvlib.data import CLASS_NAMES
    from cvlib.voc import VOC_CLASSES
    names = [str(n) for n in class_names]
    for dataset, known in (*CLASS_NAMES.items(), ("pascal_voc", VOC_CLASSES)):
        if names == list(known):
            return dataset
    return ""


def decode_error(exc: Exception) -> str:
    """The message of an image-decode error in the session's language (cvlib's English
    message for an error without a known ``kind``)."""
    kind = getattr(exc, "kind", None)
    # file names, CSV cells ... are shown as text, never as Markdown (ui/text.py)
    params = md_escape_params(dict(getattr(exc, "params", None) or {}))
    if not kind or _text(f"decode_{kind}") is None:
        return md_escape(str(exc))
    name = params.pop("name", "")
    what = t("decode_what_named", name=name) if name else t("decode_what_file")
    params.setdefault("detail", "")
    if kind == "too_large":
        size = (t("decode_size", width=f"{params['width']:,}", height=f"{params['height']:,}")
                if params.get("width") else "")
        hint = t("decode_jpeg_hint", mp=params["jpeg_mp"]) if params.get("jpeg_mp") else ""
        return t("decode_too_large", what=what, size=size, limit=params["limit_mp"],
                 hint=hint)
    try:
        return t(f"decode_{kind}", what=what, **params)
    except (KeyError, IndexError, ValueError):   # params not as the catalog expects
        return md_escape(str(exc))


def user_message(exc: BaseException) -> str:
    """What a page shows for ``exc``, in the session's language.

    A ``cvlib.CVLibError`` with a ``kind`` is worded from the catalog key ``err_<kind>``
    with its ``params`` (``{what}`` is the file: "'<params['name']>'", or the kind's
    ``err_what_<first word>`` such as "The mask", else "The file"; a ``task`` param is
    shown as its task label); a kind of ``cvlib.imageio.ERROR_KINDS`` (also when a
    ``MaskError`` passes one on) goes through :func:`decode_error`. Any other error, a
    kind without a key, or params that do not fit the text give cvlib's English message,
    ``str(exc)``, so nothing is ever hidden.
    """
    kind = getattr(exc, "kind", None)
    if not isinstance(kind, str) or not kind:
        return md_escape(str(exc))       # user data in it is text, not Markdown (ui/text.py)
    if _text(f"err_{kind}") is None:
        from cvlib.imageio import ERROR_KINDS
        return decode_error(exc) if kind in ERROR_KINDS else md_escape(str(exc))
    params = md_escape_params(dict(getattr(exc, "params", None) or {}))
    name = params.get("name", "")
    what = t("decode_what_named", name=name) if name else \
        (_text(f"err_what_{kind.split('_')[0]}") or t("decode_what_file"))
    if "task" in params:
        params["task"] = task_label(str(params["task"]))
    try:
        return t(f"err_{kind}", **{"what": what, **params})
    except (KeyError, IndexError, ValueError):   # params not as the catalog expects
        return md_escape(str(exc))
