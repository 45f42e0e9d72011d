"""Training entrypoint (`python3 -m jobs train`): trains the CNN under the SageMaker training contract.

Reads /opt/ml/input/config/hyperparameters.json (string values) and the SM_* variables the
SageMaker training toolkit sets, the train and test channels written by preprocessing, prints
the metric lines of contract.METRICS once per epoch, checkpoints every epoch to
/opt/ml/checkpoints (resuming from the latest one after a spot interruption) and saves the model
to SM_MODEL_DIR. Any failure is written to /opt/ml/output/failure (the job's FailureReason) and
the process exits non-zero.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import SupportsFloat, SupportsInt, cast

import contract
from jobs.hyperparameters import InvalidHyperparameters, parse_hyperparameters
from jobs.tracking import TrialRun

NUM_CLASSES = 10
FAILURE_REASON_LIMIT = 1024  # SageMaker keeps the first 1024 characters of the failure file
CHECKPOINT_PREFIX = "checkpoint-epoch-"
CHECKPOINTS_KEPT = 2  # the latest, plus one to fall back on should the latest be unreadable
EVAL_BATCH = 1024


class TrainingError(Exception):
    """A problem the user can fix (input data, checkpoints); the message names it."""


@dataclass(frozen=True)
class TrainingEnvironment:
    """Where training reads and writes, from the SM_* variables with the contract's paths as defaults."""

    paths: contract.ContainerPaths
    model_dir: Path
    train_dir: Path
    test_dir: Path
    output_data_dir: Path
    num_cpus: int
    num_gpus: int

    @classmethod
    def from_env(cls) -> TrainingEnvironment:
        paths = contract.ContainerPaths.from_env()
        env = os.environ
        return cls(
            paths=paths,
            model_dir=Path(env.get("SM_MODEL_DIR", paths.model)),
            train_dir=Path(
                env.get(f"SM_CHANNEL_{contract.TRAIN_CHANNEL.upper()}", paths.channel(contract.TRAIN_CHANNEL))
            ),
            test_dir=Path(env.get(f"SM_CHANNEL_{contract.TEST_CHANNEL.upper()}", paths.channel(contract.TEST_CHANNEL))),
            output_data_dir=Path(env.get("SM_OUTPUT_DATA_DIR", paths.output_data)),
            num_cpus=_count_from_env("SM_NUM_CPUS", os.cpu_count() or 1),
            num_gpus=_count_from_env("SM_NUM_GPUS", -1),  # -1: not said, use a GPU if there is one
        )


