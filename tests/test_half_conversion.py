"""The float16 <-> float32 conversions of the compiled kernels (``_half.h``),
seen through the float16 multi-precision kernels, against NumPy's casts.

``sgd_plain`` on a float16 weight with a float32 master copy computes
``master = (1 - lr*wd) * master - (lr*rescale) * grad`` and then stores
``weight = float16(master)``:

* lr = 0 leaves the master as it is, so the weight is the master narrowed to
  float16 (round to nearest even, overflow to inf, subnormals);
* lr = -1 on a master of -0.0 gives ``master = -0.0 + float32(grad)``, the
  float16 gradient widened exactly (signed zeros included).

NaN payloads: the kernels narrow every NaN to the quiet NaN 0x7e00 with its
sign (NumPy keeps some payload bits), and arithmetic quiets a widened NaN, so
NaNs are compared by NaN-ness, sign and (for widening) payload bits only.

The multi-precision loops convert whole blocks with array code (F16C
instructions where the CPU has them, SSE2 code otherwise): every test here
runs with each instruction set this CPU has.  Other kernels (float16 without
master, norms) use the scalar functions of ``_half.h``, which the float16
suites cover.
"""
import numpy as np
import pytest

from mxopt import _kernels

SIGN16 = np.uint16(0x8000)


@pytest.fixture(autouse=True, params=_kernels.half_isas())
def half_isa(request):
    """Every test, once per instruction set of the array conversions."""
    before = _kernels.get_half_isa()
    _kernels.set_half_isa(request.param)
    yield request.param
    _kernels.set_half_isa(before)


def _narrow(master, chunks=1):
    """float16 bits the kernel stores for the float32 values ``master``
    (also returns the master after the step, which must be unchanged)."""
    master = np.array(master, dtype=np.float32)
    parts_m = np.array_split(master, chunks)
    parts_w = [np.full(p.shape, 0x1234, dtype=np.uint16) for p in parts_m]
    grads = [np.zeros(p.shape, dtype=np.float16) for p in parts_m]
    _kernels.sgd_plain_multi_mp(parts_w, grads, [[] for _ in parts_m], parts_m,
                                [(0.0, 0.0, 1.0, -1.0)] * len(parts_m))
    return np.concatenate(parts_w), np.concatenate(parts_m)


def _widen(half_bits, chunks=1):
    """float32 values the kernel computes from the float16 bit patterns
    ``half_bits`` (as gradients), and the float16 weight stored from them."""
    grad = np.ascontiguousarray(half_bits, dtype=np.uint16).view(np.float16)
    parts_g = np.array_split(grad, chunks)
    parts_m = [np.full(p.shape, -0.0, dtype=np.float32) for p in parts_g]
    parts_w = [np.zeros(p.shape, dtype=np.float16) for p in parts_g]
    _kernels.sgd_plain_multi_mp(parts_w, parts_g, [[] for _ in parts_g], parts_m,
                                [(-1.0, 0.0, 1.0, -1.0)] * len(parts_g))
    return np.concatenate(parts_m), np.concatenate(parts_w).view(np.uint16)


