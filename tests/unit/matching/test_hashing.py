import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from safe4c.hashlist.matching import PdqSignal, UnreadableImage, exact_digests, hash_file

BRIDGE = Path("/work/shared/testdata/pdq-reference/bridge-1-original.jpg")
PDQ = PdqSignal()


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    if BRIDGE.exists():
        with Image.open(BRIDGE) as image:
            return image.convert("RGB").resize((320, 200))
    # textured stand-in so the hash has quality
    rng = np.random.default_rng(3)
    return Image.fromarray(rng.integers(0, 255, (200, 320, 3), dtype=np.uint8)).resize((320, 200))


def save(image: Image.Image, path: Path, fmt: str, **options) -> Path:
    image.save(path, format=fmt, **options)
    return path


def by_type(values):
    return {value.signal_type: value for value in values}


def test_hash_file_returns_pdq_and_exact_digests_of_the_bytes(tmp_path, photo):
    path = save(photo, tmp_path / "a.png", "PNG")
    values = by_type(hash_file(path))
    data = path.read_bytes()
    assert set(values) == {"pdq", "md5", "sha1", "sha256"}
    assert values["md5"].value == hashlib.md5(data).hexdigest()
    assert values["sha1"].value == hashlib.sha1(data).hexdigest()
    assert values["sha256"].value == hashlib.sha256(data).hexdigest()
    assert PDQ.normalise(values["pdq"].value) == values["pdq"].value
    assert values["pdq"].quality == 100
    assert values["md5"].quality is None


@pytest.mark.parametrize(
    ("fmt", "options"),
    [("JPEG", {"quality": 90}), ("WEBP", {"quality": 90}), ("GIF", {}), ("PNG", {})],
)
def test_supported_formats_hash_close_to_the_lossless_original(tmp_path, photo, fmt, options):
    reference = by_type(hash_file(save(photo, tmp_path / "ref.png", "PNG")))["pdq"].value
    copy = by_type(hash_file(save(photo, tmp_path / f"copy.{fmt.lower()}", fmt, **options)))["pdq"].value
    assert PDQ.distance(reference, copy) <= PDQ.match_distance


def test_an_animated_gif_is_hashed_by_its_first_frame(tmp_path, photo):
    other = photo.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    animated = save(photo, tmp_path / "anim.gif", "GIF", save_all=True, append_images=[other], duration=100)
    first_only = save(photo, tmp_path / "first.gif", "GIF")
    assert by_type(hash_file(animated))["pdq"].value == by_type(hash_file(first_only))["pdq"].value


def test_exif_orientation_is_applied_before_hashing(tmp_path, photo):
    upright = by_type(hash_file(save(photo, tmp_path / "upright.jpg", "JPEG", quality=95)))["pdq"].value
    # A camera stores the sensor's pixels and says "rotate 90 degrees clockwise
    # to display" (orientation 6); viewers show the upright picture.
    sideways = photo.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    tagged = by_type(hash_file(save(sideways, tmp_path / "tagged.jpg", "JPEG", quality=95, exif=exif)))
    untagged = by_type(hash_file(save(sideways, tmp_path / "untagged.jpg", "JPEG", quality=95)))
    assert PDQ.distance(upright, tagged["pdq"].value) <= 8
    assert PDQ.distance(upright, untagged["pdq"].value) > PDQ.match_distance


def test_palette_and_transparent_images_are_converted_to_rgb(tmp_path, photo):
    rgba = photo.convert("RGBA")
    palette = photo.convert("P")
    for image, name in ((rgba, "rgba.png"), (palette, "palette.png")):
        assert by_type(hash_file(save(image, tmp_path / name, "PNG")))["pdq"].quality > 0


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"%PDF-1.4 not a picture", "not_an_image"),
        (b"", "not_an_image"),
        (b"BM" + b"\0" * 100, "not_an_image"),  # BMP is not a supported format
    ],
)
def test_non_images_raise_a_typed_error(tmp_path, content, code):
    path = tmp_path / "file.bin"
    path.write_bytes(content)
    with pytest.raises(UnreadableImage) as caught:
        hash_file(path)
    assert caught.value.code == code


def test_a_truncated_image_is_reported_as_corrupt(tmp_path, photo):
    whole = save(photo, tmp_path / "whole.png", "PNG").read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UnreadableImage) as caught:
        hash_file(path)
    assert caught.value.code == "corrupt"


def test_a_missing_file_is_reported_without_its_path(tmp_path):
    path = tmp_path / "child-name-in-path.jpg"
    with pytest.raises(UnreadableImage) as caught:
        hash_file(path)
    assert caught.value.code == "unreadable"
    assert "child-name" not in str(caught.value)


def test_exact_digests_work_for_any_bytes():
    values = by_type(exact_digests(b"abc"))
    assert values["sha256"].value == hashlib.sha256(b"abc").hexdigest()
    assert "pdq" not in values


def test_bmp_bytes_are_refused_even_when_pillow_could_read_them(tmp_path, photo):
    buffer = io.BytesIO()
    photo.save(buffer, format="BMP")
    path = tmp_path / "real.bmp"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(UnreadableImage) as caught:
        hash_file(path)
    assert caught.value.code == "not_an_image"
