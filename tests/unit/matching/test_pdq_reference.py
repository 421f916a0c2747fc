"""Our PDQ against Meta's published hashes of Meta's own test images.

Expected hashes: facebook/ThreatExchange, pdq/python/pdqhashing/tests/pdq_test.py
(the images live in that repository's pdq/data/). Meta's own test allows a
Hamming distance of 16, since JPEG decoders differ slightly; so do we.
"""

from pathlib import Path

import pytest

from safe4c.hashlist.matching import PdqSignal, hash_file

REFERENCE_DIR = Path("/work/shared/testdata/pdq-reference")
TOLERANCE = 16

META_PDQ_HASHES = {
    "small.jpg": "0007001f003f003f007f00ff00ff00ff01ff01ff01ff03ff03ff03ff03ff03ff",
    "wee.jpg": "6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d",
    "q0003.jpg": "54a977c221d14c1c43ba5e6e21d4a13989a3553f1462611cbb85fda7be83b677",
    "q0004.jpg": "992d44af36d69e6ca6b812585928bac11def254ef5398c6d07466c9abcc65b92",
    "q0122.jpg": "cfb2009ddd21c6dab0046a7745b5984757a8a4535b3377aea2591d32b33ff940",
    "q0291.jpg": "a0fe94f1e5cc1cc8dd855948498dc9243f7ca27336f036d7f212b74bc103c9a7",
    "q0746.jpg": "1049d96239e24d4dca2c55512b8bdb77425f4dbcf575a0a95555aaab5554aaaa",
    "q1050.jpg": "489db672e9190276d452aeab41eba20f02375fe4092d88defdf491a5c55c5f70",
    "q2821.jpg": "b150231ffae4710ffcf4f18bb574b109a576f14bb8543189f8743289f174b109",
    "bridge-1-original.jpg": "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22",
    "bridge-2-rotate-90.jpg": "38a50efd71c83f429013d68d0ffffc52e34e0e15ada952a9d29684214aa9e5af",
}

pytestmark = pytest.mark.skipif(not REFERENCE_DIR.is_dir(), reason="PDQ reference images not present")


@pytest.fixture(scope="module")
def our_hashes():
    return {name: hash_file(REFERENCE_DIR / name)[0] for name in META_PDQ_HASHES}


@pytest.mark.parametrize("name", sorted(META_PDQ_HASHES))
def test_pdq_matches_meta_reference(name, our_hashes):
    ours = our_hashes[name]
    assert ours.signal_type == "pdq"
    assert 0 <= ours.quality <= 100
    assert PdqSignal().distance(ours.value, META_PDQ_HASHES[name]) <= TOLERANCE


def test_the_reference_set_covers_every_image_we_ship():
    assert {p.name for p in REFERENCE_DIR.glob("*.jpg")} == set(META_PDQ_HASHES)


def test_pdq_is_not_rotation_invariant(our_hashes):
    # bridge-2 is bridge-1 rotated by 90 degrees: a different PDQ hash, far
    # beyond the match distance. Matching rotations needs dihedral hashes.
    pdq = PdqSignal()
    original, rotated = our_hashes["bridge-1-original.jpg"], our_hashes["bridge-2-rotate-90.jpg"]
    assert pdq.distance(original.value, rotated.value) > 2 * pdq.match_distance


def test_photographs_have_full_quality_and_flat_images_do_not(our_hashes):
    assert our_hashes["bridge-1-original.jpg"].quality == 100
    # small.jpg is a smooth gradient: PDQ says so, and services ignore hashes below 50.
    assert our_hashes["small.jpg"].quality < PdqSignal.min_quality