def _assert_half_bits_equal(got, values):
    """``got`` (uint16) is numpy's float16 cast of the float32 ``values``,
    except that NaNs must be exactly 0x7e00 with the input's sign."""
    values = np.asarray(values, dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        want = values.astype(np.float16).view(np.uint16)
    nan = np.isnan(values)
    bad = np.flatnonzero(~nan & (got != want))
    assert bad.size == 0, "float32 -> float16 differs from numpy on %d values, first %s" % (
        bad.size, [(hex(int(values.view(np.uint32)[i])), hex(int(got[i])), hex(int(want[i])))
                   for i in bad[:5]])
    sign = (values[nan].view(np.uint32) >> 31).astype(np.uint16) << 15
    np.testing.assert_array_equal(got[nan], np.uint16(0x7e00) | sign)


def _float32_cases():
    """A few million float32 values: every float16 value and its float32
    neighbours, every tie between two float16 neighbours and the values one
    float32 ulp either side of it, the named edge cases, and random bits."""
    halves = np.arange(0x7c01, dtype=np.uint16).view(np.float16)   # +0 .. +inf
    f = halves.astype(np.float32)
    up = np.nextafter(f, np.float32(np.inf))
    down = np.nextafter(f, np.float32(0))
    # ties: exact in float32 (a float16 significand has 11 bits)
    mid = ((f[:-1].astype(np.float64) + f[1:].astype(np.float64)) / 2).astype(np.float32)
    mid_up = np.nextafter(mid, np.float32(np.inf))
    mid_down = np.nextafter(mid, np.float32(0))
    named = np.array([
        0.0, 65504.0, 65519.0, 65519.99, 65520.0, 65520.004, 65535.0, 65536.0, 65537.0,
        1e10, np.finfo(np.float32).max, np.inf, np.nan,
        2.0 ** -24, 2.0 ** -25, 2.0 ** -26, 1.5 * 2.0 ** -24, 2.5 * 2.0 ** -24,
        2.0 ** -14, 2.0 ** -14 - 2.0 ** -25, 2.0 ** -14 - 2.0 ** -24, 2.0 ** -15,
        np.finfo(np.float32).tiny, 1e-45, 1e-40, 1.0, 1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11,
        2048.0, 2049.0, 2051.0, 4097.0, 0.1, 1.0 / 3.0,
    ], dtype=np.float32)
    with np.errstate(over="ignore"):
        named = np.concatenate([named, np.nextafter(named, np.float32(np.inf)),
                                np.nextafter(named, np.float32(0))])
    # NaNs with assorted payloads, quiet and signalling
    nans = np.array([0x7fc00000, 0x7f800001, 0x7fbfffff, 0x7fffffff, 0x7f802000,
                     0x7fc02000, 0x7f801fff], dtype=np.uint32).view(np.float32)
    rand = np.random.default_rng(20240611).integers(0, 2 ** 32, size=3_000_000,
                                                    dtype=np.uint32).view(np.float32)
    pos = np.concatenate([f, up, down, mid, mid_up, mid_down, named, nans])
    return np.concatenate([pos, -pos, rand])


def test_float16_to_float32_all_patterns():
    bits = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    got, weight = _widen(bits)
    want = bits.view(np.float16).astype(np.float32)
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan)
    np.testing.assert_array_equal(got[~nan].view(np.uint32), want[~nan].view(np.uint32))
    # a widened NaN keeps its sign and payload (the step sets the quiet bit)
    quiet = np.uint32(0x00400000)
    np.testing.assert_array_equal(got[nan].view(np.uint32) | quiet,
                                  want[nan].view(np.uint32) | quiet)
    # and every finite or infinite value narrows back to its own bits
    np.testing.assert_array_equal(weight[~nan], bits[~nan])
    np.testing.assert_array_equal(weight[nan], np.uint16(0x7e00) | (bits[nan] & SIGN16))


def test_float32_to_float16_edge_cases_and_random_bits():
    values = _float32_cases()
    assert values.size > 3_000_000
    got, master = _narrow(values)
    _assert_half_bits_equal(got, values)
    # lr = 0 keeps the master (NaNs aside, which the step may quiet)
    ok = ~np.isnan(values)
    np.testing.assert_array_equal(master[ok].view(np.uint32), values[ok].view(np.uint32))


def test_float32_to_float16_named_values():
    values = np.array([65504.0, 65519.0, 65520.0, 65536.0, np.inf, -np.inf, np.nan, -np.nan,
                       -0.0, 0.0, 2.0 ** -24, 2.0 ** -25, -(2.0 ** -25), 1.5 * 2.0 ** -24,
                       2.0 ** -14, 1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11], dtype=np.float32)
    got, _ = _narrow(values)
    expect = [0x7bff, 0x7bff, 0x7c00, 0x7c00, 0x7c00, 0xfc00, 0x7e00, 0xfe00,
              0x8000, 0x0000, 0x0001, 0x0000, 0x8000, 0x0002,
              0x0400, 0x3c00, 0x3c02]
    assert [hex(int(x)) for x in got] == [hex(x) for x in expect]


@pytest.mark.parametrize("n", [1, 3, 7, 8, 9, 15, 17, 33, 1000, 65536 * 5 + 11])
def test_conversions_on_every_loop_length(n):
    # vectorised loops have a scalar head/tail: every length converts alike
    values = _float32_cases()[:n]
    got, _ = _narrow(values)
    _assert_half_bits_equal(got, values)
    bits = (np.arange(n, dtype=np.int64) * 40503 % 65536).astype(np.uint16)
    widened, _ = _widen(bits)
    want = bits.view(np.float16).astype(np.float32)
    ok = ~np.isnan(want)
    np.testing.assert_array_equal(widened[ok].view(np.uint32), want[ok].view(np.uint32))


