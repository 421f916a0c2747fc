"""``safe4c bench match``: the hash list at real size.

Index (always): the snapshot's static multi-index-hashing index (what every serving process searches) against
python-threatexchange's PDQ index on the same data, side by side in alternating rounds (best of each):
queries/s single and batched, per wall second and per CPU second (``time.process_time`` counts every thread:
FAISS searches with OpenMP threads, numpy with one), recall and identity against brute force, bytes per hash.
``--data random`` is uniform random hashes (10% near duplicates); ``--data images`` hashes transformed
variants of benign generated images (bench/match_data.py): clusters as real lists have.

Server (``--server``): imports the hashes through ``safe4c hashlist import`` into a fresh database (PostgreSQL
with ``--database-url``, else a temporary SQLite file), starts a server with ``--workers`` web processes and
reports when ``/healthz`` first answers and when it says ``"hash_list": "ready"``, then the resident memory
(RSS and PSS from ``/proc/<pid>/smaps_rollup``) of every server process and one match through the API.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from safe4c.hashlist.matching.bench import _brute_force_truth, _recall, make_dataset, threatexchange_runners
from safe4c.hashlist.matching.pdq import PDQ_MATCH_DISTANCE, array_to_hashes
from safe4c.hashlist.matching.static_index import StaticPdqIndex, build_pdq_arrays


def _measure(action: Callable[[], Any]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def run_index(n_hashes: int, n_queries: int, *, data: str = "random", rounds: int = 3, single: int = 2000,
              batch: int = 1000, cache: str | None = None, before: bool = False, say=print) -> dict:
    d = PDQ_MATCH_DISTANCE
    started = time.perf_counter()
    if data == "images":
        from safe4c.bench.match_data import image_dataset

        stored, queries, _near = image_dataset(n_hashes, n_queries, cache=cache)
    else:
        stored, queries, _near = make_dataset(n_hashes, n_queries, near_duplicate_share=0.5, max_distance=d, seed=0)
    say(f"data: {data}, {len(stored):,} hashes, {len(queries):,} queries (made in {time.perf_counter() - started:.0f} s)")
    ids = np.arange(len(stored), dtype=np.int64)
    report: dict[str, Any] = {"data": data, "n_hashes": len(stored), "n_queries": len(queries),
                              "nproc": os.cpu_count()}
    arrays, build_s = None, 0.0
    t = time.perf_counter()
    arrays = build_pdq_arrays(ids, stored)
    build_s = time.perf_counter() - t
    ours = StaticPdqIndex(arrays)
    size = sum(a.nbytes for a in arrays.values())
    report["safe4c"] = {"build_s": build_s, "bytes": size, "bytes_per_hash": size / max(len(stored), 1)}
    say(f"safe4c static MIH (11 chunks x {ours.bits} bits, 2 flips): build {build_s:.1f} s, "
        f"{size / 2**20:,.0f} MiB = {size / max(len(stored), 1):.0f} bytes per hash (memory-mapped, one copy per machine)")

    recall_n = min(len(queries), max(100, min(1000, 10**9 // max(len(stored), 1))))
    sample = queries[:recall_n]
    truth = _brute_force_truth(ids, stored, sample, d)
    q_of, rows, dist = ours.search_rows(sample, d)
    found: list[set] = [set() for _ in range(recall_n)]
    for q, r, dd in zip(q_of.tolist(), rows.tolist(), dist.tolist()):
        found[q].add((int(ids[r]), dd))
    report["safe4c"].update(_recall(found, truth))
    say(f"safe4c recall vs brute force on {recall_n:,} queries ({report['safe4c']['expected_matches']:,} true "
        f"matches): {report['safe4c']['recall']:.4%}, identical: {report['safe4c']['identical_to_brute_force']}")

    query_hex = array_to_hashes(queries)
    runners = {"safe4c": (lambda h: ours.search_rows(np.frombuffer(bytes.fromhex(h), np.uint8).reshape(1, 32), d),
                          lambda qs: ours.search_rows(qs, d))}
    if before:  # what each process held before the snapshot: the FAISS index, built per process
        from safe4c.hashlist.matching.bench import _build
        from safe4c.hashlist.matching.mih_index import MultiHashPdqIndex

        def build_faiss():
            faiss_index = MultiHashPdqIndex(max_distance=d, expected_size=len(stored))
            faiss_index.add(ids, stored)
            return faiss_index

        old, old_s, old_mib = _build(build_faiss)
        report["before_faiss"] = {"build_s": old_s, "rss_mib": old_mib,
                                  "bytes_per_hash": old_mib * 2**20 / max(len(stored), 1)}
        say(f"before (FAISS MIH {old.params}, one per process): build {old_s:.1f} s, +{old_mib:,.0f} MiB RSS = "
            f"{report['before_faiss']['bytes_per_hash']:.0f} bytes per hash")
        runners["before_faiss"] = (lambda h: old.search([h], d), lambda qs: old.search(qs, d))
    runners.update(threatexchange_runners(stored, query_hex, truth, d, say, report))
    if "threatexchange" in runners:
        # FAISS searches with OpenMP threads (all cores); on a busy machine their spin-waits cost it dearly, so
        # it is also measured with one thread, and the ratio is taken against its better figure of the two.
        report["threatexchange_1thread"] = {}
        runners["threatexchange_1thread"] = (_one_thread(runners["threatexchange"][0]),
                                             _one_thread(runners["threatexchange"][1]))
    for name in runners:
        report[name].update(single_qps=0.0, single_qps_cpu=0.0, batch_qps=0.0, batch_qps_cpu=0.0)
    singles = query_hex[:single]
    for _ in range(rounds):  # alternate, keep each side's best: other load on the machine penalises neither
        for name, (one, many) in runners.items():
            f = report[name]
            wall, cpu = _measure(lambda: [one(h) for h in singles])
            f["single_qps"] = max(f["single_qps"], len(singles) / wall)
            f["single_qps_cpu"] = max(f["single_qps_cpu"], len(singles) / max(cpu, 1e-9))
            wall, cpu = _measure(lambda: [many(queries[s:s + batch]) for s in range(0, len(queries), batch)])
            f["batch_qps"] = max(f["batch_qps"], len(queries) / wall)
            f["batch_qps_cpu"] = max(f["batch_qps_cpu"], len(queries) / max(cpu, 1e-9))
    for name in runners:
        f = report[name]
        say(f"{name}: {f['single_qps']:,.0f} q/s single ({f['single_qps_cpu']:,.0f} per CPU-s), "
            f"{f['batch_qps']:,.0f} q/s batched by {batch} ({f['batch_qps_cpu']:,.0f} per CPU-s), best of {rounds}")
    if "threatexchange" in runners:
        a, b, b1 = report["safe4c"], report["threatexchange"], report["threatexchange_1thread"]
        ratios = {k: a[k] / max(b[k], b1[k]) for k in ("single_qps", "single_qps_cpu", "batch_qps", "batch_qps_cpu")}
        report["ratios"] = ratios
        say("ratio safe4c / threatexchange (its better of all threads and one): " + ", ".join(f"{k.replace('_qps', '')} {v:.1f}x"
                                                           for k, v in ratios.items()))
    return report


def _one_thread(search):
    def run(arg):
        import faiss

        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            return search(arg)
        finally:
            faiss.omp_set_num_threads(threads)

    return run


# --- the server -----------------------------------------------------------------------------------------

def memory_kib(pid: int) -> dict[str, int]:
    """Rss and Pss of one process (kB), from /proc/<pid>/smaps_rollup."""
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("Rss", "Pss"):
                out[key.lower()] = int(rest.split()[0])
    return out


def mapping_kib(pid: int, path: str) -> dict[str, int]:
    """Rss and Pss (kB) of one process's mappings of ``path`` (the snapshot), from /proc/<pid>/smaps."""
    out = {"rss": 0, "pss": 0}
    inside = False
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if head and "-" in head[0] and len(head) >= 5 and ":" not in head[0]:
                inside = len(head) >= 6 and head[5].endswith(path)
            elif inside and head and head[0] in ("Rss:", "Pss:"):
                out[head[0][:-1].lower()] += int(head[1])
    return out


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _healthz(port: int) -> dict | None:
    try:
        return json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read())
    except (OSError, ValueError):
        return None


