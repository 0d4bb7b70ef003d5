"""Video analysis: per-frame timelines, motion, optical flow, tracking, the sequence model.

- :func:`analyze` runs any registry model (classifier, detector, segmenter) on the frames
  of a clip and returns one :class:`cvlib.predictor.FrameRecord` per analysed frame;
  :class:`AnalysisJob` does the same in the shared background-job machinery (progress,
  frames per second, ETA, Stop).
- :func:`motion` measures frame-difference energy and finds scene cuts;
  :func:`optical_flow` computes dense optical flow with OpenCV's Farnebäck method
  (G. Farnebäck, "Two-Frame Motion Estimation Based on Polynomial Expansion", SCIA 2003).
  Farnebäck rather than scikit-image's TV-L1 or iLK: measured here on a 768x432 frame pair
  it takes ~30 ms, TV-L1 takes seconds, and its image pyramid follows the large
  displacements of real traffic, where single-scale iLK loses them.
- :func:`moving_objects` finds whatever moves in a clip from a still camera by background
  subtraction (OpenCV's KNN model, Zivkovic & van der Heijden 2006): boxes per frame with
  no trained model.
- :func:`track` follows detections across frames with an IoU tracker (the association
  step of SORT, Bewley et al. 2016, without the Kalman filter).
- :class:`LiveAnalyzer`: camera frames (JPEG from the browser) analysed one at a time
  with the Timeline's per-frame analysis, with frames per second and model time.
- :class:`SequenceModel` / :func:`predict_sequence`: the recurrent ``digit_motion`` model,
  which tells the direction a digit moves, something no single frame shows.

Nothing here imports Streamlit; Keras is imported only by the functions that run a model.
"""

from __future__ import annotations

from cvlib.moving_digits import DIRECTION_NAMES  # "→", "↗", "↑" ... for directions 0-7
from cvlib.video.analysis import (
    analyze,
    annotate,
    class_names_of,
    model_task,
    overlay_frame,
    records_table,
    to_csv,
)
from cvlib.video.jobs import (
    AnalysisConfig,
    AnalysisJob,
    AnalysisResult,
    AnalysisSnapshot,
    sample_clip,
)
from cvlib.video.live import LiveAnalyzer, LiveFrameError, LiveRecord
from cvlib.video.motion import (
    Motion,
    colour_wheel,
    draw_arrows,
    flow_arrows,
    flow_to_rgb,
    motion,
    moving_mask,
    optical_flow,
)
from cvlib.video.moving_objects import (
    MovingObjectDetector,
    MovingObjectsError,
    moving_objects,
)
from cvlib.video.sequence import (
    DIRECTION_WORDS,
    SequenceModel,
    UnsupportedModel,
    as_clip,
    predict_sequence,
)
from cvlib.video.tracking import Track, draw_tracks, iou, track

__all__ = [
    "DIRECTION_NAMES",
    "AnalysisConfig",
    "AnalysisJob",
    "AnalysisResult",
    "AnalysisSnapshot",
    "DIRECTION_WORDS",
    "LiveAnalyzer",
    "LiveFrameError",
    "LiveRecord",
    "Motion",
    "MovingObjectDetector",
    "MovingObjectsError",
    "SequenceModel",
    "Track",
    "UnsupportedModel",
    "analyze",
    "annotate",
    "as_clip",
    "class_names_of",
    "colour_wheel",
    "draw_arrows",
    "draw_tracks",
    "flow_arrows",
    "flow_to_rgb",
    "iou",
    "model_task",
    "motion",
    "moving_mask",
    "moving_objects",
    "optical_flow",
    "overlay_frame",
    "predict_sequence",
    "records_table",
    "sample_clip",
    "to_csv",
    "track",
]
