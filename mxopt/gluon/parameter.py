"""``Parameter``, ``Constant`` and ``ParameterDict``: the weights of Gluon blocks,
with MXNet 1.9.1's names, initialization (deferred included), contexts and
files.

A :class:`Parameter` holds one copy of its array per context it was
initialized on (``initialize(ctx=[mx.cpu(0), mx.cpu(1)])``), each with a
gradient buffer unless ``grad_req='null'``.  The copies are the arrays that
autograd differentiates with respect to: a forward pass on context ``c``
uses ``param.data(c)`` and backward writes ``param.grad(c)``.

Parameter files are MXNet's binary NDArray format (``mxopt.serialization``),
so files written by MXNet 1.9.1's ``save_parameters``/``ParameterDict.save``
load here and files written here load in MXNet.

Where mxopt differs from MXNet 1.9.1
------------------------------------
* Loading checks every name, shape and dtype before it changes anything and
  reports all the problems in one ``ValueError``; MXNet stops at the first
  (an ``AssertionError``) after having loaded the parameters before it.
* Misuse that MXNet reports with ``assert`` (incompatible shapes, mismatching
  attributes in :meth:`ParameterDict.get`, ...) raises ``ValueError`` (or
  ``RuntimeError``/``TypeError`` where MXNet raises those), which survives
  ``python -O``.
* Sparse *weight* storage (``stype='row_sparse'``/``'csr'``) needs MXNet's
  kvstore machinery and is not supported: ``initialize`` raises
  ``NotImplementedError``.  Sparse *gradients* (``grad_stype='row_sparse'``,
  e.g. ``nn.Embedding(sparse_grad=True)``) are.
* :meth:`Parameter.var` raises ``NotImplementedError``: mxopt has no symbolic API.
"""
import numbers
import os
import warnings
from collections import OrderedDict

import numpy as np

from mxopt import autograd, initializer
from mxopt.base import MXNetError
from mxopt.context import Context, cpu, current_context
from mxopt.gluon.utils import _brief_print_list, _indent, shape_is_known
from mxopt.optimizer import _dispatch

__all__ = ["DeferredInitializationError", "Parameter", "Constant", "ParameterDict",
           "tensor_types"]

_VALID_STYPES = ("default", "row_sparse", "csr")
_VALID_GRAD_REQS = ("write", "add", "null")


def _nd():
    from mxopt import nd
    return nd


class DeferredInitializationError(MXNetError):
    """A parameter whose initialization was deferred is used before its shape is known."""


def _tensor_types():
    return (_nd().NDArray,)


#: The array types a Block's forward accepts (``(NDArray,)``; mxopt has no Symbol).
tensor_types = _tensor_types()


def _normalize_shape(shape, name):
    if shape is None:
        return None
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        return (int(shape),)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError("`shape` of Parameter '%s' must be an int or a tuple of ints, "
                        "received %r" % (name, shape))
    out = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral):
            raise TypeError("`shape` of Parameter '%s' must be an int or a tuple of ints, "
                            "received %r" % (name, shape))
        if d < -1:
            raise ValueError("`shape` of Parameter '%s' holds a negative size: %r"
                             % (name, shape))
        out.append(int(d))
    return tuple(out)


def _check_dtype(dtype, name):
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError("`dtype` of Parameter '%s' must name a NumPy data type, received %r"
                        % (name, dtype))


def _as_ctx_list(ctx):
    if ctx is None:
        return [current_context()]
    if isinstance(ctx, Context):
        return [ctx]
    try:
        ctx = list(ctx)
    except TypeError:
        raise TypeError("`ctx` must be a Context or a list of Contexts, received %r" % (ctx,))
    if not ctx:
        raise ValueError("`ctx` must hold at least one Context, received an empty list")
    for c in ctx:
        if not isinstance(c, Context):
            raise TypeError("`ctx` must be a Context or a list of Contexts, received an "
                            "element %r" % (c,))
    return ctx


def _load_ndarray_file(filename):
    """Read an MXNet NDArray file: a dict (or list) of NDArrays."""
    return _nd().load(filename)


def _save_ndarray_file(filename, data):
    """Write a dict of arrays in MXNet's NDArray format."""
    _nd().save(filename, data)


def _dense_values(arr):
    """The values of a loaded array as a plain ndarray (sparse ones densified)."""
    if getattr(arr, "stype", "default") != "default":
        return np.asarray(arr.asnumpy())
    return np.ndarray.view(arr, np.ndarray) if isinstance(arr, np.ndarray) else np.asarray(arr)


