"""Why did the model say that? Grad-CAM, feature maps, occlusion, saliency, FGSM, and the
perturbations of the robustness lab.

Length (~610 lines, on purpose): every method here rests on the same layer geometry
(which layer, its receptive field, the way back to the original picture); keeping them in
one module keeps that geometry in one place.

Every function takes ``model`` = a :class:`cvlib.recognize.Classifier` (its normalisation
is applied) or a plain ``keras.Model``, and ``image`` = the model input, uint8-range
[H, W, C] 0-255 (what ``Classifier.preprocess(...).x`` returns). Maps come back as
float32 [H, W] at the input's resolution, so a page can lay them over the input (or, with
``Prepared.to_original``, over the original picture).

The gradient functions are compiled once per model and layer (``tf.function``), so a
Grad-CAM costs about one forward and one backward pass (bench/recognize_latency.py). They
are cached on the Classifier (or, for a plain keras.Model, on the model object itself),
never in a module-level dict: dropping the classifier frees the model and its functions.

Layers inside a nested sub-model (a transfer-learning model whose convolutional base is a
``keras.Model`` used as a layer) are named ``"<base>/<layer>"`` and offered like the
others; where a map cannot be computed, :class:`LayerError` says why in a sentence.

Grad-CAM maps are laid onto the input through the layer's receptive-field geometry (the
centre of each feature cell in input pixels, from the kernel sizes, strides and padding
of the layers before it), not stretched corner to corner: a 3x3 map of the worked-example
CNN covers input pixels 8.5-16.5, not 4-23.

Example:
    >>> from cvlib.recognize import get_classifier
    >>> from cvlib.explain import grad_cam
    >>> clf = get_classifier("mnist_cnn")  # doctest: +SKIP
    >>> heat = grad_cam(clf, clf.preprocess(img).x)  # doctest: +SKIP
    >>> heat.shape, float(heat.max())  # doctest: +SKIP
    ((28, 28), 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from cvlib import CVLibError
from cvlib.validation import check_range, number_array

PERTURBATIONS = ("noise", "blur", "rotate", "brightness", "patch", "fgsm")
_CONV_TYPES = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose")
_POOL_TYPES = ("MaxPooling2D", "AveragePooling2D")
_CACHE_ATTR = "_cvlib_explain_cache"


class LayerError(CVLibError, ValueError):
    """The named layer does not exist or has no spatial (image-like) output."""


# --- model plumbing -------------------------------------------------------------------

def _split(model):
    """(keras model, normalise fn) of a Classifier or a plain keras.Model."""
    if hasattr(model, "compiled") and hasattr(model, "model"):
        return model.model, model.normalise
    return model, (lambda x: x)


def _cached(model, key, make):
    """The compiled function ``key`` of this model, made once. It lives on the
    Classifier (``_cache``) or on the keras.Model itself, so it dies with it: a global
    WeakKeyDictionary would not do, its values (functions closing over the model) would
    keep their key alive forever."""
    store = getattr(model, "_cache", None)
    if not isinstance(store, dict):
        km, _ = _split(model)
        store = km.__dict__.get(_CACHE_ATTR)
        if store is None:
            store = {}
            object.__setattr__(km, _CACHE_ATTR, store)   # untracked by Keras
    if key not in store:
        store[key] = make()
    return store[key]


def _class_arg(model, class_index) -> int:
    """-1 (the predicted class) for None, else the index checked against the model's
    classes (ValueError/TypeError naming the range)."""
    if class_index is None:
        return -1
    k = int(_split(model)[0].output_shape[-1])
    return int(check_range("class_index", class_index, 0, k - 1, integer=True))


def _as_batch(image, model=None) -> np.ndarray:
    """The model input [H, W, C] (0-255) as float32 [1, H, W, C]; ValueError/TypeError
    naming the expected shape (``model``'s input) for anything else."""
    x = number_array(image).astype(np.float32)
    if x.ndim == 2:
        x = x[..., None]
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or len(x) != 1:
        raise ValueError(f"image must be the model input [H, W, C]; got shape {x.shape}.")
    want = tuple(_split(model)[0].input_shape[1:]) if model is not None else ()
    if len(want) == 3 and any(w is not None and w != g for w, g in zip(want, x.shape[1:])):
        shown = "x".join("H" if w is None else str(w) for w in want)
        raise ValueError(f"image must be the model input {shown} (height x width x channels, "
                         f"0-255); got {'x'.join(map(str, x.shape[1:]))}. Preprocess the "
                         f"picture first (Classifier.preprocess).")
    if not np.isfinite(x).all():
        raise ValueError("image must hold finite numbers (0-255); got NaN or infinity.")
    return x


def _spatial(layer) -> bool:
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):
        return False
    return len(shape) == 4 and (shape[1] or 2) > 1 and (shape[2] or 2) > 1


