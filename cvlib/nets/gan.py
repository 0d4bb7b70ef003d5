"""A small conditional DCGAN for 28x28 grayscale images (MNIST, Fashion-MNIST).

Generator: noise z [N, latent] + a one-hot class [N, C] (soft labels morph classes)
    -> Dense(7*7*4w) -> BN -> ReLU -> ConvT(2w, 4, stride 2) -> BN -> ReLU
    -> ConvT(1, 4, stride 2, tanh): float32 [N, 28, 28, 1] in [-1, 1], white ink on black.
Discriminator: image in [-1, 1] + one-hot class
    -> Conv(2w, 4, s2) -> LeakyReLU -> Conv(4w, 4, s2) -> LeakyReLU -> Flatten
    -> + minibatch standard deviation (one feature) -> Dropout(0.3) -> h
    -> real/fake logit = Dense(1)(h) + <h, E y> (a projection discriminator)
    and class logits = Dense(C)(h) (an auxiliary classifier, as in AC-GAN).

The auxiliary classifier makes the generator draw the class it is asked for (class
consistency); the projection keeps the real/fake decision conditional. :class:`ConditionalGAN`
is a ``keras.Model`` whose ``train_step`` updates both networks from one forward pass and
returns this batch's ``g_loss``, ``d_loss``, ``d_real`` = mean D(x) and ``d_fake`` = mean
D(G(z)) (probabilities), so a callback sees every batch.
"""

from __future__ import annotations

import keras
from keras import layers, ops


def build_generator(latent_dim: int = 64, num_classes: int = 10, width: int = 16,
                    name: str = "generator") -> keras.Model:
    """(z float32 [N, latent_dim], one-hot [N, num_classes]) -> [N, 28, 28, 1] in [-1, 1]."""
    z = keras.Input((latent_dim,), name="z")
    y = keras.Input((num_classes,), name="label")
    e = layers.Dense(latent_dim, use_bias=False, name="label_embed")(y)
    h = layers.Concatenate(name="concat")([z, e])
    h = layers.Dense(7 * 7 * 4 * width, use_bias=False, name="project")(h)
    h = layers.BatchNormalization(name="bn0")(h)
    h = layers.ReLU(name="relu0")(h)
    h = layers.Reshape((7, 7, 4 * width), name="reshape")(h)
    h = layers.Conv2DTranspose(2 * width, 4, strides=2, padding="same", use_bias=False,
                               name="up1")(h)
    h = layers.BatchNormalization(name="bn1")(h)
    h = layers.ReLU(name="relu1")(h)
    out = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh",
                                 name="up2")(h)
    return keras.Model([z, y], out, name=name)


class MinibatchStd(layers.Layer):
    """One feature: how much the batch varies (mean over features of the std over the batch).

    Real batches vary; a collapsed generator's batch does not, so the discriminator can
    see mode collapse and push the generator away from it (Karras et al., ProGAN)."""

    def call(self, h):
        std = ops.sqrt(ops.var(h, axis=0) + 1e-8)
        return ops.ones_like(h[:, :1]) * ops.mean(std)


def build_discriminator(num_classes: int = 10, width: int = 16,
                        name: str = "discriminator") -> keras.Model:
    """(image [N, 28, 28, 1] in [-1, 1], one-hot [N, C]) -> (logit [N, 1], class logits [N, C])."""
    x_in = keras.Input((28, 28, 1), name="image")
    y = keras.Input((num_classes,), name="label")
    h = layers.Conv2D(2 * width, 4, strides=2, padding="same", name="conv1")(x_in)
    h = layers.LeakyReLU(0.2, name="lrelu1")(h)
    h = layers.Conv2D(4 * width, 4, strides=2, padding="same", name="conv2")(h)
    h = layers.LeakyReLU(0.2, name="lrelu2")(h)
    h = layers.Flatten(name="flatten")(h)
    h = layers.Concatenate(name="with_batch_std")([h, MinibatchStd(name="batch_std")(h)])
    h = layers.Dropout(0.3, name="dropout")(h)
    proj = layers.Dense(int(h.shape[-1]), use_bias=False, name="label_proj")(y)
    logit = layers.Add(name="logit")([
        layers.Dense(1, name="real_fake")(h),
        ops.sum(h * proj, axis=-1, keepdims=True)])
    cls = layers.Dense(num_classes, name="class_logits")(h)
    return keras.Model([x_in, y], [logit, cls], name=name)


class ConditionalGAN(keras.Model):
    """Generator + discriminator trained together by ``fit(x, y)``.

    ``x`` is uint8-range [N, 28, 28, 1] (0-255), ``y`` int class labels [N]. Both nets are
    updated from the same forward pass (simultaneous gradient steps, as in TensorFlow's
    DCGAN tutorial), which costs one generator pass per batch instead of two.

    Args:
        generator, discriminator: from :func:`build_generator` / :func:`build_discriminator`.
        latent_dim, num_classes: their sizes.
        label_smoothing: real targets are ``1 - label_smoothing`` for the discriminator.
    """

    def __init__(self, generator, discriminator, latent_dim: int, num_classes: int = 10,
                 label_smoothing: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.num_classes = int(num_classes)
        self.label_smoothing = float(label_smoothing)
        self.seed_gen = keras.random.SeedGenerator(0)

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def train_step(self, data):
        import tensorflow as tf
        x, y = data
        x = ops.cast(x, "float32") / 127.5 - 1.0
        n = ops.shape(x)[0]
        y_real = ops.one_hot(ops.cast(y, "int32"), self.num_classes)
        z = keras.random.normal((n, self.latent_dim), seed=self.seed_gen)
        k_fake = keras.random.randint((n,), 0, self.num_classes, seed=self.seed_gen)
        y_fake = ops.one_hot(k_fake, self.num_classes)
        bce = keras.losses.binary_crossentropy
        ce = keras.losses.categorical_crossentropy
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.generator([z, y_fake], training=True)
            real_logit, real_cls = self.discriminator([x, y_real], training=True)
            fake_logit, fake_cls = self.discriminator([fake, y_fake], training=True)
            ones = ops.ones_like(real_logit)
            d_adv = (ops.mean(bce(ones * (1.0 - self.label_smoothing), real_logit,
                                  from_logits=True))
                     + ops.mean(bce(ops.zeros_like(fake_logit), fake_logit, from_logits=True)))
            d_loss = d_adv + ops.mean(ce(y_real, real_cls, from_logits=True))
            g_loss = (ops.mean(bce(ones, fake_logit, from_logits=True))
                      + ops.mean(ce(y_fake, fake_cls, from_logits=True)))
        d_vars = self.discriminator.trainable_weights
        g_vars = self.generator.trainable_weights
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars))
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars))
        # This batch's values (not running means): the live page plots every batch.
        return {"g_loss": g_loss, "d_loss": d_loss,
                "d_real": ops.mean(ops.sigmoid(real_logit)),
                "d_fake": ops.mean(ops.sigmoid(fake_logit))}
