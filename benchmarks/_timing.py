"""Timing helpers shared by ``run.py`` and ``mxnet_runner.py``.

Standard library only: ``mxnet_runner.py`` imports this module inside
MXNet's own virtual environment, where mxopt is not installed.
"""
import contextlib
import gc
import statistics
import time

__all__ = ["measure", "measure_turns", "summary", "fmt_time"]


@contextlib.contextmanager
def _gc_off():
    """The garbage collector off (as in ``timeit``), so that a collection
    triggered by one contender is not billed to another."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _sample(fn, number):
    """Seconds per call of ``number`` calls of ``fn`` in a row."""
    clock = time.perf_counter
    if number == 1:
        t0 = clock()
        fn()
        return clock() - t0
    t0 = clock()
    for _ in range(number):
        fn()
    return (clock() - t0) / number


def measure(fn, repeat, warmup=1, number=1, before=None, budget=None):
    """Time ``fn``: ``warmup`` untimed calls, then ``repeat`` samples of
    ``number`` calls each; returns the per-call seconds of every sample.

    ``before`` (optional) runs untimed before each call or sample, e.g. to
    mark gradients fresh.  ``budget`` (seconds, optional) caps the timed
    samples for slow contenders: the first warm-up call is timed and
    ``repeat`` (to 3 at least), then ``number`` (to 1 at least), are lowered
    so the samples fit the budget.  The
    garbage collector is off while timing (as in ``timeit``) so a collection
    triggered by one contender is not billed to another.
    """
    clock = time.perf_counter
    for k in range(max(warmup, 1 if budget else 0)):
        if before is not None:
            before()
        t0 = clock()
        fn()
        if k == 0 and budget:
            first = clock() - t0
            if first > 0 and first * number * repeat > budget:
                repeat = max(3, int(budget / (first * number)))
                number = max(1, min(number, int(budget / (first * repeat))))
    samples = []
    with _gc_off():
        for _ in range(repeat):
            if before is not None:
                before()
            samples.append(_sample(fn, number))
    return samples


def measure_turns(fns, repeat, warmup=1, number=None, between=None, per_turn=3):
    """Time several contenders in turns of ``per_turn`` samples, the order
    reversed every other round, until each has ``repeat`` samples, so that a
    change in the machine's load during the run reaches every contender
    alike.  Each turn starts with one untimed call, which brings that
    contender's arrays back into the caches the other one used: the samples
    then see what back-to-back timing sees.

    ``fns`` maps a name to a callable, ``number`` (optional) a name to the
    calls per sample (default 1).  ``between`` (optional) runs untimed before
    each turn, e.g. a pause that lets the previous contender's threads go
    idle.  Returns ``{name: per-call seconds of every sample}``; the garbage
    collector is off while timing, as in :func:`measure`.
    """
    number = dict(number or {})
    names = list(fns)
    for name in names:
        for _ in range(warmup):
            fns[name]()
    samples = {name: [] for name in names}
    with _gc_off():
        turn = 0
        while any(len(samples[name]) < repeat for name in names):
            for name in (names if turn % 2 == 0 else names[::-1]):
                todo = min(per_turn, repeat - len(samples[name]))
                if todo <= 0:
                    continue
                if between is not None:
                    between()
                fns[name]()
                for _ in range(todo):
                    samples[name].append(_sample(fns[name], number.get(name, 1)))
            turn += 1
    return samples


def summary(samples):
    """Median, min and max of timing samples (seconds)."""
    return {"median": statistics.median(samples), "min": min(samples),
            "max": max(samples), "samples": list(samples)}


def fmt_time(seconds):
    """A duration with a unit that keeps three significant digits."""
    if seconds is None:
        return "-"
    if seconds >= 1.0:
        return "%.3g s" % seconds
    if seconds >= 1e-3:
        return "%.3g ms" % (seconds * 1e3)
    return "%.3g us" % (seconds * 1e6)
