"""The classifiers: nudity (open_nsfw on onnxruntime), faces (OpenCV's Haar cascade) and
personal data in text (regular expressions). The models ship inside their PyPI packages
and are loaded once per worker process, on first use."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelInfo:
    """What is recorded beside every score: which model, which version."""

    name: str
    version: str
