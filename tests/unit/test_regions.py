from __future__ import annotations

from safe4c.kernel import regions


def test_all_provinces_and_regencies_are_there():
    assert len(regions.provinces()) == 38
    assert len(regions.all_regencies()) == 514
    assert regions.get("32").name == "Jawa Barat"
    assert regions.get("32.76").name == "Kota Depok"
    assert regions.get("3276").code == "32.76"


def test_regency_belongs_to_province():
    assert regions.regency_in_province("32.76", "32")
    assert not regions.regency_in_province("32.76", "31")
    assert not regions.regency_in_province("32.99", "32")
    papua = regions.regencies("94")
    assert papua and all(r.code.startswith("94.") for r in papua)
