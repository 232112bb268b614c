"""The benchmark suite's turn-taking timer (benchmarks/_timing.py): every
contender gets its samples, in turns whose order alternates, and each turn
starts with an untimed call."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "benchmarks"))
_timing = pytest.importorskip("_timing")


def test_measure_turns_takes_turns_and_counts_calls():
    log = []
    fns = {"a": lambda: log.append("a"), "b": lambda: log.append("b")}
    marks = []
    samples = _timing.measure_turns(fns, repeat=7, warmup=2, number={"a": 2},
                                    between=lambda: marks.append(len(log)), per_turn=3)
    assert [len(samples["a"]), len(samples["b"])] == [7, 7]
    assert all(s >= 0 for s in samples["a"] + samples["b"])
    # warm-up: 2 calls each; then turns of (1 untimed + 3 samples x number) calls
    assert log[:4] == ["a", "a", "b", "b"]
    turns = []
    for start, stop in zip(marks, marks[1:] + [len(log)]):
        turn = log[start:stop]
        assert len(set(turn)) == 1
        turns.append((turn[0], len(turn)))
    # a: 1 + 3*2, 1 + 3*2, 1 + 1*2 calls; b: 1 + 3, 1 + 3, 1 + 1; order a b, b a, a b
    assert turns == [("a", 7), ("b", 4), ("b", 4), ("a", 7), ("a", 3), ("b", 2)]


def test_incache_shape_fits_half_the_cache_and_keeps_rows():
    import run  # benchmarks/run.py (imports mxopt, which the tests have)
    mib = 1 << 20
    # float32 Adam, 10M elements: 16 bytes per element; a 32 MiB cache holds
    # the 262,144-element cap (4 MiB of arrays)
    assert run.incache_shape((10_000_000,), 16 * 10_000_000, 32 * mib) == (run.INCACHE_SIZE,)
    # a 4 MiB cache: 2 MiB / 16 B = 131,072 elements, the least that runs
    assert run.incache_shape((10_000_000,), 16 * 10_000_000, 4 * mib) == (run.INCACHE_MIN,)
    # a 2 MiB cache holds too few: no in-cache run
    assert run.incache_shape((10_000_000,), 16 * 10_000_000, 2 * mib) is None
    # a 2-D weight keeps its rows whole: 262,144 // 64 rows of 64
    shape = run.incache_shape((156_250, 64), 12 * 10_000_000, 32 * mib)
    assert shape == (run.INCACHE_SIZE // 64, 64)
    # a case smaller than the cap is copied whole
    assert run.incache_shape((1000,), 16 * 1000, 32 * mib) == (1000,)
    for shape, footprint, llc in [((10_000_000,), 28 * 10_000_000, 32 * mib),
                                  ((156_250, 64), 12 * 10_000_000, 8 * mib)]:
        small = run.incache_shape(shape, footprint, llc)
        n = 1
        for d in small:
            n *= d
        assert n <= run.INCACHE_SIZE
        assert n * footprint / (shape[0] * (shape[1] if len(shape) > 1 else 1)) <= llc / 2
