"""keras-cv against CV Lab's own nets on digit scenes, same data, same wall-time budget.

Segmentation: keras-cv ``DeepLabV3Plus`` on an explicit small ``ResNetV2Backbone`` (no
preset: presets download and fail offline) against the compact U-Net of
``cvlib.nets.unet``. Detection: keras-cv ``YOLOV8Detector`` on an explicit small
``YOLOV8Backbone`` against the centre-point net of ``cvlib.nets.centernet``.

Each model trains for ``--seconds`` of wall time on the same ``--train`` train-split
scenes (cosine learning rate over that time, Adam, batch 16), then is measured on
``--eval`` held-out test-split scenes: mIoU over the 11 classes (segmentation) or COCO
mAP@0.5 / mAP@0.5:0.95 with pycocotools (detection). Prints one JSON line per model.

    CVLIB_DATA_DIR=../shared/data python bench/keras_cv_compare.py --seconds 150
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def _fit(model, x, y, seconds, lr, batch=16):
    from cvlib.scene_train import _TimeLimit
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1000, shuffle=True, verbose=0,
              callbacks=[_TimeLimit(seconds, lr)])
    return time.perf_counter() - t0


def seg_unet(train, test, seconds, lr):
    import keras

    from cvlib.nets.unet import UNetSpec, build_unet
    from cvlib.scene_train import evaluate_segmenter, segment_loss
    keras.utils.set_random_seed(0)
    m = build_unet(UNetSpec(filters=(8, 16, 32, 64, 96)), dtype="mixed_bfloat16")
    m.compile(keras.optimizers.Adam(lr), segment_loss, steps_per_execution=4)
    s = _fit(m, train.images, train.masks, seconds, lr)
    return m, s, evaluate_segmenter(m, test)


def seg_deeplab(train, test, seconds, lr):
    import keras
    import keras_cv

    from cvlib.scene_train import evaluate_segmenter, segment_loss
    keras.utils.set_random_seed(0)
    backbone = keras_cv.models.ResNetV2Backbone(
        stackwise_filters=[16, 32, 64, 96], stackwise_blocks=[2, 2, 2, 2],
        stackwise_strides=[1, 2, 2, 2], include_rescaling=True, input_shape=(128, 128, 3))
    spp = keras_cv.layers.SpatialPyramidPooling(dilation_rates=[6, 12, 18], num_channels=64)
    m = keras_cv.models.DeepLabV3Plus(backbone=backbone, num_classes=11,
                                      projection_filters=32, spatial_pyramid_pooling=spp)
    m.compile(keras.optimizers.Adam(lr), segment_loss, steps_per_execution=4)
    s = _fit(m, train.images.astype(np.float32), train.masks, seconds, lr)
    return m, s, evaluate_segmenter(m, test)


def det_centernet(train, test, seconds, lr):
    import keras

    from cvlib.nets.centernet import CenterNetSpec, build_centernet
    from cvlib.scene_train import detect_loss, detection_targets, evaluate_detector
    keras.utils.set_random_seed(0)
    m = build_centernet(CenterNetSpec(filters=(8, 16, 32, 64, 96)), dtype="mixed_bfloat16")
    m.compile(keras.optimizers.Adam(lr), detect_loss, steps_per_execution=4)
    s = _fit(m, train.images, detection_targets(train.boxes, train.labels), seconds, lr)
    return m, s, evaluate_detector(m, test)


def det_yolo(train, test, seconds, lr):
    import keras
    import keras_cv

    from cvlib.detect import mean_average_precision
    keras.utils.set_random_seed(0)
    backbone = keras_cv.models.YOLOV8Backbone(
        stackwise_channels=[16, 32, 64, 128], stackwise_depth=[1, 1, 1, 1],
        include_rescaling=True, activation="swish", input_shape=(128, 128, 3))
    m = keras_cv.models.YOLOV8Detector(num_classes=10, bounding_box_format="xyxy",
                                       backbone=backbone, fpn_depth=1)
    m.compile(optimizer=keras.optimizers.Adam(lr, global_clipnorm=10.0),
              classification_loss="binary_crossentropy", box_loss="ciou")
    k = max(len(b) for b in train.boxes)
    boxes = np.full((len(train), k, 4), -1, np.float32)
    classes = np.full((len(train), k), -1, np.float32)
    for i, (b, c) in enumerate(zip(train.boxes, train.labels)):
        boxes[i, :len(b)], classes[i, :len(c)] = b, c
    s = _fit(m, train.images.astype(np.float32), {"boxes": boxes, "classes": classes},
             seconds, lr)
    m.prediction_decoder = keras_cv.layers.NonMaxSuppression(
        bounding_box_format="xyxy", from_logits=False, iou_threshold=0.5,
        confidence_threshold=0.01, max_detections=100)
    dets = []
    for i in range(0, len(test), 50):
        p = m.predict(test.images[i:i + 50].astype(np.float32), verbose=0)
        for j in range(len(p["boxes"])):
            n = int(p["num_detections"][j])
            dets.append(np.concatenate([np.asarray(p["boxes"][j][:n]),
                                        np.asarray(p["confidence"][j][:n])[:, None],
                                        np.asarray(p["classes"][j][:n])[:, None]], 1))
    dets = [np.clip(d, [0, 0, 0, 0, 0, 0], [128, 128, 128, 128, 1, 9]) for d in dets]
    dets = [d[(d[:, 2] > d[:, 0]) & (d[:, 3] > d[:, 1])] for d in dets]
    r = mean_average_precision(dets, list(zip(test.boxes, test.labels)), num_classes=10)
    return m, s, {"map50": round(r["map50"], 4), "map50_95": round(r["map50_95"], 4),
                  "detections_per_scene": round(r["detections"] / len(test), 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=150)
    ap.add_argument("--train", type=int, default=1500)
    ap.add_argument("--eval", type=int, default=200)
    ap.add_argument("--only", default="seg,det")
    args = ap.parse_args()
    from cvlib.scenes import digit_scenes
    train = digit_scenes(args.train, seed=0, split="train")
    test = digit_scenes(args.eval, seed=0, split="test")
    runs = []
    if "seg" in args.only:
        runs += [("segment", "keras_cv.DeepLabV3Plus(ResNetV2Backbone 16-96 x2 blocks, "
                  "ASPP 64)", seg_deeplab),
                 ("segment", "cvlib U-Net (8-96)", seg_unet)]
    if "det" in args.only:
        runs += [("detect", "keras_cv.YOLOV8Detector(YOLOV8Backbone 16-128)", det_yolo),
                 ("detect", "cvlib centre points (8-96)", det_centernet)]
    for task, name, fn in runs:
        try:
            m, s, metrics = fn(train, test, args.seconds, 2e-3)
            print(json.dumps({"task": task, "model": name, "params": int(m.count_params()),
                              "train_seconds": round(s, 1), "train_scenes": args.train,
                              "eval_scenes": args.eval, **metrics}), flush=True)
        except Exception as exc:  # report and go on with the next model
            print(json.dumps({"task": task, "model": name,
                              "error": f"{type(exc).__name__}: {exc}"[:500]}), flush=True)


if __name__ == "__main__":
    main()
