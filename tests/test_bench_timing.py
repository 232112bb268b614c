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
