"""Segment page: constants, the picture and controls, cached cvlib calls, and the inputs."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from cvlib import CVLibError, zoo
from cvlib.imageio import EXTENSIONS, decode_image
from ui import image_input
from ui.i18n import t, translated
from ui.models import class_labels, dataset_of, describe, user_message

SOURCES = ("scene", "photos", "upload", "camera", "draw")
VIEWS = ("segment", "detect", "measure", "classical", "faces", "weak", "train")
# catalog keys of the choices (spelled out, so every key is greppable)
SOURCE_KEYS = {"scene": "seg_source_scene", "photos": "seg_source_photos",
               "upload": "seg_source_upload", "camera": "seg_source_camera",
               "draw": "seg_source_draw"}
VIEW_KEYS = {"segment": "seg_view_segment", "detect": "seg_view_detect",
             "measure": "seg_view_measure", "classical": "seg_view_classical",
             "faces": "seg_view_faces", "weak": "seg_view_weak", "train": "seg_view_train"}
PHOTO_KEYS = {"astronaut": "seg_photo_astronaut", "coffee": "seg_photo_coffee",
              "chelsea": "seg_photo_chelsea", "rocket": "seg_photo_rocket"}
METHOD_KEYS = {"otsu": ("seg_cl_otsu", "seg_cl_otsu_help"),
               "watershed": ("seg_cl_watershed", "seg_cl_watershed_help"),
               "slic": ("seg_cl_slic", "seg_cl_slic_help"),
               "felzenszwalb": ("seg_cl_felzenszwalb", "seg_cl_felzenszwalb_help"),
               "grabcut": ("seg_cl_grabcut", "seg_cl_grabcut_help")}
MAX_IMAGES = 8
WORK_SIDE = 640          # photos are shrunk so that their longer side is at most this
CLASSICAL_SIDE = 400     # and to this for the classical methods (GrabCut is O(pixels))
POLL_SECONDS = 0.5
# Settings that survive a visit to another page (ui/state.py): value widgets only, by
# their exact keys (never the download buttons or uploaders, whose state cannot be set).
KEPT = ("seg_model", "seg_detector", "seg_view", "seg_source", "seg_seed", "seg_photo",
        "seg_opacity", "seg_score", "seg_nms", "seg_cl_method", "seg_cl_markers",
        "seg_cl_segments", "seg_cl_compactness", "seg_cl_scale", "seg_face_score",
        "seg_weak_model", "seg_weak_th", "seg_weak_refine", "seg_train_scenes",
        "seg_train_epochs")


@dataclass
class Picture:
    """One input: uint8 RGB [H, W, 3]; truth mask and boxes when it is a generated scene."""

    name: str
    image: np.ndarray
    truth: np.ndarray | None = None
    boxes: list = field(default_factory=list)       # [(box, label)]
    shrunk: bool = False


@dataclass
class Controls:
    segmenter: str
    detector: str
    view: str


# --- cached work ----------------------------------------------------------------------------

@st.cache_resource(show_spinner=False, max_entries=4)
def _predictor(task: str, name: str):
    import cvlib
    return cvlib.load(task, name)


@st.cache_data(show_spinner=False, max_entries=32)
def _segment(name: str, image: np.ndarray):
    return _predictor("segment", name)(image)


@st.cache_data(show_spinner=False, max_entries=64)
def _detect(name: str, image: np.ndarray, score: float, iou: float):
    return _predictor("detect", name)(image, score_threshold=score, iou_threshold=iou)


@st.cache_data(show_spinner=False, max_entries=32)
def _classical(method: str, image: np.ndarray, params: tuple) -> np.ndarray:
    from cvlib import classical
    return classical.segment(method, image, **dict(params))


@st.cache_data(show_spinner=False, max_entries=32)
def _localise(model: str, image: np.ndarray, threshold: float, refine: bool):
    from cvlib.weak import localise
    return localise(image, model, threshold=threshold, refine=refine)


# Cached functions return plain tuples: st.cache_data pickles results, and a class
# defined in this script is not picklable.
@st.cache_data(show_spinner=False, max_entries=16)
def _scene_cached(seed: int) -> tuple:
    from cvlib.data import digit_scenes
    s = digit_scenes(1, seed=seed, split="test")
    boxes = [(tuple(float(v) for v in b), int(lab)) for b, lab in zip(s.boxes[0], s.labels[0])]
    return s.images[0], s.masks[0].astype(np.int32), boxes


def _scene(seed: int) -> Picture:
    image, truth, boxes = _scene_cached(seed)
    return Picture(f"scene_{seed}", image, truth, boxes)


@st.cache_data(show_spinner=False, max_entries=32)
def _decode_cached(data: bytes, name: str) -> tuple:
    img = decode_image(data, name=name)
    shrunk = max(img.size) > WORK_SIDE
    if shrunk:
        img.thumbnail((WORK_SIDE, WORK_SIDE))
    return np.asarray(img, np.uint8).copy(), shrunk


def _decode(data: bytes, name: str) -> Picture:
    image, shrunk = _decode_cached(data, name)
    return Picture(name, image, shrunk=shrunk)


def _shrink(image: np.ndarray, side: int) -> np.ndarray:
    from PIL import Image
    if max(image.shape[:2]) <= side:
        return image
    im = Image.fromarray(image)
    im.thumbnail((side, side))
    return np.asarray(im)


def _shown(class_names) -> list[str]:
    """The class names as cvlib gives them, in the session's language (for text only:
    exports and the labels drawn into pictures keep cvlib's names)."""
    return class_labels(class_names, dataset_of(class_names))