def _count_from_env(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise TrainingError(f"environment variable {name}={value!r} is not a whole number") from None


def read_hyperparameters(paths: contract.ContainerPaths) -> dict[str, object]:
    """hyperparameters.json (or SM_HPS when the file is absent, as in a bare local run), validated."""
    if paths.hyperparameters.is_file():
        source, text = str(paths.hyperparameters), paths.hyperparameters.read_text()
    elif os.environ.get("SM_HPS"):
        source, text = "SM_HPS", os.environ["SM_HPS"]
    else:
        return parse_hyperparameters({})
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidHyperparameters(f"{source} is not valid JSON: {error}") from None
    return parse_hyperparameters(raw)


def load_channel(directory: Path, channel: str):
    """(images float32 N x H x W, labels int64 N) of one channel, checked; numpy arrays."""
    import numpy as np

    arrays = {}
    for name in (contract.IMAGES_FILE, contract.LABELS_FILE):
        path = directory / name
        if not path.is_file():
            raise TrainingError(f"channel {channel!r}: {path} is missing (the preprocessing output {channel}/)")
        try:
            arrays[name] = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise TrainingError(f"channel {channel!r}: cannot read {path.name}: {error}") from None
    images, labels = arrays[contract.IMAGES_FILE], arrays[contract.LABELS_FILE]
    if images.ndim != 3 or len(images) == 0:
        raise TrainingError(
            f"channel {channel!r}: {contract.IMAGES_FILE} must be N x height x width, got {images.shape}"
        )
    if labels.shape != (len(images),):
        raise TrainingError(f"channel {channel!r}: {len(images)} images but labels of shape {labels.shape}")
    if labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise TrainingError(f"channel {channel!r}: labels must lie in 0..{NUM_CLASSES - 1}")
    return images.astype(np.float32, copy=False), labels.astype(np.int64, copy=False)


def checkpoint_path(directory: Path, epoch: int) -> Path:
    return directory / f"{CHECKPOINT_PREFIX}{epoch:04d}.pt"


def saved_checkpoints(directory: Path) -> list[Path]:
    """Finished checkpoints, newest first (a half-written .tmp file is never one of them)."""
    if not directory.is_dir():
        return []
    return sorted(directory.glob(f"{CHECKPOINT_PREFIX}*.pt"), reverse=True)


def write_atomically(path: Path, save) -> None:
    """save(file) into a temporary file, flushed to disk, then renamed: a job killed mid-write never
    leaves a truncated checkpoint under a name that resuming would pick."""
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as file:
        save(file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def train(hp: dict[str, object], env: TrainingEnvironment, log=print) -> dict:
    """Train (or resume) to hp["epochs"], save the model; return the summary also written to output/data."""
    # The data is checked before torch is imported, so bad input fails in a fraction of a second.
    train_x, train_y = load_channel(env.train_dir, contract.TRAIN_CHANNEL)
    test_x, test_y = load_channel(env.test_dir, contract.TEST_CHANNEL)
    if train_x.shape[1:] != test_x.shape[1:]:
        raise TrainingError(f"train images are {train_x.shape[1:]} but test images are {test_x.shape[1:]}")

    import torch
    import torch.nn.functional as F

    from jobs.model import build_model, save_model

    # Determinism for a seed: seeded generators, deterministic kernels, and the RNG states saved in
    # every checkpoint, so a resumed run continues exactly where the interrupted one stopped. On
    # CUDA, cross-entropy (NLLLoss) has no deterministic kernel: warn there rather than fail; every
    # op this model uses on CPU is deterministic.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    torch.set_num_threads(max(1, env.num_cpus))
    use_gpu = torch.cuda.is_available() and env.num_gpus != 0
    device = torch.device("cuda" if use_gpu else "cpu")

    height, width = (int(n) for n in train_x.shape[1:])
    config = {
        "image_height": height,
        "image_width": width,
        "num_classes": NUM_CLASSES,
        "hidden_channels": hp["hidden_channels"],
        "kernel_size": hp["kernel_size"],
        "dropout": hp["dropout"],
    }
    torch.manual_seed(hp["seed"])
    model = build_model(config).to(device)
    if hp["optimizer"] == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=hp["lr"])
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=hp["lr"], momentum=hp["momentum"])
    shuffle = torch.Generator().manual_seed(hp["seed"])

    # The whole dataset fits on the device (MNIST: 60k x 28 x 28 float32 is 188 MB).
    train_images = torch.from_numpy(train_x).unsqueeze(1).to(device)
    train_labels = torch.from_numpy(train_y).to(device)
    test_images = torch.from_numpy(test_x).unsqueeze(1).to(device)
    test_labels = torch.from_numpy(test_y).to(device)

    history: list[dict] = []
    start_epoch = 1
    # Validated by parse_hyperparameters; typed here for the arithmetic.
    epochs = int(cast(SupportsInt, hp["epochs"]))
    batch_size = int(cast(SupportsInt, hp["batch_size"]))
    lr = float(cast(SupportsFloat, hp["lr"]))
    resumed = resume_from_checkpoint(env.paths.checkpoints, hp, model, optimizer, shuffle, log)
    if resumed is not None:
        if resumed["epoch"] > epochs:
            raise TrainingError(f"the checkpoint is at epoch {resumed['epoch']}, past epochs={hp['epochs']}")
        start_epoch, history = resumed["epoch"] + 1, resumed["history"]

    mlflow_run = TrialRun(log)
    steps_per_epoch = -(-len(train_labels) // batch_size)
    total_steps = steps_per_epoch * epochs
    train_seconds = 0.0
    trained_images = 0
    for epoch in range(start_epoch, epochs + 1):
        started = time.perf_counter()
        model.train()
        order = torch.randperm(len(train_labels), generator=shuffle).to(device)
        loss_sum = 0.0
        for step, first in enumerate(range(0, len(order), batch_size), start=(epoch - 1) * steps_per_epoch):
            batch = order[first : first + batch_size]
            for group in optimizer.param_groups:
                group["lr"] = cosine_learning_rate(lr, step, total_steps)
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(train_images[batch]), train_labels[batch])
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(batch)
        if device.type == "cuda":
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - started
        train_seconds += elapsed
        trained_images += len(order)
        test_loss, test_accuracy = evaluate(model, test_images, test_labels)
        metrics = {"train:loss": loss_sum / len(order), "test:loss": test_loss, "test:accuracy": test_accuracy}
        history.append({"epoch": epoch, **metrics, "seconds": elapsed})
        log(f"Epoch {epoch}/{hp['epochs']}: {len(order) / elapsed:.0f} images/s on {device.type}")
        for name, value in metrics.items():
            log(contract.format_metric(name, value))
        mlflow_run.log_epoch(epoch, metrics)
        save_checkpoint(env.paths.checkpoints, epoch, hp, model, optimizer, shuffle, history)

    final = history[-1]
    save_model(
        model.cpu(),
        {**config, "hyperparameters": hp, "metrics": {k: final[k] for k in contract.METRICS_BY_NAME}},
        env.model_dir,
    )
    summary = {
        "hyperparameters": hp,
        "device": device.type,
        "threads": torch.get_num_threads(),
        "resumed_from_epoch": None if resumed is None else resumed["epoch"],
        "epochs": history,
        "final_metrics": {k: final[k] for k in contract.METRICS_BY_NAME},
        "images_per_second": trained_images / train_seconds if train_seconds else None,
        "mlflow": {"runId": mlflow_run.run_id, "missed": mlflow_run.missed} if mlflow_run.uri else None,
    }
    env.output_data_dir.mkdir(parents=True, exist_ok=True)
    (env.output_data_dir / contract.TRAINING_SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def cosine_learning_rate(base: float, step: int, total_steps: int) -> float:
    """lr decayed from `base` to 0 along half a cosine over the whole run.

    Why: the local digits set gives only ~45 steps per epoch, and a constant lr leaves the last
    epoch's accuracy swinging by several points from seed to seed; annealing settles it. It is a
    function of the step alone, so a resumed run needs no scheduler state.
    """
    return base * 0.5 * (1.0 + math.cos(math.pi * min(step, total_steps) / total_steps))


def evaluate(model, images, labels) -> tuple[float, float]:
    """(average cross-entropy, accuracy in percent) over a whole split."""
    import torch
    import torch.nn.functional as F

    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.inference_mode():
        for first in range(0, len(labels), EVAL_BATCH):
            logits = model(images[first : first + EVAL_BATCH])
            target = labels[first : first + EVAL_BATCH]
            loss_sum += F.cross_entropy(logits, target, reduction="sum").item()
            correct += int((logits.argmax(dim=1) == target).sum().item())
    return loss_sum / len(labels), 100.0 * correct / len(labels)


def save_checkpoint(directory: Path, epoch, hp, model, optimizer, shuffle, history) -> None:
    import torch

    directory.mkdir(parents=True, exist_ok=True)
    state = {
        "epoch": epoch,
        "hyperparameters": hp,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "shuffle_rng": shuffle.get_state(),
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "history": history,
    }
    write_atomically(checkpoint_path(directory, epoch), lambda file: torch.save(state, file))
    for old in saved_checkpoints(directory)[CHECKPOINTS_KEPT:]:
        old.unlink(missing_ok=True)


def resume_from_checkpoint(directory: Path, hp, model, optimizer, shuffle, log) -> dict | None:
    """Restore the newest readable checkpoint into model/optimizer/RNGs; None when there is none."""
    import torch

    for path in saved_checkpoints(directory):
        try:
            # weights_only: a checkpoint is data (tensors, numbers, dicts), never code to unpickle.
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # noqa: BLE001 - any unreadable file: fall back to an older one
            log(f"checkpoint {path.name} is unreadable ({error}); trying an older one")
            continue
        changed = sorted(k for k in hp if k != "epochs" and state["hyperparameters"].get(k) != hp[k])
        if changed:
            raise TrainingError(
                f"checkpoint {path} was written with different hyperparameters ({', '.join(changed)}); "
                "use a fresh checkpoint location for a different trial"
            )
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        shuffle.set_state(state["shuffle_rng"])
        torch.set_rng_state(state["torch_rng"])
        if state["cuda_rng"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        log(f"Resuming from {path.name} (epoch {state['epoch']} of {hp['epochs']} done)")
        return state
    return None


def write_failure(paths: contract.ContainerPaths, message: str) -> None:
    paths.failure.parent.mkdir(parents=True, exist_ok=True)
    paths.failure.write_text(message[:FAILURE_REASON_LIMIT])


def main() -> int:
    paths = contract.ContainerPaths.from_env()
    try:
        env = TrainingEnvironment.from_env()
        hp = read_hyperparameters(paths)
        print(f"Hyperparameters: {json.dumps(hp, sort_keys=True)}", flush=True)
        summary = train(hp, env, log=lambda line: print(line, flush=True))
    except (InvalidHyperparameters, TrainingError) as error:
        kind = "invalid hyperparameters" if isinstance(error, InvalidHyperparameters) else "training failed"
        message = f"{kind}: {error}"
        print(message, file=sys.stderr, flush=True)
        write_failure(paths, message)
        return 1
    except Exception as error:  # noqa: BLE001 - the edge: whatever it was, SageMaker must be told
        traceback.print_exc()
        write_failure(paths, f"training failed: {type(error).__name__}: {error}")
        return 1
    print(f"Training done: test accuracy {summary['final_metrics']['test:accuracy']:.2f}%", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
