"""``gluon.Trainer``: applies an optimizer to a set of parameters, as MXNet 1.9.1's does.

One training step is::

    with autograd.record():
        loss = loss_fn(net(x), y)
    loss.backward()
    trainer.step(batch_size)        # = allreduce_grads() + update(batch_size)

How mxopt's Trainer works
-------------------------
* **Parameters and indices.**  A dict (or ``ParameterDict``) of parameters
  is taken in sorted key order, a list as given; parameter ``i`` is
  optimizer index ``i``.  The optimizer's ``param_dict`` maps each index to
  its :class:`~mxopt.gluon.Parameter`, so ``param.lr_mult`` /
  ``param.wd_mult`` are read at every step and changing them later takes
  effect.
* **One aggregated update.**  :meth:`Trainer.update` hands every parameter
  to update to the Updater in *one* call (lists of indices, gradients and
  weights), which groups them by dtype for the optimizer's multi-tensor
  path.  ``rescale_grad`` is ``scale / batch_size`` where ``scale`` is the
  optimizer's ``rescale_grad`` when the Trainer was created (1 by default).
* **Several contexts** (``initialize(ctx=[mx.cpu(0), mx.cpu(1)])`` with
  ``gluon.utils.split_and_load``): :meth:`allreduce_grads` sums the copies'
  gradients and writes the sum to every copy; :meth:`update` updates the
  first copy once and copies the new values to the others -- the numbers of
  a single device with the whole batch, what MXNet's ``'device'`` kvstore
  gives.
* **Stale gradients.**  A parameter whose gradient has not been written by
  backward since the last update makes :meth:`step` raise ``UserWarning``
  (as an exception, as MXNet does) -- unless ``ignore_stale_grad=True``, in
  which case such parameters are skipped.  Parameters with
  ``grad_req='null'`` are always skipped.
* **State files.**  :meth:`save_states` writes the Updater's states and the
  optimizer in mxopt's data-only format (loading it runs no code from the
  file); :meth:`load_states` reads that format and the pickles written by
  MXNet 1.9.1's ``Trainer.save_states`` (through a restricted unpickler), so
  training continues where MXNet left off.

Where mxopt differs from MXNet 1.9.1
------------------------------------
* All checks happen before anything changes: after a stale-gradient error
  no parameter has been updated and no freshness flag reset (MXNet resets
  the flags of the parameters checked before the stale one, so a retry with
  ``ignore_stale_grad=True`` silently skips them).
* ``step``/``update`` inside ``autograd.record()`` raise ``MXNetError``
  before anything is modified (MXNet fails inside the first update).
* There is no kvstore.  ``kvstore`` accepts MXNet's single-machine values
  (``'device'``, ``'local'``, ``'nccl'``, ..., ``None`` or a KVStore-like
  object) and they all give the behaviour above; distributed kvstores
  (``'dist_*'``, ``'horovod'``, ``'byteps'``) raise ``NotImplementedError``.
  ``update_on_kvstore=True`` needs several contexts (MXNet 1.9.1 crashes with
  an ``AttributeError`` on one device; mxopt raises ``ValueError`` when the
  Trainer is created); with it, :meth:`allreduce_grads` and :meth:`update`
  are refused as in MXNet.  With several contexts and
  ``update_on_kvstore=None``, :meth:`allreduce_grads`/:meth:`update` are
  allowed (MXNet would update on its kvstore and refuse them).
* With several contexts and ``kvstore=None`` MXNet updates every copy with
  its own gradient (the copies drift apart); mxopt sums them as above.
* ``compression_params`` are ignored on one context (as in MXNet) and
  refused with ``NotImplementedError`` on several.
"""
import numbers

import numpy as np

from mxopt import autograd
from mxopt import optimizer as opt
from mxopt.base import MXNetError
from mxopt.gluon.parameter import Parameter, ParameterDict

__all__ = ["Trainer"]

_LOCAL_KVSTORES = ("local", "device", "nccl", "local_update_cpu", "local_allreduce_cpu",
                   "local_allreduce_device")
