"""Images for the classifiers' tests.

No photograph of a person ships inside the installed packages (OpenCV's wheels carry the
cascades but not the samples), so faces are drawn: a frontal face reduced to what a Haar
cascade looks at, the luminance layout of the Viola-Jones features. Dark brows and eye
sockets over lighter cheeks, a bright bridge of the nose between the eyes, a darker mouth,
hair above, on a plain background, softened by a slight blur as a camera lens would. The
same drawing upside down keeps every shape and colour but not that layout, and is not a
face to the cascade: so a detection means the cascade saw a face's structure, not blobs."""

import io

from PIL import Image, ImageDraw, ImageFilter

BACKGROUND = (90, 110, 130)


def draw_face(draw: ImageDraw.ImageDraw, cx: int, cy: int, width: int) -> None:
    w, h = width, int(width * 1.25)
    draw.ellipse([cx - w // 2, cy - h // 2, cx + w // 2, cy + h // 2], fill=(215, 170, 140))
    eye_y = cy - h * 0.08
    for side in (-0.21, 0.21):
        ex = cx + side * w
        draw.ellipse([ex - w * 0.15, eye_y - h * 0.09, ex + w * 0.15, eye_y + h * 0.07],
                     fill=(165, 120, 100))  # socket  # fmt: skip
        draw.rectangle([ex - w * 0.15, eye_y - h * 0.13, ex + w * 0.15, eye_y - h * 0.09],
                       fill=(70, 50, 40))  # brow  # fmt: skip
        draw.ellipse([ex - w * 0.09, eye_y - h * 0.035, ex + w * 0.09, eye_y + h * 0.035],
                     fill=(60, 45, 40))  # eye  # fmt: skip
    draw.polygon([(cx - w * 0.04, eye_y), (cx - w * 0.09, cy + h * 0.13),
                  (cx + w * 0.09, cy + h * 0.13), (cx + w * 0.04, eye_y)],
                 fill=(230, 190, 160))  # nose  # fmt: skip
    draw.ellipse([cx - w * 0.09, cy + h * 0.11, cx + w * 0.09, cy + h * 0.16], fill=(150, 105, 90))
    draw.ellipse([cx - w * 0.18, cy + h * 0.23, cx + w * 0.18, cy + h * 0.29], fill=(140, 70, 70))
    draw.chord([cx - w * 0.52, cy - h * 0.55, cx + w * 0.52, cy], 180, 360, fill=(45, 30, 20))


def faces_picture(count: int, size=(384, 288), face_width: int = 90) -> Image.Image:
    """`count` faces side by side, as in a 384-pixel thumbnail."""
    image = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(image)
    for i in range(count):
        draw_face(draw, size[0] * (i + 1) // (count + 1), size[1] // 2, face_width)
    return image.filter(ImageFilter.GaussianBlur(1))


def thumbnail_jpeg(image: Image.Image) -> bytes:
    """As catalog.images stores thumbnails: JPEG at quality 85, no metadata."""
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
