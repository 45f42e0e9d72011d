"""The CNN, and the model-directory layout that training writes and serving reads."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

import contract

# Keys of MODEL_CONFIG_FILE that define the network (the rest is informational).
ARCHITECTURE_KEYS = ("image_height", "image_width", "num_classes", "hidden_channels", "kernel_size", "dropout")


class DigitsCNN(nn.Module):
    """Two same-padded conv blocks (hidden_channels, then twice that), each halving the image, then
    a small classifier. Same padding keeps the shape arithmetic valid from 8x8 up to 28x28 and for
    every kernel size the contract allows; batch norm lets plain SGD train it in a few epochs.
    """

    def __init__(
        self,
        image_height: int,
        image_width: int,
        num_classes: int,
        hidden_channels: int,
        kernel_size: int,
        dropout: float,
    ) -> None:
        super().__init__()
        if image_height < 4 or image_width < 4:
            raise ValueError(f"images must be at least 4x4 (two 2x2 poolings), got {image_height}x{image_width}")
        padding = kernel_size // 2
        wide = 2 * hidden_channels

        def block(channels_in: int, channels_out: int) -> nn.Sequential:
            return nn.Sequential(
                # An even kernel with padding k//2 grows the map by one; pooling floors it back.
                nn.Conv2d(channels_in, channels_out, kernel_size, padding=padding, bias=False),
                nn.BatchNorm2d(channels_out),
                nn.ReLU(),
                nn.MaxPool2d(2),
            )

        self.features = nn.Sequential(block(1, hidden_channels), block(hidden_channels, wide))
        with torch.no_grad():  # the flattened size, measured rather than derived by hand
            flat = self.features(torch.zeros(1, 1, image_height, image_width)).numel()
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(flat, 64),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(64, num_classes),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits for a batch of (N, 1, H, W) normalised images."""
        return self.classifier(self.features(images))


def build_model(config: dict) -> DigitsCNN:
    return DigitsCNN(**{key: config[key] for key in ARCHITECTURE_KEYS})


def save_model(model: nn.Module, config: dict, model_dir: Path) -> None:
    """Weights and config side by side; SageMaker tars the folder and serving reads it back."""
    model_dir.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), model_dir / contract.MODEL_WEIGHTS_FILE)
    (model_dir / contract.MODEL_CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")


def load_model(model_dir: Path) -> tuple[DigitsCNN, dict]:
    """The model in eval mode and its config; a clear error if a file is missing or does not fit."""
    config_path = model_dir / contract.MODEL_CONFIG_FILE
    weights_path = model_dir / contract.MODEL_WEIGHTS_FILE
    for path in (config_path, weights_path):
        if not path.is_file():
            raise FileNotFoundError(
                f"model file {path} is missing (a model dir holds "
                f"{contract.MODEL_WEIGHTS_FILE} and {contract.MODEL_CONFIG_FILE})"
            )
    config = json.loads(config_path.read_text())
    missing = [key for key in ARCHITECTURE_KEYS if key not in config]
    if missing:
        raise ValueError(f"{config_path} lacks {missing}")
    model = build_model(config)
    # weights_only: a model file is data, never code to unpickle.
    model.load_state_dict(torch.load(weights_path, map_location="cpu", weights_only=True))
    model.eval()
    return model, config
