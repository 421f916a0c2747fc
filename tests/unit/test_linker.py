"""The pure linker core: incremental union-find, links that name their identifier, and splitting."""

from __future__ import annotations

import random

from safe4c.networks.rules.linker import Linker, split
from safe4c.workspace.network_page import estimate_children


def test_reports_sharing_a_key_join_and_each_link_names_it():
    linker = Linker()
    a, links_a = linker.add(["phone:+6281234567890"])
    b, links_b = linker.add(["tg_invite:AbC", "email:x@example.org"])
    c, links_c = linker.add(["tg_invite:AbC", "phone:+6281234567890"])
    assert links_a == [] and links_b == []
    assert links_c == [("tg_invite:AbC", b), ("phone:+6281234567890", a)]
    assert linker.find(a) == linker.find(b) == linker.find(c)
    assert linker.cluster_size(a) == 3


def test_unrelated_reports_stay_apart_and_not_linking_keys_link_nothing():
    linker = Linker(not_linking={"phone:+62215551234"})  # a school's switchboard
    a, _ = linker.add(["phone:+62215551234", "handle:instagram:budi"])
    b, links = linker.add(["phone:+62215551234"])
    c, _ = linker.add(["handle:tiktok:budi"])  # the same name on another platform is another account
    assert links == []
    assert len({linker.find(a), linker.find(b), linker.find(c)}) == 3


def test_split_recomputes_components_and_spanning_links():
    reports = [10, 11, 12, 13]
    keys = {10: ["k1"], 11: ["k1", "k2"], 12: ["k2"], 13: ["k3"]}
    (first, second) = split(reports, keys)
    assert first.reports == (10, 11, 12) and second.reports == (13,)
    assert set(first.links) == {(11, 10, "k1"), (12, 11, "k2")}
    # cutting 11's edge to k2 leaves 12 on its own
    keys[11] = ["k1"]
    parts = split(reports, keys)
    assert [p.reports for p in parts] == [(10, 11), (12,), (13,)]


def test_incremental_equals_a_full_recomputation_on_random_data():
    rng = random.Random(7)
    reports = [[f"k{rng.randrange(300)}" for _ in range(rng.randrange(0, 4))] for _ in range(500)]
    linker = Linker()
    for keys in reports:
        linker.add(keys)
    incremental = sorted(sorted(m) for m in linker.clusters().values())
    full = sorted(sorted(c.reports) for c in split(list(range(500)), dict(enumerate(reports))))
    assert incremental == full


def test_children_estimate_merges_descriptions_that_do_not_contradict():
    parent = {"age": "13_15", "gender": "girl", "province": "32"}
    child = {"age": "13_15", "gender": "girl", "province": "32"}
    platform_victim = {"age": "13_15", "screen": "tiktok:korban"}
    other_child = {"age": "10_12", "gender": "boy", "province": "32"}
    assert estimate_children([parent, child, platform_victim]) == 1
    assert estimate_children([parent, child, platform_victim, other_child]) == 2
    assert estimate_children([{}, {}]) == 1
    assert estimate_children([]) == 0


def test_a_weak_key_links_only_to_a_report_that_holds_it_for_real():
    from safe4c.networks.rules.linker import Linker, split

    lk = Linker()
    assert lk.add(["ig:budi"], weak=["?:budi"]) == (0, [])  # Instagram @budi
    assert lk.add(["tt:budi"], weak=["?:budi"]) == (1, [])  # TikTok @budi: not linked to Instagram's
    assert lk.add(["?:budi"]) == (2, [("?:budi", 0)])  # the child's @budi, platform not known
    assert lk.add(["wa:budi"], weak=["?:budi"]) == (3, [("?:budi", 2)])
    # one anchor per key, as for every key: the child's report joins the first holder (Instagram's), and a
    # later weak holder joins the child's; TikTok's @budi, which came before, stays apart
    assert lk.find(0) == lk.find(2) == lk.find(3) != lk.find(1)
    parts = split([10, 11, 12], {10: ["ig:budi"], 11: ["tt:budi"]}, {10: ["?:budi"], 11: ["?:budi"]})
    assert [p.reports for p in parts] == [(10,), (11,), (12,)]
    parts = split([10, 11, 12], {10: ["ig:budi"], 12: ["?:budi"]}, {10: ["?:budi"]})
    assert [(p.reports, p.links) for p in parts] == [((10, 12), ((12, 10, "?:budi"),)), ((11,), ())]
