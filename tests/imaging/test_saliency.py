"""Tests for imaging.saliency: focal boxes on synthetic scenes, cut-outs, faces."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from creative_automation.imaging.geometry import Box
from creative_automation.imaging.saliency import detect_faces, focal_box


def iou(a: Box, b: Box) -> float:
    inter = a.intersection(b)
    if inter is None:
        return 0.0
    return inter.area / (a.area + b.area - inter.area)


def backdrop(w: int, h: int, colour: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    """A studio-like backdrop: plain colour with a little sensor noise."""
    rng = np.random.default_rng(seed)
    img = np.empty((h, w, 3), np.uint8)
    img[:] = colour
    noise = rng.integers(-3, 4, img.shape)
    return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def gradient(w: int, h: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.dstack([150 + 60 * yy / h, 180 + 40 * xx / w, 210 - 50 * yy / h]).astype(np.uint8)


# (name, image factory, expected subject box)
def _ellipse() -> tuple[np.ndarray, Box]:
    img = backdrop(1024, 1024, (200, 200, 200))
    cv2.ellipse(img, (650, 400), (180, 120), 0, 0, 360, (200, 40, 40), -1)
    return img, Box(470, 280, 831, 521)


def _big_box() -> tuple[np.ndarray, Box]:
    img = backdrop(1024, 1024, (235, 235, 235))
    cv2.rectangle(img, (200, 300), (700, 800), (30, 60, 160), -1)
    return img, Box(200, 300, 701, 801)


def _bottle_on_dark() -> tuple[np.ndarray, Box]:
    img = backdrop(800, 1200, (25, 25, 30))  # portrait, bright product on a dark sweep
    cv2.rectangle(img, (330, 350), (470, 1000), (240, 230, 200), -1)
    cv2.rectangle(img, (370, 250), (430, 350), (240, 230, 200), -1)
    return img, Box(330, 250, 471, 1001)


def _on_gradient() -> tuple[np.ndarray, Box]:
    img = gradient(1280, 720)
    cv2.circle(img, (400, 380), 150, (250, 220, 40), -1)
    cv2.rectangle(img, (700, 200), (900, 600), (40, 40, 40), -1)
    return img, Box(250, 200, 901, 601)  # both objects are the subject


SCENES = {
    "ellipse off-centre": _ellipse,
    "large plain box": _big_box,
    "bottle on dark backdrop": _bottle_on_dark,
    "two objects on gradient": _on_gradient,
}


@pytest.mark.parametrize("name", list(SCENES))
def test_focal_box_finds_the_object(name: str) -> None:
    img, expected = SCENES[name]()
    box = focal_box(img)
    assert iou(box, expected) > 0.6, (box, expected)
    # the box must not cut the object by much (crop keeps the box, so a cut box cuts the object)
    inter = box.intersection(expected)
    assert inter is not None and inter.area >= 0.9 * expected.area


def test_focal_box_is_within_the_image() -> None:
    img = backdrop(300, 170, (250, 250, 250))
    cv2.circle(img, (280, 150), 40, (0, 0, 0), -1)  # touching the corner
    box = focal_box(img)
    assert Box(0, 0, 300, 170).contains(box)
    assert box.contains(Box(260, 130, 290, 160))


def test_flat_image_gives_centred_box() -> None:
    img = np.full((600, 1000, 3), 128, np.uint8)
    assert focal_box(img) == Box(200, 120, 800, 480)


def test_alpha_gives_the_alpha_bounding_box() -> None:
    img = backdrop(640, 480, (0, 0, 0))
    alpha = np.zeros((480, 640), np.uint8)
    cv2.circle(alpha, (300, 200), 80, 255, -1)
    alpha[400, 600] = 1  # a faint speck still counts: > 0 is the rule
    assert focal_box(img, alpha) == Box(220, 120, 601, 401)


def test_empty_alpha_falls_back_to_centre() -> None:
    img = backdrop(100, 100, (0, 0, 0))
    assert focal_box(img, np.zeros((100, 100), np.uint8)) == Box(20, 20, 80, 80)


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        focal_box(np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError):
        focal_box(np.zeros((10, 10, 3), np.uint8), np.zeros((5, 5), np.uint8))


def test_no_faces_on_a_product_shot() -> None:
    img, _ = _bottle_on_dark()
    assert detect_faces(img) == []


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    data = pytest.importorskip("skimage.data")
    img = np.ascontiguousarray(data.astronaut())
    assert img.shape == (512, 512, 3)
    return img


def test_detects_the_astronaut_face(astronaut: np.ndarray) -> None:
    faces = detect_faces(astronaut)
    assert len(faces) == 1
    face = faces[0]
    # Eileen Collins' face (brows to chin) spans about x 175-275, y 65-165 in the 512² photo.
    cx, cy = face.center
    assert 200 <= cx <= 250 and 90 <= cy <= 140
    assert 70 <= face.width <= 130


def test_face_boxes_scale_to_full_resolution(astronaut: np.ndarray) -> None:
    big = cv2.resize(astronaut, (1024, 1024), interpolation=cv2.INTER_CUBIC)
    (small,) = detect_faces(astronaut)
    (large,) = detect_faces(big)
    assert iou(large, small.scale(2.0)) > 0.7


def test_focal_box_keeps_the_whole_head(astronaut: np.ndarray) -> None:
    box = focal_box(astronaut)
    # hair top to chin, ear to ear: faces are never cut
    assert box.contains(Box(160, 20, 290, 170))
