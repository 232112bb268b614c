"""The parallel standard-normal generator behind SGLD's noise
(``_kernels.standard_normal_fill``, ``SGLD.standard_normal``): its
distribution against the exact normal CDF (float64 and float32 numbers come
from different draws, so both are tested), its determinism (key and position
only, never the thread count or the instruction set), and its argument
checks."""
import numpy as np
import pytest
from scipy import stats

import mxopt as mx
from mxopt import _kernels

#: where the ziggurat's base strip ends and its tail begins: float64 numbers
#: use 256 strips, float32 numbers 1024
ZIGGURAT_R = {"float64": 3.6541528853610088, "float32": 4.0388498461095045}


def normals(key, n, dtype=np.float64):
    out = np.empty(n, dtype=dtype)
    _kernels.standard_normal_fill(out, key)
    return out


@pytest.fixture(scope="module", params=[np.float64, np.float32], ids=["float64", "float32"])
def sample(request):
    return normals(20261122, 4_000_000, request.param).astype(np.float64)


def test_the_sample_passes_kolmogorov_smirnov(sample):
    # a fixed key: the test is deterministic, not flaky
    assert stats.kstest(sample, "norm").pvalue > 1e-3


@pytest.fixture
def every_isa():
    """The float32 generator's instruction sets on this machine, restoring
    the default afterwards."""
    default = _kernels.get_normal_isa()
    yield _kernels.normal_isas()
    _kernels.set_normal_isa(default)


def test_instruction_sets_give_the_same_float32_numbers(every_isa):
    assert every_isa[0] == "scalar" and _kernels.get_normal_isa() == every_isa[-1]
    # sizes around rounds (16) and blocks (4096), keys at the ends of the range
    sizes = [1, 15, 16, 17, 4095, 4096, 4097, 3 * 4096 + 5, 300_001]
    results = {}
    for isa in every_isa:
        _kernels.set_normal_isa(isa)
        assert _kernels.get_normal_isa() == isa
        results[isa] = [normals(key, n, np.float32) for key in (0, 5, 2 ** 64 - 1)
                        for n in sizes]
    for isa in every_isa[1:]:
        for got, want in zip(results[isa], results["scalar"]):
            np.testing.assert_array_equal(got, want)


def test_unknown_or_unavailable_instruction_sets_are_refused(every_isa):
    with pytest.raises(ValueError, match="unknown instruction set"):
        _kernels.set_normal_isa("sse9")
    for isa in ("avx2", "avx512"):
        if isa not in every_isa:
            with pytest.raises(ValueError, match="cannot run"):
                _kernels.set_normal_isa(isa)


def test_fine_histogram_matches_the_normal_density(sample):
    # 400 bins over [-5, 5] see every strip and wedge of the ziggurat
    edges = np.concatenate(([-np.inf], np.linspace(-5, 5, 401), [np.inf]))
    counts, _ = np.histogram(sample, edges)
    expected = np.diff(stats.norm.cdf(edges)) * sample.size
    keep = expected > 20
    chi2 = np.sum((counts[keep] - expected[keep]) ** 2 / expected[keep])
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-4


@pytest.mark.parametrize("cut", sorted(ZIGGURAT_R.values()) + [4.5])
def test_tail_frequencies(sample, cut):
    p = 2 * stats.norm.sf(cut)
    seen = np.count_nonzero(np.abs(sample) > cut)
    sd = np.sqrt(sample.size * p * (1 - p))
    assert abs(seen - sample.size * p) < 5 * sd


def test_moments_and_symmetry(sample):
    n = sample.size
    assert abs(sample.mean()) < 5 / np.sqrt(n)
    assert abs(sample.var() - 1) < 5 * np.sqrt(2 / n)
    assert abs(stats.skew(sample)) < 5 * np.sqrt(6 / n)
    assert abs(stats.kurtosis(sample)) < 5 * np.sqrt(24 / n)
    assert abs(np.mean(sample > 0) - 0.5) < 5 * 0.5 / np.sqrt(n)


def test_neighbours_and_streams_are_uncorrelated(sample):
    n = sample.size
    assert abs(np.corrcoef(sample[:-1], sample[1:])[0, 1]) < 5 / np.sqrt(n)
    # consecutive blocks come from different streams: compare block k with k + 1
    blocks = sample[: (n // 4096) * 4096].reshape(-1, 4096)
    r = np.corrcoef(blocks[:-1].ravel(), blocks[1:].ravel())[0, 1]
    assert abs(r) < 5 / np.sqrt(blocks[:-1].size)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numbers_depend_on_key_and_position_only(dtype):
    n = 3 * 4096 + 17
    a = normals(123, n, dtype)
    np.testing.assert_array_equal(a, normals(123, n, dtype))
    for m in (5000, 4096 + 9, 1):                                   # prefixes
        np.testing.assert_array_equal(a[:m], normals(123, m, dtype))
    assert not np.any(a[:1000] == normals(124, 1000, dtype))


def test_thread_count_does_not_change_the_numbers():
    n = 2_000_003  # many blocks, above the parallel threshold
    old = mx.get_num_threads()
    try:
        mx.set_num_threads(1)
        one = normals(77, n, np.float32)
        mx.set_num_threads(2)
        two = normals(77, n, np.float32)
    finally:
        mx.set_num_threads(old)
    np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_keys_and_empty_arrays(dtype):
    for key in (0, 2 ** 64 - 1, np.uint64(2 ** 63)):
        assert np.all(np.isfinite(normals(key, 10_000, dtype)))
    normals(1, 0, dtype)


@pytest.mark.parametrize("bad,exc,match", [
    (np.zeros(4, np.float16), TypeError, "float32 or float64"),
    (np.zeros(4, np.int32), TypeError, "float32 or float64"),
    (np.zeros((4, 4))[:, 0], ValueError, "C-contiguous"),
])
def test_wrong_arrays_are_refused(bad, exc, match):
    before = bad.copy()
    with pytest.raises(exc, match=match):
        _kernels.standard_normal_fill(bad, 1)
    np.testing.assert_array_equal(bad, before)


def test_read_only_array_is_refused():
    out = np.zeros(4)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _kernels.standard_normal_fill(out, 1)


@pytest.mark.parametrize("key,exc", [(-1, ValueError), (2 ** 64, ValueError),
                                     (1.0, TypeError), (True, TypeError), ("1", TypeError)])
def test_wrong_keys_are_refused(key, exc):
    out = np.zeros(4)
    with pytest.raises(exc, match="key"):
        _kernels.standard_normal_fill(out, key)
    assert not out.any()


def test_sgld_standard_normal_dtypes():
    x16 = mx.optimizer.SGLD.standard_normal(5, 1000, np.float16)
    assert x16.dtype == np.float16
    np.testing.assert_array_equal(x16, normals(5, 1000, np.float32).astype(np.float16))
    with pytest.raises(TypeError, match="dtype"):
        mx.optimizer.SGLD.standard_normal(5, 10, np.int64)