_DISTRIBUTED_KVSTORES = ("horovod", "byteps")


def _is_distributed(kv_type):
    return "dist" in kv_type or kv_type in _DISTRIBUTED_KVSTORES


def _not_distributed(kv_type):
    return NotImplementedError(
        "distributed kvstore not yet supported: kvstore=%r needs several machines, which "
        "mxopt does not provide yet; use kvstore='device' (or 'local', None) on one machine "
        "-- a list of contexts is supported" % (kv_type,))


class Trainer(object):
    """Apply an optimizer to a set of parameters.

    Parameters
    ----------
    params : ParameterDict, dict of str to Parameter, or list of Parameter
        A dict is taken in sorted key order.
    optimizer : str or Optimizer
        A registered name (``'sgd'``, ``'adam'``, ...) or an instance.
    optimizer_params : dict, optional
        Keyword arguments of the optimizer (only with a name), e.g.
        ``{'learning_rate': 0.1, 'wd': 1e-4}``.
    kvstore : str, KVStore-like or None, default 'device'
        Single-machine kvstore types are accepted (see the module notes);
        distributed ones raise ``NotImplementedError``.
    compression_params : dict, optional
        Gradient compression; ignored on one context.
    update_on_kvstore : bool or None, default None
        See the module notes.

    Attributes
    ----------
    learning_rate : float
    optimizer : Optimizer

    Raises
    ------
    ValueError
        `params` is not a list or dict of Parameters, the parameters live on
        different contexts, or `optimizer_params` come with an instance.
    RuntimeError
        A parameter has not been initialized.

    Examples
    --------
    >>> import mxopt as mx
    >>> from mxopt import autograd, gluon, nd
    >>> net = gluon.nn.Dense(1, in_units=2)
    >>> net.initialize(mx.init.Zero())
    >>> trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
    >>> x, y = nd.array([[1., 2.]]), nd.array([[1.]])
    >>> with autograd.record():
    ...     loss = gluon.loss.L2Loss()(net(x), y)
    >>> loss.backward()
    >>> trainer.step(1)
    >>> net.weight.data().asnumpy()
    array([[0.5, 1. ]], dtype=float32)
    """

    def __init__(self, params, optimizer, optimizer_params=None, kvstore="device",
                 compression_params=None, update_on_kvstore=None):
        if isinstance(params, (dict, ParameterDict)):
            params = [params[key] for key in sorted(list(params.keys()))]
        if not isinstance(params, (list, tuple)):
            raise ValueError("First argument must be a list or dict of Parameters, got %s."
                             % (type(params),))
        for param in params:
            if not isinstance(param, Parameter):
                raise ValueError("First argument must be a list or dict of Parameters, got "
                                 "list of %s." % (type(param),))
        if optimizer_params is not None and not isinstance(optimizer_params, dict):
            raise TypeError("`optimizer_params` must be a dict or None, received %s"
                            % type(optimizer_params).__name__)
        if update_on_kvstore is not None and not isinstance(update_on_kvstore, bool):
            raise TypeError("`update_on_kvstore` must be True, False or None, received %r"
                            % (update_on_kvstore,))
        if compression_params is not None and not isinstance(compression_params, dict):
            raise TypeError("`compression_params` must be a dict or None, received %s"
                            % type(compression_params).__name__)
        kv_type = self._check_kvstore(kvstore)

        self._params = list(params)
        self._contexts = self._check_contexts()
        multi = len(self._contexts) > 1
        if update_on_kvstore and (kv_type is None or not multi):
            raise ValueError(
                "update_on_kvstore=True needs a kvstore, and a Trainer %s uses none (MXNet "
                "1.9.1 fails here with AttributeError: 'NoneType' object has no attribute "
                "'is_capable'); leave update_on_kvstore=None"
                % ("with kvstore=None" if kv_type is None else "on a single context"))
        if compression_params and multi:
            raise NotImplementedError("gradient compression (compression_params=%r) is not "
                                      "supported by mxopt" % (compression_params,))

        self._contains_sparse_weight = False
        self._contains_sparse_grad = False
        self._param2idx = {}
        for i, param in enumerate(self._params):
            self._param2idx[param.name] = i
            if param._stype != "default":
                self._contains_sparse_weight = True
            if param._grad_stype != "default":
                self._contains_sparse_grad = True
        self._compression_params = compression_params
        self._init_optimizer(optimizer, optimizer_params if optimizer_params else {})
        for param in self._params:
            param._set_trainer(self)
        self._scale = self._optimizer.rescale_grad
        self._kvstore_params = {"kvstore": kvstore, "update_on_kvstore": update_on_kvstore}
        self._kv_initialized = True
        self._kvstore = None
        self._kv_type = kv_type
        self._update_on_kvstore = bool(update_on_kvstore) if multi else None
        self._distributed = False
        self._params_to_init = []
        self._grads_reduced = False

    # -- construction helpers --------------------------------------------------------

    @staticmethod
    def _check_kvstore(kvstore):
        """The kvstore type, or None; refuses distributed and unknown kvstores."""
        if kvstore is None:
            return None
        if isinstance(kvstore, str):
            if _is_distributed(kvstore):
                raise _not_distributed(kvstore)
            if kvstore not in _LOCAL_KVSTORES:
                raise ValueError("unknown kvstore %r; single-machine types are %s (or None)"
                                 % (kvstore, ", ".join(repr(k) for k in _LOCAL_KVSTORES)))
            return kvstore
        kv_type = getattr(kvstore, "type", None)
        if isinstance(kv_type, str):
            if _is_distributed(kv_type):
                raise _not_distributed(kv_type)
            return kv_type
        raise TypeError("kvstore must be KVStore, str or None, received %s"
                        % type(kvstore).__name__)

    def _check_contexts(self):
        contexts = None
        for param in self._params:
            ctx = param.list_ctx()
            if contexts is not None and list(contexts) != list(ctx):
                raise ValueError("All Parameters must be initialized on the same set of "
                                 "contexts, but Parameter %s is initialized on %s while "
                                 "previous Parameters are initialized on %s."
                                 % (param.name, str(ctx), str(contexts)))
            contexts = ctx
        return list(contexts) if contexts is not None else []

    def _init_optimizer(self, optimizer, optimizer_params):
        param_dict = {i: param for i, param in enumerate(self._params)}
        if isinstance(optimizer, opt.Optimizer):
            if optimizer_params:
                raise ValueError("optimizer_params must be None if optimizer is an instance "
                                 "of Optimizer instead of str")
            self._optimizer = optimizer
            # not a copy: changing a parameter's lr_mult/wd_mult must take effect
            self._optimizer.param_dict = param_dict
        elif isinstance(optimizer, str):
            self._optimizer = opt.create(optimizer, param_dict=param_dict, **optimizer_params)
        else:
            raise TypeError("`optimizer` must be an optimizer name or an Optimizer, received %s"
                            % type(optimizer).__name__)
        self._updaters = [opt.get_updater(self._optimizer)]

    # -- properties -------------------------------------------------------------------

    @property
    def learning_rate(self):
        """float : The optimizer's current learning rate."""
        if not isinstance(self._optimizer, opt.Optimizer):
            raise UserWarning("Optimizer has to be defined before its learning rate can be "
                              "accessed.")
        return self._optimizer.learning_rate

    @property
    def optimizer(self):
        """Optimizer : The optimizer (replaced by :meth:`load_states`)."""
        if isinstance(self._optimizer, opt.Optimizer):
            return self._optimizer
        raise UserWarning("Optimizer has not been initialized yet")

    def set_learning_rate(self, lr):
        """Set the optimizer's learning rate.

        Parameters
        ----------
        lr : float

        Raises
        ------
        UserWarning
            The optimizer has an lr_scheduler (MXNet's behaviour).
        """
        if not isinstance(self._optimizer, opt.Optimizer):
            raise UserWarning("Optimizer has to be defined before its learning rate is "
                              "mutated.")
        self._optimizer.set_learning_rate(lr)

    # -- training ---------------------------------------------------------------------

    def _check_not_recording(self, what):
        if autograd.is_recording():
            raise MXNetError("Trainer.%s cannot be called inside autograd.record(): it writes "
                             "the parameters in place, which are in the recorded graph. Call "
                             "loss.backward() and then trainer.%s(...) after the record "
                             "block" % (what, what))

    def _check_update_on_kvstore(self, what):
        if self._update_on_kvstore:
            raise ValueError("%s() when parameters are updated on kvstore is not supported. "
                             "Try setting `update_on_kvstore` to False when creating trainer."
                             % what)

    def _rescale(self, batch_size):
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Real):
            raise TypeError("`batch_size` must be a positive number, received %r"
                            % (batch_size,))
        if not batch_size > 0:
            raise ValueError("`batch_size` must be a positive number, received %r"
                             % (batch_size,))
        return self._scale / batch_size

    def step(self, batch_size, ignore_stale_grad=False):
        """One update of every parameter: :meth:`allreduce_grads` then :meth:`update`.

        Call it after ``loss.backward()``, outside ``autograd.record()``.

        Parameters
        ----------
        batch_size : int
            Gradients are scaled by ``1 / batch_size`` (pass 1 when the loss
            is already a mean).
        ignore_stale_grad : bool, default False
            Skip parameters whose gradient backward has not written since the
            last update, instead of raising.

        Raises
        ------
        UserWarning
            A stale gradient (raised as an exception, as in MXNet); nothing
            has been updated then.
        MXNetError
            Called inside ``autograd.record()``.
        """
        self._check_not_recording("step")
        rescale_grad = self._rescale(batch_size)
        plan = self._plan_update(ignore_stale_grad)
        self._optimizer.rescale_grad = rescale_grad
        self._allreduce_grads()
        self._apply_update(plan)

    def allreduce_grads(self):
        """Sum each parameter's gradients over its contexts, into every copy.

        Nothing to do with one context.  Use it with :meth:`update` to act
        on the summed gradients in between (e.g.
        ``gluon.utils.clip_global_norm``).
        """
        self._check_update_on_kvstore("allreduce_grads")
        self._allreduce_grads()

    def _allreduce_grads(self):
        if len(self._contexts) <= 1:
            return
        for param in self._params:
            if param.grad_req == "null":
                continue
            grads = param.list_grad()
            if getattr(grads[0], "stype", "default") == "row_sparse":
                total = grads[0]
                for g in grads[1:]:
                    total = total + g
                data = np.ndarray.view(total.data, np.ndarray)
                indices = np.ndarray.view(total.indices, np.ndarray)
                for g in grads:
                    g._set_parts(np.array(data, copy=True), indices)
            else:
                views = [np.ndarray.view(g, np.ndarray) for g in grads]
                total = np.array(views[0], copy=True)
                for v in views[1:]:
                    total += v
                for v in views:
                    v[...] = total
        self._grads_reduced = True

    def update(self, batch_size, ignore_stale_grad=False):
        """Update the parameters from their (reduced) gradients.

        Use after :meth:`allreduce_grads`; :meth:`step` does both.  With
        several contexts whose gradients were not reduced yet, they are
        reduced first (so the result equals :meth:`step`).

        Parameters
        ----------
        batch_size : int
        ignore_stale_grad : bool, default False
            See :meth:`step`.
        """
        self._check_not_recording("update")
        self._check_update_on_kvstore("update")
        rescale_grad = self._rescale(batch_size)
        plan = self._plan_update(ignore_stale_grad)
        self._optimizer.rescale_grad = rescale_grad
        if not self._grads_reduced:
            self._allreduce_grads()
        self._apply_update(plan)

    def _plan_update(self, ignore_stale_grad):
        """The (index, parameter) pairs to update; raises on a stale gradient.

        Changes nothing.
        """
        plan = []
        for i, param in enumerate(self._params):
            if param.grad_req == "null":
                continue
            datas = param._data
            if datas is None:
                datas = param._check_and_get(datas, list)  # raises: not initialized
            if len(datas) == 1 and datas[0]._fresh_grad:
                plan.append((i, param))  # the common case: one fresh context
                continue
            fresh = [bool(d._fresh_grad) for d in datas]
            if not ignore_stale_grad:
                for data, is_fresh in zip(datas, fresh):
                    if not is_fresh:
                        raise UserWarning(
                            "Gradient of Parameter `%s` on context %s has not been updated by "
                            "backward since last `step`. This could mean a bug in your model "
                            "that made it only use a subset of the Parameters (Blocks) for "
                            "this iteration. If you are intentionally only using a subset, "
                            "call step with ignore_stale_grad=True to suppress this warning "
                            "and skip updating of Parameters with stale gradient"
                            % (param.name, str(data.context)))
            if any(fresh):
                plan.append((i, param))
        return plan

    def _apply_update(self, plan):
        self._grads_reduced = False
        if not plan:
            return
        indices, grads, weights = [], [], []
        for i, param in plan:
            indices.append(i)
            weights.append(param._data[0])
            grads.append(param._grad[0])
        self._updaters[0](indices, grads, weights)
        for _, param in plan:
            datas = param._data
            if len(datas) > 1:
                first = np.ndarray.view(datas[0], np.ndarray)
                for data in datas[1:]:
                    np.ndarray.view(data, np.ndarray)[...] = first
            for data in datas:
                data._fresh_grad = False

    def finalize_ema(self):
        """Copy the optimizer's moving averages (``use_ema=True``) into the
        parameters -- every context's copy -- at the end of training
        (Keras's ``finalize_variable_values``); a no-op without ``use_ema``.

        Parameters without an average (never updated) are left as they are.
        """
        optimizer = self.optimizer
        if not optimizer.use_ema:
            return
        states = self._updaters[0].states
        weights = {}
        for i, param in enumerate(self._params):
            if i in states and param._data is not None:
                weights[i] = param._data[0]
        optimizer.finalize_variable_values(weights, states=states)
        for i in weights:
            param = self._params[i]
            first = np.ndarray.view(param._data[0], np.ndarray)
            for data in param._data[1:]:
                np.ndarray.view(data, np.ndarray)[...] = first

    # -- states -----------------------------------------------------------------------

    def save_states(self, fname):
        """Write the optimizer and its states to `fname` (mxopt's data-only format).

        ``param_dict`` (the parameters' lr_mult/wd_mult) is not saved: the
        Trainer that loads the file uses its own parameters'.

        Parameters
        ----------
        fname : str
        """
        if self._optimizer is None:
            raise RuntimeError("Trainer has no optimizer to save")
        data = self._updaters[0].get_states(dump_optimizer=True)
        with open(fname, "wb") as fout:
            fout.write(data)

    def load_states(self, fname):
        """Restore the optimizer and its states from `fname`.

        Reads files written by :meth:`save_states` and the ``.states``
        pickles written by MXNet 1.9.1's ``Trainer.save_states`` (through a
        restricted unpickler that runs nothing from the file).  The
        optimizer of the file replaces this Trainer's; its ``param_dict`` is
        set to this Trainer's parameters.

        Parameters
        ----------
        fname : str

        Raises
        ------
        pickle.UnpicklingError, EOFError, ValueError
            A corrupt, truncated or foreign file; the Trainer is unchanged.
        """
        with open(fname, "rb") as f:
            states = f.read()
        updater = self._updaters[0]
        old = (updater.states, updater.states_synced, updater.optimizer,
               updater.aggregate_updates)
        try:
            updater.set_states(states)
        except BaseException:
            (updater.states, updater.states_synced, updater.optimizer,
             updater.aggregate_updates) = old
            raise
        self._optimizer = updater.optimizer
        self._optimizer.param_dict = {i: param for i, param in enumerate(self._params)}
