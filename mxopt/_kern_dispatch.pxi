# ---------------------------------------------------------------------------
# Fast validation for the optimizers' dense path (mxopt.optimizer.Optimizer._plan):
# the common case -- numpy arrays of one float dtype and shape, C-contiguous,
# writable where written -- is recognised in C.  Anything else returns
# None/False and the Python checks then raise the error that says what is
# wrong, so these functions never decide an error message.
# ---------------------------------------------------------------------------

cdef inline bint _same_shape(cnp.ndarray a, cnp.ndarray b) noexcept:
    cdef int nd = cnp.PyArray_NDIM(a), d
    if cnp.PyArray_NDIM(b) != nd:
        return False
    for d in range(nd):
        if cnp.PyArray_DIMS(a)[d] != cnp.PyArray_DIMS(b)[d]:
            return False
    return True


def dense_pair_mode(object weight, object grad):
    """``'f32'``, ``'f64'`` or ``'h16'`` when ``weight`` and ``grad`` are
    numpy arrays of that float dtype and one shape, both C-contiguous and the
    weight writable; None otherwise."""
    if not cnp.PyArray_Check(weight) or not cnp.PyArray_Check(grad):
        return None
    cdef cnp.ndarray w = <cnp.ndarray>weight
    cdef cnp.ndarray g = <cnp.ndarray>grad
    cdef int tn = cnp.PyArray_TYPE(w)
    if (cnp.PyArray_TYPE(g) != tn or not cnp.PyArray_ISNOTSWAPPED(w)
            or not cnp.PyArray_ISNOTSWAPPED(g)):
        return None
    if not (cnp.PyArray_IS_C_CONTIGUOUS(w) and cnp.PyArray_IS_C_CONTIGUOUS(g)
            and cnp.PyArray_ISWRITEABLE(w) and _same_shape(w, g)):
        return None
    if tn == cnp.NPY_FLOAT32:
        return 'f32'
    if tn == cnp.NPY_FLOAT64:
        return 'f64'
    if tn == cnp.NPY_FLOAT16:
        return 'h16'
    return None


def states_match(object weight, list arrays):
    """True when every entry of ``arrays`` is a writable C-contiguous numpy
    array of the weight's dtype and shape."""
    cdef cnp.ndarray w = <cnp.ndarray?>weight
    cdef cnp.ndarray a
    cdef int tn = cnp.PyArray_TYPE(w)
    for obj in arrays:
        if not cnp.PyArray_Check(obj):
            return False
        a = <cnp.ndarray>obj
        if (cnp.PyArray_TYPE(a) != tn or not cnp.PyArray_ISNOTSWAPPED(a)
                or not cnp.PyArray_IS_C_CONTIGUOUS(a) or not cnp.PyArray_ISWRITEABLE(a)
                or not _same_shape(w, a)):
            return False
    return True