def _is_model(layer) -> bool:
    return hasattr(layer, "layers") and hasattr(layer, "inputs") and bool(layer.layers)


def _own_layers(km) -> list:
    return [lay for lay in km.layers if type(lay).__name__ != "InputLayer"]


def conv_layers(model) -> list[str]:
    """Names of the convolution layers, input side first (for the feature-map picker);
    those of a nested sub-model as ``"<sub-model>/<layer>"``."""
    km, _ = _split(model)
    names = []
    for lay in _own_layers(km):
        if _is_model(lay):
            names += [f"{lay.name}/{n}" for n in conv_layers(lay) if "/" not in n]
        elif type(lay).__name__ in _CONV_TYPES and _spatial(lay):
            names.append(lay.name)
    return names


def cam_layers(model) -> list[str]:
    """Layers Grad-CAM can look at: the conv layers plus the default (last spatial) layer."""
    names = conv_layers(model)
    last = default_cam_layer(model)
    return names if last in names else [*names, last]


def default_cam_layer(model) -> str:
    """The last layer with a spatial output (H, W > 1): the usual Grad-CAM layer (inside
    a nested sub-model when that is where the last spatial output comes from)."""
    km, _ = _split(model)
    for layer in reversed(_own_layers(km)):
        if _spatial(layer):
            if _is_model(layer):
                inner = [lay for lay in _own_layers(layer) if _spatial(lay) and not _is_model(lay)]
                if inner:
                    return f"{layer.name}/{inner[-1].name}"
                continue
            return layer.name
    raise LayerError(f"{km.name} has no layer with a spatial output; Grad-CAM needs a CNN.",
                     kind="layer_none_spatial", name=km.name)


def _layer(km, name: str):
    """(nested sub-model or None, the layer) for ``name`` ("<layer>" or "<sub>/<layer>")."""
    parent, _, inner = name.rpartition("/")
    try:
        holder = km.get_layer(parent) if parent else km
        layer = holder.get_layer(inner)
    except ValueError:
        raise LayerError(f"layer must be one of {', '.join(conv_layers(km))}; got {name!r}.",
                         kind="layer_unknown", layer=str(name),
                         available=", ".join(conv_layers(km))) from None
    if parent and not _is_model(holder):
        raise LayerError(f"{parent!r} is not a sub-model; choose one of "
                         f"{', '.join(conv_layers(km))}.", kind="layer_not_submodel",
                         layer=parent, available=", ".join(conv_layers(km)))
    if not _spatial(layer) or _is_model(layer):
        raise LayerError(f"layer {name!r} has no spatial output; choose one of "
                         f"{', '.join(conv_layers(km))}.", kind="layer_not_spatial",
                         layer=name, available=", ".join(conv_layers(km)))
    return (holder if parent else None), layer


def _chain(km) -> list | None:
    """The model's layers in order if each takes the previous one's output (a Sequential
    model or a straight functional one), else None."""
    layers = _own_layers(km)
    if type(km).__name__ == "Sequential":
        return layers
    if len(km.inputs) != 1 or len(km.outputs) != 1:
        return None
    prev = km.inputs[0]
    for lay in layers:
        nodes = getattr(lay, "_inbound_nodes", None) or []
        if len(nodes) != 1 or len(nodes[0].input_tensors) != 1 \
                or nodes[0].input_tensors[0] is not prev:
            return None
        prev = nodes[0].output_tensors[0]
    return layers if prev is km.outputs[0] else None


