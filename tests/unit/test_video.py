"""cvlib.video, cvlib.moving_digits, cvlib.nets.rnn: the sequence data, model, timeline,
motion, optical flow, tracking and the analysis job, on tiny inputs."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from cvlib import video, zoo
from cvlib.moving_digits import generate, scene, unit_vector
from cvlib.predictor import Detection, FrameRecord, SequencePrediction

# A few real-looking digits without touching the data chain: blobs of "ink".
RNG = np.random.default_rng(0)
DIGITS = np.zeros((10, 28, 28), np.uint8)
for _d in range(10):
    DIGITS[_d, 4 + _d:14 + _d, 6:22] = 255
LABELS = np.arange(10)


def test_moving_digits_shapes_determinism_and_directions():
    md = generate(16, seed=3, images=DIGITS, labels=LABELS)
    assert md.clips.shape == (16, 20, 64, 64) and md.clips.dtype == np.uint8
    assert md.boxes.shape == (16, 20, 4) and set(md.direction) <= set(range(8))
    again = generate(16, seed=3, images=DIGITS, labels=LABELS)
    np.testing.assert_array_equal(md.clips, again.clips)
    assert not np.array_equal(md.clips, generate(16, seed=4, images=DIGITS,
                                                 labels=LABELS).clips)
    # The first step shows the labelled direction (no bounce yet); rows grow downwards.
    step = md.boxes[:, 1, :2] - md.boxes[:, 0, :2]
    expected = unit_vector(md.direction) * md.speed[:, None]
    assert np.all(np.abs(step - expected) <= 1.0)
    np.testing.assert_allclose(unit_vector(2), [0, -1], atol=1e-9)      # 2 = up
    np.testing.assert_allclose(unit_vector(6), [0, 1], atol=1e-9)       # 6 = down
    assert md.boxes.min() >= 0 and md.boxes.max() <= 64                 # bounced, inside
    for i in range(4):   # the drawn digit sits where the box says
        x0, y0 = md.boxes[i, 5, :2].astype(int)
        np.testing.assert_array_equal(md.clips[i, 5, y0:y0 + 28, x0:x0 + 28],
                                      DIGITS[md.digit[i]])


def test_scene_and_validation():
    md = scene(3, frames=12, images=DIGITS, labels=LABELS)
    assert md.clips.shape == (1, 12, 128, 128) and md.boxes.shape == (3, 12, 4)
    with pytest.raises(ValueError):
        generate(0, images=DIGITS, labels=LABELS)
    with pytest.raises(ValueError):
        generate(2, split="val", images=DIGITS, labels=LABELS)


@pytest.fixture(scope="module")
def tiny_seq():
    from cvlib.nets.rnn import SequenceSpec, build
    return video.SequenceModel.from_model(build(SequenceSpec(filters=(4, 4, 4), features=8,
                                                             units=6)), "tiny")


def test_sequence_model_schema(tiny_seq):
    clip = generate(1, seed=1, images=DIGITS, labels=LABELS).clips[0]
    p = video.predict_sequence(clip, model=tiny_seq)
    assert isinstance(p, SequencePrediction)
    assert 0 <= p.direction < 8 and 0 <= p.digit < 10
    assert p.hidden_states.shape == (20, 6) and p.hidden_states.dtype == np.float32
    assert p.direction_per_frame.shape == (20, 8) and p.digit_per_frame.shape == (20, 10)
    np.testing.assert_allclose(p.direction_probs.sum(), 1, atol=1e-4)
    np.testing.assert_allclose(p.direction_probs, p.direction_per_frame[-1])
    single, digit = tiny_seq.single_frames(clip[:5])
    assert single.shape == (5, 8) and digit.shape == (5, 10)
    rgb_big = np.repeat(clip[:4, :, :, None], 3, -1).repeat(2, 1).repeat(2, 2)
    assert video.predict_sequence(rgb_big, model=tiny_seq).hidden_states.shape == (4, 6)
    with pytest.raises(ValueError):
        video.predict_sequence(np.zeros((5,), np.uint8), model=tiny_seq)


def test_fit_sequence_tiny(monkeypatch):
    import cvlib.sequence_train as st
    monkeypatch.setattr(st, "generate", lambda n, seed=0, split="train", images=None,
                        labels=None: generate(n, seed, images=DIGITS, labels=LABELS))
    monkeypatch.setattr("cvlib.data.load_dataset",
                        lambda name, split="train": (DIGITS, LABELS, type("I", (), {
                            "source": "test", "subset": False})()))
    result = st.fit_sequence(st.SequenceConfig(epochs=1, clips_per_epoch=32, batch_size=16,
                                               units=8, features=8, eval_clips=16))
    assert {"direction_accuracy", "digit_accuracy"} <= set(result.metrics)
    assert result.model.output["direction"].shape[-1] == 8


def test_timeline_reads_the_digits_of_a_generated_clip():
    if zoo.status("mnist_cnn") != "shipped":
        pytest.skip("mnist_cnn is not shipped")
    from cvlib.data import load_dataset
    x, y, _ = load_dataset("mnist", "test")
    md = generate(3, seed=0, split="test", images=x[:200], labels=y[:200])
    frames = md.clips.reshape(-1, 64, 64)[::2]          # 30 frames of 3 known digits
    truth = np.repeat(md.digit, 10)
    recs = video.analyze(frames, "mnist_cnn", fps=10.0)
    assert [r.index for r in recs[:3]] == [0, 1, 2] and recs[1].time == pytest.approx(0.1)
    top1 = np.array([int(r.result["top"][0][0]) for r in recs])
    assert np.mean(top1 == truth) >= 0.9
    csv_text = video.to_csv(recs)
    assert csv_text.splitlines()[0].startswith("frame,time_s,top1,score1")
    assert len(csv_text.splitlines()) == 31
    annotated = video.annotate(np.repeat(frames[:3, ..., None], 3, -1), recs[:3])
    assert annotated.shape == (3, 64, 64, 3)


def test_analyze_rejects_non_frame_models():
    with pytest.raises(video.UnsupportedModel):
        video.analyze(np.zeros((2, 8, 8), np.uint8), model="digit_motion")


def test_motion_energy_and_cuts():
    md = generate(2, seed=1, images=DIGITS, labels=LABELS)
    clip = np.concatenate([md.clips[0], 255 - md.clips[1]])   # a cut at frame 20
    m = video.motion(clip)
    assert m.energy.shape == (39,) and 0 <= m.energy.min() and m.energy.max() <= 1
    assert m.cuts == [20]
    still = video.motion(np.zeros((5, 8, 8, 3), np.uint8))
    assert still.cuts == [] and still.energy.max() == 0
    with pytest.raises(ValueError):
        video.motion(np.zeros((1, 8, 8), np.uint8))


def test_optical_flow_follows_the_digit():
    md = generate(8, seed=2, images=DIGITS, labels=LABELS)
    for i in range(8):
        flow = video.optical_flow(md.clips[i, 0], md.clips[i, 1])
        assert flow.shape == (64, 64, 2) and flow.dtype == np.float32
        moving = video.moving_mask(flow, 0.5)
        mean = flow[moving].mean(0)
        expected = unit_vector(md.direction[i]) * md.speed[i]
        cos = mean @ expected / (np.linalg.norm(mean) * np.linalg.norm(expected) + 1e-9)
        assert cos > 0.7, (i, mean, expected)
    rgb = video.flow_to_rgb(flow)
    assert rgb.shape == (64, 64, 3) and rgb.dtype == np.uint8
    assert video.flow_arrows(flow, step=8).shape[1] == 4
    assert video.colour_wheel(32).shape == (32, 32, 3)


def test_tracker_keeps_one_id_for_one_moving_digit():
    md = scene(1, frames=40, seed=4, images=DIGITS, labels=LABELS)
    rng = np.random.default_rng(1)
    dets = [[Detection(tuple(map(float, md.boxes[0, t] + rng.normal(0, 1.0, 4))), 3, 0.9)]
            for t in range(40)]
    dets[10] = []                                   # one missed frame
    tracks = video.track(dets)
    assert len(tracks) == 1 and tracks[0].id == 1 and len(tracks[0].frames) == 39
    assert tracks[0].path().shape == (39, 2)
    two = scene(2, frames=30, seed=5, images=DIGITS, labels=LABELS)
    dets = [[Detection(tuple(map(float, two.boxes[k, t])), int(two.digit[k]), 0.9)
             for k in range(2)] for t in range(30)]
    recs = [FrameRecord(t, t / 10, {"detections": d, "count": 2}) for t, d in enumerate(dets)]
    assert len(video.track(recs, match_labels=True)) >= 2
    drawn = video.draw_tracks(two.clips[0, 5], video.track(recs), upto=5)
    assert drawn.shape == (128, 128, 3)


def test_a_fast_object_missed_for_a_few_frames_keeps_its_id():
    """A 20-px box moving 8 px a frame, missed for 3 frames, is 32 px on when seen again:
    its last box no longer overlaps it (a new id, before), the box moved at its velocity
    does (SORT's constant-velocity model): one id; a second object crossing nearby stays
    apart."""
    from cvlib.video.tracking import predicted_box
    box = lambda x, y: (x, y, x + 20.0, y + 20.0)          # noqa: E731
    dets = [[Detection(box(10.0 + 8 * t, 30.0), 1, 0.9),
             Detection(box(150.0 - 6 * t, 80.0), 2, 0.9)] for t in range(15)]
    for t in (6, 7, 8):
        dets[t] = dets[t][1:]                               # the first object is missed
    tracks = video.track(dets)
    assert [len(t.frames) for t in tracks] == [12, 15]
    assert [t.label for t in tracks] == [1, 2]
    t1 = tracks[0]
    assert t1.frames[5:7] == [5, 9]
    assert predicted_box(t1, 16) == pytest.approx(box(10.0 + 8 * 16, 30.0))   # 2 frames on
    # the old rule (match against the last box) would have split it: IoU 0 after the gap
    assert video.tracking.iou(box(10.0 + 8 * 5, 30.0), box(10.0 + 8 * 9, 30.0)) == 0.0


@pytest.mark.needs("digit_detector" in zoo.list_models("detect")
                   and zoo.status("digit_detector") == "shipped",
                   reason="digit_detector is not shipped (the Segment issue trains it)")
def test_tracker_with_the_registry_detector():
    from cvlib.data import load_dataset
    x, y, _ = load_dataset("mnist", "test")
    md = scene(1, frames=20, seed=1, images=x[:100], labels=y[:100])
    recs = video.analyze(md.clips[0], "digit_detector")
    tracks = [t for t in video.track(recs) if len(t.frames) >= 10]
    assert len(tracks) == 1


def test_analysis_job_runs_and_stops(monkeypatch):
    from cvlib.videoio import encode_video
    calls = []

    def fake_analyze(clip, model, progress=None, stop=None, **kw):
        out = []
        for i in range(len(clip)):
            out.append(FrameRecord(int(clip.indices[i]), float(clip.times[i]), {"top": []}))
            progress(i + 1, len(clip))
            calls.append(i)
            if stop is not None and stop.is_set():
                break
        return out

    monkeypatch.setattr("cvlib.video.analysis.analyze", fake_analyze)
    data = encode_video(np.zeros((6, 16, 16, 3), np.uint8), fps=5)
    job = video.AnalysisJob(video.AnalysisConfig(data, model="mnist_cnn")).start()
    assert job.join(30)
    snap = job.snapshot()
    assert snap.status == "finished" and snap.done == 6 and snap.total == 6
    assert len(job.result.records) == 6 and job.result.clip.frames.shape[0] == 6
    # Stop before the work starts: the job ends "stopped" and frees the slot.
    gate = threading.Event()
    monkeypatch.setattr("cvlib.videoio.decode_video", lambda *a, **k: gate.wait(5) or
                        (_ for _ in ()).throw(RuntimeError("unreachable")))
    job = video.AnalysisJob(video.AnalysisConfig(b"x")).start()
    assert job.stop(timeout=0.2) in (True, False)
    gate.set()
    assert job.join(10) and job.snapshot().status in ("stopped", "failed")


@pytest.mark.needs(zoo.status("digit_motion") == "shipped",
                   reason="digit_motion is not shipped: python -m cvlib train --task sequence "
                          "--save digit_motion")
def test_shipped_digit_motion_quick_quality():
    from cvlib.data import moving_digits
    md = moving_digits(200, seed=99, split="test")
    model = video.SequenceModel.from_name("digit_motion")
    direction, digit = model.predict_batch(md.clips)
    assert np.mean(direction == md.direction) >= 0.9
    assert np.mean(digit == md.digit) >= 0.9
    # One frame alone cannot tell the direction: near chance at the first frame.
    p = video.predict_sequence(md.clips[0], model=model)
    assert p.direction_per_frame[0].max() < 0.9


@pytest.mark.slow
@pytest.mark.needs(zoo.status("digit_motion") == "shipped", reason="digit_motion not shipped")
def test_shipped_digit_motion_manifest_figures():
    from cvlib.sequence_train import evaluate
    m = zoo.manifest_entry("digit_motion")["metrics"]
    got = evaluate(zoo.load("digit_motion"), n=m["clips"], seed=m["seed"], split=m["split"])
    assert got["direction_accuracy"] == pytest.approx(m["direction_accuracy"], abs=0.005)
    assert got["digit_accuracy"] == pytest.approx(m["digit_accuracy"], abs=0.005)
