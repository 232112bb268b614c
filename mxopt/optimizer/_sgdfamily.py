"""Pieces shared by the SGD-family optimizers whose step needs more than the
generic update of :class:`~mxopt.optimizer.Optimizer` (LARS's norms, LBSGD's
gradient accumulation, SGLD's noise).

The three phases of the base class's update are kept apart here so that such
an optimizer can slot its own work between them: :func:`plan_tensors`
validates every tensor (nothing is modified before it returns),
the optimizer then counts and looks up its rates, and :func:`apply_plans`
runs the kernels (dense tensors grouped into one multi-tensor call per
kernel and precision, sparse gradients one by one).
"""
from mxopt.optimizer._dispatch import GradRows

__all__ = ["Plan", "as_lists", "plan_tensors", "apply_plans", "is_sparse"]


class Plan(object):
    """One validated tensor: which kernel, in which precision mode, on which
    arrays (``arrays`` are the rule's state arrays in rule order)."""
    __slots__ = ("kernel", "mode", "weight", "grad", "arrays", "master")

    def __init__(self, kernel, mode, weight, grad, arrays, master):
        self.kernel = kernel
        self.mode = mode
        self.weight = weight
        self.grad = grad
        self.arrays = arrays
        self.master = master


def is_sparse(grad):
    return isinstance(grad, GradRows)


def as_lists(indices, weights, grads, states):
    """Normalise one tensor or MXNet's aggregated lists to four lists."""
    if not isinstance(indices, (list, tuple)):
        return [indices], [weights], [grads], [states]
    n = len(indices)
    if not (len(weights) == n and len(grads) == n and len(states) == n):
        raise ValueError("indices, weights, grads and states must have the same length, "
                         "received %d, %d, %d, %d"
                         % (n, len(weights), len(grads), len(states)))
    return list(indices), list(weights), list(grads), list(states)


def plan_tensors(opt, weights, grads, states, multi_precision):
    """Validate every weight, gradient and state (the base class's
    ``_plan``) and return one :class:`Plan` per tensor.  Raises before
    anything changes."""
    return [Plan(*opt._plan(w, g, s, multi_precision))
            for w, g, s in zip(weights, grads, states)]


def apply_plans(opt, indices, plans, scalars):
    """Run the kernels of ``indices`` through the base class
    (``opt._run_kernels``): ``scalars[i]`` is plan i's tuple (lr, wd,
    rescale, clip, rule hyperparameters...)."""
    opt._run_kernels([(p.kernel, p.mode, p.weight, p.grad, p.arrays, p.master) for p in plans],
                     scalars, indices)
