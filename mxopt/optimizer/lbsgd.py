"""Large-batch SGD with warmup and gradient accumulation (MXNet 1.9.1's
``LBSGD``)."""
import logging
import math

import numpy as np

from mxopt import _kernels
from mxopt.optimizer import _sgdfamily
from mxopt.optimizer._dispatch import GradRows
from mxopt.optimizer.optimizer import Optimizer, _default_aggregate_num, register

__all__ = ["LBSGD"]

WARMUP_STRATEGIES = ("linear", "power2", "sqrt", "lars")
_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)


@register
class LBSGD(Optimizer):
    r"""Large-batch SGD: emulates a batch ``batch_scale`` times larger by
    accumulating that many gradients per weight update, with a warmup of the
    learning-rate multiplier.

    Per weight (counted per index), the ``k``-th call adds its gradient to an
    accumulator; the call numbered ``n = begin_epoch * updates_per_epoch + k``
    updates the weight when ``n % batch_scale == 0``, with the mean
    :math:`\bar g` of the gradients accumulated since the last update:

    .. math::

        \eta' &= \eta \cdot \mathrm{mult}(n) \\
        m &\leftarrow \mu m - \eta' \lambda w
              - \eta'\,\mathrm{clip}(\mathrm{rescale\_grad}\cdot \bar g, c),
              \qquad w \leftarrow w + m

    (without momentum :math:`w \leftarrow (1 - \eta'\lambda) w - \eta'
    \mathrm{clip}(\mathrm{rescale\_grad}\cdot\bar g, c)`); other calls leave
    the weight as it is.  With :math:`N = \mathrm{warmup\_epochs} \cdot
    \mathrm{updates\_per\_epoch}` and :math:`B` = ``batch_scale``, the
    multiplier is :math:`B` once :math:`n \ge N` (or 1 if :math:`N \le 1`),
    and during warmup

    - ``'linear'``: :math:`1 + (B - 1)\, n / N`
    - ``'power2'``: :math:`1 + (B - 1)\, n^2 / N^2`
    - ``'sqrt'``: :math:`1 + (B - 1) \sqrt{n / N}`
    - ``'lars'`` (at every update, not only during warmup):
      :math:`\sqrt{\|w\|^2 / (\|\bar g\|^2 + \lambda \|w\|^2 + 10^{-18})}`
      clipped to [0.01, 100].

    MXNet quirks kept for parity: the learning rate is looked up *before*
    the update is counted (one step behind the other optimizers, so a
    scheduler changes the rate one update later), and the step counter
    ``n`` starts at ``begin_epoch * updates_per_epoch + 1``, so with
    ``begin_epoch > 0`` the first update may come before ``batch_scale``
    gradients have been accumulated (the sum is still divided by
    ``batch_scale``).  ``num_epochs`` is accepted and unused, as in MXNet.

    **Improvement over MXNet**: MXNet keeps a *reference* to the first
    gradient of a window as its accumulator, so a training loop that reuses
    its gradient buffers (gluon does) accumulates the last gradient several
    times instead of the window's gradients.  mxopt copies the gradient into
    an accumulator it owns.  The ``'lars'`` norms accumulate in double.

    Row-sparse and CSR gradients are lazy, as in MXNet: only the rows
    present in the window's gradients change::

        for row in rows of the accumulated gradient:
            m[row] = mu * m[row] - lr' * wd * w[row] - lr' * clip(rescale * g[row])
            w[row] += m[row]

    Parameters
    ----------
    momentum : float, default 0.0
        The momentum value, in [0, 1].
    multi_precision : bool, default False
        Keep a float32 master copy of float16 weights.  States are
        ``(weight32, momentum)`` (MXNet's base order); the accumulator is
        float32 too.
    warmup_strategy : {'linear', 'power2', 'sqrt', 'lars'}, default 'linear'
    warmup_epochs : int, default 5
    batch_scale : int, default 1
        Gradients accumulated per update (>= 1); also the final multiplier.
    updates_per_epoch : int, default 32
    begin_epoch : int, default 0
    num_epochs : int, default 60
        Unused (MXNet stores it too).
    **kwargs
        The :class:`Optimizer` arguments.

    Examples
    --------
    >>> import numpy as np, mxopt as mx
    >>> opt = mx.optimizer.LBSGD(learning_rate=0.1, batch_scale=2,
    ...                          warmup_epochs=0)
    >>> w = np.zeros(2, dtype=np.float32)
    >>> state = opt.create_state(0, w)
    >>> opt.update(0, w, np.array([1.0, 3.0], dtype=np.float32), state)
    >>> w                                  # accumulated, not applied yet
    array([0., 0.], dtype=float32)
    >>> opt.update(0, w, np.array([3.0, 1.0], dtype=np.float32), state)
    >>> w                                  # mean gradient 2, lr 0.1 * 2
    array([-0.4, -0.4], dtype=float32)

    References
    ----------
    Goyal et al., "Accurate, Large Minibatch SGD: Training ImageNet in 1
    Hour", arXiv:1706.02677; You, Gitman & Ginsburg, "Large Batch Training
    of Convolutional Networks", arXiv:1708.03888.
    """

    _constraints = {"momentum": dict(low=0.0, high=1.0),
                    "warmup_epochs": dict(low=0, integer=True),
                    "batch_scale": dict(low=1, integer=True),
                    "updates_per_epoch": dict(low=1, integer=True),
                    "begin_epoch": dict(low=0, integer=True),
                    "num_epochs": dict(low=0, integer=True)}
    #: ``fn(arrays, out)``: sums of squares of many arrays (double accumulation)
    _sum_squares = staticmethod(_kernels.multi_sum_squares)

    def _lazy_rows(self):
        # row-sparse gradients update only the rows present, as in MXNet
        return True

    def __init__(self, momentum=0.0, multi_precision=False, warmup_strategy='linear',
                 warmup_epochs=5, batch_scale=1, updates_per_epoch=32, begin_epoch=0,
                 num_epochs=60, **kwargs):
        super(LBSGD, self).__init__(multi_precision=multi_precision, **kwargs)
        if not isinstance(warmup_strategy, str) or warmup_strategy not in WARMUP_STRATEGIES:
            raise ValueError("`warmup_strategy` must be one of %s, received %r"
                             % (", ".join(repr(s) for s in WARMUP_STRATEGIES), warmup_strategy))
        self.momentum = momentum
        self.warmup_strategy = warmup_strategy
        self.warmup_epochs = warmup_epochs
        self.batch_scale = batch_scale
        self.updates_per_epoch = updates_per_epoch
        self.begin_epoch = begin_epoch
        self.num_epochs = num_epochs
        self._check_constraints()
        logging.info("Running Large-Batch SGD Algorithm (batch_scale=%d, warmup_epochs=%d, "
                     "warmup_strategy=%s, updates_per_epoch=%d)", batch_scale, warmup_epochs,
                     warmup_strategy, updates_per_epoch)
        self.init_updates = begin_epoch * updates_per_epoch
        # MXNet's bookkeeping: {index: {'cum_grad': accumulator or 0, 'num_cums': n}}
        self.cumgrads = {}
        self._cum_rows = {}
        self.lbmult = 1
        self.adaptive = False
        self.admult = 1
        self.aggregate_num = _default_aggregate_num()

    def create_state(self, index, weight):
        if self.momentum != 0.0:
            return np.zeros(weight.shape, dtype=weight.dtype)
        return None

    def _kernel_plan(self, state):
        if state is None:
            return "sgd_plain", []
        if not isinstance(state, np.ndarray):
            raise TypeError("LBSGD's state must be None or the momentum array, received %s"
                            % type(state).__name__)
        return "sgd_mom", [(state, "mom")]

    def _get_lbmult(self, nup):
        """The warmup multiplier of the learning rate at step ``nup``."""
        nwup = self.warmup_epochs * self.updates_per_epoch
        maxmult = float(self.batch_scale)
        if nup >= nwup:
            return maxmult
        if nwup <= 1:
            return 1.0
        if self.warmup_strategy == "linear":
            return 1.0 + (maxmult - 1) * nup / nwup
        if self.warmup_strategy == "power2":
            return 1.0 + (maxmult - 1) * (nup * nup) / (nwup * nwup)
        if self.warmup_strategy == "sqrt":
            return 1.0 + (maxmult - 1) * math.sqrt(float(nup) / nwup)
        return 1.0

    @staticmethod
    def _lars_mult(w_sumsq, g_sumsq, wd):
        lars = math.sqrt(w_sumsq / (g_sumsq + wd * w_sumsq + 1e-18))
        return min(max(lars, 0.01), 100.0)

    # -- gradient accumulation ------------------------------------------------
    # ``cumgrads[index]`` keeps MXNet's layout: ``{'cum_grad': running sum (an
    # array owned by the optimizer) or 0 after an update, 'num_cums': n}``;
    # ``_cum_rows[index]`` marks the rows a sparse window touched (None once a
    # dense gradient joined the window).
    def _accumulate(self, index, grad, target, master):
        """Add ``grad`` to index's running sum; return the step number."""
        entry = self.cumgrads.get(index)
        fresh = not entry or entry["num_cums"] <= 0
        num = self.init_updates + 1 if fresh else entry["num_cums"] + 1
        if self.batch_scale == 1:
            # every call updates: nothing to keep between calls
            self.cumgrads[index] = {"cum_grad": 0, "num_cums": num}
            return num
        dtype = _F32 if master is not None else target.dtype
        total = None if fresh else entry["cum_grad"]
        if not isinstance(total, np.ndarray) or total.shape != target.shape:
            total = np.zeros(target.shape, dtype=dtype)
            rows = np.zeros(target.shape[0], dtype=bool) if target.ndim else None
        else:
            if total.dtype != dtype:    # e.g. restored from an MXNet state file
                total = total.astype(dtype)
            rows = self._cum_rows.get(index)
        if isinstance(grad, GradRows):
            total.reshape(total.shape[0], -1)[grad.indices] += grad.data
            if rows is not None:
                rows[grad.indices] = True
        else:
            np.add(total, grad, out=total, casting="unsafe")
            rows = None
        self.cumgrads[index] = {"cum_grad": total, "num_cums": num}
        self._cum_rows[index] = rows
        return num

    def _window_grad(self, index):
        """The window's mean gradient (dense array or GradRows); resets the
        running sum to 0 as MXNet does."""
        total = self.cumgrads[index]["cum_grad"]
        rows = self._cum_rows.pop(index, None)
        self.cumgrads[index]["cum_grad"] = 0
        np.divide(total, self.batch_scale, out=total, casting="unsafe")
        if rows is None:
            return total
        present = np.flatnonzero(rows).astype(np.int64)
        return GradRows(np.ascontiguousarray(total.reshape(total.shape[0], -1)[present]),
                        present)

    def _update_impl(self, indices, weights, grads, states, multi_precision=False):
        indices, weights, grads, states = _sgdfamily.as_lists(indices, weights, grads, states)
        plans = _sgdfamily.plan_tensors(self, weights, grads, states, multi_precision)
        clip = self._clip_bound()
        rescale = float(self.rescale_grad)
        run, run_scalars, run_indices, lars_pending, copies = [], [], [], [], []
        for index, plan in zip(indices, plans):
            # MXNet looks the rate up before counting this update
            lr = self._get_lrs([index])[0]
            wd = self._get_wds([index])[0]
            self._update_count([index])
            num = self._accumulate(index, plan.grad, plan.weight, plan.master)
            if num % self.batch_scale != 0:
                # MXNet runs sgd_update with lr = 0 on the raw gradient: the
                # weight stays (NaN/Inf gradients turn into NaN, as there)
                run.append(_sgdfamily.Plan("sgd_plain", plan.mode, plan.weight, plan.grad, [],
                                           plan.master))
                run_scalars.append((0.0, float(wd), 1.0, -1.0))
                run_indices.append(index)
                continue
            if self.batch_scale != 1:
                plan.grad = self._window_grad(index)
                if plan.master is not None:
                    # the float32 mean gradient updates the master directly
                    copies.append((plan.weight, plan.master, plan.grad))
                    plan.weight, plan.master, plan.mode = plan.master, None, "f32"
            if self.warmup_strategy == "lars":
                lars_pending.append(len(run))
                mult = 1.0
            else:
                mult = self._get_lbmult(num)
            sc = (float(lr * mult), float(wd), rescale, clip)
            if plan.kernel == "sgd_mom":
                sc += (float(self.momentum),)
            run.append(plan)
            run_scalars.append(sc)
            run_indices.append(index)
        if lars_pending:
            self._apply_lars_mults(run, run_scalars, lars_pending)
        _sgdfamily.apply_plans(self, run_indices, run, run_scalars)
        for weight16, master, grad in copies:
            if isinstance(grad, GradRows):
                w2 = weight16.reshape(weight16.shape[0], -1)
                w2[grad.indices] = master.reshape(master.shape[0], -1)[grad.indices]
            else:
                np.copyto(weight16, master, casting="unsafe")

    def _apply_lars_mults(self, run, run_scalars, positions):
        arrays = []
        for k in positions:
            plan = run[k]
            arrays.append(plan.master if plan.master is not None else plan.weight)
            arrays.append(plan.grad.data if isinstance(plan.grad, GradRows) else plan.grad)
        sums = np.empty(len(arrays), dtype=np.float64)
        self._sum_squares(arrays, sums)
        for j, k in enumerate(positions):
            lr, wd = run_scalars[k][0], run_scalars[k][1]
            mult = self._lars_mult(sums[2 * j], sums[2 * j + 1], wd)
            run_scalars[k] = (lr * mult,) + tuple(run_scalars[k][1:])
