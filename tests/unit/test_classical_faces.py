"""Real photos without training: the classical methods, MTCNN faces, weak localisation from
Grad-CAM, the Pascal VOC DeepLabV3+ path (random weights, offline message), and the mask /
boxes files of the Segment page."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cvlib import classical, masks, zoo
from cvlib.predictor import Detection


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """scikit-image's astronaut (a real photo in the installed wheel), 256x256 for speed."""
    return np.asarray(Image.fromarray(classical.sample_photo("astronaut")).resize((256, 256)))


@pytest.mark.parametrize("method", classical.METHODS)
def test_each_classical_method_labels_every_pixel_of_a_real_photo(photo, method):
    params = {"box": (40, 10, 220, 250), "iterations": 2} if method == "grabcut" else {}
    labels = classical.segment(method, photo, **params)
    assert labels.shape == photo.shape[:2] and labels.dtype == np.int32
    n = int(labels.max()) + 1
    assert labels.min() == 0 and len(np.unique(labels)) == n     # consecutive 0..n-1
    assert n == 2 if method in ("otsu", "grabcut") else n > 10


def test_grabcut_keeps_the_outside_of_the_box_as_background(photo):
    labels = classical.grabcut(photo, (40, 10, 220, 250), iterations=2)
    assert labels[:, :40].sum() == 0 and labels[:, 220:].sum() == 0
    assert 0.1 < labels.mean() < 0.7                              # the astronaut, not all


@pytest.mark.parametrize("box, words", [
    ((0, 0, 300, 10), "outside the picture"), ((10, 10, 5, 20), "x0 < x1"),
    ((0, 0, 256, 256), "covers the whole"), (("a", 1, 2, 3), "four numbers")])
def test_grabcut_bad_boxes_say_what_was_expected(photo, box, words):
    with pytest.raises(ValueError, match=words):
        classical.grabcut(photo, box)


def test_classical_bad_inputs():
    with pytest.raises(ValueError, match="empty or too small"):
        classical.slic(np.zeros((0, 0, 3), np.uint8))
    with pytest.raises(ValueError, match="must be one of"):
        classical.segment("kmeans", np.zeros((8, 8), np.uint8))
    assert classical.otsu(np.full((8, 8), 7, np.uint8)).max() == 0   # one grey level


def test_mtcnn_finds_the_astronauts_face_with_five_landmarks():
    import cvlib
    from cvlib.detect import detect
    assert zoo.status("faces_mtcnn") == "shipped"               # weights in the mtcnn wheel
    image = classical.sample_photo("astronaut")
    faces = cvlib.load("detect", "faces_mtcnn")(image)
    assert len(faces) == 1 and faces[0].score > 0.99 and faces[0].label == 0
    x0, y0, x1, y1 = faces[0].box
    assert 150 < x0 < x1 < 300 and 30 < y0 < y1 < 200             # her face, upper left
    assert len(faces[0].landmarks) == 5
    assert all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in faces[0].landmarks)
    # through the task API too, with its NMS argument
    same = detect(image, "faces_mtcnn", score_threshold=0.9, iou_threshold=0.5)
    assert [f.box for f in same] == [f.box for f in faces]
    assert detect(np.zeros((64, 64, 3), np.uint8), "faces_mtcnn") == []


def test_voc_path_builds_with_random_weights_and_says_offline_in_one_line(photo):
    from cvlib.voc import PARAMS, VOC_CLASSES, VocSegmenter, build_voc
    entry = zoo.get("deeplab_v3_plus_voc")
    assert entry.task == "segment" and entry.source == "keras-cache"
    if zoo.status("deeplab_v3_plus_voc") == "missing":        # these machines: offline
        with pytest.raises(zoo.ModelUnavailable) as err:
            zoo.load("deeplab_v3_plus_voc")
        msg = str(err.value)
        assert "\n" not in msg and "python -m cvlib fetch deeplab_v3_plus_voc" in msg
        assert "digit_segmenter" in msg                         # offers the shipped one
    model = build_voc(input_size=128)                           # same architecture, small input
    assert model.count_params() == PARAMS
    seg = VocSegmenter("voc-random", model)(photo[:100, :120])
    assert seg.mask.shape == (100, 120) and seg.probs.shape == (100, 120, 21)
    assert seg.class_names == VOC_CLASSES and np.allclose(seg.probs.sum(-1), 1, atol=1e-4)


