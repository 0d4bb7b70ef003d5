"""Command line: ``python -m cvlib train|evaluate|bench|fetch``.

Examples::

    python -m cvlib train --dataset mnist --epochs 5 --save mnist_cnn
    python -m cvlib train --distribute mirrored --batch-size 256   # all GPUs of this machine
    python -m cvlib train --task gan --dataset mnist --epochs 10 --batch-size 128 --save cgan_mnist
    python -m cvlib evaluate --model mnist_cnn
    python -m cvlib bench --images 10000
    python -m cvlib fetch mnist fashion_mnist mobilenet_v3_small
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _int_tuple(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(t) for t in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}") from None


def _train(args) -> int:
    if args.distribute != "none" and args.task != "classify":
        raise ValueError(f"--distribute trains the classifier (--task classify); got --task "
                         f"{args.task}. Leave --distribute out for it.")
    if args.task == "gan":
        return _train_gan(args)
    if args.task == "sequence":
        return _train_sequence(args)
    if args.task in ("segment", "detect"):
        return _train_scenes(args)
    from cvlib.train import TrainConfig, fit

    config = TrainConfig(
        dataset=args.dataset, arch=args.arch, train_size=args.train_size,
        validation_split=args.validation_split, filters=args.filters, dense=args.dense,
        dropout=args.dropout, batchnorm=args.batchnorm, l1=args.l1, l2=args.l2,
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr,
        lr_schedule=args.lr_schedule,
        optimizer=args.optimizer, augment=args.augment,
        label_smoothing=args.label_smoothing or 0.0, precision=args.precision,
        early_stopping=args.early_stopping,
        patience=args.patience, seed=args.seed, distribute=args.distribute)
    result = fit(config, verbose=args.verbose)
    out = {"dataset": config.dataset, "data_source": result.data_info.source,
           "test_accuracy": round(result.test_accuracy, 4),
           "test_loss": round(result.test_loss, 4), "seconds": round(result.seconds, 1),
           "images_per_second": round(result.images_per_second),
           "params": int(result.model.count_params())}
    if config.distribute != "none":
        out.update(distribute=config.distribute, replicas=result.replicas, chief=result.chief)
    if args.save and not result.chief:     # a worker of a cluster: the chief saves
        from cvlib.train import save_on_worker
        save_on_worker(result.model)
    elif args.save:
        path = _save_to_zoo(
            args.save, result.model, result.data_info, result.history,
            allow_subset=args.allow_subset, task="classify",
            architecture="cvlib.train.build_model(TrainConfig(**config))",
            dataset=config.dataset,
            input_shape=list(result.model.input_shape[1:]),
            config=config.to_dict(),
            metrics={"test_accuracy": round(result.test_accuracy, 4),
                     "test_loss": round(result.test_loss, 4),
                     "test_images": int(len(result.y_test)),
                     "train_seconds": round(result.seconds, 1)})
        if path is None:
            return 2
        out["saved"] = str(path)
    print(json.dumps(out))
    return 0


def _save_to_zoo(name: str, model, data_info, history: dict, allow_subset: bool = False,
                 **fields):
    """Write models/NAME.weights.h5 and its manifest entry (sha256, the exact command that
    ran, ``fields``). Returns the path, or None when refused (trained on the offline
    subset, which would ship a weaker model under the same name, unless ``allow_subset``)."""
    from cvlib import zoo
    if data_info.subset and not allow_subset:
        print("refusing to --save a model trained on the offline subset "
              "(set CVLIB_DATA_DIR to the full data, or pass --allow-subset)", file=sys.stderr)
        return None
    path = zoo.models_dir() / f"{name}.weights.h5"
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save_weights(str(path))
    manifest = zoo.read_manifest()
    manifest.setdefault("models", {})[name] = {
        "task": fields.pop("task"),
        "file": path.name,
        "sha256": zoo.sha256_file(path),
        "size_bytes": path.stat().st_size,
        **fields,
        "class_names": data_info.class_names,
        "history": {k: [round(v, 4) for v in vs] for k, vs in history.items()},
        "data_source": data_info.source,
        "command": "python -m cvlib " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
    }
    zoo.write_manifest(manifest)
    return path


def _train_gan(args) -> int:
    from cvlib.generate import GanConfig, evaluate_quality, fit_gan

    if args.dataset not in ("mnist", "fashion_mnist"):
        raise ValueError(f"--task gan trains on mnist or fashion_mnist; got {args.dataset!r}.")
    config = GanConfig(
        dataset=args.dataset, train_size=args.train_size, latent_dim=args.latent_dim,
        width=args.width, g_learning_rate=args.g_lr, d_learning_rate=args.d_lr,
        batch_size=args.batch_size, epochs=args.epochs,
        label_smoothing=0.1 if args.label_smoothing is None else args.label_smoothing,
        seed=args.seed)
    result = fit_gan(config, verbose=args.verbose)
    out = {"task": "gan", "dataset": config.dataset, "data_source": result.data_info.source,
           "seconds": round(result.seconds, 1),
           "images_per_second": round(result.images_per_second),
           "params": int(result.generator.count_params()),
           "last_epoch": {k: round(v[-1], 4) for k, v in result.history.items() if v}}
    if args.save:
        quality = evaluate_quality(result.generator, config.dataset, seed=args.seed)
        out["quality"] = quality
        path = _save_to_zoo(
            args.save, result.generator, result.data_info, result.history,
            allow_subset=args.allow_subset, task="generate",
            architecture="cvlib.generate.build_generator(GanConfig(**config)) "
                         "(cvlib.nets.gan; generator weights only)",
            dataset=config.dataset,
            output_shape=[28, 28, 1],
            config=config.to_dict(),
            metrics={**quality, "train_seconds": round(result.seconds, 1),
                     "epochs_completed": result.epochs_completed})
        if path is None:
            return 2
        out["saved"] = str(path)
    print(json.dumps(out))
    return 0


def _train_scenes(args) -> int:
    """--task segment|detect: the digit-scene U-Net / centre-point detector
    (cvlib.scene_train)."""
    import dataclasses

    from cvlib.scene_train import SceneTrainConfig, fit_scenes
    from cvlib.scenes import DETECT_CLASS_NAMES, SEGMENT_CLASS_NAMES

    config = SceneTrainConfig(
        task=args.task, filters=args.scene_filters, train_scenes=args.train_scenes,
        val_scenes=args.val_scenes, eval_scenes=args.eval_scenes, epochs=args.epochs,
        batch_size=args.batch_size, learning_rate=args.lr, precision=args.precision,
        time_limit=args.time_limit, seed=args.seed, init_from=args.init_from)
    stage = {}
    if args.init_from:     # a second stage: the manifest keeps the first one's record
        from cvlib import zoo
        prev = zoo.manifest_entry(args.init_from)
        stage = {"fine_tuned_from": {k: prev.get(k) for k in (
            "sha256", "command", "metrics", "fine_tuned_from") if prev.get(k)}}
    result = fit_scenes(config, verbose=args.verbose)
    out = {"task": args.task, "data_source": result.info.source,
           "params": int(result.model.count_params()), **result.metrics}
    if args.save:
        names = SEGMENT_CLASS_NAMES if args.task == "segment" else DETECT_CLASS_NAMES
        net = "cvlib.nets.unet.build_unet(UNetSpec(**spec))" if args.task == "segment" else \
            "cvlib.nets.centernet.build_centernet(CenterNetSpec(**spec))"
        path = _save_to_zoo(
            args.save, result.model, dataclasses.replace(result.info, class_names=list(names)),
            result.history, task=args.task, architecture=net,
            dataset="digit_scenes (cvlib.data.digit_scenes: MNIST train digits; measured on "
                    "test-split scenes of MNIST test digits)",
            input_shape=[128, 128, 3], spec=config.spec().to_dict(), config=config.to_dict(),
            metrics=result.metrics, **stage)
        if path is None:
            return 2
        out["saved"] = str(path)
        out["size_bytes"] = path.stat().st_size
    print(json.dumps(out))
    return 0


def _train_sequence(args) -> int:
    from cvlib.sequence_train import SequenceConfig, fit_sequence, inference_copy

    config = SequenceConfig(
        epochs=args.epochs, clips_per_epoch=args.clips_per_epoch, batch_size=args.batch_size,
        learning_rate=args.lr, units=args.units, features=args.features,
        arch=args.seq_arch, seed=args.seed)
    result = fit_sequence(config, verbose=args.verbose)
    out = {"task": "sequence", "data_source": result.data_info.source,
           "seconds": round(result.seconds, 1),
           "clips_per_second": round(result.clips_per_second, 1),
           "params": int(result.model.count_params()), **result.metrics}
    if args.save:
        from cvlib.moving_digits import DIRECTION_NAMES
        path = _save_to_zoo(
            args.save, inference_copy(result.model, config), result.data_info,
            result.history, task="sequence",
            architecture="cvlib.nets.rnn.build(SequenceSpec(**spec)) (TimeDistributed CNN "
                         "-> GRU -> per-frame direction/digit heads)",
            dataset="moving_digits (cvlib.data.moving_digits, MNIST digits)",
            input_shape=[None, 64, 64, 1],
            spec=config.spec().to_dict(), config=config.to_dict(),
            direction_names=list(DIRECTION_NAMES),
            metrics=result.metrics)
        if path is None:
            return 2
        out["saved"] = str(path)
    print(json.dumps(out))
    return 0


def _evaluate_scenes(args, m) -> int:
    """Segmenter / detector: measured on held-out digit scenes (test split, seed 0)."""
    from cvlib import zoo
    from cvlib.data import digit_scenes
    from cvlib.scene_train import evaluate_detector, evaluate_segmenter

    test = digit_scenes(args.scenes, seed=0, split="test")
    if m["task"] == "segment":
        from cvlib.segment import region_classifier
        metrics = evaluate_segmenter(zoo.load(args.model), test,
                                     region_classifier(args.model))
    else:
        metrics = evaluate_detector(zoo.load(args.model), test)
    print(json.dumps({"model": args.model, "source": test.info.source, **metrics}))
    if args.record:       # the manifest's figures = what the predictor returns today
        manifest = zoo.read_manifest()
        entry = manifest["models"][args.model]
        entry["metrics"] = {**entry.get("metrics", {}), **metrics}
        entry["evaluate_command"] = "python -m cvlib " + " ".join(
            shlex.quote(a) for a in sys.argv[1:])
        zoo.write_manifest(manifest)
    return 0


def _evaluate(args) -> int:
    import numpy as np

    from cvlib import zoo
    if zoo.manifest_entry(args.model).get("task") in ("segment", "detect"):
        return _evaluate_scenes(args, zoo.manifest_entry(args.model))
    from cvlib.data import load_dataset
    from cvlib.train import predict_probs

    m = zoo.manifest_entry(args.model)
    model = zoo.load(args.model)
    x, y, info = load_dataset(args.dataset or m["dataset"], "test")
    probs = predict_probs(model, x[..., None] if x.ndim == 3 else x)  # uint8 [N, H, W, C]
    acc = float(np.mean(probs.argmax(1) == y))
    print(json.dumps({"model": args.model, "dataset": info.name, "source": info.source,
                      "subset": info.subset, "images": int(len(y)),
                      "test_accuracy": round(acc, 4)}))
    return 0


def _bench(args) -> int:
    from cvlib import bench
    for line in bench.quick(images=args.images, repeats=args.repeats):
        print(json.dumps(line), flush=True)
    return 0


def _fetch(args) -> int:
    from cvlib import data, zoo
    failed = 0
    for name in args.names:
        try:
            if name in data.DATASETS:
                where = data.fetch(name)
            else:
                where = zoo.fetch(name)
            print(f"{name}: ok ({where})")
        except Exception as exc:  # one line per failure, never a traceback
            failed += 1
            print(f"{name}: {exc}", file=sys.stderr)
    return 1 if failed else 0


def main(argv=None) -> int:
    from cvlib.train import (
        ARCHS,
        DISTRIBUTE,
        LR_SCHEDULES,
        OPTIMIZERS,
        PRECISIONS,
        TRAINABLE_DATASETS,
    )

    ap = argparse.ArgumentParser(prog="python -m cvlib", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("train", help="train the CNN (see cvlib.train.TrainConfig) or, with "
                                     "--task gan, a conditional GAN (cvlib.generate.GanConfig)")
    t.add_argument("--task", default="classify",
                   choices=("classify", "gan", "sequence", "segment", "detect"))
    t.add_argument("--dataset", default="mnist", choices=TRAINABLE_DATASETS)
    t.add_argument("--arch", default="cnn", choices=ARCHS)
    t.add_argument("--train-size", type=int, default=None)
    t.add_argument("--validation-split", type=float, default=0.1)
    t.add_argument("--filters", type=_int_tuple, default=(32, 64, 64))
    t.add_argument("--dense", type=int, default=64)
    t.add_argument("--dropout", type=float, default=0.0)
    t.add_argument("--batchnorm", action="store_true")
    t.add_argument("--l1", type=float, default=0.0)
    t.add_argument("--l2", type=float, default=0.0)
    t.add_argument("--epochs", type=int, default=5)
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--lr-schedule", default="cosine", choices=LR_SCHEDULES)
    t.add_argument("--optimizer", default="adam", choices=OPTIMIZERS)
    t.add_argument("--augment", action="store_true")
    t.add_argument("--precision", default="float32", choices=PRECISIONS)
    t.add_argument("--label-smoothing", type=float, default=None,
                   help="smooth the targets (0-0.5); default 0, or 0.1 with --task gan")
    t.add_argument("--early-stopping", action="store_true")
    t.add_argument("--patience", type=int, default=2)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--distribute", default="none", choices=DISTRIBUTE,
                   help="mirrored: all local GPUs (or logical CPUs); multiworker: the "
                        "machines $TF_CONFIG lists, run the same command on each (the "
                        "chief, worker 0, saves). --batch-size is the global batch")
    sc = t.add_argument_group("--task segment|detect (digit scenes; cvlib.scene_train)")
    sc.add_argument("--scene-filters", type=_int_tuple, default=(16, 32, 48, 64, 96))
    sc.add_argument("--train-scenes", type=int, default=6000)
    sc.add_argument("--val-scenes", type=int, default=200)
    sc.add_argument("--eval-scenes", type=int, default=1000)
    sc.add_argument("--time-limit", type=float, default=None,
                    help="train for this many seconds (cosine learning rate over them)")
    sc.add_argument("--init-from", metavar="NAME", default=None,
                    help="start from the shipped weights of NAME (a second stage)")
    g = t.add_argument_group("--task gan")
    g.add_argument("--latent-dim", type=int, default=64)
    g.add_argument("--width", type=int, default=16)
    g.add_argument("--g-lr", type=float, default=2e-4)
    g.add_argument("--d-lr", type=float, default=2e-4)
    q = t.add_argument_group("--task sequence (moving digits; cvlib.sequence_train)")
    q.add_argument("--clips-per-epoch", type=int, default=20000)
    q.add_argument("--units", type=int, default=96, help="GRU units")
    q.add_argument("--features", type=int, default=128, help="per-frame feature width")
    q.add_argument("--seq-arch", default="cnn_gru", choices=("cnn_gru", "convlstm"))
    t.add_argument("--save", metavar="NAME", help="write models/NAME.weights.h5 + manifest entry")
    t.add_argument("--allow-subset", action="store_true",
                   help="--save even when only the offline subset of the data set was found "
                        "(refused by default: it would ship a weaker model under the name; "
                        "the manifest records the data source either way)")
    t.add_argument("--verbose", type=int, default=2)
    t.set_defaults(func=_train)

    e = sub.add_parser("evaluate", help="test accuracy of a registered model")
    e.add_argument("--model", default="mnist_cnn")
    e.add_argument("--dataset", default=None)
    e.add_argument("--scenes", type=int, default=1000,
                   help="segment/detect models: held-out test scenes to measure on")
    e.add_argument("--record", action="store_true",
                   help="segment/detect models: write the figures into the manifest")
    e.set_defaults(func=_evaluate)

    b = sub.add_parser("bench", help="quick training-throughput check (bench/ has the full ones)")
    b.add_argument("--images", type=int, default=20000)
    b.add_argument("--repeats", type=int, default=1)
    b.set_defaults(func=_bench)

    f = sub.add_parser("fetch", help="download data sets / ImageNet weights (online)")
    f.add_argument("names", nargs="+")
    f.set_defaults(func=_fetch)

    args = ap.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError) as exc:   # invalid settings: one line, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from cvlib import CVLibError
        if isinstance(exc, CVLibError):
            print(f"error: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
