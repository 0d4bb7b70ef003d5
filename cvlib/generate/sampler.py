"""The generator as a predictor: cvlib.load("generate", name)."""

from __future__ import annotations

import numpy as np

from cvlib.generate.quality import GanVerdict, verdict
from cvlib.generate.sampling import _forward, _labels, _shipped, dims, latent, to_uint8
from cvlib.predictor import Predictor
from cvlib.validation import check_range

# --- predictor ----------------------------------------------------------------------------


class Sampler(Predictor):
    """A conditional GAN generator as a predictor: (n, labels, seed) in, uint8 images out.

    ``cvlib.load("generate", "cgan_mnist")`` returns one. Calling it is :func:`sample`.

    Example:
        >>> import cvlib
        >>> s = cvlib.load("generate", "cgan_mnist")
        >>> s(n=4, labels=7).shape
        (4, 28, 28)
    """

    task = "generate"

    def __init__(self, name: str, model, class_names=None, dataset: str = "mnist"):
        super().__init__(name, model, class_names)
        self.dataset = dataset

    @classmethod
    def from_name(cls, name: str) -> "Sampler":
        """The registry generator ``name`` (weights sha256-checked by cvlib.zoo).

        Raises:
            cvlib.zoo.UnknownModel / ModelUnavailable; ValueError: not a generator, or a
            ``"run:<id>"`` (GAN trainings are not saved as runs).
        """
        if name.startswith("run:"):
            raise ValueError(f"{name} is a Train-page run; GAN trainings live only in the "
                             f"Generate page's session. Choose one of the registry "
                             f"generators.")
        from cvlib import zoo
        from cvlib.data import CLASS_NAMES
        model = _shipped(name)
        dataset = zoo.get(name).dataset
        return cls(name, model, CLASS_NAMES.get(dataset), dataset)

    @property
    def latent_dim(self) -> int:
        return dims(self.model)[0]

    @property
    def num_classes(self) -> int:
        return dims(self.model)[1]

    def preprocess(self, inputs=None, n: int = 16, labels=None, seed: int = 0,
                   temperature: float = 1.0):
        check_range("n", n, 1, 1024, integer=True)
        k = _labels(labels, int(n), self.num_classes, seed)
        return latent(n, seed, self.latent_dim, temperature), np.eye(self.num_classes)[k]

    def _forward(self, batch):
        z, y = batch
        return _forward(self.model)(np.asarray(z, np.float32), np.asarray(y, np.float32))

    def postprocess(self, outputs, prepared, **kwargs):
        return to_uint8(np.asarray(outputs))

    def __call__(self, n: int = 16, labels=None, seed: int = 0, temperature: float = 1.0):
        """uint8 [n, 28, 28] 0-255, white on black (see :func:`sample`)."""
        prepared = self.preprocess(None, n=n, labels=labels, seed=seed,
                                   temperature=temperature)
        return self.postprocess(self._forward(prepared), prepared)

    def verdict(self, per_class: int = 20, seed: int = 0) -> GanVerdict:
        """See :func:`verdict`."""
        return verdict(self.model, self.dataset, per_class=per_class, seed=seed)
