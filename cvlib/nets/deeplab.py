"""keras-cv's DeepLabV3+ on a ResNet50-V2 backbone for Pascal VOC (21 classes), built from
explicit arguments (keras-cv's preset names download), and the Keras-cache file of its
weights. The predictor around it is :mod:`cvlib.voc`.

Source: L.-C. Chen et al., "Encoder-decoder with atrous separable convolution for semantic
image segmentation" (DeepLabV3+), ECCV 2018; keras-cv ``DeepLabV3Plus``.
"""

from __future__ import annotations

NAME = "deeplab_v3_plus_voc"
PRESET = "deeplab_v3_plus_resnet50_pascalvoc"
CACHE_FILE = PRESET + ".weights.h5"
INPUT_SIZE = 512          # the preset's training resolution (keras-cv's VOC example)
# Weights of build_voc(): 39,199,680. keras-cv's preset metadata says 39,191,488; the
# 8,192 between them are exactly the backbone's last BatchNorm (2,048 channels x 4), which
# the backbone holds but DeepLabV3+ does not use (it reads P2 and P5 before it).
PARAMS = 39_199_680
VOC_CLASSES = ["background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car",
               "cat", "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person",
               "pottedplant", "sheep", "sofa", "train", "tvmonitor"]


def build_voc(input_size: int | None = INPUT_SIZE, num_classes: int = len(VOC_CLASSES)):
    """DeepLabV3+ on a ResNet50-V2 backbone, random weights, nothing downloaded.

    The backbone is built from explicit arguments (keras-cv's preset names would try to
    download); it rescales 0-255 input itself.

    Args:
        input_size: side of the square input (the preset's 512), or None for any size (a
            multiple of 16 keeps the decoder aligned), traced once per size.
        num_classes: output classes (21 for VOC).

    Returns:
        keras.Model: float32 [N, S, S, 3] in 0-255 -> softmax probabilities
        [N, S, S, num_classes].
    """
    import keras_cv
    shape = (input_size, input_size, 3) if input_size else (None, None, 3)
    backbone = keras_cv.models.ResNetV2Backbone(
        stackwise_filters=[64, 128, 256, 512], stackwise_blocks=[3, 4, 6, 3],
        stackwise_strides=[1, 2, 2, 2], include_rescaling=True, input_shape=shape)
    model = keras_cv.models.DeepLabV3Plus(backbone=backbone, num_classes=num_classes)
    model.name = NAME
    return model


def cache_path():
    from cvlib.zoo import keras_models_dir
    return keras_models_dir() / CACHE_FILE


def load_voc():
    """The model with the VOC weights: from the Keras cache, else downloaded (online).

    Used by :func:`cvlib.zoo.load` (only when the cache file exists) and by
    ``python -m cvlib fetch deeplab_v3_plus_voc`` (which may download).

    Raises:
        Exception from keras-cv/kagglehub when offline (``zoo.fetch`` words it).
        ValueError: the downloaded preset does not have this architecture.
    """
    model = build_voc()
    path = cache_path()
    if path.exists():
        model.load_weights(str(path))
        return model
    import keras_cv
    preset = keras_cv.models.DeepLabV3Plus.from_preset(PRESET, num_classes=len(VOC_CLASSES))
    weights = preset.get_weights()
    if [w.shape for w in weights] != [w.shape for w in model.get_weights()]:
        raise ValueError(f"keras-cv's {PRESET} does not match the architecture built by "
                         f"cvlib.voc.build_voc; update build_voc.")
    model.set_weights(weights)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save_weights(str(path))
    return model
