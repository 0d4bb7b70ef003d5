"""Pascal VOC segmentation of real photos: keras-cv's DeepLabV3+ (ResNet50-V2 backbone).

21 classes (background + 20 objects: person, cat, dog, car, ...). The trained weights are
keras-cv's preset ``deeplab_v3_plus_resnet50_pascalvoc`` (mIoU 0.639 on VOC 2012 val,
according to keras-cv). They are *not* on these machines and CV Lab never downloads by
itself: ``python -m cvlib fetch deeplab_v3_plus_voc`` (online, once) downloads the preset
through keras-cv/kagglehub and stores its weights as one ``.weights.h5`` file in the Keras
cache (``~/.keras/models``); from then on the model is built here from code and those
weights are loaded, offline. Offline and without that file, loading raises
:class:`cvlib.zoo.ModelUnavailable` whose one-line message names that command and the
shipped segmenter to use meanwhile.

Why keras-cv and not keras-hub's ``DeepLabV3ImageSegmenter``: keras-cv 0.9 is already a
dependency of CV Lab (the digit segmenter was compared against its ``DeepLabV3Plus``), it
builds this architecture from explicit arguments with Keras 3.15 without any download,
and its VOC preset has the same architecture. keras-hub 0.32 would add tensorflow-text,
sentencepiece and tokenizers (for its language models) and its preset loader, to serve
one model whose architecture keras-cv already builds.

Source: L.-C. Chen et al., "Encoder-decoder with atrous separable convolution for
semantic image segmentation" (DeepLabV3+), ECCV 2018; K. He et al., "Identity mappings in
deep residual networks" (ResNet-V2), ECCV 2016; M. Everingham et al., "The Pascal visual
object classes (VOC) challenge", IJCV 2010; keras-cv ``DeepLabV3Plus``.

Example:
    >>> from cvlib.voc import VocSegmenter, build_voc
    >>> seg = VocSegmenter("voc-random", build_voc(input_size=128))  # doctest: +SKIP
    >>> seg(photo).mask.shape == photo.shape[:2]  # doctest: +SKIP
    True
"""

from __future__ import annotations

import numpy as np
from PIL import Image

# The architecture, its constants and the cache/download of its weights live with the
# architectures (cvlib.nets.deeplab), so the registry needs no task module to build it.
from cvlib.nets.deeplab import (  # noqa: E402,F401 (re-exported)
    CACHE_FILE,
    INPUT_SIZE,
    NAME,
    PARAMS,
    PRESET,
    VOC_CLASSES,
    build_voc,
    cache_path,
    load_voc,
)
from cvlib.predictor import Predictor, Segmentation


class VocSegmenter(Predictor):
    """DeepLabV3+ VOC as a segment predictor: photo in, :class:`Segmentation` out.

    The photo is squeezed to the model's square input (S = 512 for the preset), and the
    probabilities are resized back (bilinear) so ``mask`` [H, W] and ``probs`` [H, W, 21]
    are in the photo's pixels.
    """

    task = "segment"

    @classmethod
    def from_name(cls, name: str = NAME) -> "VocSegmenter":
        from cvlib import zoo
        return cls(name, zoo.load(name), VOC_CLASSES)

    def __init__(self, name, model, class_names=None):
        super().__init__(name, model, class_names or VOC_CLASSES)
        self._fn = None

    @property
    def input_size(self) -> int:
        side = self.model.input_shape[1]
        return int(side) if side else INPUT_SIZE

    def preprocess(self, inputs, **_):
        from cvlib.recognize import as_pil
        img = as_pil(inputs)
        s = self.input_size
        x = np.asarray(img.resize((s, s), Image.BILINEAR), np.float32)[None]
        return {"x": x, "size": img.size}

    def _forward(self, prepared):
        if self._fn is None:
            import tensorflow as tf
            model = self.model

            @tf.function(reduce_retracing=True)
            def forward(x):
                return model(x, training=False)
            self._fn = forward
        return np.asarray(self._fn(prepared["x"]))[0]

    def postprocess(self, outputs, prepared, **_):
        w, h = prepared["size"]
        probs = np.stack([np.asarray(Image.fromarray(outputs[..., k].astype(np.float32), "F")
                                     .resize((w, h), Image.BILINEAR))
                          for k in range(outputs.shape[-1])], -1)
        probs /= np.maximum(probs.sum(-1, keepdims=True), 1e-12)
        return Segmentation(probs.argmax(-1).astype(np.int32), probs.astype(np.float32),
                            list(self.class_names))
