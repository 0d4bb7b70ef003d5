"""Tracking moving objects on the real traffic clip, measured against our own annotation
(issue 13). One JSON line per configuration, then a Markdown table for bench/RESULTS.md.

    detector    cvlib.video.moving_objects (background subtraction: MOG2 or KNN, with and
                without the brightness normalisation) on the decoded clip (768x432, 377
                frames); frames per second of detection (decode excluded, best of
                ``--repeats``)
    boxes       on the 18 annotated frames of tests/fixtures/traffic_annotation.json
                (18 vehicle boxes, 4 frames with none): true / false positives at IoU
                >= 0.5 (cvlib.masks.match_boxes), precision, recall, the mean over true
                boxes of the best IoU of a detection with it (how tight the boxes are),
                mean absolute error of the count per frame
    count_all   mean absolute count error over all 377 frames, the true count taken from
                each vehicle's visible interval (first / last frame it is in the picture,
                +-2 frames: a car that only shows a sliver at the edge is counted there)
    tracks      cvlib.video.track on those detections: track ids in all, ids lasting
                >= 5 frames, against the 4 vehicles; on the annotated frames each
                vehicle's box is matched to a track box (IoU >= 0.5):
                ids per vehicle (fragmentation) and the frames each of its tracks spans
                (against its visible interval), id switches between its consecutive
                annotated frames, ids shared by two vehicles (merges), and
                MOTA = 1 - (FN + FP + IDSW) / GT (Bernardin & Stiefelhagen 2008, CLEAR MOT)
                counted on the annotated frames only

Run: CVLIB_DATA_DIR=../shared/data python bench/traffic_tracking.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402

from cvlib import video  # noqa: E402
from cvlib.detect import box_iou  # noqa: E402
from cvlib.masks import match_boxes  # noqa: E402
from cvlib.video.moving_objects import METHODS  # noqa: E402
from cvlib.videoio import decode_video  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CAR = Path(os.environ.get("CVLIB_DATA_DIR") or ROOT.parent / "shared" / "data") / \
    "video" / "car-detection.mp4"
ANNOTATION = ROOT / "tests" / "fixtures" / "traffic_annotation.json"


def emit(**kw):
    print(json.dumps(kw), flush=True)


def boxes_score(records, ann: dict, iou: float = 0.5) -> dict:
    """Detections of the annotated frames against the annotation."""
    by_index = {r.index: r for r in records}
    tp = fp = fn = 0
    count_err, best = [], []
    for f, truth in ann["frames"].items():
        dets = by_index[int(f)].result["detections"]
        m = match_boxes(dets, [(tuple(v["box"]), 0) for v in truth], iou)
        tp, fp, fn = tp + m["tp"], fp + m["fp"], fn + m["fn"]
        count_err.append(abs(len(dets) - len(truth)))
        if truth:
            best += list(box_iou([v["box"] for v in truth], [d.box for d in dets]).max(1)
                         if dets else [0.0] * len(truth))
    return {"tp": tp, "fp": fp, "fn": fn,
            "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
            "recall": round(tp / (tp + fn), 3) if tp + fn else 0.0,
            "mean_best_iou": round(float(np.mean(best)), 3),
            "count_mae": round(float(np.mean(count_err)), 3),
            "count_exact": f"{sum(e == 0 for e in count_err)}/{len(count_err)}"}


def count_all(records, ann: dict) -> float:
    """Mean absolute count error over every frame, truth from the visible intervals."""
    spans = [v["visible_frames"] for v in ann["vehicles"].values()]
    err = [abs(r.result["count"] - sum(a <= r.index <= b for a, b in spans)) for r in records]
    return round(float(np.mean(err)), 3)


def track_score(tracks, ann: dict, iou: float = 0.5) -> dict:
    """Identity figures of the tracks on the annotated frames (see the module's docstring)."""
    ids_of: dict[str, list[int]] = {v: [] for v in ann["vehicles"]}
    fp = fn = gt = 0
    for f in sorted(ann["frames"], key=int):
        truth = ann["frames"][f]
        live = [(t.id, t.boxes[t.frames.index(int(f))]) for t in tracks if int(f) in t.frames]
        gt += len(truth)
        pairs = []
        if truth and live:
            m = box_iou([v["box"] for v in truth], [b for _, b in live])
            pairs = sorted(((m[i, j], i, j) for i in range(len(truth))
                            for j in range(len(live)) if m[i, j] >= iou), reverse=True)
        used_t, used_l = set(), set()
        for _, i, j in pairs:
            if i in used_t or j in used_l:
                continue
            used_t.add(i)
            used_l.add(j)
            ids_of[truth[i]["vehicle"]].append(live[j][0])
        fn += len(truth) - len(used_t)
        fp += len(live) - len(used_l)
    switches = sum(sum(a != b for a, b in zip(ids, ids[1:])) for ids in ids_of.values())
    owners: dict[int, set] = {}
    for v, ids in ids_of.items():
        for i in ids:
            owners.setdefault(i, set()).add(v)
    by_id = {t.id: t for t in tracks}
    return {"tracks": len(tracks), "tracks_5_frames": sum(len(t.frames) >= 5 for t in tracks),
            "vehicles": len(ann["vehicles"]),
            "ids_per_vehicle": {v: sorted(set(ids)) for v, ids in ids_of.items()},
            # first and last frame of each vehicle's track(s), against its visible_frames
            "track_spans": {v: [[by_id[i].frames[0], by_id[i].frames[-1]]
                                for i in sorted(set(ids))] for v, ids in ids_of.items()},
            "id_switches": switches,
            "merged_ids": sum(len(o) > 1 for o in owners.values()),
            "mota": round(1 - (fn + fp + switches) / gt, 3) if gt else 0.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    ann = json.loads(ANNOTATION.read_text())
    clip = decode_video(CAR.read_bytes())
    rows = []
    for method in METHODS:
        for light in (True, False):
            records, best = None, float("inf")
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                records = video.moving_objects(clip, method=method, normalise_light=light)
                best = min(best, time.perf_counter() - t0)
            t0 = time.perf_counter()
            tracks = video.track(records)
            track_s = time.perf_counter() - t0
            row = {"method": method, "normalise_light": light,
                   "detect_fps": round(len(clip) / best, 1),
                   "track_ms": round(1000 * track_s, 1),
                   **boxes_score(records, ann), "count_mae_all": count_all(records, ann),
                   **track_score(tracks, ann)}
            emit(**row)
            rows.append(row)
    print("\n| detector | light matched | detect fps | precision | recall | mean best IoU "
          "| count MAE (18 frames / all 377) | track ids (≥ 5 frames) / vehicles "
          "| ids per vehicle | id switches | MOTA |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ids = ", ".join(f"{v}: {len(i)}" for v, i in r["ids_per_vehicle"].items())
        print(f"| {r['method']} | {'yes' if r['normalise_light'] else 'no'} | "
              f"{r['detect_fps']} | {r['precision']} ({r['tp']}/"
              f"{r['tp'] + r['fp']}) | {r['recall']} ({r['tp']}/{r['tp'] + r['fn']}) | "
              f"{r['mean_best_iou']} | "
              f"{r['count_mae']} / {r['count_mae_all']} | {r['tracks']} "
              f"({r['tracks_5_frames']}) / {r['vehicles']} | {ids} | {r['id_switches']} | "
              f"{r['mota']} |")


if __name__ == "__main__":
    main()