def _feature_model(km, name: str):
    """fn(x) -> (feature maps of layer ``name``, the tensor feeding the head) as a
    callable; top-level layers through one keras.Model, nested ones by running the outer
    chain with the sub-model split at the layer.

    Raises:
        LayerError: the layer is inside a sub-model of a model that is not a straight
            chain of layers (its outputs branch), so its maps cannot be reached.
    """
    import keras
    holder, layer = _layer(km, name)
    head_in, to_logits = _logits_from(km)
    if holder is None:
        return keras.Model(km.inputs, [layer.output, head_in]), to_logits
    chain = _chain(km)
    if chain is None:
        raise LayerError(f"{name!r} lies inside the sub-model {holder.name!r} of a model "
                         f"whose layers branch, so CV Lab cannot reach its maps; choose a "
                         f"layer outside {holder.name!r}.", kind="layer_in_branching",
                         layer=name, holder=holder.name)
    split = keras.Model(holder.inputs, [layer.output, holder.outputs[0]])
    last = chain[-1]
    uses_logits = head_in is not km.outputs[0]

    def run(x, training=False):
        feats = None
        h = x
        for lay in chain:
            if uses_logits and lay is last:
                return feats, h          # the head's input: to_logits finishes it
            if lay is holder:
                feats, h = split(h, training=training)
            else:
                h = lay(h, training=training)
        return feats, h
    return run, to_logits


