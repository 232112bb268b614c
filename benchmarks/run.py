#!/usr/bin/env python3
"""mxopt's benchmark suite: every optimizer step against the memory bus,
naive NumPy, PyTorch and MXNet 1.9.1, measured in one run.

    python benchmarks/run.py [--quick] [--json out.json] [--plot out.png]
                             [--cases PATTERN ...] [--mxnet-python PATH]
                             [--repeat N] [--threads N] [--list]

See ``benchmarks/README.md`` for what each baseline means and how the
memory-traffic bound is computed.  Ratios are always
``mxopt time / baseline time``: below 1 means mxopt is faster.
"""
import argparse
import fnmatch
import gc
import glob
import importlib
import itertools
import json
import os
import platform
import subprocess
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from _timing import fmt_time, measure, measure_turns, summary  # noqa: E402

import numpy as np  # noqa: E402

import mxopt  # noqa: E402
from mxopt.optimizer import Optimizer  # noqa: E402

F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)

#: sizes and repeats; ``--quick`` is a smoke run that finishes in under a minute
FULL = dict(dense_size=10_000_000, repeat=11, warmup=2, budget=6.0,
            multi_count=1000, multi_size=100, small_size=100, small_number=2000,
            sparse_shape=(1_000_000, 64), sparse_rows=1024, sparse_variants=16,
            triad_size=1 << 25, triad_repeat=10, mxnet_timeout=3600)
QUICK = dict(dense_size=1_000_000, repeat=3, warmup=1, budget=0.15,
             multi_count=1000, multi_size=100, small_size=100, small_number=200,
             sparse_shape=(100_000, 64), sparse_rows=1024, sparse_variants=4,
             triad_size=1 << 22, triad_repeat=4, mxnet_timeout=300)

#: constructor arguments used for an optimizer everywhere (mxopt, the NumPy
#: reference and MXNet); the others run with their defaults
BENCH_KWARGS = {
    "sgd": dict(momentum=0.9),
    "ccsgd": dict(momentum=0.9),
    "nag": dict(momentum=0.9),
    "lars": dict(momentum=0.9),
    "adamw": dict(wd=0.01),
}

#: PyTorch's nearest optimizer: (class, implementation, extra kwargs from the
#: mxopt optimizer).  ``fused`` falls back to ``foreach`` where torch refuses.
TORCH_EQUIV = {
    "adam": ("Adam", "fused", lambda o: {}),
    "adamw": ("AdamW", "fused", lambda o: {"weight_decay": float(o.wd)}),
    "sgd": ("SGD", "fused", lambda o: {"momentum": float(getattr(o, "momentum", 0.0))}),
    "ccsgd": ("SGD", "fused", lambda o: {"momentum": float(getattr(o, "momentum", 0.0))}),
    "nag": ("SGD", "fused", lambda o: {"momentum": float(getattr(o, "momentum", 0.9)),
                                       "nesterov": True}),
    "adagrad": ("Adagrad", "fused", lambda o: {}),
    "rmsprop": ("RMSprop", "foreach",
                lambda o: {"centered": bool(getattr(o, "centered", False))}),
    "adadelta": ("Adadelta", "foreach", lambda o: {}),
    "adamax": ("Adamax", "foreach", lambda o: {}),
    "nadam": ("NAdam", "foreach", lambda o: {}),
}

#: optimizers with per-row state, benchmarked on a (n/64, 64) weight (MXNet's
#: GroupAdaGrad refuses anything but 2-D)
ROW_WISE = ("groupadagrad",)

#: the targets that compare with PyTorch's fused optimizers (issue 6)
TORCH_TARGETS = ("adam", "adamw", "sgd", "adagrad")

#: the row-sparse cases of the sparse issue: (optimizer, kwargs, label)
SPARSE_CASES = [("adam", dict(lazy_update=True), "Adam lazy"),
                ("sgd", dict(momentum=0.9, lazy_update=True), "SGD-momentum lazy"),
                ("adagrad", {}, "AdaGrad"),
                ("ftrl", {}, "Ftrl")]

#: optimizers whose step needs global norms before any weight is written, so
#: one pass over memory cannot do it, and the arrays their extra pass must
#: move on top of the one-pass traffic ("w" weight, "g" gradient, "s" every
#: state array).  Their bound is the two-pass traffic; the one-pass ratio is
#: printed beside it.
#:   LARS: ||w|| and ||g|| come first, then the momentum step.
#:   LAMB: the direction needs the new moments and the trust ratio needs its
#:         norm, so the weight and the direction's inputs (the moments, or a
#:         float32 direction written and read: the same bytes) are read again.
#:   LANS: ||g|| comes first (the moments take the normalised gradient); then
#:         as LAMB, with the gradient in the second pass as well.
#:   LBSGD: as LARS with warmup_strategy='lars'; its other strategies need no norm.
NORM_EXTRA = {"lars": "wg", "lamb": "ws", "lans": "gwgs", "lbsgd": "wg"}

#: case groups with a memory bound: a short triad runs before each of them
BOUND_GROUPS = ("dense_f32", "dense_f64", "mp_f16", "threads", "sparse")

BOUND_LIMIT = 1.3
MXNET_SPEEDUP = 5.0
SMALL_LIMIT = 5e-6
THREAD_SPEEDUP = 1.6
SPARSE_FRACTION = 0.01

#: elements of a dense case's in-cache run (fewer when its arrays would fill
#: more than half the largest cache; not run below INCACHE_MIN, where the
#: kernels would run on one thread)
INCACHE_SIZE = 1 << 18
INCACHE_MIN = 1 << 17


def last_level_cache_bytes():
    """Size of the largest CPU cache (sysfs; 32 MiB when unknown)."""
    best = 0
    for path in glob.glob("/sys/devices/system/cpu/cpu0/cache/index*/size"):
        try:
            with open(path) as f:
                text = f.read().strip().upper()
        except OSError:
            continue
        mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
        try:
            best = max(best, int(text.rstrip("KMG")) * mult)
        except ValueError:
            continue
    return best or 32 << 20


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def pause():
    """Let the other contender's OpenMP threads stop spinning before timing."""
    time.sleep(0.05)