class _ValueInit(initializer.Initializer):
    """Copies a fixed value (the initializer of a :class:`Constant`)."""

    def __init__(self, value):
        super(_ValueInit, self).__init__()
        self._value = value

    def _init_weight(self, _, arr):
        np.ndarray.view(arr, np.ndarray)[...] = np.ndarray.view(self._value, np.ndarray)

    def dumps(self):
        return initializer.Constant(self._value.asnumpy().tolist()).dumps()


class Parameter(object):
    """A weight of a Block: one array (and gradient buffer) per context.

    Parameters
    ----------
    name : str
        The full name (MXNet 1.x style, e.g. ``'dense0_weight'``).
    grad_req : {'write', 'add', 'null'}, default 'write'
        How backward treats the gradient buffer: overwrite it, add to it (call
        :meth:`zero_grad` yourself), or keep no gradient at all.
    shape : int or tuple of int, optional
        A 0 marks a dimension not known yet (inferred at the first forward
        pass when `allow_deferred_init` is True).
    dtype : str or numpy.dtype, default numpy.float32
    lr_mult, wd_mult : float, default 1.0
        Multipliers of the optimizer's learning rate and weight decay for this
        parameter; a :class:`~mxopt.gluon.Trainer` reads them at every step,
        so changing them later takes effect.
    init : Initializer or str, optional
        This parameter's initializer (otherwise the one given to
        :meth:`initialize`).
    allow_deferred_init : bool, default False
        Let :meth:`initialize` wait until the shape is known.
    differentiable : bool, default True
        False forces ``grad_req='null'``.
    stype : {'default', 'row_sparse', 'csr'}, default 'default'
        Storage of the weight (only ``'default'`` can be initialized).
    grad_stype : {'default', 'row_sparse', 'csr'}, default 'default'
        Storage of the gradient (``'row_sparse'`` for sparse updates).

    Attributes
    ----------
    grad_req, lr_mult, wd_mult, init, name

    Examples
    --------
    >>> import mxopt as mx
    >>> w = mx.gluon.Parameter('fc_weight', shape=(2, 3), init=mx.init.One())
    >>> w.initialize(ctx=mx.cpu(0))
    >>> w.data().asnumpy()
    array([[1., 1., 1.],
           [1., 1., 1.]], dtype=float32)
    >>> w.grad().shape
    (2, 3)
    """

    def __init__(self, name, grad_req="write", shape=None, dtype=np.float32,
                 lr_mult=1.0, wd_mult=1.0, init=None, allow_deferred_init=False,
                 differentiable=True, stype="default", grad_stype="default"):
        if not isinstance(name, str):
            raise TypeError("`name` of a Parameter must be a str, received %r" % (name,))
        self._var = None
        self._data = None
        self._grad = None
        self._ctx_list = None
        self._ctx_map = None
        self._trainer = None
        self._deferred_init = ()
        self._differentiable = differentiable
        self._allow_deferred_init = allow_deferred_init
        self._grad_req = None
        self._shape = _normalize_shape(shape, name)
        self.name = name
        _check_dtype(dtype, name)
        self._dtype = dtype
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        if grad_stype not in _VALID_STYPES:
            raise ValueError("grad_stype for Parameter '%s' must be one of 'default', "
                             "'row_sparse', or 'csr', but got '%s'" % (name, grad_stype))
        if stype not in _VALID_STYPES:
            raise ValueError("stype for Parameter '%s' must be one of 'default', "
                             "'row_sparse', or 'csr', but got '%s'" % (name, stype))
        self._grad_stype = grad_stype
        self._stype = stype
        self.grad_req = grad_req
        self.init = init

    def __repr__(self):
        return "Parameter {name} (shape={shape}, dtype={dtype})".format(
            name=self.name, shape=self.shape, dtype=self.dtype)

    # -- attributes ------------------------------------------------------------

    @property
    def grad_req(self):
        """{'write', 'add', 'null'} : How backward writes the gradient.

        Setting ``'null'`` drops the gradient buffers; setting another value
        on an initialized parameter allocates new zero buffers.
        """
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req):
        if req not in _VALID_GRAD_REQS:
            raise ValueError("grad_req must be one of 'write', 'add', or 'null', but got '%s'"
                             % (req,))
        if not self._differentiable:
            req = "null"
        if self._grad_req == req:
            return
        self._grad_req = req
        if req == "null" and self._grad is not None:
            self._grad = None
            self._data = [d.detach() for d in self._data]
        elif self._data is not None:
            self._init_grad()

    @property
    def dtype(self):
        """The data type; setting it casts the values (see :meth:`cast`)."""
        return self._dtype

    @dtype.setter
    def dtype(self, dtype):
        self.cast(dtype)

    @property
    def shape(self):
        """tuple of int or None : The shape (0 marks an unknown dimension).

        A new shape must agree with the known dimensions.
        """
        return self._shape

    @shape.setter
    def shape(self, new_shape):
        new_shape = _normalize_shape(new_shape, self.name)
        if self._shape is None:
            self._shape = new_shape
            return
        if new_shape is None or len(self._shape) != len(new_shape) or \
                not all(j in (-1, 0, i) for i, j in zip(new_shape, self._shape)):
            raise ValueError("Expected shape %s is incompatible with given shape %s "
                             "(Parameter '%s')" % (str(new_shape), str(self._shape), self.name))
        self._shape = new_shape

    @property
    def stype(self):
        """str : The storage type of the weight."""
        return self._stype

    @property
    def grad_stype(self):
        """str : The storage type of the gradient."""
        return self._grad_stype

    def _set_trainer(self, trainer):
        if self._stype != "default" and self._trainer and trainer and \
                self._trainer is not trainer:
            raise RuntimeError(
                "Failed to set the trainer for Parameter '%s' because it was already set. "
                "More than one trainers for a %s Parameter is not supported."
                % (self.name, self._stype))
        self._trainer = trainer

    # -- access ------------------------------------------------------------------

    def _check_and_get(self, arr_list, ctx):
        if arr_list is not None:
            if ctx is list:
                return arr_list
            if ctx is None:
                if len(arr_list) == 1:
                    return arr_list[0]
                ctx = current_context()
            if not isinstance(ctx, Context):
                raise TypeError("`ctx` must be a Context, received %r" % (ctx,))
            ctx_list = self._ctx_map[ctx.device_typeid & 1]
            if ctx.device_id < len(ctx_list):
                idx = ctx_list[ctx.device_id]
                if idx is not None:
                    return arr_list[idx]
            raise RuntimeError("Parameter '%s' was not initialized on context %s. It was only "
                               "initialized on %s." % (self.name, str(ctx), str(self._ctx_list)))
        if self._deferred_init:
            raise DeferredInitializationError(
                "Parameter '%s' has not been initialized yet because initialization was "
                "deferred. Actual initialization happens during the first forward pass. "
                "Please pass one batch of data through the network before accessing "
                "Parameters. You can also avoid deferred initialization by specifying "
                "in_units, num_features, etc., for network layers." % self.name)
        raise RuntimeError(
            "Parameter '%s' has not been initialized. Note that you should initialize "
            "parameters and create Trainer with Block.collect_params() instead of "
            "Block.params because the later does not include Parameters of nested child "
            "Blocks" % self.name)

    def data(self, ctx=None):
        """The copy on `ctx`: the array that forward uses and backward differentiates.

        Parameters
        ----------
        ctx : Context, optional
            Needed only when there are several copies (default: the current
            context).

        Returns
        -------
        NDArray

        Raises
        ------
        RuntimeError
            Not initialized (or not on `ctx`).
        DeferredInitializationError
            Initialization waits for the first forward pass.
        """
        if self._stype != "default":
            raise RuntimeError("Cannot return a copy of Parameter '%s' on ctx %s via data() "
                               "because its storage type is %s. Please use row_sparse_data() "
                               "instead." % (self.name, str(ctx), self._stype))
        return self._check_and_get(self._data, ctx)

    def list_data(self):
        """All copies, in the order of the contexts.

        Returns
        -------
        list of NDArray
        """
        if self._stype != "default":
            raise RuntimeError("Cannot return copies of Parameter '%s' on all contexts via "
                               "list_data() because its storage type is %s. Please use "
                               "row_sparse_data() instead." % (self.name, self._stype))
        return self._check_and_get(self._data, list)

    def grad(self, ctx=None):
        """The gradient buffer on `ctx`.

        Returns
        -------
        NDArray or RowSparseNDArray

        Raises
        ------
        RuntimeError
            With ``grad_req='null'`` or before initialization.
        """
        if self._data is not None and self._grad is None:
            raise RuntimeError("Cannot get gradient array for Parameter '%s' because "
                               "grad_req='null'" % self.name)
        return self._check_and_get(self._grad, ctx)

    def list_grad(self):
        """All gradient buffers, in the order of :meth:`list_data`.

        Returns
        -------
        list of NDArray or RowSparseNDArray
        """
        if self._data is not None and self._grad is None:
            raise RuntimeError("Cannot get gradient array for Parameter '%s' because "
                               "grad_req='null'" % self.name)
        return self._check_and_get(self._grad, list)

    def list_ctx(self):
        """The contexts this parameter is (or will be, when deferred) initialized on.

        Returns
        -------
        list of Context
        """
        if self._data is None:
            if self._deferred_init:
                return self._deferred_init[1]
            raise RuntimeError("Parameter '%s' has not been initialized" % self.name)
        return self._ctx_list

    def row_sparse_data(self, row_id):
        """Rows of a ``'row_sparse'`` parameter (not supported: see the module notes).

        Raises
        ------
        RuntimeError
            For a parameter with dense storage, as in MXNet.
        """
        if self._stype != "row_sparse":
            raise RuntimeError("Cannot return a copy of Parameter %s via row_sparse_data() "
                               "because its storage type is %s. Please use data() instead."
                               % (self.name, self._stype))
        raise NotImplementedError("row_sparse weight storage is not supported by mxopt")

    def list_row_sparse_data(self, row_id):
        """Rows of a ``'row_sparse'`` parameter on all contexts (see :meth:`row_sparse_data`)."""
        if self._stype != "row_sparse":
            raise RuntimeError("Cannot return copies of Parameter '%s' on all contexts via "
                               "list_row_sparse_data() because its storage type is %s. Please "
                               "use data() instead." % (self.name, self._stype))
        raise NotImplementedError("row_sparse weight storage is not supported by mxopt")

    # -- initialization -----------------------------------------------------------

    def initialize(self, init=None, ctx=None, default_init=initializer.Uniform(),
                   force_reinit=False):
        """Allocate and fill the copies (and zero gradient buffers).

        Parameters
        ----------
        init : Initializer or str, optional
            Overrides :attr:`init` and `default_init`.
        ctx : Context or list of Context, optional
            One copy per context (default: the current context).
        default_init : Initializer or str, default ``Uniform(0.07)``
            Used when neither `init` nor :attr:`init` is set.
        force_reinit : bool, default False
            Re-initialize an initialized parameter (otherwise it warns and
            keeps its values).

        Raises
        ------
        ValueError
            The shape is not known and deferred initialization is not allowed.
        NotImplementedError
            Sparse weight storage.

        Examples
        --------
        >>> import mxopt as mx
        >>> w = mx.gluon.Parameter('w', shape=(2,))
        >>> w.initialize(init='ones', ctx=[mx.cpu(0), mx.cpu(1)])
        >>> [str(c) for c in w.list_ctx()]
        ['cpu(0)', 'cpu(1)']
        """
        if self._data is not None and not force_reinit:
            warnings.warn("Parameter '%s' is already initialized, ignoring. Set "
                          "force_reinit=True to re-initialize." % self.name, stacklevel=2)
            return
        ctx = _as_ctx_list(ctx)
        if init is None:
            init = default_init if self.init is None else self.init
        if init is None:
            raise ValueError("Cannot initialize Parameter '%s': it has no initializer and "
                             "no default initializer was given" % self.name)
        initializer.create(init)  # refuse an unknown initializer before any change
        if self._stype != "default":
            raise NotImplementedError(
                "Parameter '%s' has stype=%r: sparse weight storage is not supported by "
                "mxopt; keep the weight dense and use grad_stype='row_sparse' (e.g. "
                "nn.Embedding(sparse_grad=True)) for sparse updates" % (self.name, self._stype))
        if self._grad_stype == "csr":
            raise NotImplementedError("Parameter '%s' has grad_stype='csr', which mxopt does "
                                      "not support; use 'row_sparse'" % self.name)
        self._data = self._grad = None
        if not shape_is_known(self.shape):
            if self._allow_deferred_init:
                self._deferred_init = (init, ctx, default_init, None)
                return
            raise ValueError("Cannot initialize Parameter '%s' because it has invalid shape: "
                             "%s." % (self.name, str(self.shape)))
        self._deferred_init = (init, ctx, default_init, None)
        self._finish_deferred_init()

    def _finish_deferred_init(self):
        """Initialize now that the shape is known."""
        if not self._deferred_init:
            return
        init, ctx, default_init, data = self._deferred_init
        if not shape_is_known(self.shape):
            raise ValueError("Cannot initialize Parameter '%s' because it has invalid shape: "
                             "%s. Please specify in_units, in_channels, etc for `Block`s."
                             % (self.name, str(self.shape)))
        self._deferred_init = ()
        nd = _nd()
        with autograd.pause():
            if data is None:
                data = nd.zeros(self.shape, dtype=self.dtype, ctx=cpu())
                initializer.create(default_init)(
                    initializer.InitDesc(self.name, {"__init__": init}), data)
            self._init_impl(data, ctx)

    def _init_impl(self, data, ctx_list):
        """Make one copy of `data` per context and allocate the gradients."""
        self._ctx_list = list(ctx_list)
        self._ctx_map = [[], []]
        for i, ctx in enumerate(self._ctx_list):
            dev_list = self._ctx_map[ctx.device_typeid & 1]
            while len(dev_list) <= ctx.device_id:
                dev_list.append(None)
            dev_list[ctx.device_id] = i
        nd = _nd()
        values = _dense_values(data)
        self._data = [nd.array(values, ctx=ctx, dtype=values.dtype) for ctx in self._ctx_list]
        self._init_grad()

    def _init_grad(self):
        """Allocate zero gradient buffers and mark the copies for autograd."""
        if self.grad_req == "null":
            self._grad = None
            return
        nd = _nd()
        if self._grad_stype == "row_sparse":
            self._grad = [nd.zeros(d.shape, ctx=d.context, dtype=d.dtype, stype="row_sparse")
                          for d in self._data]
        else:
            self._grad = [nd.zeros(d.shape, ctx=d.context, dtype=d.dtype) for d in self._data]
        autograd.mark_variables(self._check_and_get(self._data, list), self._grad,
                                self.grad_req)

    def _reduce(self):
        """The mean of the copies, on the CPU (what is saved)."""
        block = self.list_data()
        nd = _nd()
        if len(block) == 1:
            return nd.array(np.ndarray.view(block[0], np.ndarray), ctx=cpu(),
                            dtype=block[0].dtype)
        total = np.array(np.ndarray.view(block[0], np.ndarray), copy=True)
        for w in block[1:]:
            total += np.ndarray.view(w, np.ndarray)
        total /= np.asarray(len(block), dtype=total.dtype)
        return nd.array(total, ctx=cpu(), dtype=total.dtype)

    def reset_ctx(self, ctx):
        """Move the parameter to other contexts (the copies' mean is kept).

        Parameters
        ----------
        ctx : Context or list of Context
        """
        ctx = _as_ctx_list(ctx)
        if self._data:
            data = self._reduce()
            with autograd.pause():
                self._init_impl(data, ctx)
        elif self._deferred_init:
            init, _, default_init, data = self._deferred_init
            self._deferred_init = (init, ctx, default_init, data)
        else:
            raise ValueError("Cannot reset context for Parameter '%s' because it has not "
                             "been initialized." % self.name)

    def set_data(self, data):
        """Set the value of every copy.

        Parameters
        ----------
        data : NDArray or array-like
            Of the parameter's shape (unknown dimensions are taken from it).
        """
        nd = _nd()
        if not hasattr(data, "shape"):
            data = nd.array(data, dtype=self.dtype)
        self.shape = tuple(data.shape)
        if self._data is None:
            if not self._deferred_init:
                raise RuntimeError("Parameter '%s' has not been initialized" % self.name)
            self._deferred_init = self._deferred_init[:3] + (data,)
            return
        values = _dense_values(data)
        for arr in self._check_and_get(self._data, list):
            np.ndarray.view(arr, np.ndarray)[...] = values
        _dispatch.weights_written()

    def zero_grad(self):
        """Set the gradient buffers to 0 (nothing happens without them)."""
        if self._grad is None:
            return
        for g in self._grad:
            if getattr(g, "stype", "default") == "row_sparse":
                _nd().zeros_like(g, out=g)
            else:
                np.ndarray.view(g, np.ndarray)[...] = 0

    def var(self):
        """MXNet's symbolic variable of this parameter.

        Raises
        ------
        NotImplementedError
            Always: mxopt has no symbolic API.
        """
        raise NotImplementedError("Parameter.var(): mxopt has no symbolic API (Symbol); use "
                                  "Parameter.data() with NDArrays")

    def cast(self, dtype):
        """Cast the copies and their gradients to `dtype`.

        Parameters
        ----------
        dtype : str or numpy.dtype
        """
        _check_dtype(dtype, self.name)
        self._dtype = dtype
        if self._data is None:
            return
        with autograd.pause():
            self._data = [d.detach().astype(dtype) for d in self._data]
            if self._grad is None:
                return
            self._grad = [g.astype(dtype) for g in self._grad]
            autograd.mark_variables(self._data, self._grad, self.grad_req)

    # -- loading ------------------------------------------------------------------

    def _load_problems(self, data, ctx, cast_dtype):
        """Why `data` cannot be loaded into this parameter (empty list: it can)."""
        problems = []
        shape = self.shape
        if shape:
            if len(shape) != len(data.shape) or \
                    not all(s in (0, -1, d) for s, d in zip(shape, data.shape)):
                problems.append("Parameter '%s': shape incompatible expected %s vs saved %s"
                                % (self.name, str(shape), str(tuple(data.shape))))
        if self.dtype is not None and not cast_dtype and \
                np.dtype(self.dtype) != np.dtype(data.dtype):
            problems.append("Parameter '%s': dtype incompatible expected %s vs saved %s "
                            "(set cast_dtype=True to cast the dtype of saved params)"
                            % (self.name, np.dtype(self.dtype), np.dtype(data.dtype)))
        if ctx is not None:
            ctx = _as_ctx_list(ctx)
            if self._data is None and self._deferred_init:
                current = self._deferred_init[1]
            elif self._data is not None:
                current = self._ctx_list
            else:
                current = None
            if current is not None and set(ctx) != set(current):
                problems.append("Parameter '%s': cannot load on %s because it was previously "
                                "initialized on %s" % (self.name, str(ctx), str(current)))
        return problems

    def _load_init(self, data, ctx, cast_dtype=False, dtype_source="current"):
        """(Re)initialize from loaded `data` (checked with :meth:`_load_problems`)."""
        if dtype_source not in ("current", "saved"):
            raise ValueError("`dtype_source` must be 'current' or 'saved', received %r"
                             % (dtype_source,))
        problems = self._load_problems(data, ctx, cast_dtype)
        if problems:
            raise ValueError("Failed loading Parameter '%s' from saved params: %s"
                             % (self.name, "; ".join(problems)))
        if self.shape:
            self.shape = tuple(s if s not in (0, -1) else d
                               for s, d in zip(self.shape, data.shape))
        values = _dense_values(data)
        if self.dtype is not None and np.dtype(self.dtype) != values.dtype:
            if dtype_source == "current":
                values = values.astype(self.dtype)
            else:
                self.cast(values.dtype)
        if ctx is not None:
            ctx = _as_ctx_list(ctx)
        if self._data is None:
            if self._deferred_init:
                ctx = self._deferred_init[1]
            elif ctx is None:
                ctx = [cpu()]
            with autograd.pause():
                self._init_impl(values, ctx)
        else:
            self.set_data(values)
        self._deferred_init = ()