def feature_geometry(model, layer: str, input_hw: tuple[int, int]):
    """Where the cells of ``layer``'s feature map sit on the input.

    Walks the layers from the input to ``layer`` (a straight chain of top-level layers)
    with receptive-field arithmetic: a convolution or pooling of kernel k, stride s,
    dilation d moves the first cell's centre by ((d(k-1)+1 - 1)/2 - left padding) times
    the current jump and multiplies the jump by s.

    Args:
        input_hw: (H, W) of the model input.

    Returns:
        (start_y, jump_y, start_x, jump_x) in input pixels (cell i's centre is at
        start + i * jump, pixel centres at integers), or None where the model is not a
        straight chain (then maps are stretched over the input).
    """
    km, _ = _split(model)
    if "/" in layer:
        return None
    chain = _chain(km)
    if chain is None:
        return None
    geo = []
    for axis, n in enumerate(input_hw):
        start, jump = 0.0, 1.0
        for lay in chain:
            kind = type(lay).__name__
            if kind in _CONV_TYPES[:3] or kind in _POOL_TYPES:
                if kind in _POOL_TYPES:
                    k, st, d = lay.pool_size[axis], lay.strides[axis], 1
                else:
                    k, st, d = lay.kernel_size[axis], lay.strides[axis], lay.dilation_rate[axis]
                ke = d * (k - 1) + 1
                if lay.padding == "same":
                    out = -(-n // st)
                    left = max((out - 1) * st + ke - n, 0) // 2
                else:
                    out = (n - ke) // st + 1
                    left = 0
                start += ((ke - 1) / 2 - left) * jump
                jump *= st
                n = out
            elif _spatial(lay) and lay.output.shape[1 + axis] not in (None, n):
                return None                   # a layer that resizes in a way not modelled
            if lay.name == layer:
                if lay.output.shape[1 + axis] not in (None, n):
                    return None
                break
        else:
            return None
        geo += [start, jump]
    return tuple(geo)


def _to_input(m: np.ndarray, geometry, size: tuple[int, int]) -> np.ndarray:
    """A feature-resolution map -> the input's (H, W), bilinear, through ``geometry``."""
    h, w = size
    if m.shape == (h, w) and geometry is None:
        return m.astype(np.float32)
    if geometry is None:
        return _resize_map(m, size)
    import cv2
    sy, jy, sx, jx = geometry
    ys = ((np.arange(h, dtype=np.float32) - sy) / jy)
    xs = ((np.arange(w, dtype=np.float32) - sx) / jx)
    map_x, map_y = np.meshgrid(xs, ys)
    return cv2.remap(m.astype(np.float32), map_x, map_y, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def _logits_from(km):
    """(tensor feeding the head, fn(head_tensor) -> logits): Grad-CAM and saliency use
    pre-softmax scores, whose gradients do not vanish when the model is very sure."""
    last = km.layers[-1]
    kind = type(last).__name__
    act = getattr(getattr(last, "activation", None), "__name__", "")
    import tensorflow as tf
    if kind == "Dense" and act == "softmax":
        def dense_logits(h):
            z = tf.matmul(h, last.kernel)
            return z + last.bias if last.use_bias else z
        return last.input, dense_logits
    if kind == "Activation" and act == "softmax":
        return last.input, lambda h: h
    return km.outputs[0], lambda p: tf.math.log(p + 1e-9)


# --- Grad-CAM ---------------------------------------------------------------------------

def _cam_fn(model, layer_name: str):
    km, normalise = _split(model)

    def make():
        import tensorflow as tf
        sub, to_logits = _feature_model(km, layer_name)

        @tf.function(reduce_retracing=True)
        def fn(x, class_index):
            with tf.GradientTape() as tape:
                feats, head = sub(normalise(x), training=False)
                logits = to_logits(head)
                idx = tf.where(class_index < 0, tf.argmax(logits[0], output_type=tf.int32),
                               class_index)
                score = logits[0, idx]
            grads = tape.gradient(score, feats)
            weights = tf.reduce_mean(grads, axis=(1, 2))                 # [1, C]
            cam = tf.nn.relu(tf.reduce_sum(feats * weights[:, None, None, :], -1))[0]
            return cam, tf.nn.softmax(logits)[0], idx
        return fn
    return _cached(model, ("cam", layer_name), make)


def _resize_map(m: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """float map -> (H, W) with bilinear interpolation."""
    h, w = size
    if m.shape == (h, w):
        return m.astype(np.float32)
    return np.asarray(Image.fromarray(m.astype(np.float32), "F").resize((w, h), Image.BILINEAR),
                      np.float32)


def _unit(m: np.ndarray) -> np.ndarray:
    m = np.maximum(m, 0)
    peak = float(m.max()) if m.size else 0.0
    return (m / peak).astype(np.float32) if peak > 0 else np.zeros_like(m, np.float32)


def grad_cam(model, image, class_index: int | None = None, layer: str | None = None
             ) -> np.ndarray:
    """Grad-CAM: where in the image the evidence for a class lies, for one conv layer.

    The layer's feature maps are weighted by the mean gradient of the class score
    (pre-softmax) with respect to each map, summed, passed through ReLU, upsampled to the
    input size and scaled so the peak is 1.

    Args:
        model: a Classifier or keras.Model.
        image: the model input, uint8-range [H, W, C].
        class_index: the class to explain; None = the predicted class.
        layer: a layer name; None = the last layer with a spatial output (the usual
            choice: the most semantic maps that still know *where*).

    Returns:
        float32 [H, W] in [0, 1].
    """
    import tensorflow as tf
    x = _as_batch(image, model)
    name = layer or default_cam_layer(model)
    fn = _cam_fn(model, name)
    cam, _, _ = fn(tf.constant(x), tf.constant(_class_arg(model, class_index),
                                               tf.int32))
    geometry = _cached(model, ("geometry", name, x.shape[1:3]),
                       lambda: feature_geometry(model, name, x.shape[1:3]))
    return _unit(_to_input(cam.numpy(), geometry, x.shape[1:3]))


# --- feature maps ---------------------------------------------------------------------

def feature_maps(model, image, layer: str | None = None) -> np.ndarray:
    """The activations of one layer: float32 [h, w, channels] (h, w = that layer's size).

    Args:
        layer: a layer name; None = the first conv layer.
    """
    import keras
    import tensorflow as tf
    km, normalise = _split(model)
    name = layer or conv_layers(model)[0]

    def make():
        holder, target = _layer(km, name)
        if holder is None:
            sub = keras.Model(km.inputs, target.output)
        else:
            run, _ = _feature_model(km, name)
            sub = lambda t, training=False: run(t, training)[0]   # noqa: E731
        return tf.function(lambda x: sub(normalise(x), training=False), reduce_retracing=True)
    fn = _cached(model, ("maps", name), make)
    return fn(tf.constant(_as_batch(image, model))).numpy()[0].astype(np.float32)


def tile_maps(maps: np.ndarray, max_maps: int = 32, columns: int = 8) -> np.ndarray:
    """[h, w, C] activations -> one uint8 grid image of the first ``max_maps`` channels,
    each scaled to its own range (a 1-pixel dark border between tiles)."""
    maps = maps[..., :max_maps]
    h, w, c = maps.shape
    cols = min(columns, c)
    rows = -(-c // cols)
    grid = np.full((rows * (h + 1) + 1, cols * (w + 1) + 1), 40, np.uint8)
    for i in range(c):
        m = maps[..., i]
        lo, hi = float(m.min()), float(m.max())
        tile = ((m - lo) / (hi - lo) * 255) if hi > lo else np.zeros_like(m)
        r, q = divmod(i, cols)
        grid[1 + r * (h + 1):1 + r * (h + 1) + h, 1 + q * (w + 1):1 + q * (w + 1) + w] = tile
    return grid


# --- occlusion and saliency -------------------------------------------------------------

def occlusion(model, image, class_index: int | None = None, patch: int | None = None,
              stride: int | None = None, fill: float | None = None,
              batch_size: int = 64) -> np.ndarray:
    """Occlusion sensitivity: how much the class probability drops when a square patch
    hides each part of the image.

    Args:
        patch: side of the square in input pixels (default: 1/4 of the shorter side).
        stride: step between patches (default: patch / 2).
        fill: the patch's value (default: the median of the image border, i.e. "background").

    Returns:
        float32 [H, W] in [-1, 1]: the mean probability drop of the patches that cover each
        pixel (positive = hiding it hurts the prediction, so the model relies on it).
    """
    x = _as_batch(image, model)[0]
    h, w, _ = x.shape
    patch = int(patch or max(2, min(h, w) // 4))
    stride = int(stride or max(1, patch // 2))
    if fill is None:
        border = np.concatenate([x[0], x[-1], x[:, 0], x[:, -1]])
        fill = float(np.median(border))
    probs = _probs(model, x[None])[0]
    k = int(np.argmax(probs)) if class_index is None else _class_arg(model, class_index)
    ys = list(range(0, max(h - patch, 0) + 1, stride))
    xs = list(range(0, max(w - patch, 0) + 1, stride))
    if ys[-1] + patch < h:
        ys.append(h - patch)
    if xs[-1] + patch < w:
        xs.append(w - patch)
    spots = [(y, q) for y in ys for q in xs]
    drops = np.zeros((h, w), np.float32)
    counts = np.zeros((h, w), np.float32)
    for start in range(0, len(spots), batch_size):
        chunk = spots[start:start + batch_size]
        batch = np.repeat(x[None], len(chunk), 0)
        for i, (y, q) in enumerate(chunk):
            batch[i, y:y + patch, q:q + patch] = fill
        p = _probs(model, batch)[:, k]
        for (y, q), pk in zip(chunk, p):
            drops[y:y + patch, q:q + patch] += probs[k] - pk
            counts[y:y + patch, q:q + patch] += 1
    return np.clip(drops / np.maximum(counts, 1), -1, 1).astype(np.float32)


def _grad_input_fn(model, kind: str):
    km, normalise = _split(model)

    def make():
        import keras
        import tensorflow as tf
        head_in, to_logits = _logits_from(km)
        sub = keras.Model(km.inputs, head_in)

        @tf.function(reduce_retracing=True)
        def fn(x, class_index):
            with tf.GradientTape() as tape:
                tape.watch(x)
                logits = to_logits(sub(normalise(x), training=False))
                idx = tf.where(class_index < 0, tf.argmax(logits[0], output_type=tf.int32),
                               class_index)
                if kind == "loss":   # cross-entropy of the class: FGSM climbs it
                    target = -tf.nn.log_softmax(logits)[0, idx]
                else:
                    target = logits[0, idx]
            return tape.gradient(target, x)[0]
        return fn
    return _cached(model, ("grad", kind), make)


def saliency(model, image, class_index: int | None = None) -> np.ndarray:
    """Saliency: |d class score / d pixel|, the largest over colour channels, scaled so
    its 99th percentile is 1 (a few extreme pixels would otherwise darken the rest).

    Returns:
        float32 [H, W] in [0, 1].
    """
    import tensorflow as tf
    x = _as_batch(image, model)
    g = _grad_input_fn(model, "score")(
        tf.constant(x), tf.constant(_class_arg(model, class_index), tf.int32))
    s = np.abs(g.numpy()).max(-1)
    top = float(np.percentile(s, 99)) if s.size else 0.0
    return np.clip(s / top, 0, 1).astype(np.float32) if top > 0 else np.zeros_like(s)


def fgsm_direction(model, image, class_index: int | None = None) -> np.ndarray:
    """sign(d loss / d x) for the class (default: the predicted one): float32 [H, W, C]
    in {-1, 0, 1}. Adding ``epsilon * 255`` times it is the FGSM attack."""
    import tensorflow as tf
    x = _as_batch(image, model)
    g = _grad_input_fn(model, "loss")(
        tf.constant(x), tf.constant(_class_arg(model, class_index), tf.int32))
    return np.sign(g.numpy()).astype(np.float32)


def fgsm(model, image, epsilon: float, class_index: int | None = None) -> np.ndarray:
    """Fast Gradient Sign Method (Goodfellow et al., 2015): the image moved by ``epsilon``
    (a fraction of the 0-255 range) in the direction that most increases the loss of the
    class, clipped to 0-255.

    Returns:
        uint8 [H, W, C].
    """
    x = _as_batch(image, model)[0]
    d = fgsm_direction(model, image, class_index)
    return np.clip(x + float(epsilon) * 255.0 * d, 0, 255).round().astype(np.uint8)


def _probs(model, x: np.ndarray) -> np.ndarray:
    """What a classification reports for model inputs x (a Classifier's test-time
    augmentation included, see ``Classifier.predict_probs``)."""
    if hasattr(model, "predict_probs"):
        return model.predict_probs(x)
    if hasattr(model, "probs"):
        return model.probs(x)
    import tensorflow as tf
    km, _ = _split(model)
    fn = _cached(model, ("probs",), lambda: tf.function(lambda t: km(t, training=False),
                                                         reduce_retracing=True))
    return fn(tf.constant(np.asarray(x, np.float32))).numpy()


# --- robustness lab -------------------------------------------------------------------

@dataclass(frozen=True)
class Perturbation:
    """Settings of the robustness lab (0 = off).

    Attributes:
        noise: std of Gaussian noise, as a fraction of the 0-255 range (0-1).
        blur: Gaussian blur radius in input pixels.
        rotate: rotation in degrees (counter-clockwise).
        brightness: added brightness, a fraction of the range (-1 to 1).
        patch: side of a square occluding patch at the centre, a fraction of the image.
        fgsm: FGSM epsilon, a fraction of the range (needs ``direction``).
        seed: noise seed (the same settings give the same picture).
    """

    noise: float = 0.0
    blur: float = 0.0
    rotate: float = 0.0
    brightness: float = 0.0
    patch: float = 0.0
    fgsm: float = 0.0
    seed: int = 0


def perturb(image, p: Perturbation, direction: np.ndarray | None = None) -> np.ndarray:
    """Apply the lab's perturbations to a model input: uint8 [H, W, C] -> uint8 [H, W, C].

    Order: rotate, blur, brightness, noise, patch, then FGSM (``direction`` from
    :func:`fgsm_direction` of the clean image).
    """
    x = np.asarray(image)
    if x.ndim == 2:
        x = x[..., None]
    x = x.astype(np.uint8)
    h, w, c = x.shape
    border = np.concatenate([x[0], x[-1], x[:, 0], x[:, -1]])
    bg = tuple(int(v) for v in np.median(border, 0))
    pil = Image.fromarray(x[..., 0] if c == 1 else x)
    if p.rotate:
        pil = pil.rotate(float(p.rotate), resample=Image.BILINEAR,
                         fillcolor=bg[0] if c == 1 else bg)
    if p.blur:
        pil = pil.filter(ImageFilter.GaussianBlur(float(p.blur)))
    out = np.asarray(pil, np.float32).reshape(h, w, c)
    if p.brightness:
        out = out + float(p.brightness) * 255.0
    if p.noise:
        rng = np.random.default_rng(p.seed)
        out = out + rng.normal(0.0, float(p.noise) * 255.0, out.shape)
    if p.patch:
        side = int(round(float(p.patch) * min(h, w)))
        if side > 0:
            y0, x0 = (h - side) // 2, (w - side) // 2
            out[y0:y0 + side, x0:x0 + side] = np.asarray(bg, np.float32)
    if p.fgsm and direction is not None:
        out = out + float(p.fgsm) * 255.0 * np.asarray(direction, np.float32).reshape(h, w, c)
    return np.clip(out, 0, 255).round().astype(np.uint8)


def sweep(model, image, setting: str, values, base: Perturbation = Perturbation(),
          direction: np.ndarray | None = None) -> np.ndarray:
    """Class probabilities as one setting runs over ``values`` (the others as in ``base``):
    float32 [len(values), K], computed in one batched call."""
    from dataclasses import replace
    if setting not in PERTURBATIONS:
        raise ValueError(f"setting must be one of {', '.join(PERTURBATIONS)}; got {setting!r}.")
    batch = np.stack([perturb(image, replace(base, **{setting: float(v)}), direction)
                      for v in values])
    return _probs(model, batch)


def flip_point(values, probs: np.ndarray, clean_index: int) -> float | None:
    """The first value at which the top class is no longer ``clean_index`` (None: never)."""
    top = np.asarray(probs).argmax(1)
    for v, k in zip(values, top):
        if int(k) != int(clean_index):
            return float(v)
    return None