# --------------------------------------------------------------- environment
class Env(object):
    """What this run found: baselines, optional mxopt parts, bandwidth."""

    def __init__(self, args, cfg):
        self.args = args
        self.cfg = cfg
        self.threads = args.threads or mxopt.get_num_threads()
        self.torch = self._find_torch()
        self.mxnet_python, self.mxnet_version, self.mxnet_reason = self._find_mxnet()
        self.refs, self.refs_note = self._find_references()
        self.gluon, self.gluon_reason = self._find_gluon()
        self.row_sparse_array = self._find_row_sparse()
        self.triad = getattr(mxopt._kernels, "stream_triad", None)
        self.bandwidth = None  # bytes/s used by every bound
        self.bw_start = None
        self.bw_end = None
        self.bw_spots = []
        self._sparse_adam_torch = None
        self.multi_baselines = {}

    def _find_torch(self):
        if self.args.no_torch:
            self.torch_reason = "disabled by --no-torch"
            return None
        try:
            import torch
        except Exception as exc:  # ImportError, or a broken install's OSError
            self.torch_reason = "not usable (%s: %s)" % (type(exc).__name__, exc)
            return None
        torch.set_num_threads(self.threads)
        self.torch_reason = None
        return torch

    def _find_mxnet(self):
        path = self.args.mxnet_python
        if path is None:
            path = os.environ.get("MXOPT_BENCH_MXNET_PYTHON")
        if path is None and os.path.exists("/opt/mxvenv/bin/python"):
            path = "/opt/mxvenv/bin/python"
        if path and path.lower() == "none":
            return None, None, "disabled (--mxnet-python none)"
        if not path:
            return None, None, "no interpreter given (--mxnet-python or MXOPT_BENCH_MXNET_PYTHON)"
        if not os.path.exists(path):
            return None, None, "interpreter %s does not exist" % path
        try:
            out = subprocess.run([path, "-c", "import mxnet; print(mxnet.__version__)"],
                                 capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, None, "%s could not run: %s" % (path, exc)
        if out.returncode != 0:
            tail = (out.stderr.strip().splitlines() or ["?"])[-1]
            return None, None, "%s cannot import mxnet: %s" % (path, tail)
        return path, out.stdout.strip(), None

    def _find_references(self):
        """NumPy references by optimizer name, from the test table
        (``tests/optimizer_db.py``) or, failing that, the ``Ref<Name>``
        classes of ``tests/reference*.py``."""
        tests = os.path.join(ROOT, "tests")
        refs = {}
        note = None
        if not os.path.isdir(tests):
            return refs, "no tests/ directory beside benchmarks/"
        if tests not in sys.path:
            sys.path.insert(0, tests)
        try:
            db = importlib.import_module("optimizer_db")
            for entry in db.ENTRIES:
                if getattr(entry, "reference", None) is not None:
                    refs.setdefault(entry.name, entry.reference)
        except Exception as exc:  # a half-written family table must not stop the run
            note = "tests/optimizer_db.py did not import (%s: %s); matched Ref<Name> classes " \
                   "by name" % (type(exc).__name__, exc)
        for path in sorted(glob.glob(os.path.join(tests, "reference*.py"))):
            modname = os.path.splitext(os.path.basename(path))[0]
            try:
                mod = importlib.import_module(modname)
            except Exception as exc:
                note = (note + "; " if note else "") + "%s did not import (%s)" % (modname, exc)
                continue
            for attr, value in vars(mod).items():
                if attr.startswith("Ref") and isinstance(value, type) and attr != "RefBase":
                    refs.setdefault(attr[3:].lower(), value)
        return refs, note

    def _find_gluon(self):
        try:
            gluon = importlib.import_module("mxopt.gluon")
        except ImportError as exc:
            return None, "mxopt.gluon not available (%s)" % exc
        if not hasattr(gluon, "Trainer") or not hasattr(gluon, "Parameter"):
            return None, "mxopt.gluon has no Trainer/Parameter yet"
        return gluon, None

    def _find_row_sparse(self):
        try:
            from mxopt.nd import sparse
            return sparse.row_sparse_array
        except (ImportError, AttributeError):
            return None

    # ---------------------------------------------------------- bandwidth
    def measure_bandwidth(self, threads=None, repeat=None):
        """Streaming-triad bandwidth in bytes/s: (best, median) over the
        repeats.  The best rate is STREAM's convention and what the bound
        uses: the bus can do at least that, so the bound is never flattered
        by a slow sample."""
        n = self.cfg["triad_size"]
        a = np.zeros(n, dtype=np.float32)
        b = np.ones(n, dtype=np.float32)
        c = np.full(n, 2.0, dtype=np.float32)
        old = mxopt.get_num_threads()
        if threads is not None:
            mxopt.set_num_threads(threads)
        try:
            if self.triad is not None:
                triad = self.triad

                def fn():
                    triad(a, b, c, 3.0)
                moved = 12.0 * n
            else:
                def fn():
                    np.multiply(c, np.float32(3.0), out=a)
                    np.add(a, b, out=a)
                moved = 20.0 * n  # two passes: c -> a, then a + b -> a
            samples = measure(fn, repeat or self.cfg["triad_repeat"], warmup=1 if repeat else 2)
        finally:
            mxopt.set_num_threads(old)
        if not np.all(a[:16] == 7.0):
            raise RuntimeError("stream_triad computed wrong values")
        return moved / min(samples), moved / summary(samples)["median"]

    def measure_all_bandwidth(self):
        """Triad with every thread and with one; the bound uses the larger
        best rate (on a loaded machine one thread can outrun two)."""
        best, median = self.measure_bandwidth()
        best1, median1 = self.measure_bandwidth(threads=1)
        return {"all_threads_best": best, "all_threads_median": median,
                "one_thread_best": best1, "one_thread_median": median1,
                "bound": max(best, best1)}

    def spot_bandwidth(self):
        """A short all-thread triad between cases; its best rate joins the
        run's bandwidth samples (load only ever lowers a rate)."""
        best, _ = self.measure_bandwidth(repeat=3)
        self.bw_spots.append(best)
        return best

    def sparse_adam_torch(self, problem):
        """torch.optim.SparseAdam on the sparse problem (measured once)."""
        if self._sparse_adam_torch is None:
            self._sparse_adam_torch = time_torch_sparse_adam(self, problem)
        return self._sparse_adam_torch


# --------------------------------------------------------------------- cases
class Case(object):
    """One benchmark case and everything measured for it.

    ``results`` maps a contender (``mxopt``, ``numpy``, ``torch``, ``mxnet``,
    and case-specific extras) to a timing summary or ``{"skipped": why}``.
    """

    def __init__(self, cid, group, label, optimizer, kwargs=None, **extra):
        self.id = cid
        self.group = group
        self.label = label
        self.optimizer = optimizer
        self.kwargs = dict(kwargs or {})
        self.extra = extra
        self.results = {}
        self.bytes = None
        self.bound = None
        self.bound2 = None
        self.bytes2 = None  # bytes of a two-pass (global-norm) update
        self.has_bound = False
        self.notes = []
        self.baseline_names = {}
        self.size_label = extra.get("size_label", "")

    def record(self, who, samples=None, skipped=None, what=None):
        if skipped is not None:
            self.results[who] = {"skipped": skipped}
        else:
            self.results[who] = summary(samples)
        if what:
            self.baseline_names[who] = what

    def time_of(self, who, stat="median"):
        """A contender's median (or ``stat="min"``: best) seconds, or None."""
        r = self.results.get(who)
        return r[stat] if r and stat in r else None

    def ratio(self, who, stat="median"):
        # PyTorch is compared with mxopt's samples taken in turns with it
        mine = self.time_of("mxopt_paired" if who == "torch" and "mxopt_paired" in self.results
                            else "mxopt", stat)
        other = self.time_of(who, stat)
        if mine is None or not other:
            return None
        return mine / other

    def bound_ratio(self, stat="median"):
        mine = self.time_of("mxopt", stat)
        return mine / self.bound if mine is not None and self.bound else None

    def incache_ratio(self, stat="median", two_pass=False):
        """The in-cache time (see :func:`run_in_cache`) over the memory bound
        (the two-pass bound with ``two_pass`` where there is one), or None."""
        t = self.time_of("mxopt_incache", stat)
        bound = self.bound2 if two_pass and self.bound2 else self.bound
        return t / bound if t is not None and bound else None

    def mxnet_spec(self):
        return self.extra.get("mxnet")

    def to_json(self):
        return {"id": self.id, "group": self.group, "label": self.label,
                "optimizer": self.optimizer, "kwargs": self.kwargs,
                "size": self.size_label, "bytes_per_step": self.bytes,
                "memory_bound_s": self.bound, "memory_bound_2pass_s": self.bound2,
                "results": self.results, "baselines": self.baseline_names,
                "ratios": {k: self.ratio(k) for k in self.results
                           if k not in ("mxopt", "mxopt_paired")},
                "bound_ratio": self.bound_ratio(),
                "incache_elements": self.extra.get("incache_elements"),
                "incache_bound_ratio": self.incache_ratio(), "notes": self.notes}


def bench_kwargs(name):
    return dict(BENCH_KWARGS.get(name, {}))


def size_label(n):
    for unit, div in (("G", 10 ** 9), ("M", 10 ** 6), ("k", 10 ** 3)):
        if n >= div and n % (div // 10 or 1) == 0:
            return ("%g%s" % (n / div, unit))
    return str(n)


def probe_shape(name, kwargs, n):
    """The dense shape to benchmark ``name`` on: flat, or (n/64, 64) for a
    row-wise optimizer or one that refuses 1-D weights.  Returns (shape, error)."""
    errors = []
    flat, rows = ((64,), (n,)), ((8, 64), (max(n // 64, 1), 64))
    for shape, full in ((rows, flat) if name in ROW_WISE else (flat, rows)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                opt = mxopt.optimizer.create(name, **kwargs)
                w = np.ones(shape, dtype=np.float32)
                state = opt.create_state_multi_precision(0, w)
                opt.update_multi_precision(0, w, np.full(shape, 0.01, dtype=np.float32), state)
            return full, None
        except Exception as exc:
            msg = "%s: %s" % (type(exc).__name__, exc)
            if msg not in errors:
                errors.append(msg)
    return None, "; ".join(errors)


def build_cases(env):
    cfg = env.cfg
    n = cfg["dense_size"]
    registry = sorted(Optimizer.opt_registry)
    cases = []
    base = dict(repeat=cfg["repeat"], warmup=cfg["warmup"], budget=cfg["budget"])

    def dense(group, name, dtype, mp, shape, label):
        kw = bench_kwargs(name)
        spec = dict(base, id="%s:%s" % (group, name), kind="dense", optimizer=name, kwargs=kw,
                    shape=list(shape), dtype=str(np.dtype(dtype)), multi_precision=mp)
        return Case(spec["id"], group, label, name, kw, shape=tuple(shape), dtype=np.dtype(dtype),
                    mp=mp, mxnet=spec, size_label="%s %s" % (
                        size_label(int(np.prod(shape))),
                        {"float32": "f32", "float64": "f64"}.get(str(np.dtype(dtype)), "f16-MP")))

    for name in registry:
        shape, err = probe_shape(name, bench_kwargs(name), n)
        if shape is None:
            c = Case("dense_f32:%s" % name, "dense_f32", "dense f32 %s" % name, name,
                     size_label=size_label(n))
            c.extra["broken"] = err
            cases.append(c)
            continue
        cases.append(dense("dense_f32", name, F32, False, shape, "dense f32 %s" % name))
    for name in ("adam", "sgd"):
        if name in Optimizer.opt_registry:
            cases.append(dense("dense_f64", name, F64, False, (n,), "dense f64 %s" % name))
            cases.append(dense("mp_f16", name, F16, True, (n,), "f16 multi-precision %s" % name))

    count, size = cfg["multi_count"], cfg["multi_size"]
    multi_label = "%dx%d" % (count, size)
    for via in ("updater", "trainer"):
        spec = dict(base, id="multi:%s" % via, kind="multi_%s" % via, optimizer="adam",
                    kwargs={}, shape=[size], count=count)
        cases.append(Case(spec["id"], "multi", "%s Adam via %s" % (
            multi_label, "Updater" if via == "updater" else "gluon.Trainer.step"),
            "adam", {}, via=via, count=count, shape=(size,), mxnet=spec,
            size_label=multi_label + " f32"))

    for name in ("adam", "sgd"):
        kw = bench_kwargs(name)
        spec = dict(base, id="small:%s" % name, kind="small", optimizer=name, kwargs=kw,
                    shape=[cfg["small_size"]], number=max(cfg["small_number"] // 4, 50))
        cases.append(Case(spec["id"], "small", "one %d-element %s update" % (
            cfg["small_size"], name), name, kw, shape=(cfg["small_size"],), mxnet=spec,
            size_label="%d f32" % cfg["small_size"]))

    cases.append(Case("threads:adam", "threads", "threads 1 vs 2, dense f32 Adam", "adam", {},
                      shape=(n,), size_label="%s f32" % size_label(n)))

    rows_shape = cfg["sparse_shape"]
    for name, kw, label in SPARSE_CASES:
        spec = dict(base, id="sparse:%s" % name, kind="sparse", optimizer=name, kwargs=kw,
                    shape=list(rows_shape), rows=cfg["sparse_rows"],
                    variants=cfg["sparse_variants"], repeat=cfg["repeat"] * 3)
        cases.append(Case(spec["id"], "sparse", "row-sparse %s" % label, name, kw,
                          shape=tuple(rows_shape), rows=cfg["sparse_rows"], mxnet=spec,
                          size_label="%sx%d, %d rows" % (size_label(rows_shape[0]),
                                                         rows_shape[1], cfg["sparse_rows"])))
    return cases


def select_cases(cases, patterns):
    if not patterns:
        return cases
    chosen = []
    for c in cases:
        for p in patterns:
            if fnmatch.fnmatch(c.id, p) or c.group == p or fnmatch.fnmatch(c.id, p + ":*") \
                    or c.optimizer == p:
                chosen.append(c)
                break
    return chosen


# -------------------------------------------------------------------- arrays
def state_arrays(state):
    """Every ndarray in a (nested) optimizer state."""
    if isinstance(state, np.ndarray):
        return [state]
    if isinstance(state, (tuple, list)):
        out = []
        for s in state:
            out.extend(state_arrays(s))
        return out
    return []


def dense_traffic(weight, grad, state, mp):
    """Bytes one update must move: gradient read, weight read+write (written
    only, for a float16 weight with a float32 master), each state array
    (master copy included) read+write."""
    total = grad.nbytes + (1 if mp else 2) * weight.nbytes
    total += sum(2 * a.nbytes for a in state_arrays(state))
    return total


def sparse_traffic(weight, data, indices, state):
    """Bytes a row-sparse update must move: the gradient's rows and indices,
    and read+write of the touched rows of the weight and of every per-row
    state array."""
    k = indices.shape[0]
    total = data.nbytes + indices.nbytes + 2 * weight.nbytes // weight.shape[0] * k
    for a in state_arrays(state):
        if a.ndim and a.shape[0] == weight.shape[0]:
            total += 2 * a.nbytes // a.shape[0] * k
    return total


def random_dense(rng, shape, dtype, scale=1.0):
    out = rng.standard_normal(shape, dtype=np.float32)
    if scale != 1.0:
        out *= np.float32(scale)
    return out.astype(dtype, copy=False)


class RowSparse(object):
    """The minimal row-sparse gradient the optimizers accept (used when
    ``mxopt.nd.sparse.row_sparse_array`` is not available)."""
    stype = "row_sparse"

    def __init__(self, data, indices, shape):
        self.data, self.indices, self.shape = data, indices, tuple(shape)


def sparse_problem(env, case_or_shape, rows, variants, seed=7):
    """The same random row sets for every contender of every sparse case."""
    shape = tuple(case_or_shape)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(variants):
        idx = np.sort(rng.choice(shape[0], rows, replace=False)).astype(np.int64)
        data = random_dense(rng, (rows,) + shape[1:], F32, 0.01)
        out.append((idx, data))
    return out


# ----------------------------------------------------------------- baselines
def make_torch(env, name, mx_opt, weights, grads):
    """A zero-argument PyTorch step over copies of ``weights`` (None, reason
    when torch lacks the optimizer)."""
    torch = env.torch
    if torch is None:
        return None, "torch %s" % env.torch_reason
    spec = TORCH_EQUIV.get(name)
    if spec is None:
        return None, "PyTorch has no %s" % name
    cls_name, impl, extra = spec
    cls = getattr(torch.optim, cls_name)
    params = [torch.nn.Parameter(torch.from_numpy(w.copy())) for w in weights]
    for p, g in zip(params, grads):
        p.grad = torch.from_numpy(g.copy())
    kwargs = dict(lr=float(mx_opt.lr))
    kwargs.update(extra(mx_opt))
    what = "torch.optim.%s(%s=True)" % (cls_name, impl)
    try:
        topt = cls(params, **dict(kwargs, **{impl: True}))
        topt.step()
    except (RuntimeError, TypeError, ValueError) as exc:
        if impl != "fused":
            return None, "torch.optim.%s: %s" % (cls_name, exc)
        topt = cls(params, foreach=True, **kwargs)
        topt.step()
        what = "torch.optim.%s(foreach=True; fused refused: %s)" % (
            cls_name, str(exc).splitlines()[0][:60])
    return topt.step, what


def time_torch_sparse_adam(env, problem):
    torch = env.torch
    if torch is None:
        return {"skipped": "torch %s" % env.torch_reason}
    shape, grads = problem
    rng = np.random.default_rng(3)
    p = torch.nn.Parameter(torch.from_numpy(random_dense(rng, shape, F32)))
    tgrads = [torch.sparse_coo_tensor(torch.from_numpy(idx)[None, :], torch.from_numpy(data),
                                      shape, check_invariants=True).coalesce()
              for idx, data in grads]
    opt = torch.optim.SparseAdam([p], lr=0.001)
    cycle = itertools.cycle(tgrads)

    def step():
        p.grad = next(cycle)
        opt.step()
    cfg = env.cfg
    samples = measure(step, cfg["repeat"] * 3, warmup=len(tgrads), budget=cfg["budget"])
    return summary(samples)


class NumpyRef(object):
    """The float64 NumPy reference of an optimizer, fed float32 (or float64)
    arrays so it computes in that precision, as naive NumPy code would."""

    def __init__(self, env, name, kwargs):
        self.cls = env.refs.get(name)
        self.kwargs = kwargs
        self.reason = None if self.cls is not None else \
            "no NumPy reference for %s in tests/reference*.py" % name

    def make(self):
        return self.cls(**self.kwargs)


def numpy_dense_step(env, case, name, kwargs, w, g, mp):
    ref = NumpyRef(env, name, kwargs)
    if ref.cls is None:
        return None, ref.reason
    r = ref.make()
    if mp:
        w16 = w.copy()
        g16 = g.copy()
        master = w.astype(np.float32)
        box = [master, r.create_state(master)]

        def step():
            box[0], box[1] = r.update(0, box[0], g16.astype(np.float32), box[1])
            w16[...] = box[0].astype(np.float16)
        what = "tests reference %s on a float32 master, cast to float16" % ref.cls.__name__
    else:
        wc = w.copy()
        box = [wc, r.create_state(wc)]

        def step():
            box[0], box[1] = r.update(0, box[0], g, box[1])
        what = "tests reference %s on %s arrays" % (ref.cls.__name__, w.dtype)
    step()
    expected = F32 if mp else w.dtype
    if np.asarray(box[0]).dtype != expected:
        case.notes.append("the NumPy reference computes in %s" % np.asarray(box[0]).dtype)
    return step, what


# ----------------------------------------------------------------- runners
def timed(env, fn, **kw):
    cfg = env.cfg
    kw.setdefault("repeat", cfg["repeat"])
    kw.setdefault("warmup", cfg["warmup"])
    kw.setdefault("budget", cfg["budget"])
    pause()
    return measure(fn, **kw)


def run_baseline(case, who, make, env, **kw):
    """Build a baseline with ``make()`` -> (step, description) and time it;
    any failure is recorded as a skip with its reason."""
    try:
        step, what = make()
    except Exception as exc:
        case.record(who, skipped="%s: %s" % (type(exc).__name__, exc))
        return
    if step is None:
        case.record(who, skipped=what)
        return
    try:
        case.record(who, timed(env, step, **kw), what=what)
    except Exception as exc:
        case.record(who, skipped="%s: %s" % (type(exc).__name__, exc))


def run_with_torch(env, case, step, what, make, number=1, torch_number=1, pauses=True):
    """Time mxopt's ``step`` alone (``mxopt``: for the bound, NumPy and
    MXNet, which are timed alone too), then with PyTorch's step from
    ``make()`` -> (step, description) in turns (:func:`measure_turns`; with
    ``pauses``, a pause before every turn): ``mxopt_paired`` and ``torch``,
    whose ratio is the PyTorch column.  Without PyTorch (or when ``make``
    fails) the skip is recorded."""
    case.record("mxopt", timed(env, step, number=number), what=what)
    try:
        tstep, twhat = make()
    except Exception as exc:
        tstep, twhat = None, "%s: %s" % (type(exc).__name__, exc)
    if tstep is None:
        case.record("torch", skipped=twhat)
        return
    cfg = env.cfg
    try:
        samples = measure_turns({"mxopt": step, "torch": tstep}, cfg["repeat"],
                                warmup=cfg["warmup"],
                                number={"mxopt": number, "torch": torch_number},
                                between=pause if pauses else None)
    except Exception as exc:
        case.record("torch", skipped="%s: %s" % (type(exc).__name__, exc))
        return
    case.record("mxopt_paired", samples["mxopt"], what=what + ", in turns with PyTorch")
    case.record("torch", samples["torch"], what=twhat)


def run_dense(env, case):
    name, shape, dtype, mp = case.optimizer, case.extra["shape"], case.extra["dtype"], \
        case.extra["mp"]
    rng = np.random.default_rng(11)
    w = random_dense(rng, shape, dtype)
    g = random_dense(rng, shape, dtype, 0.01)
    opt = mxopt.optimizer.create(name, multi_precision=mp, **case.kwargs)
    state = opt.create_state_multi_precision(0, w)
    case.bytes = dense_traffic(w, g, state, mp)
    case.has_bound = True
    extra = NORM_EXTRA.get(name, "")
    if name == "lbsgd" and getattr(opt, "warmup_strategy", None) != "lars":
        extra = ""
    if extra:
        size = {"w": w.nbytes, "g": g.nbytes,
                "s": sum(a.nbytes for a in state_arrays(state))}
        case.bytes2 = case.bytes + sum(size[a] for a in extra)

    def step():
        opt.update_multi_precision(0, w, g, state)
    what = "mxopt %s" % type(opt).__name__
    if mp:
        case.record("mxopt", timed(env, step), what=what)
        case.record("torch", skipped="PyTorch's optimizers keep no float32 master copy")
    else:
        run_with_torch(env, case, step, what, lambda: make_torch(env, name, opt, [w], [g]))
    run_baseline(case, "numpy",
                 lambda: numpy_dense_step(env, case, name, case.kwargs, w, g, mp), env)
    footprint = w.nbytes + g.nbytes + sum(a.nbytes for a in state_arrays(state))
    run_in_cache(env, case, shape, dtype, mp, footprint)


def incache_shape(shape, footprint, llc_bytes):
    """The shape of a dense case's in-cache copy: the trailing dimensions of
    ``shape`` kept, as many rows as give at most ``INCACHE_SIZE`` elements
    whose arrays (``footprint`` bytes for the whole of ``shape``) fill at
    most half of ``llc_bytes``; None when that is under ``INCACHE_MIN``
    elements (or under the case's size, if smaller)."""
    full = int(np.prod(shape))
    rowlen = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    fits = int(llc_bytes // 2 * full // max(footprint, 1))
    rows = min(INCACHE_SIZE, fits, full) // rowlen
    if rows == 0 or rows * rowlen < min(INCACHE_MIN, full):
        return None
    return (rows,) + tuple(shape[1:])


def run_in_cache(env, case, shape, dtype, mp, footprint):
    """Time the case's update on a copy small enough for the largest cache
    (at most ``INCACHE_SIZE`` elements, its arrays in half the cache) and
    record it as ``mxopt_incache``, scaled to the case's size: what the
    arithmetic costs when memory is not the limit.  An update whose in-cache
    time is already above its memory bound is limited by its arithmetic on
    this CPU (divisions, square roots, random numbers), not by the bus."""
    full = int(np.prod(shape))
    small = incache_shape(shape, footprint, env.cfg["llc_bytes"])
    if small is None:
        case.record("mxopt_incache", skipped="the largest cache (%.0f MiB) holds too few "
                    "elements" % (env.cfg["llc_bytes"] / 2 ** 20))
        return
    n = int(np.prod(small))
    rng = np.random.default_rng(12)
    w = random_dense(rng, small, dtype)
    g = random_dense(rng, small, dtype, 0.01)
    opt = mxopt.optimizer.create(case.optimizer, multi_precision=mp, **case.kwargs)
    state = opt.create_state_multi_precision(0, w)

    def step():
        opt.update_multi_precision(0, w, g, state)
    # several calls per sample: a sample of one short call would also time
    # the wake-up of the OpenMP threads after the pause before it
    samples = timed(env, step, number=max(8, full // n // 4),
                    warmup=max(2, env.cfg["warmup"]))
    case.extra["incache_elements"] = n
    case.record("mxopt_incache", [t * full / n for t in samples],
                what="mxopt on %d elements held in the cache, time scaled by %.1f" % (
                    n, full / n))


def make_tensors(count, shape, seed=5):
    rng = np.random.default_rng(seed)
    ws = [random_dense(rng, shape, F32) for _ in range(count)]
    gs = [random_dense(rng, shape, F32, 0.01) for _ in range(count)]
    return ws, gs


def run_multi(env, case):
    count, shape = case.extra["count"], case.extra["shape"]
    ws, gs = make_tensors(count, shape)
    opt = mxopt.optimizer.create("adam")
    if case.extra["via"] == "updater":
        updater = mxopt.optimizer.get_updater(opt)
        indices = list(range(count))

        def step():
            updater(indices, gs, ws)
        step()
        case.record("mxopt", timed(env, step), what="mxopt Updater over %d tensors" % count)
    else:
        if env.gluon is None:
            case.record("mxopt", skipped=env.gluon_reason)
            return
        step, before = make_trainer_step(env, ws, gs)
        if step is None:
            case.record("mxopt", skipped=before)
            return
        case.record("mxopt", timed(env, step, before=before),
                    what="mxopt gluon.Trainer.step over %d Parameters" % count)
    # weight r+w, gradient r, two moments r+w; no bound: the arrays fit in cache
    case.bytes = sum(w.nbytes * 2 + g.nbytes + 2 * 2 * w.nbytes for w, g in zip(ws, gs))
    case.notes.append("%.1f MB of arrays stay in cache: no memory bound" % (case.bytes / 2e6))
    # the baselines are the same for the Updater and the Trainer case: time once
    cached = env.multi_baselines.get((count, shape))
    if cached is not None:
        for who, (res, what) in cached.items():
            case.results[who] = res
            if what:
                case.baseline_names[who] = what
        return
    run_baseline(case, "torch", lambda: make_torch(env, "adam", opt, ws, gs), env)

    def numpy_multi():
        ref = NumpyRef(env, "adam", {})
        if ref.cls is None:
            return None, ref.reason
        r = ref.make()
        boxes = [[w.copy(), r.create_state(w)] for w in ws]

        def step():
            for i, (box, g) in enumerate(zip(boxes, gs)):
                box[0], box[1] = r.update(i, box[0], g, box[1])
        return step, "tests reference %s, a Python loop over %d tensors" % (
            ref.cls.__name__, count)
    run_baseline(case, "numpy", numpy_multi, env)
    env.multi_baselines[(count, shape)] = {
        who: (case.results[who], case.baseline_names.get(who)) for who in ("torch", "numpy")}


def make_trainer_step(env, ws, gs):
    """A Trainer.step over ``len(ws)`` mxopt gluon Parameters holding ``ws``
    with gradients ``gs``.  Returns (step, before): ``before`` (run untimed
    before each step, may be None) marks hand-written gradients fresh when
    the Trainer refuses stale ones; (None, reason) when it cannot run."""
    gluon = env.gluon
    try:
        params = []
        for i, (w, g) in enumerate(zip(ws, gs)):
            p = gluon.Parameter("p%d_weight" % i, shape=w.shape)
            p.initialize()
            p.set_data(w.copy())
            p.grad()[...] = g
            params.append(p)
        trainer = gluon.Trainer(params, "adam")
        first = np.array(params[0].data(), copy=True)
    except Exception as exc:
        return None, "mxopt.gluon Trainer setup failed: %s: %s" % (type(exc).__name__, exc)

    datas = [d for p in params for d in p.list_data()]

    def mark_fresh():
        for d in datas:
            d._fresh_grad = True

    def step():
        trainer.step(1)
    before = None
    try:
        step()
    except Exception as exc:
        try:
            mark_fresh()
            step()
        except Exception:
            return None, "Trainer.step failed: %s: %s" % (type(exc).__name__, exc)
        before = mark_fresh
    if np.array_equal(np.asarray(params[0].data()), first):
        return None, "Trainer.step did not change the weights"
    return step, before


def run_small(env, case):
    name, shape = case.optimizer, case.extra["shape"]
    cfg = env.cfg
    rng = np.random.default_rng(13)
    w = random_dense(rng, shape, F32)
    g = random_dense(rng, shape, F32, 0.01)
    opt = mxopt.optimizer.create(name, **case.kwargs)
    state = opt.create_state(0, w)
    update = opt.update

    def step():
        update(0, w, g, state)
    number = cfg["small_number"]
    tnumber = max(number // 4, 50)
    run_with_torch(env, case, step, "mxopt %s.update, one call" % type(opt).__name__,
                   lambda: make_torch(env, name, opt, [w], [g]), number=number,
                   torch_number=tnumber, pauses=False)  # one thread: nothing to let idle
    case.bytes = dense_traffic(w, g, state, False)

    def numpy_small():
        ref = NumpyRef(env, name, case.kwargs)
        if ref.cls is None:
            return None, ref.reason
        r = ref.make()
        box = [w.copy(), r.create_state(w)]

        def s():
            box[0], box[1] = r.update(0, box[0], g, box[1])
        return s, "tests reference %s" % ref.cls.__name__
    run_baseline(case, "numpy", numpy_small, env, number=tnumber)


def run_threads(env, case):
    shape = case.extra["shape"]
    rng = np.random.default_rng(17)
    w = random_dense(rng, shape, F32)
    g = random_dense(rng, shape, F32, 0.01)
    opt = mxopt.optimizer.create("adam")
    state = opt.create_state(0, w)
    case.bytes = dense_traffic(w, g, state, False)
    case.has_bound = True
    bw = env.bw_start
    case.notes.append("triad bandwidth with 1 thread %.2f GB/s, with %d threads %.2f GB/s"
                      % (bw["one_thread_best"] / 1e9, env.threads, bw["all_threads_best"] / 1e9))

    def step():
        opt.update(0, w, g, state)
    old = mxopt.get_num_threads()
    try:
        for nt in (1, 2):
            mxopt.set_num_threads(nt)
            case.record("mxopt_%dt" % nt, timed(env, step), what="mxopt with %d thread(s)" % nt)
    finally:
        mxopt.set_num_threads(old)
    case.results["mxopt"] = case.results["mxopt_2t"]
    if (os.cpu_count() or 1) < 2:
        case.notes.append("this machine has one core: 2 threads share it")


def run_sparse(env, case):
    name, shape, rows = case.optimizer, case.extra["shape"], case.extra["rows"]
    cfg = env.cfg
    problem = sparse_problem(env, shape, rows, cfg["sparse_variants"])
    rng = np.random.default_rng(19)
    w = random_dense(rng, shape, F32)
    opt = mxopt.optimizer.create(name, **case.kwargs)
    state = opt.create_state(0, w)
    make = env.row_sparse_array
    if make is not None:
        grads = [make((data, idx), shape=shape) for idx, data in problem]
        what = "mxopt %s.update, nd.sparse.row_sparse_array gradient" % type(opt).__name__
    else:
        grads = [RowSparse(data, idx, shape) for idx, data in problem]
        what = "mxopt %s.update, duck-typed row-sparse gradient" % type(opt).__name__
        case.notes.append("mxopt.nd.sparse.row_sparse_array missing: duck-typed gradient")
    case.bytes = sparse_traffic(w, problem[0][1], problem[0][0], state)
    case.has_bound = True
    # one dense step of the same optimizer on the same weight
    gd = random_dense(rng, shape, F32, 0.01)

    def dense_step():
        opt.update(0, w, gd, state)
    case.record("mxopt_dense", timed(env, dense_step, repeat=max(3, cfg["repeat"] // 2)),
                what="mxopt %s.update with a dense gradient" % type(opt).__name__)
    del gd
    gc.collect()
    if hasattr(opt, "mark_dirty"):
        # Ftrl: the first sparse step after a dense one (or a change of rate)
        # recomputes every row as MXNet does; later ones touch only the rows
        # present, since the others are then provably unchanged
        t0 = time.perf_counter()
        opt.update(0, w, grads[-1], state)
        case.notes.append("first sparse step after the dense ones: full pass over every row, "
                          "%s; the steps timed after it touch only the rows present"
                          % fmt_time(time.perf_counter() - t0))
    cycle = itertools.cycle(grads)

    def step():
        opt.update(0, w, next(cycle), state)
    case.record("mxopt", timed(env, step, number=len(grads), repeat=cfg["repeat"]), what=what)
    res = env.sparse_adam_torch((shape, problem))
    case.results["torch"] = res
    case.baseline_names["torch"] = "torch.optim.SparseAdam (same rows)"

    def numpy_rows():
        ref = NumpyRef(env, name, case.kwargs)
        if ref.cls is None:
            return None, ref.reason
        r = ref.make()
        if not hasattr(r, "rule"):
            return None, "reference %s has no rule()" % ref.cls.__name__
        wc = w.copy()
        st = r.create_state(wc)
        pcycle = itertools.cycle(problem)

        def s():
            idx, data = next(pcycle)
            t = r.count(0)
            lr, wd = r.lr_wd(0)
            new_w, new_s = r.rule(wc[idx], data, [a[idx] if a is not None else None
                                                  for a in st], t, lr, wd)
            wc[idx] = new_w
            for full, part in zip(st, new_s):
                if full is not None:
                    full[idx] = part
        s()
        return s, "tests reference %s.rule on the rows (fancy indexing)" % ref.cls.__name__
    run_baseline(case, "numpy", numpy_rows, env, number=len(grads))


RUNNERS = {"dense_f32": run_dense, "dense_f64": run_dense, "mp_f16": run_dense,
           "multi": run_multi, "small": run_small, "threads": run_threads,
           "sparse": run_sparse}


# ----------------------------------------------------------------- MXNet
def run_mxnet(env, cases):
    specs = [c.mxnet_spec() for c in cases if c.mxnet_spec() and "broken" not in c.extra]
    if not specs:
        return
    if env.mxnet_python is None:
        for c in cases:
            if c.mxnet_spec():
                c.record("mxnet", skipped="MXNet: %s" % env.mxnet_reason)
        return
    runner = os.path.join(HERE, "mxnet_runner.py")
    proc_env = dict(os.environ, OMP_NUM_THREADS=str(env.threads),
                    MXNET_CPU_WORKER_NTHREADS="1", PYTHONWARNINGS="ignore")
    log("MXNet %s: %d cases in %s ..." % (env.mxnet_version, len(specs), env.mxnet_python))
    t0 = time.time()
    try:
        proc = subprocess.run([env.mxnet_python, runner], input=json.dumps(
            {"threads": env.threads, "cases": specs}), capture_output=True, text=True,
            env=proc_env, timeout=env.cfg["mxnet_timeout"])
        out = json.loads(proc.stdout)
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        reason = "mxnet_runner failed: %s" % exc
        for c in cases:
            if c.mxnet_spec():
                c.record("mxnet", skipped=reason)
        return
    log("MXNet done (%.1f s)" % (time.time() - t0))
    results = out.get("results", {})
    for c in cases:
        spec = c.mxnet_spec()
        if not spec:
            continue
        r = results.get(spec["id"], {"skipped": out.get("error", "no result")})
        if "skipped" in r:
            c.results["mxnet"] = dict(r, skipped="MXNet: " + r["skipped"])  # keeps a traceback
        else:
            c.results["mxnet"] = r
            c.baseline_names["mxnet"] = "MXNet %s %s" % (
                out.get("mxnet_version"), {"dense": "Optimizer.update_multi_precision",
                                           "small": "Optimizer.update",
                                           "multi_updater": "get_updater(...) on lists",
                                           "multi_trainer": "gluon.Trainer.step",
                                           "sparse": "Optimizer.update, row_sparse grad"
                                           }.get(spec["kind"], spec["kind"]))


# ----------------------------------------------------------------- report
def fmt_ratio(r):
    if r is None:
        return "-"
    if r >= 100 or r < 0.01:
        return "x%.2g" % r
    return "x%.2f" % r


def cell(case, who):
    res = case.results.get(who)
    if res is None:
        return "-"
    if "skipped" in res:
        return "n/a"
    return "%s %s" % (fmt_time(res["median"]), fmt_ratio(case.ratio(who)))


def print_cases(cases):
    header = ("case", "size", "mxopt", "(best)", "MB/step", "bound", "in cache", "numpy",
              "torch", "mxnet")
    rows = []
    for c in cases:
        mine = c.results.get("mxopt", {})
        bound = "-" if c.bound is None else "%s %s" % (fmt_time(c.bound),
                                                       fmt_ratio(c.bound_ratio()))
        incache = c.time_of("mxopt_incache")
        incache = "-" if incache is None else "%s %s" % (fmt_time(incache),
                                                         fmt_ratio(c.incache_ratio()))
        rows.append((c.id, c.size_label,
                     fmt_time(mine.get("median")) if "median" in mine else "n/a",
                     "(%s)" % fmt_time(mine["min"]) if "min" in mine else "",
                     "-" if c.bytes is None else "%.3g" % (c.bytes / 1e6),
                     bound, incache, cell(c, "numpy"), cell(c, "torch"), cell(c, "mxnet")))
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = "  ".join("%-*s" % (wd, h) for wd, h in zip(widths, header))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join("%-*s" % (wd, v) for wd, v in zip(widths, r)))
    print()
    print("Times are medians; (best) is mxopt's fastest sample.  x = mxopt time / that "
          "baseline's time (below 1: mxopt faster); for torch, mxopt's time from samples "
          "taken in turns with it (see Notes).  bound = bytes moved / bandwidth, x = mxopt "
          "/ bound.  in cache = the same update on a copy that stays in the largest cache, "
          "its time scaled to the case's size (what the arithmetic costs), x = that / bound: "
          "above 1, the update is limited by its arithmetic on this CPU, not by memory.")
    print()
    print("Notes")
    for c in cases:
        extras = []
        for who in ("mxopt", "mxopt_incache", "numpy", "torch", "mxnet"):
            res = c.results.get(who)
            if res is not None and "skipped" in res:
                extras.append("%s skipped: %s" % (who, res["skipped"]))
        if c.group == "sparse" and c.time_of("mxopt_dense"):
            extras.insert(0, "dense step %s; sparse/dense %s" % (
                fmt_time(c.time_of("mxopt_dense")),
                fmt_ratio(c.time_of("mxopt") / c.time_of("mxopt_dense"))
                if c.time_of("mxopt") else "-"))
        if c.group == "threads" and c.time_of("mxopt_1t") and c.time_of("mxopt_2t"):
            extras.insert(0, "1 thread %s, 2 threads %s: speed-up %.2fx" % (
                fmt_time(c.time_of("mxopt_1t")), fmt_time(c.time_of("mxopt_2t")),
                c.time_of("mxopt_1t") / c.time_of("mxopt_2t")))
        if c.time_of("mxopt_paired") and c.time_of("torch"):
            extras.append("the PyTorch ratio is of samples taken in turns: mxopt %s, PyTorch %s"
                          % (fmt_time(c.time_of("mxopt_paired")), fmt_time(c.time_of("torch"))))
        if c.bound2 and c.time_of("mxopt"):
            extras.append("needs a global norm before writing: 2-pass bound %s (ratio %.2f), "
                          "the one the target uses" % (fmt_time(c.bound2),
                                                       c.time_of("mxopt") / c.bound2))
        for text in extras + c.notes:
            print("  %-22s %s" % (c.id, text))
    print()
    print("Baselines per case")
    seen = set()
    for c in cases:
        for who in ("numpy", "torch", "mxnet"):
            what = c.baseline_names.get(who)
            if what and (c.group, who, what) not in seen:
                seen.add((c.group, who, what))
                print("  %-22s %-6s %s" % (c.id, who, what))


class NotMeasured(Exception):
    """A target that cannot be judged in this run (the message says why)."""


def evaluate_targets(env, cases, selected_ids):
    """Every target of issue 6 and of the sparse issue.

    Each target is judged on the medians (the verdict) and, as a check on
    noise, on the best samples of the same contenders.  Returns rows of
    ``(target, value, status, best_value, best_status)``; a target that
    could not be judged has ``value == "-"`` and the reason as its status.
    """
    by_id = {c.id: c for c in cases}
    size = size_label(env.cfg["dense_size"])
    rows = []

    def case(cid, optimizer=None):
        if optimizer is not None and optimizer not in Optimizer.opt_registry:
            raise NotMeasured("n/a (%s not registered yet)" % optimizer)
        if cid not in selected_ids:
            raise NotMeasured("not run (--cases)")
        c = by_id.get(cid)
        if c is None:
            raise NotMeasured("not run")
        mine = c.results.get("mxopt")
        if mine is None or "skipped" in mine:
            raise NotMeasured("not measured: %s" % ((mine or {}).get("skipped") or
                                                    c.extra.get("broken") or "no result"))
        return c

    def ratio(c, who, stat):
        r = c.ratio(who, stat)
        if r is None:
            raise NotMeasured("n/a (%s)" % c.results.get(who, {}).get("skipped", "no result"))
        return r

    def judge(target, check):
        """``check(stat)`` -> (value text, ok)."""
        try:
            value, ok = check("median")
            best_value, best_ok = check("min")
        except NotMeasured as why:
            text = str(why)
            rows.append((target, "-", text if len(text) <= 90 else text[:87] + "...", "", ""))
            return
        rows.append((target, value, "met" if ok else "NOT met",
                     best_value, "met" if best_ok else "NOT met"))

    def vs_torch(cid, optimizer):
        def check(stat):
            r = ratio(case(cid, optimizer), "torch", stat)
            return "ratio %.2f" % r, r <= 1.0
        return check

    def vs_bound(cid, optimizer):
        def check(stat):
            c = case(cid, optimizer)
            r = c.bound_ratio(stat)
            rc = c.incache_ratio(stat, two_pass=True)
            incache = "" if rc is None else "; in cache %.2f" % rc
            if c.bound2:
                # a global norm first: two passes are the least traffic
                r2 = c.time_of("mxopt", stat) / c.bound2
                return ("ratio %.2f to 2 passes (1 pass: %.2f)%s" % (r2, r, incache),
                        r2 <= BOUND_LIMIT)
            return "ratio %.2f%s" % (r, incache), r <= BOUND_LIMIT
        return check

    def vs_mxnet(cid, optimizer):
        def check(stat):
            r = ratio(case(cid, optimizer), "mxnet", stat)
            return (("%.1fx faster" % (1.0 / r)) if r <= 1 else ("%.1fx slower" % r),
                    1.0 / r >= MXNET_SPEEDUP)
        return check

    def per_call(cid, optimizer):
        def check(stat):
            t = case(cid, optimizer).time_of("mxopt", stat)
            return "%.2f us" % (t * 1e6), t <= SMALL_LIMIT
        return check

    def threads(stat):
        c = case("threads:adam", "adam")
        t1, t2 = c.time_of("mxopt_1t", stat), c.time_of("mxopt_2t", stat)
        b = t2 / c.bound
        return ("speed-up %.2fx, 2 threads %.2fx bound" % (t1 / t2, b),
                t1 / t2 >= THREAD_SPEEDUP or b <= BOUND_LIMIT)

    def sparse_vs_dense(cid, optimizer):
        def check(stat):
            c = case(cid, optimizer)
            dense = c.time_of("mxopt_dense", stat)
            r = c.time_of("mxopt", stat) / dense
            return (("1/%.0f of %s" % (1 / r, fmt_time(dense))) if r < 1 else
                    ("%.1fx a dense step (%s)" % (r, fmt_time(dense))), r <= SPARSE_FRACTION)
        return check

    registry = sorted(Optimizer.opt_registry)
    for name in TORCH_TARGETS:
        judge("dense f32 %s %s <= PyTorch fused" % (size, name),
              vs_torch("dense_f32:%s" % name, name))
    for name in registry:
        judge("dense f32 %s %s <= %.1fx memory bound" % (size, name, BOUND_LIMIT),
              vs_bound("dense_f32:%s" % name, name))
    for name in registry:
        judge("dense f32 %s %s >= %gx faster than MXNet" % (size, name, MXNET_SPEEDUP),
              vs_mxnet("dense_f32:%s" % name, name))
    for name in ("adam", "sgd"):
        judge("f16 multi-precision %s %s <= %.1fx memory bound" % (size, name, BOUND_LIMIT),
              vs_bound("mp_f16:%s" % name, name))
    for via, label in (("trainer", "Trainer.step"), ("updater", "Updater (supporting)")):
        judge("%dx%d Adam via %s <= PyTorch fused" % (
            env.cfg["multi_count"], env.cfg["multi_size"], label),
            vs_torch("multi:%s" % via, "adam"))
    for name in ("adam", "sgd"):
        judge("one %d-element %s Optimizer.update <= %g us" % (
            env.cfg["small_size"], name, SMALL_LIMIT * 1e6), per_call("small:%s" % name, name))
    judge("%s Adam: 2 threads vs 1 >= %.1fx, or at the bandwidth bound"
          % (size, THREAD_SPEEDUP), threads)
    for name, _, label in SPARSE_CASES:
        judge("sparse %s <= 1/%d of a dense step" % (label, round(1 / SPARSE_FRACTION)),
              sparse_vs_dense("sparse:%s" % name, name))
        judge("sparse %s <= torch SparseAdam" % label, vs_torch("sparse:%s" % name, name))
    return rows


def print_targets(rows):
    header = ("target", "value (medians)", "status", "on best samples")
    skipped = [r for r in rows if r[2] == "not run (--cases)"]
    table = [(t, v, s, ("%s, %s" % (bv, bs)) if bv else "") for t, v, s, bv, bs in rows
             if s != "not run (--cases)"]
    if not table:
        print("no target's case was selected")
        return
    widths = [max(len(r[i]) for r in table + [header]) for i in range(3)]
    line = "%-*s  %-*s  %-*s  %s" % (widths[0], header[0], widths[1], header[1],
                                     widths[2], header[2], header[3])
    print(line)
    print("-" * len(line))
    for t, v, s, b in table:
        print(("%-*s  %-*s  %-*s  %s" % (widths[0], t, widths[1], v, widths[2], s, b)).rstrip())
    met = sum(1 for r in rows if r[2] == "met")
    missed = sum(1 for r in rows if r[2] == "NOT met")
    flips = sum(1 for r in rows if r[4] and r[2] != r[4])
    print("%d met, %d NOT met, %d not measured%s (verdicts on medians; %d would change on "
          "the best samples - a sign of noise)"
          % (met, missed, len(rows) - met - missed - len(skipped),
             ", %d not run (--cases)" % len(skipped) if skipped else "", flips))


def print_compute_bound(cases):
    """Name the dense cases that miss the memory-bound target although their
    in-cache run (:func:`run_in_cache`) misses it too: memory tuning cannot
    reach that target on this CPU."""
    names = []
    for c in cases:
        t = c.time_of("mxopt")
        bound = c.bound2 or c.bound
        rc = c.incache_ratio(two_pass=True)
        if t is not None and bound and rc is not None and t / bound > BOUND_LIMIT \
                and rc > BOUND_LIMIT:
            names.append("%s (in cache %.2fx the bound)" % (c.id, rc))
    if names:
        print("Over %.1fx the memory bound with their arrays in cache too - limited by "
              "arithmetic on this CPU, not by memory: %s" % (BOUND_LIMIT, ", ".join(names)))


def write_plot(path, cases):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("--plot: matplotlib is not installed (pip install matplotlib); no chart written")
        return
    labels, series = [], {"memory bound": [], "numpy": [], "torch": [], "mxnet": []}
    for c in cases:
        if c.time_of("mxopt") is None:
            continue
        labels.append(c.id)
        series["memory bound"].append(c.bound_ratio())
        for who in ("numpy", "torch", "mxnet"):
            series[who].append(c.ratio(who))
    if not labels:
        print("--plot: nothing measured; no chart written")
        return
    fig, ax = plt.subplots(figsize=(10, 0.38 * len(labels) * 1.6 + 1.5))
    height = 0.2
    ys = np.arange(len(labels))
    for k, (who, values) in enumerate(series.items()):
        vals = [v if v else np.nan for v in values]
        ax.barh(ys + (k - 1.5) * height, vals, height=height, label="mxopt / " + who)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.axvline(BOUND_LIMIT, color="grey", linewidth=0.8, linestyle="--")
    ax.set_xscale("log")
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("time ratio, mxopt / baseline (log scale; left of 1 = mxopt faster)")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("mxopt benchmark ratios (load average %s)" % loadavg())
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print("chart written to %s" % path)


def loadavg():
    try:
        return "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "?"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="small sizes and few repeats: a smoke run of under a minute")
    ap.add_argument("--json", metavar="OUT.json", help="write the raw numbers here")
    ap.add_argument("--plot", metavar="OUT.png", help="write a bar chart of the ratios")
    ap.add_argument("--cases", nargs="+", metavar="PATTERN",
                    help="case ids, groups or globs (e.g. dense_f32 'sparse:*' adam); "
                         "--list shows them")
    ap.add_argument("--mxnet-python", metavar="PATH",
                    help="python of an environment with MXNet 1.9.1 (default: "
                         "$MXOPT_BENCH_MXNET_PYTHON, else /opt/mxvenv/bin/python if present; "
                         "'none' to skip)")
    ap.add_argument("--repeat", type=int, help="timed samples per contender (median reported)")
    ap.add_argument("--threads", type=int,
                    help="threads for mxopt, torch and MXNet (default: mxopt's current count)")
    ap.add_argument("--no-torch", action="store_true", help="skip the PyTorch baseline")
    ap.add_argument("--list", action="store_true", help="list the case ids and exit")
    args = ap.parse_args(argv)

    cfg = dict(QUICK if args.quick else FULL)
    # the triad's three arrays together: 4x the largest cache (1x for --quick),
    # so the bandwidth is the memory bus's, not a cache's
    cfg["llc_bytes"] = last_level_cache_bytes()
    factor = 1 if args.quick else 4
    cfg["triad_size"] = min(max(cfg["triad_size"], factor * cfg["llc_bytes"] // 12), 1 << 28)
    if args.repeat:
        cfg["repeat"] = max(1, args.repeat)
    if args.threads:
        mxopt.set_num_threads(args.threads)
    started = time.time()
    env = Env(args, cfg)
    # the imported libraries' objects (torch's are many) never die: keep them
    # out of the collections run between cases
    gc.collect()
    gc.freeze()
    cases = build_cases(env)
    if args.list:
        for c in cases:
            print("%-22s %s" % (c.id, c.label))
        return 0
    selected = select_cases(cases, args.cases)
    if not selected:
        print("no case matches %s; --list shows the ids" % " ".join(args.cases))
        return 2
    selected_ids = {c.id for c in selected}

    print("mxopt benchmark suite%s" % (" (--quick: smaller sizes, not the targets' sizes)"
                                       if args.quick else ""))
    print("  mxopt %s, numpy %s, Python %s, %s; %d cores, mxopt threads %d (OpenMP %s)"
          % (mxopt.__version__, np.__version__, platform.python_version(), platform.machine(),
             os.cpu_count() or 0, env.threads,
             "yes" if getattr(mxopt._kernels, "HAVE_OPENMP", False) else "no"))
    print("  largest CPU cache %.0f MiB; load average at start: %s"
          % (cfg["llc_bytes"] / 2 ** 20, loadavg()))
    print("  registered optimizers (%d): %s" % (len(Optimizer.opt_registry),
                                                ", ".join(sorted(Optimizer.opt_registry))))
    print("Baselines found:")
    print("  memory bound : %s" % (
        "mxopt._kernels.stream_triad (parallel, 12 B/element)" if env.triad is not None else
        "FALLBACK: mxopt._kernels.stream_triad is missing (rebuild mxopt); NumPy two-pass "
        "triad, single-threaded, counted as 20 B/element - the bound is only approximate"))
    print("  numpy        : %s" % (
        "tests/reference*.py for %s" % ", ".join(sorted(n for n in env.refs
                                                       if n in Optimizer.opt_registry))
        if env.refs else "none (%s)" % env.refs_note))
    if env.refs_note and env.refs:
        print("                 (%s)" % env.refs_note)
    print("  torch        : %s" % ("torch %s, %d threads" % (env.torch.__version__,
                                                            env.torch.get_num_threads())
                                   if env.torch else env.torch_reason))
    print("  mxnet        : %s" % ("MXNet %s via %s" % (env.mxnet_version, env.mxnet_python)
                                   if env.mxnet_python else "not used: %s" % env.mxnet_reason))
    print("  gluon        : %s" % ("mxopt.gluon present" if env.gluon else env.gluon_reason))
    print("  row-sparse   : %s" % ("mxopt.nd.sparse.row_sparse_array"
                                   if env.row_sparse_array else "duck-typed gradient object"))
    sys.stdout.flush()

    env.bw_start = env.measure_all_bandwidth()
    env.bandwidth = env.bw_start["bound"]
    bw = env.bw_start
    print("Memory bandwidth (triad, 3 x %d float32, best of %d): %.2f GB/s with %d threads, "
          "%.2f GB/s with 1 (medians %.2f, %.2f); so far the best is %.2f GB/s (checked again "
          "between cases and at the end)"
          % (cfg["triad_size"], cfg["triad_repeat"], bw["all_threads_best"] / 1e9, env.threads,
             bw["one_thread_best"] / 1e9, bw["all_threads_median"] / 1e9,
             bw["one_thread_median"] / 1e9, env.bandwidth / 1e9))
    adam_bytes = 16 * cfg["dense_size"]  # float32 weight, gradient, two moments
    if adam_bytes < cfg["llc_bytes"]:
        print("Note: a %s-element float32 Adam case holds %.0f MB of arrays, less than the "
              "%.0f MiB cache this CPU reports (shared with its other cores): dense times "
              "below the memory bound are possible" % (size_label(cfg["dense_size"]),
                                                       adam_bytes / 1e6,
                                                       cfg["llc_bytes"] / 2 ** 20))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if load > 0.5 * (os.cpu_count() or 1):
        print("WARNING: load average %.1f on %d cores - other processes compete for the cores "
              "and the memory bus; parallel timings (and ratios) are unreliable" %
              (load, os.cpu_count() or 1))
    print()
    sys.stdout.flush()

    run_mxnet(env, selected)
    for c in selected:
        if "broken" in c.extra:
            c.record("mxopt", skipped="cannot run: %s" % c.extra["broken"])
            continue
        t0 = time.time()
        if c.group in BOUND_GROUPS and not args.quick:
            env.spot_bandwidth()
        try:
            RUNNERS[c.group](env, c)
        except Exception as exc:
            c.record("mxopt", skipped="%s: %s" % (type(exc).__name__, exc))
        gc.collect()
        log("  %-22s %s  (%.1f s)" % (c.id, fmt_time(c.time_of("mxopt")), time.time() - t0))

    env.bw_end = env.measure_all_bandwidth()
    # load only ever slows the triad down: the bounds use the best rate seen
    env.bandwidth = max([env.bw_start["bound"], env.bw_end["bound"]] + env.bw_spots)
    for c in selected:
        if c.has_bound and c.bytes:
            c.bound = c.bytes / env.bandwidth
        if c.bytes2:
            c.bound2 = c.bytes2 / env.bandwidth
    print_cases(selected)
    print()
    rates = [env.bw_start["bound"], env.bw_end["bound"]] + env.bw_spots
    spread = min(rates) / max(rates)
    print("Bandwidth: %.2f GB/s at start, %.2f GB/s at end%s; the bounds use the best, "
          "%.2f GB/s%s"
          % (env.bw_start["bound"] / 1e9, env.bw_end["bound"] / 1e9,
             ", %d checks between cases %.2f-%.2f GB/s" % (
                 len(env.bw_spots), min(env.bw_spots) / 1e9, max(env.bw_spots) / 1e9)
             if env.bw_spots else "",
             env.bandwidth / 1e9,
             "  (the slowest was %.0f%% of it: the machine's load varied, ratios are noisy)"
             % (spread * 100) if spread < 0.85 else ""))
    print("Load average at end: %s; total %.0f s" % (loadavg(), time.time() - started))
    print()
    rows = evaluate_targets(env, cases, selected_ids)
    print("Targets (issue 6; issue 4 item 5)%s" % (
        " - --quick sizes, indicative only" if args.quick else ""))
    print_targets(rows)
    print_compute_bound(selected)

    if args.json:
        doc = {"quick": args.quick, "config": cfg, "threads": env.threads,
               "mxopt_version": mxopt.__version__, "numpy_version": np.__version__,
               "python": platform.python_version(), "cpu_count": os.cpu_count(),
               "load_average": loadavg(),
               "bandwidth": {"bound_Bps": env.bandwidth, "start": env.bw_start,
                             "end": env.bw_end, "between_cases_best_Bps": env.bw_spots,
                             "kernel": "stream_triad" if env.triad else "numpy fallback"},
               "baselines": {"torch": env.torch.__version__ if env.torch else None,
                             "mxnet": env.mxnet_version, "mxnet_python": env.mxnet_python,
                             "numpy_references": sorted(env.refs),
                             "gluon": env.gluon is not None},
               "registered": sorted(Optimizer.opt_registry),
               "cases": [c.to_json() for c in selected],
               "targets": [{"target": t, "value": v, "status": st, "best_value": bv,
                            "best_status": bs} for t, v, st, bv, bs in rows]}
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
        print("raw numbers written to %s" % args.json)
    if args.plot:
        write_plot(args.plot, selected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