class Constant(Parameter):
    """A parameter that training never changes (``grad_req`` is always ``'null'``).

    Parameters
    ----------
    name : str
    value : array-like
        The value (float32 unless an NDArray of another dtype is given).

    Examples
    --------
    >>> import mxopt as mx
    >>> c = mx.gluon.Constant('const', [[1, 2], [3, 4]])
    >>> c.initialize()
    >>> c.data().asnumpy().tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    """

    def __init__(self, name, value):
        nd = _nd()
        if not isinstance(value, nd.NDArray):
            value = nd.array(value)
        self.value = value
        super(Constant, self).__init__(name, grad_req="null", shape=value.shape,
                                       dtype=value.dtype, init=_ValueInit(value))

    def __repr__(self):
        return "Constant {name} (shape={shape}, dtype={dtype})".format(
            name=self.name, shape=self.shape, dtype=self.dtype)

    @property
    def grad_req(self):
        """str : Always ``'null'`` (other values are ignored with a warning)."""
        return "null"

    @grad_req.setter
    def grad_req(self, req):
        if req != "null":
            warnings.warn('Constant parameter "{}" does not support grad_req other than "null", '
                          'and new value "{}" is ignored.'.format(self.name, req),
                          stacklevel=2)


class ParameterDict(object):
    """An ordered dictionary of parameters whose names share a prefix.

    Parameters
    ----------
    prefix : str, default ''
        Prepended to the names of the parameters :meth:`get` creates.
    shared : ParameterDict, optional
        :meth:`get` first looks parameters up here (parameter sharing).

    Examples
    --------
    >>> import mxopt as mx
    >>> params = mx.gluon.ParameterDict('net_')
    >>> w = params.get('weight', shape=(2, 3))
    >>> w.name, list(params.keys())
    ('net_weight', ['net_weight'])
    """

    def __init__(self, prefix="", shared=None):
        if not isinstance(prefix, str):
            raise TypeError("`prefix` must be a str, received %r" % (prefix,))
        if shared is not None and not isinstance(shared, ParameterDict):
            raise TypeError("`shared` must be a ParameterDict or None, received %s"
                            % type(shared).__name__)
        self._prefix = prefix
        self._params = OrderedDict()
        self._shared = shared

    def __repr__(self):
        name = self._prefix + " " if self._prefix else ""
        content = "\n".join([_indent("  {0}".format(v), 2) for v in self.values()])
        return "{name}(\n{content}\n)".format(name=name, content=content)

    def __getitem__(self, key):
        return self._params[key]

    def __iter__(self):
        return iter(self._params)

    def __len__(self):
        return len(self._params)

    def __contains__(self, key):
        return key in self._params

    def items(self):
        """The (name, Parameter) pairs, in insertion order."""
        return self._params.items()

    def keys(self):
        """The full parameter names, in insertion order."""
        return self._params.keys()

    def values(self):
        """The parameters, in insertion order."""
        return self._params.values()

    @property
    def prefix(self):
        """str : Prepended to the names :meth:`get` creates."""
        return self._prefix

    def _get_impl(self, name):
        if name in self._params:
            return self._params[name]
        if self._shared is not None and name in self._shared._params:
            self._params[name] = self._shared._params[name]
            return self._shared._params[name]
        return None

    def get(self, name, **kwargs):
        """The parameter ``prefix + name``: found here, in the shared dict, or created.

        Parameters
        ----------
        name : str
            The name without the prefix.
        **kwargs
            :class:`Parameter` arguments.  For an existing parameter they must
            agree with its attributes (an unknown dimension, 0, agrees with
            any size and is filled in).

        Returns
        -------
        Parameter

        Raises
        ------
        ValueError
            An existing parameter's attribute differs from the one requested.
        """
        name = self.prefix + name
        param = self._get_impl(name)
        if param is None:
            param = Parameter(name, **kwargs)
            self._params[name] = param
            return param
        for k, v in kwargs.items():
            if hasattr(param, k) and getattr(param, k) is not None:
                existing = getattr(param, k)
                if k == "shape" and v is not None:
                    v = _normalize_shape(v, name)
                    if len(v) == len(existing):
                        inferred = []
                        matched = True
                        for dim1, dim2 in zip(v, existing):
                            if dim1 != dim2 and dim1 > 0 and dim2 > 0:
                                matched = False
                                break
                            inferred.append(dim2 if dim1 in (0, -1) else dim1)
                        if matched:
                            param._shape = tuple(inferred)
                            continue
                elif k == "dtype" and v is not None and np.dtype(v) == np.dtype(existing):
                    continue
                if v is not None and not _same(v, existing):
                    raise ValueError("Cannot retrieve Parameter '%s' because desired attribute "
                                     "does not match with stored for attribute '%s': desired "
                                     "'%s' vs stored '%s'." % (name, k, str(v), str(existing)))
            else:
                setattr(param, k, v)
        return param

    def get_constant(self, name, value=None):
        """The :class:`Constant` ``prefix + name``: found, or created from `value`.

        Parameters
        ----------
        name : str
        value : array-like, optional
            Needed to create it; compared with an existing constant.

        Returns
        -------
        Constant
        """
        name = self.prefix + name
        param = self._get_impl(name)
        if param is None:
            if value is None:
                raise KeyError("No constant named '{}'. Please specify value if you want to "
                               "create a new constant.".format(name))
            param = Constant(name, value)
            self._params[name] = param
        elif value is not None:
            if not isinstance(param, Constant):
                raise ValueError("Parameter '{}' already exists but it is not a constant."
                                 .format(name))
            if hasattr(value, "asnumpy"):
                value = value.asnumpy()
            value = np.asarray(value)
            if param.shape != value.shape or not (param.value.asnumpy() == value).all():
                raise ValueError("Constant '{}' already exists but its value doesn't match new "
                                 "value".format(name))
        return param

    def update(self, other):
        """Add the parameters of `other` (a name may only map to the same parameter).

        Parameters
        ----------
        other : ParameterDict or dict
        """
        for k, v in other.items():
            if k in self._params and self._params[k] is not v:
                raise ValueError("Cannot update self with other because they have different "
                                 "Parameters with the same name '%s'" % k)
        for k, v in other.items():
            self._params[k] = v

    def initialize(self, init=initializer.Uniform(), ctx=None, verbose=False,
                   force_reinit=False):
        """Initialize every parameter (see :meth:`Parameter.initialize`).

        Parameters
        ----------
        init : Initializer or str, default ``Uniform(0.07)``
            For parameters without their own initializer.
        ctx : Context or list of Context, optional
        verbose : bool, default False
            Log a statistic of each initialized array.
        force_reinit : bool, default False
        """
        if verbose:
            init = initializer.create(init)
            init.set_verbosity(verbose=verbose)
        for _, v in self.items():
            v.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self):
        """Set every gradient buffer to 0."""
        for p in self.values():
            if p.grad_req == "null" or p._grad is None:
                continue
            p.zero_grad()

    def reset_ctx(self, ctx):
        """Move every parameter to `ctx` (see :meth:`Parameter.reset_ctx`)."""
        for p in self.values():
            p.reset_ctx(ctx)

    def list_ctx(self):
        """The contexts the parameters are initialized on.

        Returns
        -------
        list of Context
        """
        s = set()
        for p in self.values():
            s.update(p.list_ctx())
        return list(s)

    def setattr(self, name, value):
        """Set an attribute of every parameter, e.g. ``setattr('grad_req', 'null')``.

        Parameters
        ----------
        name : str
        value : object
        """
        for p in self.values():
            setattr(p, name, value)

    def save(self, filename, strip_prefix=""):
        """Write the parameters to an MXNet NDArray file, keyed by full name.

        Parameters
        ----------
        filename : str
        strip_prefix : str, default ''
            Removed from every name (each name must start with it).
        """
        for param in self.values():
            if not param.name.startswith(strip_prefix):
                raise ValueError(
                    "Prefix '%s' is to be striped before saving, but Parameter's name '%s' does "
                    "not start with '%s'. this may be due to your Block shares parameters from "
                    "other Blocks or you forgot to use 'with name_scope()' when creating child "
                    "blocks." % (strip_prefix, param.name, strip_prefix))
        arg_dict = {}
        for param in self.values():
            arg_dict[param.name[len(strip_prefix):]] = param._reduce()
        _save_ndarray_file(filename, arg_dict)

    def load(self, filename, ctx=None, allow_missing=False, ignore_extra=False,
             restore_prefix="", cast_dtype=False, dtype_source="current"):
        """Load parameters from an MXNet NDArray file.

        Parameters
        ----------
        filename : str
        ctx : Context or list of Context, optional
            Where to initialize parameters that are not initialized yet
            (default: the CPU).
        allow_missing : bool, default False
            Leave parameters missing from the file as they are.
        ignore_extra : bool, default False
            Ignore arrays of the file that match no parameter.
        restore_prefix : str, default ''
            Prepended to the names in the file.
        cast_dtype : bool, default False
            Accept saved arrays of another dtype.
        dtype_source : {'current', 'saved'}, default 'current'
            With `cast_dtype`, which dtype wins.

        Raises
        ------
        ValueError
            Missing, extra or mismatched parameters (all of them listed);
            nothing is loaded then.
        """
        if restore_prefix:
            for name in self.keys():
                if not name.startswith(restore_prefix):
                    raise ValueError("restore_prefix is '%s' but Parameters name '%s' does not "
                                     "start with '%s'" % (restore_prefix, name, restore_prefix))
        loaded = _load_ndarray_file(filename)
        self.load_dict(loaded, ctx, allow_missing, ignore_extra, restore_prefix, filename,
                       cast_dtype, dtype_source)

    def load_dict(self, param_dict, ctx=None, allow_missing=False, ignore_extra=False,
                  restore_prefix="", filename=None, cast_dtype=False, dtype_source="current"):
        """Load parameters from a dict of arrays (see :meth:`load`).

        Parameters
        ----------
        param_dict : dict of str to NDArray
            Names may carry MXNet's ``arg:``/``aux:`` prefixes.
        """
        if dtype_source not in ("current", "saved"):
            raise ValueError("`dtype_source` must be 'current' or 'saved', received %r"
                             % (dtype_source,))
        if not isinstance(param_dict, dict):
            raise ValueError("the parameters to load must be a dict of name to array (the "
                             "file %s holds a list)" % (filename,))
        lprefix = len(restore_prefix)
        arg_dict = {}
        for k, v in param_dict.items():
            if k.startswith("arg:") or k.startswith("aux:"):
                k = k[4:]
            arg_dict[restore_prefix + k] = v
        source = "file: %s" % filename if filename else "param_dict"
        problems = []
        if not allow_missing:
            for name in self.keys():
                if name not in arg_dict:
                    problems.append("Parameter '%s' is missing in %s, which contains "
                                    "parameters: %s. Set allow_missing=True to ignore missing "
                                    "parameters." % (name[lprefix:], source,
                                                     _brief_print_list(arg_dict.keys())))
        for name, value in arg_dict.items():
            if name not in self._params:
                if not ignore_extra:
                    problems.append("Parameter '%s' loaded from %s is not present in "
                                    "ParameterDict, choices are: %s. Set ignore_extra to True "
                                    "to ignore." % (name[lprefix:], source,
                                                    _brief_print_list(self._params.keys())))
                continue
            problems.extend(self._params[name]._load_problems(value, ctx, cast_dtype))
        _raise_load_problems(problems, filename)
        for name, value in arg_dict.items():
            if name in self._params:
                self._params[name]._load_init(value, ctx, cast_dtype=cast_dtype,
                                              dtype_source=dtype_source)


def _same(a, b):
    try:
        result = a == b
        if isinstance(result, np.ndarray):
            return bool(result.all())
        return bool(result)
    except Exception:  # pylint: disable=broad-except
        return a is b


def _raise_load_problems(problems, filename):
    if not problems:
        return
    where = "file '%s'" % os.fspath(filename) if filename is not None else "param_dict"
    if len(problems) == 1:
        raise ValueError(problems[0] + " Nothing was loaded.")
    raise ValueError("Cannot load parameters from %s (nothing was loaded):\n  %s"
                     % (where, "\n  ".join(problems)))
