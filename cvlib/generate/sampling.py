"""Sampling a generator and walking its latent space (interpolation, class morph, principal
directions)."""

from __future__ import annotations

import numpy as np

from cvlib.validation import check_range

# --- sampling -------------------------------------------------------------------------

def to_uint8(images) -> np.ndarray:
    """Generator output float [-1, 1] [N, H, W, 1] -> uint8 [N, H, W] 0-255."""
    x = np.asarray(images, np.float32)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    return np.clip(np.rint((x + 1.0) * 127.5), 0, 255).astype(np.uint8)


def _shipped(name: str):
    """The registry generator ``name`` (zoo.load verifies and caches it per process)."""
    from cvlib import zoo
    entry = zoo.get(name)
    if entry.task != "generate":
        raise ValueError(f"{name} is a {entry.task} model; choose one of "
                         f"{', '.join(zoo.list_models('generate'))}.")
    return zoo.load(name)


_COMPILED: dict = {}


def _generator(model):
    """A registry name or a generator keras.Model -> the keras.Model."""
    if isinstance(model, str):
        return _shipped(model)
    return model


def _forward(gen):
    """The compiled forward pass of ``gen``: (z, one-hot) float32 -> float32 [-1, 1]."""
    key = id(gen)
    hit = _COMPILED.get(key)
    if hit is not None and hit[0] is gen:
        return hit[1]
    import tensorflow as tf
    latent = int(gen.inputs[0].shape[-1])
    classes = int(gen.inputs[1].shape[-1])

    @tf.function(input_signature=[tf.TensorSpec((None, latent), tf.float32),
                                  tf.TensorSpec((None, classes), tf.float32)],
                 reduce_retracing=True)
    def forward(z, y):
        return gen([z, y], training=False)
    if len(_COMPILED) > 16:
        _COMPILED.clear()
    _COMPILED[key] = (gen, forward)
    return forward


def dims(model) -> tuple[int, int]:
    """(latent_dim, num_classes) of a generator or registry name."""
    gen = _generator(model)
    return int(gen.inputs[0].shape[-1]), int(gen.inputs[1].shape[-1])


def latent(n: int, seed: int, latent_dim: int, temperature: float = 1.0) -> np.ndarray:
    """float32 [n, latent_dim]: seeded standard normal noise scaled by ``temperature``
    (lower = more typical, less varied images; the "truncation trick" in its simplest form).

    Raises:
        ValueError / TypeError: a seed outside [0, 2**31 - 1] or a temperature outside
            [0, 2] (every sampler below draws its noise here).
    """
    check_range("seed", seed, 0, 2**31 - 1, integer=True)
    check_range("temperature", temperature, 0.0, 2.0, hint="Try 0.7-1.0.")
    z = np.random.default_rng(int(seed)).standard_normal((int(n), latent_dim))
    return (z * float(temperature)).astype(np.float32)


