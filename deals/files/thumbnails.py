"""Images: opened with Pillow to check them, and their thumbnails (or a placeholder).

The pixel limit comes from the settings on every call (ATTACHMENT_MAX_IMAGE_PIXELS) and is
checked from the image's header before anything is decoded. Pillow's own module-wide
`Image.MAX_IMAGE_PIXELS` is left alone: it is process-wide state that one request must not
change for another; at its default it is a second, looser guard.
"""

import functools
import io
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageOps

logger = logging.getLogger(__name__)

IMAGE_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}
THUMBNAIL_SIZE = (320, 320)


def _image_bomb_error(limit: int):
    return ValidationError(
        _("the image has too many pixels to open safely (at most %(mp)s megapixels).")
        % {"mp": f"{limit / 1_000_000:g}"},
        code="image_bomb",
    )


def _open_checked(upload, image_format: str, limit: int):
    """Open the image (header only) and refuse it before decoding when it has too many pixels."""
    upload.seek(0)
    image = Image.open(upload, formats=[image_format])
    if image.width * image.height > limit:
        # Not image.close(): it would close the upload too. Only the header was read.
        raise _image_bomb_error(limit)
    return image


def _render_thumbnail(image) -> bytes:
    image.draft("RGB", THUMBNAIL_SIZE)  # JPEG decodes straight at a fraction of the size
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # a broken EXIF block only costs the thumbnail its rotation
        logger.info("ignored unreadable EXIF orientation")
    image.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image.convert("RGBA").save(out, "PNG", optimize=True)
    else:
        image.convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


def check_image(upload, content_type: str) -> bytes:
    """Verify the image with Pillow and return its thumbnail; refuse broken images and bombs."""
    limit = settings.ATTACHMENT_MAX_IMAGE_PIXELS
    image_format = IMAGE_FORMATS[content_type]
    try:
        with _open_checked(upload, image_format, limit) as image:
            image.verify()
        with _open_checked(upload, image_format, limit) as image:
            return _render_thumbnail(image)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _image_bomb_error(limit) from exc
    except Exception as exc:
        raise ValidationError(
            _("the image is damaged and cannot be opened."), code="bad_image"
        ) from exc
    finally:
        upload.seek(0)


def thumbnail_content_type(name: str) -> str:
    return "image/png" if name.endswith(".png") else "image/jpeg"


@functools.cache
def placeholder() -> bytes:
    """A grey picture frame (PNG) shown instead of a thumbnail storage cannot give us now."""
    image = Image.new("RGB", (160, 120), (233, 236, 239))
    draw = ImageDraw.Draw(image)
    draw.rectangle((50, 35, 110, 85), outline=(173, 181, 189), width=3)
    draw.polygon([(56, 79), (72, 58), (86, 72), (94, 64), (104, 79)], fill=(173, 181, 189))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
