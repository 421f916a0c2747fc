"""Realistic PDQ data for ``safe4c bench match --data images``: hashes of benign images generated in code.

Each *base* image is drawn from its seed (a colour gradient, a few shapes, a line of text, a little noise);
the hash list holds several transformed *variants* of every base (crops, rescales, JPEG recompression, small
edits: a sticker, a caption, brightness, a mirror image now and then), hashed with the project's PDQ
(``matching.pdq.compute_pdq``). Real hash lists look like this: clusters of near-identical hashes (the same
picture re-encoded and re-cropped), not uniform random bits. Queries are fresh variants: half of listed bases
(near duplicates at the distances real edits give), half of bases that are not listed.

Hashing is about 0.5 ms per image; the data is made by all cores and kept in a cache file (``--cache``), so
that a second run measures the same hashes without making them again.
"""

from __future__ import annotations

import io
import os
from multiprocessing import Pool

import numpy as np

WORDS = ["harbour", "market", "sunrise", "garden", "library", "bicycle", "mountain", "river", "festival",
         "kitchen", "station", "lantern", "village", "school", "ferry", "bakery", "rainforest", "volcano"]
SIZE = 128
VARIANTS = 10  # hashes per base image in the list


def base_image(seed: int):
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    c0, c1 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    angle = rng.random() * np.pi
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    t = (np.cos(angle) * xx + np.sin(angle) * yy)
    t = (t - t.min()) / max(np.ptp(t), 1e-6)
    pixels = (c0[None, None, :] * (1 - t[..., None]) + c1[None, None, :] * t[..., None]).astype(np.uint8)
    img = Image.fromarray(pixels, "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(3, 9))):
        x0, y0 = (int(v) for v in rng.integers(-10, SIZE, 2))
        w, h = (int(v) for v in rng.integers(8, SIZE // 2, 2))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        shape = int(rng.integers(0, 3))
        if shape == 0:
            draw.ellipse((x0, y0, x0 + w, y0 + h), fill=colour)
        elif shape == 1:
            draw.rectangle((x0, y0, x0 + w, y0 + h), fill=colour)
        else:
            draw.polygon([(x0, y0), (x0 + w, y0 + h // 3), (x0 + w // 3, y0 + h)], fill=colour)
    text = " ".join(WORDS[int(i)] for i in rng.integers(0, len(WORDS), 2))
    draw.text((int(rng.integers(0, SIZE // 3)), int(rng.integers(0, SIZE - 12))), text,
              fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    noisy = np.asarray(img, dtype=np.int16) + rng.normal(0, 2, (SIZE, SIZE, 3)).astype(np.int16)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")


def variant(img, rng: np.random.Generator):
    from PIL import Image, ImageDraw, ImageEnhance

    w, h = img.size
    if rng.random() < 0.7:  # crop up to 3% from each side
        left, top, right, bottom = (int(v) for v in rng.integers(0, int(0.03 * w) + 1, 4))
        img = img.crop((left, top, w - right, h - bottom))
    if rng.random() < 0.6:  # rescale
        scale = float(rng.uniform(0.6, 1.5))
        img = img.resize((max(16, int(img.width * scale)), max(16, int(img.height * scale))))
    if rng.random() < 0.4:  # a sticker or a caption
        draw = ImageDraw.Draw(img)
        x, y = int(rng.integers(0, img.width)), int(rng.integers(0, img.height))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.rectangle((x, y, x + img.width // 8, y + img.height // 8), fill=colour)
        else:
            draw.text((x // 2, y), WORDS[int(rng.integers(0, len(WORDS)))], fill=colour)
    if rng.random() < 0.3:
        img = ImageEnhance.Brightness(img).enhance(float(rng.uniform(0.7, 1.3)))
    if rng.random() < 0.05:
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if rng.random() < 0.8:  # JPEG recompression
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=int(rng.integers(30, 95)))
        buf.seek(0)
        img = Image.open(buf).convert("RGB")
    return img


def _hash_bases(task: tuple[int, int, int, int]) -> np.ndarray:
    from safe4c.hashlist.matching.pdq import compute_pdq

    first, count, variants, salt = task
    out = np.empty((count * variants, 32), dtype=np.uint8)
    for i in range(count):
        base = base_image(first + i)
        rng = np.random.default_rng([first + i, salt])
        for v in range(variants):
            hex_, _quality = compute_pdq(variant(base, rng))
            out[i * variants + v] = np.frombuffer(bytes.fromhex(hex_), dtype=np.uint8)
    return out


def _hash_many(first: int, bases: int, variants: int, salt: int, processes: int) -> np.ndarray:
    step = 200
    tasks = [(first + s, min(step, bases - s), variants, salt) for s in range(0, bases, step)]
    if processes <= 1:
        parts = [_hash_bases(t) for t in tasks]
    else:
        with Pool(processes) as pool:
            parts = pool.map(_hash_bases, tasks, chunksize=1)
    return np.concatenate(parts) if parts else np.empty((0, 32), dtype=np.uint8)


def image_dataset(n_hashes: int, n_queries: int, *, seed: int = 0, cache: str | None = None,
                  processes: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(stored (n, 32), queries (q, 32), is_listed_base (q,)) as ``bench.make_dataset`` returns."""
    if cache and os.path.exists(cache):
        data = np.load(cache)
        if len(data["stored"]) == n_hashes and len(data["queries"]) == n_queries and int(data["seed"]) == seed:
            return data["stored"], data["queries"], data["near"]
    processes = processes or os.cpu_count() or 1
    bases = -(-n_hashes // VARIANTS)
    first = seed * 10**9
    stored = _hash_many(first, bases, VARIANTS, 1, processes)[:n_hashes]
    half = n_queries // 2
    rng = np.random.default_rng(seed)
    listed = rng.choice(bases, size=half, replace=half > bases)
    near = np.concatenate([_hash_bases((first + int(b), 1, 1, 2)) for b in listed]) if half else \
        np.empty((0, 32), dtype=np.uint8)
    other = _hash_many(first + bases + 1, n_queries - half, 1, 3, processes)
    queries = np.concatenate([near, other])
    order = rng.permutation(n_queries)
    is_near = order < half
    queries = queries[order]
    if cache:
        tmp = cache + ".tmp.npz"
        np.savez(tmp, stored=stored, queries=queries, near=is_near, seed=seed)
        os.replace(tmp, cache)
    return stored, queries, is_near