def generate(model, z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Run the generator on noise z [N, latent] and (soft) one-hot labels y [N, C].

    Returns uint8 [N, 28, 28], 0-255."""
    gen = _generator(model)
    out = _forward(gen)(np.asarray(z, np.float32), np.asarray(y, np.float32))
    return to_uint8(out.numpy())


def _labels(labels, n: int, classes: int, seed: int) -> np.ndarray:
    if labels is None:
        return np.random.default_rng(int(seed) + 1).integers(0, classes, n)
    arr = np.asarray(labels).reshape(-1)
    if arr.size == 1:
        arr = np.repeat(arr, n)
    if arr.size != n:
        raise ValueError(f"labels must be one class or {n} classes; got {arr.size}.")
    if not np.issubdtype(arr.dtype, np.integer) or arr.min() < 0 or arr.max() >= classes:
        raise ValueError(f"labels must be class indices in [0, {classes - 1}]; got "
                         f"{arr.tolist()[:10]}.")
    return arr.astype(np.int64)


def sample(model="cgan_mnist", n: int = 16, labels=None, seed: int = 0,
           temperature: float = 1.0) -> np.ndarray:
    """Draw ``n`` images.

    Args:
        model: a registry name ("cgan_mnist", "cgan_fashion") or a generator keras.Model.
        n: how many images, 1-1024.
        labels: None (random classes), one class index, or ``n`` class indices.
        seed: the noise (and random classes) seed; the same seed gives the same images.
        temperature: scales the noise, in [0, 2]; below 1 trades variety for typicality.

    Returns:
        uint8 [n, 28, 28], 0-255, white ink on black.

    Raises:
        ValueError: a bad ``n``, label or temperature. UnknownModel / ModelUnavailable.
    """
    check_range("n", n, 1, 1024, integer=True)
    check_range("seed", seed, 0, 2**31 - 1, integer=True)
    check_range("temperature", temperature, 0.0, 2.0, hint="Try 0.7-1.0.")
    latent_dim, classes = dims(model)
    k = _labels(labels, int(n), classes, seed)
    return generate(model, latent(n, seed, latent_dim, temperature), np.eye(classes)[k])


def sample_labels(model, n: int, labels, seed: int) -> np.ndarray:
    """The class indices :func:`sample` uses for these arguments (for captions)."""
    return _labels(labels, int(n), dims(model)[1], seed)


def _slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation: stays at the typical norm of Gaussian noise (a straight line
    between two noise vectors passes through unusually short ones, which look washed out)."""
    an, bn = a / np.linalg.norm(a), b / np.linalg.norm(b)
    omega = np.arccos(np.clip(np.dot(an, bn), -1.0, 1.0))
    t = np.asarray(t, np.float64)[:, None]
    if omega < 1e-6:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def interpolate(model="cgan_mnist", seed_a: int = 0, seed_b: int = 1, steps: int = 8,
                label: int = 0, temperature: float = 1.0) -> np.ndarray:
    """Walk the latent space from seed ``seed_a``'s noise to ``seed_b``'s, one class.

    Returns:
        uint8 [steps, 28, 28]; the first and last equal ``sample(model, 1, label, seed)``.
    """
    check_range("steps", steps, 2, 64, integer=True)
    latent_dim, classes = dims(model)
    check_range("label", label, 0, classes - 1, integer=True)
    za = latent(1, seed_a, latent_dim, temperature)[0]
    zb = latent(1, seed_b, latent_dim, temperature)[0]
    z = _slerp(za, zb, np.linspace(0.0, 1.0, int(steps)))
    return generate(model, z, np.repeat(np.eye(classes)[[int(label)]], int(steps), 0))


def class_morph(model="cgan_mnist", class_a: int = 0, class_b: int = 1, steps: int = 8,
                seed: int = 0, temperature: float = 1.0) -> np.ndarray:
    """Same noise, the class label blended from ``class_a`` to ``class_b``.

    Returns uint8 [steps, 28, 28]."""
    check_range("steps", steps, 2, 64, integer=True)
    latent_dim, classes = dims(model)
    _labels([class_a, class_b], 2, classes, 0)
    t = np.linspace(0.0, 1.0, int(steps))[:, None]
    eye = np.eye(classes)
    y = (1 - t) * eye[int(class_a)] + t * eye[int(class_b)]
    z = np.repeat(latent(1, seed, latent_dim, temperature), int(steps), 0)
    return generate(model, z, y)


def principal_directions(model="cgan_mnist", k: int = 4, label: int = 0, seed: int = 0,
                         n: int = 32, eps: float = 0.5) -> np.ndarray:
    """The ``k`` latent directions along which the images change most, float32 [k, latent].

    The top eigenvectors of the average J^T J, J being the generator's Jacobian (image
    pixels per latent coordinate), estimated by finite differences around ``n`` noise
    vectors of class ``label``. Moving along direction 0 changes the picture the most.
    """
    latent_dim, classes = dims(model)
    check_range("k", k, 1, latent_dim, integer=True)
    check_range("n", n, 1, 256, integer=True)
    check_range("eps", eps, 0.0, 10.0, low_inclusive=False)
    check_range("label", label, 0, classes - 1, integer=True)
    z0 = latent(n, seed, latent_dim)
    y = np.repeat(np.eye(classes)[[int(label)]], n, 0)
    base = generate(model, z0, y).reshape(n, -1).astype(np.float32) / 255.0
    jtj = np.zeros((latent_dim, latent_dim))
    cols = []
    for i in range(latent_dim):
        z = z0.copy()
        z[:, i] += eps
        cols.append((generate(model, z, y).reshape(n, -1) / 255.0 - base) / eps)
    jac = np.stack(cols, axis=-1)                      # [n, pixels, latent]
    jtj = np.einsum("npi,npj->ij", jac, jac) / n
    values, vectors = np.linalg.eigh(jtj)
    order = np.argsort(-values)[: int(k)]
    return vectors[:, order].T.astype(np.float32)


def move_along(model, directions: np.ndarray, amounts, label: int = 0, seed: int = 0,
               temperature: float = 1.0) -> np.ndarray:
    """One image: seed's noise + sum(amount_i * direction_i): uint8 [28, 28]."""
    latent_dim, classes = dims(model)
    check_range("label", label, 0, classes - 1, integer=True)
    z = latent(1, seed, latent_dim, temperature)[0]
    z = z + np.asarray(amounts, np.float32) @ np.asarray(directions, np.float32)
    return generate(model, z[None], np.eye(classes)[[int(label)]])[0]
