"""Hash files: PDQ of the picture plus exact digests of the bytes.

Safe4c never stores the files (principle 2); callers hash them in memory and
keep only the returned values.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings

from safe4c.hashlist.matching.errors import UnreadableImage
from safe4c.hashlist.matching.pdq import PdqSignal, compute_pdq
from safe4c.kernel.signals import EXACT_DIGESTS, SignalValue

# Formats whose first frame PDQ can meaningfully hash; others are refused
# rather than guessed at.
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
MAX_FILE_BYTES = 64 * 1024 * 1024


def exact_digests(data: bytes) -> list[SignalValue]:
    """md5, sha1 and sha256 of any bytes (images, videos, documents)."""
    return [
        SignalValue(name, hashlib.new(name, data).hexdigest())
        for name in EXACT_DIGESTS
    ]


def hash_image_bytes(data: bytes) -> list[SignalValue]:
    """pdq (with quality), md5, sha1, sha256 of an encoded image."""
    pdq_hex, quality = _pdq_of_encoded(data)
    return [SignalValue(PdqSignal.name, pdq_hex, quality), *exact_digests(data)]


def hash_file(path: str | os.PathLike[str]) -> list[SignalValue]:
    """pdq (with quality), md5, sha1, sha256 of an image file.

    JPEG, PNG, WebP and GIF (first frame); EXIF orientation is applied before
    hashing, so a photo hashes as it is displayed. Raises
    :class:`UnreadableImage` for anything that is not such an image.
    """
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise UnreadableImage("too_large", f"image files are limited to {MAX_FILE_BYTES} bytes")
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise UnreadableImage("unreadable", f"the file cannot be read ({error.strerror})") from error
    return hash_image_bytes(data)


def _pdq_of_encoded(data: bytes) -> tuple[str, int]:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Pillow only warns between 1x and 2x its pixel limit; treat the
            # warning as the error it is for a matching service.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as image:
                image.seek(0)  # first frame of an animated GIF or WebP
                upright = ImageOps.exif_transpose(image)
                rgb = upright.convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise UnreadableImage("too_large", "the image has too many pixels") from error
    except UnidentifiedImageError as error:
        raise UnreadableImage(
            "not_an_image", "the file is not a JPEG, PNG, WebP or GIF image"
        ) from error
    except (OSError, ValueError, SyntaxError) as error:
        raise UnreadableImage("corrupt", "the image is damaged and cannot be decoded") from error
    return compute_pdq(rgb)
