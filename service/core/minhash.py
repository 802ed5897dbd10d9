"""MinHash signatures and LSH band hashes over word shingles, vectorised with numpy.

Why numpy: 128 permutations over ~500 shingles is 64,000 hash evaluations per
article; pure Python needs ~30 ms for that, numpy ~0.2 ms. The hash family is
multiply-shift on 64-bit shingle hashes, with fixed constants drawn once from a
fixed seed, so signatures are the same in every process and every release that
keeps `_SEED` (changing it invalidates the index for one story window).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]

SHINGLE = 3
MAX_PERMS = 128
_SEED = 0x5EED_F00D
_rng = np.random.default_rng(_SEED)
_A = _rng.integers(1, 2**63, size=MAX_PERMS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_B = _rng.integers(0, 2**63, size=MAX_PERMS, dtype=np.uint64)
_SHINGLE_MULT = _rng.integers(1, 2**63, size=SHINGLE, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_BAND_MULT = _rng.integers(1, 2**63, size=MAX_PERMS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)

# British and American spellings fold to one form, on both sides, so a copy edited
# for the other market keeps its shingles. Crude on purpose: it only has to be
# consistent ("four" becoming "for" is harmless for identity).
_SPELLING = [
    (re.compile(r"(?<=\w\w)is(e|ed|es|ing|ation|ations)$"), r"iz\1"),
    (re.compile(r"(?<=\w\w)ys(e|ed|es|ing)$"), r"yz\1"),
    (re.compile(r"(?<=\w\w)our(s|ed|ing|ite|ites|able)?$"), r"or\1"),
    (re.compile(r"(?<=\w\w[^aeiou])tre(s)?$"), r"ter\1"),
    (re.compile(r"(?<=\w\w)ence$"), "ense"),
    (re.compile(r"(?<=\w\w[aeiou])ll(ed|ing|er|ers)$"), r"l\1"),
    (re.compile(r"(?<=\w)ogue$"), "og"),
]


def fold_spelling(word: str) -> str:
    if not word.isascii():
        return word
    for pattern, repl in _SPELLING:
        word = pattern.sub(repl, word)
    return word


_WORD_IDS: dict[str, int] = {}
_WORD_IDS_MAX = 1 << 18


def word_id(word: str) -> int:
    """A stable 32-bit id of a (lower-cased) word after spelling folding."""
    found = _WORD_IDS.get(word)
    if found is None:
        if len(_WORD_IDS) >= _WORD_IDS_MAX:
            _WORD_IDS.clear()  # a cache only: ids never change
        found = _WORD_IDS[word] = zlib.crc32(fold_spelling(word).encode())
    return found


def _word_ids(tokens: Sequence[str]) -> list[int]:
    get = _WORD_IDS.get
    return [get(t) or word_id(t) for t in tokens]


def _mix(x: U64) -> U64:
    x = x ^ (x >> np.uint64(31))
    x = x * _MIX1
    x = x ^ (x >> np.uint64(29))
    x = x * _MIX2
    return x ^ (x >> np.uint64(32))


def shingle_stream(tokens: Sequence[str]) -> U64:
    """64-bit hashes of the word 3-shingles of `tokens` in text order, repeats kept.

    The hashes of the first k shingles are those of the first k + 2 tokens, so one
    stream serves the body and its lede.
    """
    if len(tokens) < SHINGLE:
        return np.empty(0, dtype=np.uint64)
    ids = np.array(_word_ids(tokens), dtype=np.uint64)
    n = len(ids) - SHINGLE + 1
    acc = ids[:n] * _SHINGLE_MULT[0]
    for i in range(1, SHINGLE):
        acc += ids[i : i + n] * _SHINGLE_MULT[i]
    return _mix(acc)


def shingle_hashes(tokens: Sequence[str]) -> U64:
    """Distinct 64-bit hashes of the word 3-shingles of `tokens` (none if too short)."""
    return np.unique(shingle_stream(tokens))


def signature(shingles: U64, perms: int) -> U32:
    """MinHash signature: per permutation the least 32-bit hash of any shingle."""
    if perms > MAX_PERMS:
        raise ValueError(f"at most {MAX_PERMS} permutations")
    if shingles.size == 0:
        return np.zeros(perms, dtype=np.uint32)
    hashed = np.multiply.outer(_A[:perms], shingles)
    hashed += _B[:perms, None]
    # the shift is monotonic, so it can follow the min
    least: U64 = hashed.min(axis=1)
    return (least >> np.uint64(32)).astype(np.uint32)


@lru_cache(maxsize=16)
def _salt(salt: int) -> np.uint64:
    return np.uint64(_mix(np.full(1, salt, dtype=np.uint64))[0])


def band_hashes(sig: U32, rows: int, salt: int) -> list[int]:
    """One 64-bit hash per band of `rows` consecutive signature values.

    `salt` keeps bands of different signatures (body, lede) apart in one index.
    """
    bands = len(sig) // rows
    values = sig[: bands * rows].astype(np.uint64).reshape(bands, rows)
    mults = _BAND_MULT[: bands * rows].reshape(bands, rows)
    acc = (values * mults).sum(axis=1, dtype=np.uint64)
    acc += np.arange(bands, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    acc += _salt(salt)
    hashed: list[int] = _mix(acc).tolist()
    return hashed


def compact(sig: U32, bits: int) -> bytes:
    """The low `bits` (8 or 16) of each value: what the index keeps for confirmation.

    Low bits, since minima are small numbers whose high bits are mostly zero.
    """
    if bits == 8:
        return (sig & np.uint32(0xFF)).astype(np.uint8).tobytes()
    if bits == 16:
        return (sig & np.uint32(0xFFFF)).astype(">u2").tobytes()
    raise ValueError("bits must be 8 or 16")


def estimate_jaccard(a: bytes, b: bytes, bits: int) -> float:
    """Jaccard similarity estimated from two compact signatures of one length.

    b-bit values also agree by chance (1 in 2**bits); that share is taken out.
    """
    width = bits // 8
    n = len(a) // width
    if n == 0 or len(a) != len(b):
        return 0.0
    x = np.frombuffer(a, dtype=np.uint8 if width == 1 else ">u2")
    y = np.frombuffer(b, dtype=np.uint8 if width == 1 else ">u2")
    chance = 2.0**-bits
    share = float(np.count_nonzero(x == y)) / n
    return max(0.0, (share - chance) / (1.0 - chance))
