"""Faces in real photos, offline: MTCNN boxes and five landmarks as a detect predictor.

MTCNN is a cascade of three small CNNs: P-Net proposes face windows over an image
pyramid, R-Net rejects most of them, O-Net refines the survivors and places five
landmarks (eyes, nose, mouth corners). The ``mtcnn`` package (a Keras/TensorFlow port)
ships its trained weights inside its wheel, so this works without any download.

Registered in :mod:`cvlib.zoo` as ``faces_mtcnn`` (task ``"detect"``, source
``"package"``: the weights come with an installed package).

Source: K. Zhang, Z. Zhang, Z. Li & Y. Qiao, "Joint face detection and alignment using
multi-task cascaded convolutional networks", IEEE SPL 23(10), 2016; the ``mtcnn`` package
(https://github.com/ipazc/mtcnn, MIT licence).

Example:
    >>> from skimage import data
    >>> from cvlib.faces import FaceDetector
    >>> faces = FaceDetector.from_name("faces_mtcnn")(data.astronaut())  # doctest: +SKIP
    >>> round(faces[0].score, 3), faces[0].landmarks[0]  # doctest: +SKIP
    (0.999, (204.0, 100.0))
"""

from __future__ import annotations

from dataclasses import dataclass

from cvlib.nets.mtcnn import build_mtcnn  # noqa: F401 (re-exported)
from cvlib.predictor import Detection, Predictor

NAME = "faces_mtcnn"
CLASS_NAMES = ["face"]
LANDMARKS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")


@dataclass(frozen=True)
class FaceDetection(Detection):
    """A face: a :class:`~cvlib.predictor.Detection` (label 0 = "face") plus landmarks.

    Attributes:
        landmarks: five (x, y) points in input pixels, in the order of ``LANDMARKS``
            (left/right as seen in the picture's own left and right).
    """

    landmarks: tuple = ()


class FaceDetector(Predictor):
    """MTCNN as a detect predictor: picture in, list of :class:`FaceDetection` out.

    ``detector(image, score_threshold=0.9, min_face_size=20, iou_threshold=None)``:
    ``image`` is a PIL image or uint8 [H, W(, C)]; boxes and landmarks are in its pixels;
    faces are sorted by score. ``iou_threshold`` is O-Net's final non-maximum suppression
    (None: MTCNN's 0.7), so ``cvlib.detect.detect(image, "faces_mtcnn", ...)`` works too.
    """

    task = "detect"

    @classmethod
    def from_name(cls, name: str = NAME) -> "FaceDetector":
        if name != NAME:
            from cvlib.zoo import UnknownModel
            raise UnknownModel(f"FaceDetector knows only {NAME!r}; got {name!r}.",
                               kind="model_unknown", name=str(name), available=NAME)
        return cls(NAME, build_mtcnn(), CLASS_NAMES)

    def preprocess(self, inputs, score_threshold: float = 0.9, min_face_size: int = 20):
        from cvlib.classical import _rgb
        if not 0.0 <= float(score_threshold) <= 1.0:
            raise ValueError(f"score_threshold must be in [0, 1]; got {score_threshold}.")
        if int(min_face_size) < 12:
            raise ValueError(f"min_face_size must be >= 12 pixels (P-Net's window); got "
                             f"{min_face_size}.")
        return _rgb(inputs)

    def _forward(self, batch, min_face_size: int = 20, iou_threshold: float | None = None):
        nms = {} if iou_threshold is None else {"nms_onet": float(iou_threshold)}
        return self.model.detect_faces(batch, min_face_size=int(min_face_size),
                                       box_format="xyxy", **nms)

    def __call__(self, inputs, score_threshold: float = 0.9, min_face_size: int = 20,
                 iou_threshold: float | None = None):
        rgb = self.preprocess(inputs, score_threshold, min_face_size)
        return self.postprocess(self._forward(rgb, min_face_size, iou_threshold), rgb,
                                score_threshold)

    def postprocess(self, outputs, prepared, score_threshold: float = 0.9, **_):
        h, w = prepared.shape[:2]
        faces = []
        for face in outputs or []:
            x0, y0, x1, y1 = (float(v) for v in face["box"])
            box = (max(0.0, x0), max(0.0, y0), min(float(w), x1), min(float(h), y1))
            score = float(face["confidence"])
            if score < score_threshold or box[2] <= box[0] or box[3] <= box[1]:
                continue
            points = tuple((float(face["keypoints"][k][0]), float(face["keypoints"][k][1]))
                           for k in LANDMARKS)
            faces.append(FaceDetection(box=box, label=0, score=score, landmarks=points))
        return sorted(faces, key=lambda f: -f.score)

    def count_params(self) -> int:
        return int(sum(stage.model.count_params() for stage in self.model.stages
                       if hasattr(stage, "model")))

    def export(self, fmt: str = "weights.h5") -> bytes:
        raise ValueError("faces_mtcnn's weights belong to the mtcnn package; install it "
                         "rather than exporting them.")


def detect_faces(image, score_threshold: float = 0.9, min_face_size: int = 20
                 ) -> list[FaceDetection]:
    """Faces in a picture with MTCNN (see :class:`FaceDetector`).

    Args:
        image: PIL image or uint8 [H, W(, C)], any size >= 12×12.
        score_threshold: keep faces with O-Net confidence >= this, in [0, 1].
        min_face_size: smallest face side in pixels searched for (>= 12); larger is faster.

    Returns:
        FaceDetections sorted by score: box (x0, y0, x1, y1), label 0, score, landmarks.

    Raises:
        TypeError, ValueError: not a picture, or a parameter out of range.
    """
    return FaceDetector.from_name(NAME)(image, score_threshold, min_face_size)
