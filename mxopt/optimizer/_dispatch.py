"""The functional layer between the optimizer classes and the kernels.

The classes do bookkeeping (counts, learning rates, weight decays, states);
this module validates arrays and picks the compiled loop by gradient storage
type (dense, row-sparse, CSR) and weight precision (float32, float64, float16
with or without a float32 master copy).  Every check here runs before any
kernel is called, so a call that fails leaves weights and states untouched.
"""
import numpy as np
import scipy.sparse

from mxopt import _kernels
from mxopt.base import DTypeError, MXNetError, ShapeError

__all__ = ["GradRows", "momentum_state", "momentum_plan", "check_weight", "prepare_grad", "check_state_array",
           "precision_mode", "run_dense", "run_rows", "kernel_function", "weights_written",
           "write_epoch"]

_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)
_INT64 = np.dtype(np.int64)
_kernel_cache = {}
_write_epoch = [0]


def weights_written():
    """Note that weights were overwritten outside the optimizers (Gluon's
    ``set_data``, initialisation and loading call this): optimizers that
    skip provably unchanged rows (Ftrl) then recompute every row once."""
    _write_epoch[0] += 1


def write_epoch():
    """How many times :func:`weights_written` was called."""
    return _write_epoch[0]


def kernel_function(name):
    """The compiled function ``mxopt._kernels.<name>`` (cached lookup)."""
    fn = _kernel_cache.get(name)
    if fn is None:
        fn = getattr(_kernels, name)
        _kernel_cache[name] = fn
    return fn


class GradRows(object):
    """A validated sparse gradient: the rows present and their values.

    ``data`` is a C-contiguous ``(k, row_size)`` array in the weight's dtype
    and ``indices`` a sorted, unique int64 array of row numbers.
    """
    __slots__ = ("data", "indices")

    def __init__(self, data, indices):
        self.data = data
        self.indices = indices


def check_weight(weight, name="weight"):
    """Refuse weights the kernels cannot update in place."""
    if not isinstance(weight, np.ndarray):
        raise TypeError("`%s` must be a numpy.ndarray (or mxopt NDArray), received %s"
                        % (name, type(weight).__name__))
    if weight.dtype not in _FLOATS:
        raise DTypeError("`%s` must be float16, float32 or float64, received %s"
                         % (name, weight.dtype))
    if not weight.flags.c_contiguous:
        raise ValueError("`%s` must be C-contiguous to be updated in place; "
                         "received a non-contiguous array of shape %s" % (name, weight.shape))
    if not weight.flags.writeable:
        raise ValueError("`%s` is read-only; the optimizer updates weights in place" % name)
    return weight


def _is_row_sparse(grad):
    return getattr(grad, "stype", None) == "row_sparse" and hasattr(grad, "indices")


def prepare_grad(weight, grad, name="grad"):
    """Validate ``grad`` against ``weight``.

    Returns a C-contiguous dense array (never the caller's array modified), or
    a :class:`GradRows` for a row-sparse or CSR gradient.
    """
    if isinstance(grad, np.ndarray):
        if grad.shape != weight.shape:
            raise ShapeError("`%s` has shape %s but the weight has shape %s"
                             % (name, grad.shape, weight.shape))
        if grad.dtype != weight.dtype:
            raise DTypeError("`%s` has dtype %s but the weight has dtype %s"
                             % (name, grad.dtype, weight.dtype))
        if not grad.flags.c_contiguous:
            grad = np.ascontiguousarray(grad)
        return grad
    if _is_row_sparse(grad):
        return _rows_from_row_sparse(weight, grad, name)
    if scipy.sparse.issparse(grad):
        return _rows_from_csr(weight, grad, name)
    raise TypeError("`%s` must be a numpy array, a row-sparse array or a scipy.sparse "
                    "CSR matrix, received %s" % (name, type(grad).__name__))


def _check_sparse_shape(weight, shape, name):
    if tuple(shape) != weight.shape:
        raise ShapeError("`%s` has logical shape %s but the weight has shape %s"
                         % (name, tuple(shape), weight.shape))
    if weight.ndim == 0:
        raise ShapeError("a sparse `%s` needs a weight with at least one dimension" % name)


def _check_indices(indices, nrows, name):
    if indices.ndim != 1:
        raise ShapeError("`%s.indices` must be 1-D, received shape %s" % (name, indices.shape))
    if indices.size:
        if indices[0] < 0 or indices[-1] >= nrows:
            bad = indices[(indices < 0) | (indices >= nrows)]
            raise IndexError("`%s.indices` holds row %d, outside [0, %d)"
                             % (name, int(bad[0]) if bad.size else int(indices[-1]), nrows))
        if indices.size > 1 and not bool(np.all(indices[1:] > indices[:-1])):
            raise ValueError("`%s.indices` must be sorted and unique" % name)
        # sorted + ends in range => all in range; negative check covers wrap
        if indices.min() < 0:
            raise IndexError("`%s.indices` holds a negative row" % name)


