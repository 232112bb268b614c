"""The optimizer base class: registry, update counts, learning-rate and
weight-decay lookup, multi-precision states, validation and the generic
kernel-driven update shared by every built-in optimizer."""
import inspect
import logging
import numbers
import os
import warnings

import numpy as np

from mxopt import _kernels
from mxopt.base import check_number
from mxopt.optimizer import _dispatch
from mxopt.optimizer import _keras
from mxopt.optimizer._dispatch import GradRows

__all__ = ["Optimizer", "register", "create"]

_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)


def _default_aggregate_num():
    """How many tensors the built-in optimizers take per aggregated call.

    MXNet reads ``MXNET_OPTIMIZER_AGGREGATION_SIZE`` (default 4) for SGD; mxopt
    honours that variable when it is set and otherwise hands whole dtype groups
    (up to 4096 tensors) to its multi-tensor kernels: the numbers are the same,
    the per-call overhead is not.
    """
    value = os.environ.get("MXOPT_OPTIMIZER_AGGREGATION_SIZE",
                           os.environ.get("MXNET_OPTIMIZER_AGGREGATION_SIZE"))
    return int(value) if value else 4096


class Optimizer(object):
    """Base class of all optimizers (MXNet 1.9.1's ``mx.optimizer.Optimizer``).

    Parameters
    ----------
    rescale_grad : float, default 1.0
        Every gradient is multiplied by this before use (``Trainer`` sets it to
        ``1 / batch_size``).
    param_idx2name : dict of int to str, optional
        Parameter names by index.  Names that end neither in ``_weight`` nor in
        ``_gamma`` get a weight-decay multiplier of 0.
    wd : float, default 0.0
        L2 weight decay, added to the gradient as ``wd * weight``.
    clip_gradient : float, optional
        Clip the (rescaled) gradient to ``[-clip_gradient, clip_gradient]``;
        ``None`` or 0 turns clipping off.
    learning_rate : float, optional
        The learning rate (0.01 when neither it nor ``lr_scheduler`` is given).
    lr_scheduler : LRScheduler, optional
        Computes the learning rate from the update count.
    sym : object, optional
        Accepted for signature compatibility; mxopt has no symbols.
    begin_num_update : int, default 0
        The update count to start from.
    multi_precision : bool, default False
        Keep a float32 master copy of float16 weights and update it, writing
        the rounded result back to the float16 weight in the same pass.
    param_dict : dict, optional
        Index to object with ``lr_mult``/``wd_mult`` attributes (gluon
        ``Parameter``); consulted first by the multiplier lookup.
    use_fused_step : bool, optional
        MXNet 2.0's switch between fused and unfused updates.  mxopt always
        runs its fused kernels; both give the same numbers.
    clipnorm : float, optional
        Keras option: scale each (rescaled) gradient tensor to L2 norm at
        most ``clipnorm``.
    global_clipnorm : float, optional
        Keras option: scale all the gradients of one update (through an
        ``Updater`` or ``gluon.Trainer``: of one step) to a joint L2 norm of
        at most ``global_clipnorm``.
    clipvalue : float, optional
        Keras's name for ``clip_gradient`` (give one of the two).
    weight_decay : float, optional
        Keras option: decoupled weight decay, ``w -= lr * weight_decay * w``
        before the step (independent of MXNet's ``wd``).
    use_ema : bool, default False
        Keras option: keep a moving average of the weights in the state
        (see :meth:`finalize_variable_values`).
    ema_momentum : float, default 0.99
        Momentum of the moving average, in [0, 1).
    ema_overwrite_frequency : int, optional
        Copy the averages into the weights every this many updates.
    gradient_accumulation_steps : int, optional
        Keras option: step every N-th call with the mean of the N gradients.
    loss_scale_factor : float, optional
        Keras option: gradients are divided by it before use.

    Notes
    -----
    Learning rate and weight decay of index ``i`` are looked up as in MXNet:
    ``param_dict[i].lr_mult`` if ``i`` is in ``param_dict``, else
    ``lr_mult[i]``, else ``lr_mult[idx2name[i]]``, else 1.

    ``learning_rate`` may also be an :class:`~mxopt.lr_scheduler.LRScheduler`
    (it becomes ``lr_scheduler``) or a callable without arguments returning
    the rate, evaluated once per update call (such an optimizer has no
    JSON configuration: :meth:`get_config` raises ``TypeError``).

    The Keras options are all off by default; with them off the update is
    exactly MXNet's.  With ``use_ema`` or ``gradient_accumulation_steps > 1``
    the states made by :meth:`create_state_multi_precision` are
    ``(state, extras)``.

    Every optimizer accepts these options; :doc:`/keras` (the page "Options
    from TensorFlow and Keras") describes them with an example each.
    """

    opt_registry = {}
    #: constraint table checked in ``__init__``: attribute -> keyword args
    #: of :func:`mxopt.base.check_number`
    _constraints = {}
    #: kernel to use instead of a rule's own when the gradient is row-sparse
    #: or CSR (where MXNet runs a different kernel for sparse gradients)
    _sparse_kernels = {}
    #: False where MXNet's multi-precision kernel has no sparse form and falls
    #: back to a dense update (SGD's mp_sgd_update): row-sparse gradients then
    #: follow the standard (dense) semantics in multi-precision mode
    _lazy_multi_precision = True
    #: multi-precision state order: ``(master, inner)`` (MXNet's base order)
    #: or ``(inner, master)`` (SGD, NAG and LARS)
    _mp_master_first = True

    # Keras options (off); class-level so optimizers built without __init__
    # (MXNet pickles) have them too
    clipnorm = None
    global_clipnorm = None
    clipvalue = None
    weight_decay = None
    use_ema = False
    ema_momentum = 0.99
    ema_overwrite_frequency = None
    gradient_accumulation_steps = None
    loss_scale_factor = None
    _lr_fn = None

    def __new__(cls, *args, **kwargs):
        # the constructor call is kept for get_config()
        obj = super(Optimizer, cls).__new__(cls)
        obj._init_call = (args, dict(kwargs))
        return obj

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # help() and IDEs read the constructor's signature, not __new__'s
        init = inspect.signature(cls.__init__)
        cls.__signature__ = init.replace(parameters=list(init.parameters.values())[1:])

    def __init__(self, rescale_grad=1., param_idx2name=None, wd=0.,
                 clip_gradient=None, learning_rate=None, lr_scheduler=None,
                 sym=None, begin_num_update=0, multi_precision=False,
                 param_dict=None, use_fused_step=None, clipnorm=None, global_clipnorm=None,
                 clipvalue=None, weight_decay=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, gradient_accumulation_steps=None,
                 loss_scale_factor=None, **kwargs):
        if kwargs:
            raise TypeError("%s got unexpected keyword argument(s): %s"
                            % (type(self).__name__, ", ".join(sorted(kwargs))))
        check_number("rescale_grad", rescale_grad)
        check_number("wd", wd)
        check_number("clip_gradient", clip_gradient, allow_none=True)
        lr_fn = None
        if learning_rate is not None and not isinstance(learning_rate, numbers.Real):
            from mxopt.lr_scheduler import LRScheduler
            if isinstance(learning_rate, LRScheduler):
                if lr_scheduler is not None:
                    raise ValueError("`learning_rate` is an LRScheduler and `lr_scheduler` "
                                     "is given too; pass only one of them")
                lr_scheduler, learning_rate = learning_rate, None
            elif callable(learning_rate):
                lr_fn = learning_rate
                learning_rate = _keras._call_lr(lr_fn)
        check_number("learning_rate", learning_rate, low=0, allow_none=True)
        _keras.validate_options(clipnorm, global_clipnorm, clipvalue, clip_gradient,
                                weight_decay, use_ema, ema_momentum, ema_overwrite_frequency,
                                gradient_accumulation_steps, loss_scale_factor)
        if clipvalue is not None:
            clip_gradient = clipvalue
        check_number("begin_num_update", begin_num_update, low=0, integer=True)
        if param_idx2name is None:
            param_idx2name = {}
        if not isinstance(param_idx2name, dict):
            raise TypeError("`param_idx2name` must be a dict of parameter indexes to names, "
                            "received %s" % type(param_idx2name).__name__)
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if lr_scheduler is not None and learning_rate is not None:
            if lr_scheduler.base_lr != learning_rate:
                logging.warning("learning rate from ``lr_scheduler`` has been overwritten "
                                "by ``learning_rate`` in optimizer.")
                lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult = {}
        self.wd_mult = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._all_index_update_counts = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = bool(multi_precision)
        self.aggregate_num = 0
        self.use_fused_step = True if use_fused_step is None else bool(use_fused_step)
        self.idx2name = param_idx2name.copy()
        self.sym_info = ()
        self.param_dict = param_dict if param_dict else {}
        self.allow_np_array = False
        self.set_lr_mult({})
        self.set_wd_mult({})
        # Keras options (see _keras.py)
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.weight_decay = weight_decay
        self.use_ema = bool(use_ema)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.loss_scale_factor = loss_scale_factor
        self._lr_fn = lr_fn

    def _adopt_learning_rate(self, learning_rate):
        """For subclasses that set ``self.lr`` themselves after the base
        constructor (Ftrl, as MXNet does): accept an LRScheduler (it becomes
        ``lr_scheduler``) or a zero-argument callable as well as a number;
        returns the value for ``self.lr``."""
        if learning_rate is not None and not isinstance(learning_rate, numbers.Real):
            from mxopt.lr_scheduler import LRScheduler
            if isinstance(learning_rate, LRScheduler):
                if self.lr_scheduler is not None:
                    raise ValueError("`learning_rate` is an LRScheduler and `lr_scheduler` "
                                     "is given too; pass only one of them")
                self.lr_scheduler = learning_rate
                return learning_rate.base_lr
            if callable(learning_rate):
                self._lr_fn = learning_rate
                return _keras._call_lr(learning_rate)
        check_number("learning_rate", learning_rate, low=0.0)
        return learning_rate

    def _check_constraints(self):
        """Validate the class's declared hyperparameters (called by subclasses
        once their attributes are set)."""
        for cls in reversed(type(self).__mro__):
            for attr, rule in cls.__dict__.get("_constraints", {}).items():
                check_number(attr, getattr(self, attr), **rule)

    # ------------------------------------------------------------------ registry
    @staticmethod
    def register(klass):
        """Register an optimizer class under its lower-cased class name."""
        if not isinstance(klass, type):
            raise TypeError("register expects a class, received %r" % (klass,))
        name = klass.__name__.lower()
        if name in Optimizer.opt_registry:
            old = Optimizer.opt_registry[name]
            warnings.warn("New optimizer %s.%s is overriding existing optimizer %s.%s"
                          % (klass.__module__, klass.__name__, old.__module__, old.__name__),
                          stacklevel=2)
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name, **kwargs):
        """Instantiate a registered optimizer by (case-insensitive) name."""
        if not isinstance(name, str):
            raise TypeError("optimizer name must be a string, received %r" % (name,))
        key = name.lower()
        if key not in Optimizer.opt_registry:
            raise ValueError("Cannot find optimizer %s; registered optimizers are: %s"
                             % (name, ", ".join(sorted(Optimizer.opt_registry))))
        return Optimizer.opt_registry[key](**kwargs)

    # ------------------------------------------------------------ learning rate
    @property
    def learning_rate(self):
        """The current learning rate (from the scheduler when there is one)."""
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        if self._lr_fn is not None:
            return _keras._call_lr(self._lr_fn)
        return self.lr

    @property
    def iterations(self):
        """The update count (Keras's name for ``num_update``): with
        ``gradient_accumulation_steps=N`` the calls that applied an update."""
        return self.num_update

    @learning_rate.setter
    def learning_rate(self, lr):
        self.set_learning_rate(lr)

    def set_learning_rate(self, lr):
        """Set a new learning rate; refused (``UserWarning`` raised, as in
        MXNet) when a scheduler drives the rate."""
        if self.lr_scheduler is not None:
            raise UserWarning("LRScheduler of the optimizer has already been defined. "
                              "Note that set_learning_rate can mutate the value of the "
                              "learning rate of the optimizer only when the LRScheduler "
                              "of the optimizer is undefined.")
        check_number("learning_rate", lr, low=0)
        self.lr = lr
        if self._lr_fn is not None:
            self._lr_fn = None

    def set_lr_scale(self, args_lrscale):  # pylint: disable=unused-argument
        """Deprecated in MXNet; raises ``DeprecationWarning`` as MXNet does."""
        raise DeprecationWarning("set_lr_scale is deprecated; use set_lr_mult")

    def set_lr_mult(self, args_lr_mult):
        """Replace the learning-rate multipliers (keys: index or name)."""
        if not isinstance(args_lr_mult, dict):
            raise TypeError("`args_lr_mult` must be a dict, received %s"
                            % type(args_lr_mult).__name__)
        self.lr_mult = {}
        self.lr_mult.update(args_lr_mult)

    def set_wd_mult(self, args_wd_mult):
        """Replace the weight-decay multipliers (keys: index or name).

        Names from ``param_idx2name`` not ending in ``_weight`` or ``_gamma``
        get 0 unless ``args_wd_mult`` says otherwise.
        """
        if not isinstance(args_wd_mult, dict):
            raise TypeError("`args_wd_mult` must be a dict, received %s"
                            % type(args_wd_mult).__name__)
        self.wd_mult = {}
        for name in self.idx2name.values():
            if not self._decays(name):
                self.wd_mult[name] = 0.0
        self.wd_mult.update(args_wd_mult)

    @staticmethod
    def _decays(name):
        return name.endswith("_weight") or name.endswith("_gamma")

    def _set_current_context(self, device_id):
        if device_id not in self._all_index_update_counts:
            self._all_index_update_counts[device_id] = {}
        self._index_update_count = self._all_index_update_counts[device_id]

    def _update_count(self, index):
        """Count one update of each index (and advance ``num_update``)."""
        if not isinstance(index, (list, tuple)):
            index = [index]
        counts = self._index_update_count
        for idx in index:
            count = counts.get(idx, self.begin_num_update) + 1
            counts[idx] = count
            if count > self.num_update:
                self.num_update = count

    def _lr_multiplier(self, index):
        """``param_dict[index].lr_mult``, else ``lr_mult[index]``, else
        ``lr_mult[idx2name[index]]``, else 1 (MXNet's lookup order)."""
        if index in self.param_dict:
            return self.param_dict[index].lr_mult
        if index in self.lr_mult:
            return self.lr_mult[index]
        if index in self.idx2name:
            return self.lr_mult.get(self.idx2name[index], 1.0)
        return 1.0

    def _get_lrs(self, indices):
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        return [lr * self._lr_multiplier(index) for index in indices]

    def _get_lr(self, index):
        return self._get_lrs([index])[0]

    def _get_wds(self, indices):
        wds = []
        for index in indices:
            mult = 1.0
            if index in self.param_dict:
                mult = self.param_dict[index].wd_mult
            elif index in self.wd_mult:
                mult = self.wd_mult[index]
            elif index in self.idx2name:
                mult = self.wd_mult.get(self.idx2name[index], 1.0)
            wds.append(self.wd * mult)
        return wds

    def _get_wd(self, index):
        return self._get_wds([index])[0]

    # ------------------------------------------------------------------- states
    def create_state(self, index, weight):
        """The optimizer state of one weight (``None`` when stateless)."""
        return None

    def create_state_multi_precision(self, index, weight):
        """Like :meth:`create_state`; with ``multi_precision`` and a float16
        weight, also a float32 master copy: ``(master, state)``.

        With ``use_ema`` or ``gradient_accumulation_steps > 1`` the result is
        ``(mxnet_state, extras)``, ``extras`` a dict ``{"ema": array or None,
        "accum": array or None, "rows": None or int64 array, "calls": int}``
        (the moving average -- of the float32 master copy in multi-precision
        mode --, the gradient accumulator, the rows accumulated and the
        number of calls seen).
        """
        if self.use_ema or (self.gradient_accumulation_steps or 1) > 1:
            return (self._mxnet_state_multi_precision(index, weight),
                    _keras.make_extras(self, weight))
        return self._mxnet_state_multi_precision(index, weight)

    def _mxnet_state_multi_precision(self, index, weight):
        if self.multi_precision and weight.dtype == _F16:
            master = np.array(weight, dtype=np.float32)
            inner = self.create_state(index, master)
            return (master, inner) if self._mp_master_first else (inner, master)
        if weight.dtype == _F16 and not self.multi_precision:
            warnings.warn("Accumulating with float16 in optimizer can lead to poor accuracy "
                          "or slow convergence. Consider using multi_precision=True option "
                          "of the optimizer", stacklevel=3)
        return self.create_state(index, weight)

    # ------------------------------------------------------------------ updates
    def update(self, index, weight, grad, state):
        """Update ``weight`` in place from ``grad`` (one index, or lists of
        indices/weights/grads/states for an aggregated update)."""
        if not self._uses_kernels():
            raise NotImplementedError("%s does not implement update()" % type(self).__name__)
        if self._keras_active():
            _keras.keras_update(self, index, weight, grad, state, False)
            return
        self._update_impl(index, weight, grad, state, multi_precision=False)

    def update_multi_precision(self, index, weight, grad, state):
        """:meth:`update`, through the float32 master copy for float16
        weights when ``multi_precision`` is on."""
        first = weight[0] if isinstance(index, (list, tuple)) else weight
        use_mp = self.multi_precision and first.dtype == _F16
        if self._keras_active():
            _keras.keras_update(self, index, weight, grad, state, use_mp)
            return
        if self._uses_kernels():
            self._update_impl(index, weight, grad, state, multi_precision=use_mp)
            return
        self._update_fallback(index, weight, grad, state, use_mp)

    def _keras_active(self):
        """True when a Keras option changes the update (``clipvalue`` alone
        is MXNet's ``clip_gradient`` and does not)."""
        return (self.clipnorm is not None or self.global_clipnorm is not None
                or bool(self.weight_decay) or bool(self.use_ema)
                or (self.gradient_accumulation_steps or 1) > 1
                or self.loss_scale_factor is not None or self._lr_fn is not None)

    def _keras_update_all(self, indices, weights, grads, states, chunk):
        """The Updater's entry with the Keras options on: one step over every
        index, the optimizer's own update per dtype in chunks of ``chunk``."""
        _keras.keras_update(self, list(indices), list(weights), list(grads), list(states),
                            bool(self.multi_precision), chunk=chunk)

    def _inner_update(self, index, weight, grad, state, use_mp):
        """The optimizer's own update (what runs with the Keras options off)."""
        if self._uses_kernels():
            self._update_impl(index, weight, grad, state, multi_precision=use_mp)
        else:
            self._update_fallback(index, weight, grad, state, use_mp)

    def finalize_variable_values(self, weights, states=None):
        """Copy the moving averages (``use_ema``) into ``weights``; a no-op
        without ``use_ema``.

        Parameters
        ----------
        weights : list or dict
            A list in the order of the indices of the last update call
            (position j <-> its j-th index), or a dict index -> weight.
        states : dict, optional
            Index -> state (as an ``Updater`` keeps them) to read the
            averages from; by default the states of the last updates.

        With float16 weights and ``multi_precision`` the average (float32)
        is written to the master copy and, rounded, to the weight.
        """
        _keras.finalize(self, weights, states)

    def _update_fallback(self, index, weight, grad, state, use_mp):
        # a user-defined optimizer that implements update() itself
        if isinstance(index, (list, tuple)):
            for i, w, g, s in zip(index, weight, grad, state):
                self._update_fallback(i, w, g, s, self.multi_precision and w.dtype == _F16)
            return
        if use_mp:
            master, inner = self._split_mp_state(state)
            self.update(index, master, np.asarray(grad).astype(np.float32), inner)
            weight[...] = master.astype(weight.dtype)
        else:
            self.update(index, weight, grad, state)

    def step(self, indices, weights, grads, states):
        """MXNet 2.0 spelling: update lists of weights (same as
        :meth:`update_multi_precision` on lists)."""
        self.update_multi_precision(list(indices), list(weights), list(grads), list(states))

    def fused_step(self, indices, weights, grads, states):
        """MXNet 2.0's fused update; identical numbers to :meth:`step`."""
        self.step(indices, weights, grads, states)

    def _split_mp_state(self, state):
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise TypeError("a multi-precision state must be a 2-tuple %s, received %r"
                            % ("(master_weight, state)" if self._mp_master_first
                               else "(state, master_weight)", type(state).__name__))
        return (state[0], state[1]) if self._mp_master_first else (state[1], state[0])

    @classmethod
    def _uses_kernels(cls):
        flag = cls.__dict__.get("_kernel_driven")
        if flag is None:
            flag = (cls._kernel_plan is not Optimizer._kernel_plan
                    and cls.update is Optimizer.update)
            cls._kernel_driven = flag
        return flag

    # -- hooks for kernel-driven optimizers -------------------------------------
    def _kernel_plan(self, state):
        """Return ``(kernel_name, [(state_array, name), ...])`` for ``state``.

        Raise ``TypeError`` for a state of the wrong structure."""
        raise NotImplementedError

    def _hyper(self, kernel):
        """The extra scalars of rule ``kernel`` after (lr, wd, rescale, clip)."""
        return ()

    def _step_lr(self, index, lr):
        """Per-index learning rate adjustment after counting (e.g. Adam's
        bias correction)."""
        return lr

    def _lazy_rows(self):
        """True when row-sparse gradients update only the rows present."""
        return False

    def _sparse_lazy(self, index, kernel, mode, weight, arrays, master, row):
        """Whether this sparse step of ``index`` may touch only the rows
        present (called right before the kernel runs): :meth:`_lazy_rows`,
        except in multi-precision mode where ``_lazy_multi_precision`` is
        False (MXNet's exception for SGD and LARS); also True whenever
        :meth:`_absent_rows_fixed` holds outside multi-precision mode."""
        if mode != "mp" and self._absent_rows_fixed(kernel, row):
            return True
        return self._lazy_rows() and (mode != "mp" or self._lazy_multi_precision)

    def _absent_rows_fixed(self, kernel, row):
        """True when rule ``kernel`` with scalars ``row`` leaves a row with a
        zero gradient bit for bit as it was, so that a standard sparse step
        may skip the absent rows."""
        return False

    #: True when :meth:`_dense_stepped` wants to hear of every dense step
    _watch_dense = False

    def _dense_stepped(self, index):
        """Called before the dense update of ``index`` when ``_watch_dense``."""

    def _scalars(self, index, kernel, lr, wd, rescale, clip):
        """The scalar row of one index, ``(lr, wd, rescale, clip, extras...)``,
        or None to skip this index's update (it is still counted).  Called
        after counting, once per index, in the order of the update call; the
        default is ``_step_lr`` and ``_hyper``."""
        return (self._step_lr(index, lr), wd, rescale, clip) + tuple(self._hyper(kernel))

    def _clip_bound(self):
        """The clip bound handed to the kernels (-1: off): MXNet clips only
        when ``clip_gradient`` is truthy."""
        return float(self.clip_gradient) if self.clip_gradient else -1.0

    def _plan(self, weight, grad, state, multi_precision):
        """Validate one (weight, grad, state) and choose its kernel; raises
        before anything is modified."""
        mode = _kernels.dense_pair_mode(weight, grad)
        if mode is not None and (mode != "h16" or not multi_precision):
            # the common case, recognised in C; anything unusual takes the
            # checks below, which raise the error that says what is wrong
            kernel, arrays = self._kernel_plan(state)
            arrays = [a for a, _ in arrays]
            if _kernels.states_match(weight, arrays):
                return (kernel, mode, weight, grad, arrays, None)
        weight = _dispatch.check_weight(weight)
        grad = _dispatch.prepare_grad(weight, grad)
        master = None
        if multi_precision and weight.dtype == _F16:
            master, state = self._split_mp_state(state)
            _dispatch.check_state_array(weight, master, "weight32", _F32)
            state_dtype = _F32
        else:
            state_dtype = weight.dtype
        kernel, arrays = self._kernel_plan(state)
        if isinstance(grad, GradRows):
            kernel = self._sparse_kernels.get(kernel, kernel)
        for arr, name in arrays:
            _dispatch.check_state_array(weight, arr, name, state_dtype)
        return (kernel, _dispatch.precision_mode(weight, master), weight, grad,
                [a for a, _ in arrays], master)

    def _update_impl(self, indices, weights, grads, states, multi_precision=False):
        if not isinstance(indices, (list, tuple)):
            # one tensor: the same steps as below without the grouping
            kernel, mode, weight, grad, arrays, master = self._plan(
                weights, grads, states, multi_precision)
            self._update_count(indices)
            scalars = self._scalars(indices, kernel, self._get_lrs((indices,))[0],
                                    self._get_wds((indices,))[0], float(self.rescale_grad),
                                    self._clip_bound())
            if scalars is None:
                return
            if isinstance(grad, GradRows):
                scalars = tuple([float(x) for x in scalars])
                lazy = self._sparse_lazy(indices, kernel, mode, weight, arrays, master, scalars)
                _dispatch.run_rows(kernel, mode, lazy, weight, grad, arrays, master, scalars)
            else:
                # the kernel converts each scalar with float() itself
                if type(scalars) is not tuple:
                    scalars = tuple(scalars)
                if self._watch_dense:
                    self._dense_stepped(indices)
                _dispatch.run_dense(kernel, mode, [weight], [grad], [arrays], [master], [scalars])
            return
        else:
            n = len(indices)
            if not (len(weights) == n and len(grads) == n and len(states) == n):
                raise ValueError("indices, weights, grads and states must have the same "
                                 "length, received %d, %d, %d, %d"
                                 % (n, len(weights), len(grads), len(states)))
        # 1. validate everything; nothing is modified before this ends
        plans = [self._plan(w, g, s, multi_precision)
                 for w, g, s in zip(weights, grads, states)]
        # 2. bookkeeping, once per index
        self._update_count(indices)
        lrs = self._get_lrs(indices)
        wds = self._get_wds(indices)
        rescale = float(self.rescale_grad)
        clip = self._clip_bound()
        # 3. kernels
        self._run_kernels(plans, [self._scalars(index, plan[0], lr, wd, rescale, clip)
                                  for index, lr, wd, plan in zip(indices, lrs, wds, plans)],
                          indices)

    def _run_kernels(self, plans, scalars, indices):
        """Run validated plans (from :meth:`_plan`) with their scalar rows
        (``None`` skips a tensor) for ``indices``: dense tensors grouped per
        (kernel, precision) into one multi-tensor call each, sparse gradients
        one by one, lazily where :meth:`_sparse_lazy` says so."""
        groups = {}
        watch = self._watch_dense
        for index, (kernel, mode, weight, grad, arrays, master), row in zip(indices, plans,
                                                                            scalars):
            if row is None:
                continue
            if isinstance(grad, GradRows):
                row = tuple([float(x) for x in row])
                lazy = self._sparse_lazy(index, kernel, mode, weight, arrays, master, row)
                _dispatch.run_rows(kernel, mode, lazy, weight, grad, arrays, master, row)
                continue
            if watch:
                self._dense_stepped(index)
            if type(row) is not tuple:
                row = tuple(row)  # the kernel converts each scalar with float()
            group = groups.get((kernel, mode))
            if group is None:
                group = groups[(kernel, mode)] = ([], [], [], [], [])
            group[0].append(weight)
            group[1].append(grad)
            group[2].append(arrays)
            group[3].append(master)
            group[4].append(row)
        for (kernel, mode), (ws, gs, ss, ms, hs) in groups.items():
            _dispatch.run_dense(kernel, mode, ws, gs, ss, ms, hs)

    # ----------------------------------------------------------------- pickling
    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("param_dict", None)  # gluon Parameters are re-attached by the Trainer
        state.pop("_ema_refs", None)  # references into the Updater's states
        return state

    def __setstate__(self, state):
        self.__dict__ = state
        self.param_dict = {}

    # ------------------------------------------------------------------- config
    def get_config(self):
        """The constructor arguments of this optimizer as a JSON-serialisable
        dict: ``{"name": ..., "args": {...}}`` (a scheduler as its own config)."""
        args, kwargs = getattr(self, "_init_call", ((), {}))
        try:
            bound = inspect.signature(type(self).__init__).bind(self, *args, **kwargs)
        except TypeError:  # pragma: no cover - constructor already validated
            bound = None
        params = {}
        if bound is not None:
            for key, value in list(bound.arguments.items())[1:]:
                if isinstance(value, dict) and key == "kwargs":
                    params.update(value)
                else:
                    params[key] = value
        params.pop("param_dict", None)
        params.pop("sym", None)
        if params.get("lr_scheduler") is not None:
            params["lr_scheduler"] = params["lr_scheduler"].get_config()
        lr = params.get("learning_rate")
        if lr is not None and not isinstance(lr, numbers.Real):
            if hasattr(lr, "get_config"):  # an LRScheduler given as learning_rate
                params["learning_rate"] = lr.get_config()
            else:
                raise TypeError("get_config: `learning_rate` is a callable (%r), which has no "
                                "JSON form; give a float or an LRScheduler to have a config"
                                % (lr,))
        return {"name": type(self).__name__.lower(), "args": params}

    @classmethod
    def from_config(cls, config):
        """Rebuild an optimizer from :meth:`get_config`'s dict."""
        if not isinstance(config, dict) or "name" not in config:
            raise ValueError("config must be a dict with a 'name' key, received %r" % (config,))
        args = dict(config.get("args", {}))
        for key in ("lr_scheduler", "learning_rate"):
            if isinstance(args.get(key), dict):
                from mxopt import lr_scheduler
                args[key] = lr_scheduler.from_config(args[key])
        return Optimizer.create_optimizer(config["name"], **args)


_base_init = inspect.signature(Optimizer.__init__)
Optimizer.__signature__ = _base_init.replace(parameters=list(_base_init.parameters.values())[1:])
register = Optimizer.register


def create(name, **kwargs):
    """Create an optimizer by name (``mx.optimizer.create('adam', ...)``), or
    from a config dict written by :meth:`Optimizer.get_config`."""
    if isinstance(name, dict):
        return Optimizer.from_config(name)
    return Optimizer.create_optimizer(name, **kwargs)