def test_conversions_mixing_common_and_special_values():
    # the array conversions take a short path for blocks of 8 ordinary values
    # (normal halves) and the general one otherwise: sprinkle zeros,
    # subnormals, overflows, infs and nans among ordinary values so that
    # consecutive blocks switch between the two
    rng = np.random.default_rng(20240612)
    n = 1_000_003
    special32 = np.array([0.0, -0.0, 1e-6, -3e-8, 2.0 ** -24, 2.0 ** -25, 6.1e-5, -6.1e-5,
                          65504.0, 65519.0, 65520.0, -65520.0, 1e6, np.inf, -np.inf, np.nan,
                          -np.nan, 1e-40, 2.0 ** -14, 2.0 ** -14 - 2.0 ** -26], dtype=np.float32)
    values = (rng.standard_normal(n) * rng.choice([1e-3, 1.0, 1e3], n)).astype(np.float32)
    pos = rng.choice(n, n // 40, replace=False)
    values[pos] = rng.choice(special32, pos.size)
    got, _ = _narrow(values)
    _assert_half_bits_equal(got, values)

    special16 = np.array([0x0000, 0x8000, 0x0001, 0x83ff, 0x03ff, 0x0200, 0x7c00, 0xfc00,
                          0x7c01, 0x7e00, 0xfe00, 0x7fff, 0xffff, 0x7bff, 0x0400], dtype=np.uint16)
    bits = rng.integers(0x0400, 0x7c00, n).astype(np.uint16) | (
        rng.integers(0, 2, n).astype(np.uint16) << 15)
    bits[pos] = rng.choice(special16, pos.size)
    widened, _ = _widen(bits)
    want = bits.view(np.float16).astype(np.float32)
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(widened), nan)
    np.testing.assert_array_equal(widened[~nan].view(np.uint32), want[~nan].view(np.uint32))


def test_conversions_on_many_small_tensors():
    # the multi-tensor kernel's other schedule: threads take whole tensors
    values = _float32_cases()[:200_000]
    got, _ = _narrow(values, chunks=997)
    _assert_half_bits_equal(got, values)
    bits = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    widened, _ = _widen(bits, chunks=613)
    want = bits.view(np.float16).astype(np.float32)
    ok = ~np.isnan(want)
    np.testing.assert_array_equal(widened[ok].view(np.uint32), want[ok].view(np.uint32))


def test_conversions_through_row_sparse_kernel():
    # the row-sparse multi-precision loops share the conversions
    values = _float32_cases()[::37][:64 * 1000].reshape(1000, 64)
    weight = np.zeros(values.shape, dtype=np.uint16)
    master = values.copy()
    rows = np.arange(0, 1000, 3, dtype=np.int64)
    grad = np.zeros((rows.size, 64), dtype=np.uint16)
    _kernels.sgd_plain_rows_mp(weight, grad, rows, master, 0.0, 0.0, 1.0, -1.0)
    _assert_half_bits_equal(weight[rows].ravel(), values[rows].ravel())
    untouched = np.setdiff1d(np.arange(1000), rows)
    assert not weight[untouched].any()


def test_every_instruction_set_gives_the_same_bits_nans_included(half_isa):
    # bit for bit, NaN payloads too (F16C's own NaN rules differ: blocks
    # with a NaN take the SSE2 steps)
    values = _float32_cases()
    bits = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    runs = {}
    for isa in _kernels.half_isas():
        _kernels.set_half_isa(isa)
        assert _kernels.get_half_isa() == isa
        narrowed, _ = _narrow(values)
        widened, _ = _widen(bits)
        runs[isa] = (narrowed, widened.view(np.uint32))
    first = runs["baseline"]
    for isa, (narrowed, widened) in runs.items():
        np.testing.assert_array_equal(narrowed, first[0], err_msg=isa)
        np.testing.assert_array_equal(widened, first[1], err_msg=isa)


def test_half_instruction_set_choice(half_isa):
    assert "baseline" in _kernels.half_isas()
    with pytest.raises(ValueError, match="unknown instruction set"):
        _kernels.set_half_isa("avx9000")
    assert _kernels.get_half_isa() == half_isa  # unchanged by the refusal
    if "f16c" not in _kernels.half_isas():
        with pytest.raises(ValueError, match="cannot run 'f16c'"):
            _kernels.set_half_isa("f16c")
