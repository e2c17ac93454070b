"""Faces, as a personal-data signal: OpenCV's frontal-face Haar cascade, which ships inside
`opencv-python-headless` 4.x (`cv2.data.haarcascades`; OpenCV 5 no longer ships the
cascades, hence the `<5` pin).

Run on the 384-pixel thumbnail, it finds frontal faces down to 24 pixels there (about a
sixteenth of the long side): the count is a lower bound for crowds and distant figures, and
profiles are not counted. Painted and sculpted faces count too; the detector cannot tell."""

import threading

import cv2
import numpy as np
from PIL import Image

from moderation.classifiers import ModelInfo

CASCADE_FILE = "haarcascade_frontalface_default.xml"
SCALE_FACTOR = 1.1
MIN_NEIGHBORS = 5
MIN_SIZE = 24  # pixels: the cascade's own window

INFO = ModelInfo(
    name=f"OpenCV Haar cascade {CASCADE_FILE.removesuffix('.xml')}",
    version=f"{cv2.__version__} scale {SCALE_FACTOR} neighbours {MIN_NEIGHBORS} min {MIN_SIZE}px",
)

# A CascadeClassifier keeps per-call state inside: one per thread, loaded on first use.
_local = threading.local()


def cascade() -> cv2.CascadeClassifier:
    classifier = getattr(_local, "cascade", None)
    if classifier is None:
        classifier = cv2.CascadeClassifier(cv2.data.haarcascades + CASCADE_FILE)
        if classifier.empty():
            raise RuntimeError(f"OpenCV could not load {CASCADE_FILE} from cv2.data")
        _local.cascade = classifier
    return classifier


def face_boxes(image: Image.Image) -> list[list[int]]:
    """The faces found, as [x, y, width, height] in the image's pixels, left to right."""
    grey = cv2.equalizeHist(np.asarray(image.convert("L")))
    found = cascade().detectMultiScale(
        grey,
        scaleFactor=SCALE_FACTOR,
        minNeighbors=MIN_NEIGHBORS,
        minSize=(MIN_SIZE, MIN_SIZE),
    )
    return sorted([int(v) for v in box] for box in found)