def run_server(n_hashes: int, *, workers: int = 2, database_url: str | None = None, say=print) -> dict:
    """A server under ``safe4c hashlist import``'s list of ``n_hashes``: start-up, matching, memory. On a
    temporary SQLite file, or with ``database_url`` (PostgreSQL) in a new schema there."""
    from safe4c.bench.databases import drop_schema, pg_schema

    report: dict[str, Any] = {"n_hashes": n_hashes, "workers": workers}
    # PostgreSQL: a schema of the benchmark's own in that database, dropped afterwards (it never writes into
    # a database it did not create)
    if database_url and not database_url.startswith("postgresql"):
        raise SystemExit("bench match --server: --database-url must be PostgreSQL (SQLite runs in a file of its own)")
    created = pg_schema(database_url, prefix="bench_match") if database_url else None
    try:
        return _serve_and_measure(n_hashes, workers, created[2] if created else None, report, say)
    finally:
        if created:
            drop_schema(created[0], created[1])


def _serve_and_measure(n_hashes: int, workers: int, database_url: str | None, report: dict, say) -> dict:
    from safe4c.bench.server import free_port, stop
    from safe4c.hashlist.matching.bench import make_dataset as random_data

    with tempfile.TemporaryDirectory(prefix="safe4c-bench-match-") as tmp:
        url = database_url or f"sqlite:///{tmp}/bench.db"
        env = {**os.environ, "SAFE4C_DATABASE_URL": url, "SAFE4C_DATA_DIR": tmp, "SAFE4C_SECRET_KEY": "bench-secret",
               "SAFE4C_WORKER_IN_PROCESS": "false"}
        stored, _q, _n = random_data(n_hashes, 1, near_duplicate_share=0.0, max_distance=31, seed=3)
        csv_path = Path(tmp) / "list.csv"
        with open(csv_path, "w") as f:
            f.write("signal_type,signal_value,tags\n")
            f.writelines(f"pdq,{row.tobytes().hex()},partner\n" for row in stored)
        cli = [sys.executable, "-c", "import sys; from safe4c.cli import main; sys.exit(main(sys.argv[1:]))"]
        subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run([*cli, "hashlist", "bank-create", "--bank", "Bench list"], env=env, check=True,
                       capture_output=True)
        t = time.perf_counter()
        out = subprocess.run([*cli, "hashlist", "import", str(csv_path), "--bank", "Bench list"], env=env,
                             check=True, capture_output=True, text=True).stdout
        report["import_s"] = time.perf_counter() - t
        made = subprocess.run([*cli, "platform", "create", "Bench platform"], env=env, check=True,
                              capture_output=True, text=True).stdout
        api_key = made.split("API key (shown once, keep it secret): ")[1].split()[0]
        say(f"import of {n_hashes:,} PDQ hashes via `safe4c hashlist import` ({url.split(':')[0]}): "
            f"{report['import_s']:.1f} s in all\n  " + out.strip().replace("\n", "\n  "))
        snap = Path(tmp) / "hashlist.snap"
        report["snapshot_bytes_per_hash"] = snap.stat().st_size / n_hashes if snap.exists() else None
        port = free_port()
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "safe4c.web.app:create_app",
                                 "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                                 "--log-level", "warning", "--no-access-log"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            first = ready = None
            while time.perf_counter() - t < 120 and ready is None:
                body = _healthz(port)
                if body is not None and first is None:
                    first = time.perf_counter() - t
                if body is not None and body.get("hash_list") == "ready":
                    ready = time.perf_counter() - t
                time.sleep(0.05)
            report.update(first_answer_s=first, ready_s=ready)
            say(f"server with {workers} web processes: /healthz answers after {first or float('nan'):.1f} s, "
                f"hash_list ready after {ready or float('nan'):.1f} s (from the snapshot the import wrote)")
            # every web process must have loaded: ask until each has answered ready a few times
            time.sleep(2)
            # the match API touches every page a search needs; ask each process a few times
            items = [{"type": "pdq", "value": row.tobytes().hex()} for row in stored[:200]]
            body = json.dumps({"items": items}).encode()
            matched = 0
            for _ in range(4 * workers):  # several requests, so that every web process answers some
                answer = json.loads(urllib.request.urlopen(urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/v1/match", data=body, headers={
                        "Content-Type": "application/json", "Authorization": f"Bearer {api_key}"}), timeout=60).read())
                matched = sum(1 for r in answer["results"] if r["status"] == "match")
            say(f"POST /api/v1/match with 200 listed hashes: {matched} matched")
            web = _children(proc.pid)
            mem = {pid: memory_kib(pid) for pid in web}
            snap_mem = {pid: mapping_kib(pid, str(snap)) for pid in web}
            rss = sum(m["rss"] for m in mem.values()) / 1024
            pss = sum(m["pss"] for m in mem.values()) / 1024
            snap_rss = sum(m["rss"] for m in snap_mem.values()) / 1024
            snap_pss = sum(m["pss"] for m in snap_mem.values()) / 1024
            report.update(web_rss_mib=rss, web_pss_mib=pss, snapshot_rss_mib=snap_rss, snapshot_pss_mib=snap_pss,
                          per_process=[{"pid": pid, **mem[pid], "snapshot": snap_mem[pid]} for pid in web])
            say(f"memory of the {len(web)} processes under uvicorn (smaps_rollup): RSS {rss:,.0f} MiB, PSS {pss:,.0f} MiB in all; "
                f"of which the snapshot mapping: RSS {snap_rss:,.0f} MiB, PSS {snap_pss:,.0f} MiB in all "
                f"(shared pages: PSS counts them once across processes); snapshot file "
                f"{(report['snapshot_bytes_per_hash'] or 0):.0f} bytes per hash")
        finally:
            stop(proc, timeout=20)
    return report


def run(args) -> int:
    if not args.server_only:
        run_index(args.hashes, args.queries, data=args.data, cache=args.cache, before=args.before)
    if args.server or args.server_only:
        run_server(args.hashes, workers=args.workers, database_url=args.database_url)
    return 0