def test_weak_localisation_on_single_digit_scenes_beats_the_raw_cam():
    from cvlib.weak import evaluate_digit_scenes
    if zoo.status("mnist_cnn") != "shipped":
        pytest.skip("mnist_cnn is not shipped")
    r = evaluate_digit_scenes(6, seed=0)
    assert r["n"] == 6
    assert r["iou_mask"] > 0.4 and r["iou_mask"] > r["iou_region"]


def test_weak_localise_returns_maps_in_the_photos_pixels():
    from cvlib.weak import localise
    if zoo.status("cifar_cnn") != "shipped":
        pytest.skip("cifar_cnn is not shipped")
    image = classical.sample_photo("chelsea")
    loc = localise(image, "cifar_cnn", refine=False)
    assert loc.cam.shape == loc.mask.shape == image.shape[:2]
    x0, y0, x1, y1 = loc.box
    assert loc.region[int(y0):int(y1), int(x0):int(x1)].any() and loc.region.sum() > 0
    with pytest.raises(ValueError, match="threshold"):
        localise(image, "cifar_cnn", threshold=1.5)


def _png(array, mode=None) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array, mode).save(buf, "PNG")
    return buf.getvalue()


def test_mask_files_round_trip_and_bad_masks_say_what_was_expected():
    truth = np.zeros((20, 30), np.int32)
    truth[5:10, 5:15] = 3
    got, kind = masks.decode_mask(masks.mask_png(truth), (30, 20), 11)
    assert kind == "index" and (got == truth).all()
    binary = _png(((truth > 0) * 255).astype(np.uint8))
    got, kind = masks.decode_mask(binary, (30, 20), 11)
    assert kind == "binary" and (got == (truth > 0)).all()
    pal = Image.fromarray(truth.astype(np.uint8), "P")            # VOC stores palette PNGs
    pal.putpalette([0, 0, 0, 128, 0, 0] * 128)
    buf = io.BytesIO()
    pal.save(buf, "PNG")
    assert (masks.decode_mask(buf.getvalue(), (30, 20), 11)[0] == truth).all()
    with pytest.raises(masks.MaskError, match="must be 40×20"):
        masks.decode_mask(masks.mask_png(truth), (40, 20), 11)
    with pytest.raises(masks.MaskError, match=r"0\.\.2"):
        masks.decode_mask(masks.mask_png(truth), (30, 20), 3)
    with pytest.raises(masks.MaskError, match="not an image"):
        masks.decode_mask(b"hello", (30, 20), 11)


def test_boxes_csv_and_coco_json_read_back():
    import json
    dets = [Detection((1.0, 2.0, 11.0, 12.0), 3, 0.9), Detection((20.0, 5.0, 30.0, 15.0), 7, 0.4)]
    names = [str(i) for i in range(10)]
    text = masks.boxes_csv(dets, names)
    back = masks.parse_boxes_csv(text.encode(), names, (40, 20))
    assert back == [((1.0, 2.0, 11.0, 12.0), 3), ((20.0, 5.0, 30.0, 15.0), 7)]
    coco = json.loads(masks.coco_json(dets, names, (40, 20)))
    assert coco["annotations"][0]["bbox"] == [1.0, 2.0, 10.0, 10.0]
    assert coco["annotations"][0]["category_id"] == 4
    m = masks.match_boxes(dets, back[:1])
    assert (m["tp"], m["fp"], m["fn"]) == (1, 1, 0)
    with pytest.raises(masks.MaskError, match="outside the picture"):
        masks.parse_boxes_csv(b"x0,y0,x1,y1,label\n0,0,50,10,1\n", names, (40, 20))
    with pytest.raises(masks.MaskError, match="header"):
        masks.parse_boxes_csv(b"1,2,3,4\n", names, (40, 20))


def test_entropy_and_area_table():
    probs = np.zeros((2, 2, 4), np.float32)
    probs[0, 0] = [1, 0, 0, 0]
    probs[0, 1] = probs[1, 0] = probs[1, 1] = 0.25
    e = masks.entropy(probs)
    assert e[0, 0] == pytest.approx(0, abs=1e-6) and e[1, 1] == pytest.approx(1, abs=1e-6)
    rows = masks.area_table(np.array([[0, 0], [0, 2]]), ["bg", "a", "b"])
    assert [(r["class"], r["pixels"]) for r in rows] == [("bg", 3), ("b", 1)]