def _model_label(name: str) -> str:
    return f"{name} · {t('status_' + zoo.status(name))}"


# --- controls and inputs --------------------------------------------------------------------

def controls() -> Controls:
    sb = st.sidebar
    seg_models = zoo.list_models("segment")
    det_models = zoo.list_models("detect")
    if st.session_state.get("seg_model") not in seg_models:
        st.session_state["seg_model"] = "digit_segmenter"
    if st.session_state.get("seg_detector") not in det_models:
        st.session_state["seg_detector"] = "digit_detector"
    segmenter = sb.selectbox(t("seg_model"), seg_models, key=translated("seg_model"),
                             format_func=_model_label)
    sb.caption(describe(segmenter))
    detector = sb.selectbox(t("seg_detector"), det_models, key=translated("seg_detector"),
                            format_func=_model_label)
    sb.caption(describe(detector))
    view = st.segmented_control(t("seg_view"), VIEWS, key=translated("seg_view"), default="segment",
                                format_func=lambda v: t(VIEW_KEYS[v]))
    return Controls(segmenter, detector, view or "segment")


def read_pictures() -> list[Picture]:
    source = st.radio(t("seg_source"), SOURCES, key=translated("seg_source"), horizontal=True,
                      format_func=lambda s: t(SOURCE_KEYS[s]))
    if source == "scene":
        seed = st.number_input(t("seg_seed"), 0, 2**31 - 1, 0, 1, key="seg_seed",
                               help=t("seg_seed_help"))
        return [_scene(int(seed))]
    if source == "photos":
        from cvlib.classical import SAMPLE_PHOTOS, sample_photo
        name = st.pills(t("seg_photos"), SAMPLE_PHOTOS, key=translated("seg_photo"),
                        default="astronaut", format_func=lambda n: t(PHOTO_KEYS[n]))
        st.caption(t("seg_photos_help"))
        return [Picture(name, sample_photo(name))] if name else []
    if source == "camera":
        files = image_input.camera("seg", t("seg_camera"))
    elif source == "draw":
        files = image_input.drawing("seg", t("seg_draw_help"))
    else:
        files = image_input.uploads("seg", t("seg_upload"), EXTENSIONS, t("seg_upload_help"),
                                    per_page=MAX_IMAGES)
    pictures, errors = image_input.decode_all(files, _decode)
    for message in errors:
        st.error(message)
    if not files and source != "draw":      # the canvas says what to do itself
        st.info(t("seg_no_input"))
    return pictures


def pick(pictures: list[Picture]) -> Picture | None:
    if not pictures:
        return None
    if len(pictures) == 1:
        pic = pictures[0]
    else:
        names = [f"{i + 1}. {p.name}" for i, p in enumerate(pictures)]
        choice = st.selectbox(t("seg_pick"), names, key="seg_pick")
        pic = pictures[names.index(choice) if choice in names else 0]
    if pic.shrunk:
        st.caption(t("seg_shrunk", side=WORK_SIDE))
    return pic


def run_or_tell(fn, *args, on_unavailable=None):
    """``fn(*args)``, or None after telling the user why not (never a traceback): a
    missing model as an info line (then ``on_unavailable()``, e.g. a download button),
    a bad input or setting as a plain error."""
    try:
        return fn(*args)
    except zoo.ModelUnavailable as exc:
        st.info(user_message(exc), icon=":material/cloud_off:")
        if on_unavailable is not None:
            on_unavailable()
    except (CVLibError, ValueError, TypeError) as exc:
        st.error(t("seg_bad_input", err=user_message(exc)))
    return None
