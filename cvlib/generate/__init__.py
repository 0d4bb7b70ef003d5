"""Image generation with a conditional GAN: sampling, latent-space tools, live GAN training.

Sampling (plain data out: uint8 arrays [N, 28, 28], 0-255, white ink on black like MNIST)::

    >>> from cvlib.generate import sample, interpolate, class_morph
    >>> images = sample("cgan_mnist", n=16, labels=7, seed=0)
    >>> images.shape, images.dtype.name
    ((16, 28, 28), 'uint8')

``model`` is a registry name ("cgan_mnist", "cgan_fashion") or a generator ``keras.Model``
(for example the one a :class:`GanJob` just trained). The same seed gives the same images.

Training: :class:`GanConfig` describes a run; :func:`fit_gan` trains in the calling thread
(the CLI's ``python -m cvlib train --task gan``); :class:`GanJob` runs the same training in a
daemon thread with the contract of :class:`cvlib.train.TrainingJob` (start / snapshot /
stop within a second keeping the weights / join / result; one heavy job per process).

Quality (written into the manifest by the CLI): :func:`evaluate_quality` gives the class
consistency (the shipped classifier agrees with the requested class), the diversity ratio
(mean pairwise distance within a class, generated / real; far below 1 = mode collapse) and
the Fréchet distance on the classifier's penultimate-layer features (lower is better).

The package is split by concern (training, sampling, pictures, quality, sampler); every
public name is importable from ``cvlib.generate`` as before. It imports TensorFlow only
inside the functions that need it.
"""

from __future__ import annotations

from cvlib.generate.pictures import grid, to_gif, to_png
from cvlib.generate.quality import (
    VERDICT_AGREEMENT,
    VERDICT_DIVERSITY,
    GanVerdict,
    class_consistency,
    diversity_ratio,
    evaluate_quality,
    features,
    fid,
    frechet_distance,
    mean_pairwise_distance,
    verdict,
)
from cvlib.generate.sampler import Sampler
from cvlib.generate.sampling import (
    class_morph,
    dims,
    generate,
    interpolate,
    latent,
    move_along,
    principal_directions,
    sample,
    sample_labels,
    to_uint8,
)
from cvlib.generate.training import (
    GAN_DATASETS,
    GRID_PER_CLASS,
    JUDGE,
    GanConfig,
    GanJob,
    GanResult,
    GanSnapshot,
    build_gan,
    build_generator,
    fit_gan,
    fixed_noise,
    gan_hint,
)

__all__ = [
    "GAN_DATASETS",
    "GRID_PER_CLASS",
    "GanConfig",
    "GanJob",
    "GanResult",
    "GanSnapshot",
    "GanVerdict",
    "JUDGE",
    "Sampler",
    "VERDICT_AGREEMENT",
    "VERDICT_DIVERSITY",
    "build_gan",
    "build_generator",
    "class_consistency",
    "class_morph",
    "dims",
    "diversity_ratio",
    "evaluate_quality",
    "features",
    "fid",
    "fit_gan",
    "fixed_noise",
    "frechet_distance",
    "gan_hint",
    "generate",
    "grid",
    "interpolate",
    "latent",
    "mean_pairwise_distance",
    "move_along",
    "principal_directions",
    "sample",
    "sample_labels",
    "to_gif",
    "to_png",
    "to_uint8",
    "verdict",
]