def _rows_from_row_sparse(weight, grad, name):
    _check_sparse_shape(weight, grad.shape, name)
    indices = np.asarray(grad.indices)
    if indices.dtype.kind not in "iu":
        raise DTypeError("`%s.indices` must be integers, received %s" % (name, indices.dtype))
    indices = np.ascontiguousarray(indices, dtype=_INT64)
    data = np.asarray(grad.data)
    if data.dtype != weight.dtype:
        raise DTypeError("`%s.data` has dtype %s but the weight has dtype %s"
                         % (name, data.dtype, weight.dtype))
    expected = (indices.shape[0],) + weight.shape[1:]
    if data.shape != expected:
        raise ShapeError("`%s.data` has shape %s; %d rows of a weight of shape %s need %s"
                         % (name, data.shape, indices.shape[0], weight.shape, expected))
    _check_indices(indices, weight.shape[0], name)
    data = np.ascontiguousarray(data).reshape(indices.shape[0], _row_size(weight))
    return GradRows(data, indices)


def _rows_from_csr(weight, grad, name):
    if weight.ndim != 2:
        raise ShapeError("a CSR `%s` needs a 2-D weight, the weight has shape %s"
                         % (name, weight.shape))
    _check_sparse_shape(weight, grad.shape, name)
    if grad.format != "csr":
        raise TypeError("`%s` is a scipy.sparse %s matrix; only CSR is accepted"
                        % (name, grad.format))
    if grad.dtype != weight.dtype:
        raise DTypeError("`%s` has dtype %s but the weight has dtype %s"
                         % (name, grad.dtype, weight.dtype))
    indptr = np.asarray(grad.indptr)
    rows = np.flatnonzero(indptr[1:] > indptr[:-1]).astype(_INT64)
    # only the stored rows are expanded: k x ncols, never nrows x ncols
    data = np.zeros((rows.shape[0], weight.shape[1]), dtype=weight.dtype)
    if rows.size:
        sub = grad[rows]
        coo = sub.tocoo()
        np.add.at(data, (coo.row, coo.col), coo.data)
    return GradRows(data, rows)


def check_state_array(weight, arr, name, dtype=None):
    """A state array must match the weight's shape, have ``dtype`` (default
    the weight's) and be writable and C-contiguous."""
    if dtype is None:
        dtype = weight.dtype
    if not isinstance(arr, np.ndarray):
        raise TypeError("state `%s` must be a numpy array, received %s"
                        % (name, type(arr).__name__))
    if arr.shape != weight.shape:
        raise ShapeError("state `%s` has shape %s but the weight has shape %s"
                         % (name, arr.shape, weight.shape))
    if arr.dtype != dtype:
        raise DTypeError("state `%s` has dtype %s, expected %s" % (name, arr.dtype, dtype))
    if not arr.flags.c_contiguous or not arr.flags.writeable:
        raise ValueError("state `%s` must be a writable C-contiguous array" % name)
    return arr


def precision_mode(weight, master):
    """'f32', 'f64', 'h16' (float16 computed in float) or 'mp' (float16
    weight with a float32 master copy)."""
    dt = weight.dtype
    if dt == _F16:
        return "mp" if master is not None else "h16"
    return "f32" if dt == _F32 else "f64"


def run_dense(kernel, mode, weights, grads, states, masters, hyper):
    """One multi-tensor kernel call over validated dense tensors.

    ``states[i]`` lists tensor i's state arrays in rule order; ``hyper[i]`` is
    the tuple of tensor i's scalars (lr, wd, rescale, clip, rule extras).
    """
    fn = _multi_cache.get((kernel, mode))
    if fn is None:
        fn = _multi_cache[(kernel, mode)] = kernel_function("%s_multi_%s" % (kernel, mode))
    fn(weights, grads, states, masters, hyper)


_multi_cache = {}


def _as_bits(arr):
    return arr.view(np.uint16) if arr.dtype == _F16 else arr


def _row_size(arr):
    size = 1
    for d in arr.shape[1:]:
        size *= d
    return size


def _rows2d(arr):
    if arr.ndim == 2:
        return arr
    return arr.reshape(arr.shape[0], _row_size(arr))


def run_rows(kernel, mode, lazy, weight, rows, states, master, scalars):
    """Row-sparse update of one tensor: lazy (rows present only) or standard
    (every row, absent rows with a zero gradient)."""
    suffix = "" if mode in ("f32", "f64") else "_" + mode
    fn = kernel_function("%s_%s%s" % (kernel, "rows" if lazy else "rows_std", suffix))
    w2 = _as_bits(_rows2d(weight))
    g2 = _as_bits(rows.data)
    if mode == "mp":
        arrays = [_rows2d(master)] + [_rows2d(s) for s in states]
    else:
        arrays = [_as_bits(_rows2d(s)) for s in states]
    if g2.shape[1] != w2.shape[1]:
        raise MXNetError("internal: row width mismatch")  # pragma: no cover
    fn(w2, g2, rows.indices, *arrays, *scalars)


def momentum_state(weight, momentum):
    """The state of a momentum optimizer (SGD, NAG, Signum): a zero momentum
    buffer in the weight's dtype, or None when ``momentum`` is 0 (MXNet's
    layout)."""
    if momentum != 0.0:
        return np.zeros(weight.shape, dtype=weight.dtype)
    return None


def momentum_plan(owner, state, plain_kernel, momentum_kernel):
    """``_kernel_plan`` of a :func:`momentum_state`: the plain rule without a
    buffer, the momentum rule with one."""
    if state is None:
        return plain_kernel, []
    if not isinstance(state, np.ndarray):
        raise TypeError("%s's state must be None or the momentum array, received %s"
                        % (owner, type(state).__name__))
    return momentum_kernel, [(state, "mom")]
