"""Several individuals in the lanes of one vector: the layout and the small loops of the SIMD cells.

A *block* is ``N`` individuals run together over a whole sequence: ``N = 8`` in float64 (one
AVX-512 vector, two AVX2 vectors) and ``N = 16`` in float32. Every array of a block is flat with
the lane index last, so that the ``N`` values of one quantity are adjacent and each loop
``for l in range(N)`` below becomes one vector instruction:

* chromosomes ``Wb[(j * N) + l]``: parameter j of individual l of the block;
* workspace ``ws[(r * N) + l]``: row r of the network's workspace (see :mod:`evornn.nets.layer`:
  the same rows as the one-individual kernels, inputs at rows 0..n_in-1) for individual l.

A cell's ``step_lanes(L, k, ix, fx, W, ws)`` is its ``step`` with every scalar turned into a row of
N lanes: it reads its input rows, writes its output rows and keeps its state rows, exactly as
``step`` does, using the helpers here. Accumulators live in :func:`lane_acc` (N values on the
stack, which LLVM keeps in a vector register); indices are unsigned (:func:`U`). Each lane does the same operations in the same
order as every other lane, so an individual's result does not depend on its lane, its block, the
number of blocks or threads (tests/test_lanes.py).
"""
import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

from .layer import RELU, SIGMOID, TANH
from .vmath import vsigmoid, vtanh

LANES = {np.dtype(np.float64): 8, np.dtype(np.float32): 16}
DTYPES = {"float64": np.float64, "float32": np.float32}


def lanes_of_dtype(dtype) -> int:
    """Individuals per block for ``dtype`` (float64: 8, float32: 16)."""
    return LANES[np.dtype(dtype)]


def _n_of(dtype) -> int:
    return 16 if dtype == types.float32 else 8


@intrinsic
def lane_acc(typingctx, like):
    """A stack array of N values of ``like``'s dtype (N its lane count): an accumulator row."""
    if not isinstance(like, types.Array):
        return None
    dt = like.dtype
    n = _n_of(dt)
    arrty = types.Array(dt, 1, "C")

    def codegen(context, builder, sig, args):
        ty = context.get_value_type(dt)
        ptr = cgutils.alloca_once(builder, ty, size=n)
        ary = context.make_array(arrty)(context, builder)
        size = context.get_abi_sizeof(ty)
        context.populate_array(ary, data=ptr, shape=[context.get_constant(types.intp, n)],
                               strides=[context.get_constant(types.intp, size)],
                               itemsize=context.get_constant(types.intp, size), meminfo=None)
        return ary._getvalue()
    return arrty(like), codegen


@intrinsic
def borrow(typingctx, arr):
    """A view of ``arr`` without its reference count (meminfo NULL).

    Numba increments and decrements the reference count of every array passed to a function
    (atomic operations: about 70 ns of a 80 ns step of a small network). A kernel passes borrowed
    views of arrays it keeps alive itself to the cells it calls every step. Numba frees a local
    array after its last use, not at the end of its scope: an array allocated in the kernel must be
    used after the last use of its borrowed view (:func:`keep`), or the view points to freed memory."""
    if not isinstance(arr, types.Array):
        return None

    def codegen(context, builder, sig, args):
        src = context.make_array(arr)(context, builder, args[0])
        out = context.make_array(arr)(context, builder)
        context.populate_array(out, data=src.data, shape=src.shape, strides=src.strides,
                               itemsize=src.itemsize, meminfo=None)
        return out._getvalue()
    return arr(arr), codegen


@njit(error_model="numpy")
def keep(a):
    """Use ``a`` here: Numba frees a local array only after this call (see :func:`borrow`)."""
    return a.size


def nlanes(a):
    """The lane count of array ``a``'s dtype, a compile-time constant; Numba kernels only."""
    raise TypeError("nlanes runs inside Numba kernels only")


@overload(nlanes, inline="always")
def _nlanes(a):
    n = _n_of(a.dtype)
    return lambda a: n


def rt_lanes(a):
    """The lane count of array ``a`` as a value LLVM cannot see is constant.

    Numba leaves LLVM's SLP vectoriser off (numba#8705), and a loop of a constant 8 or 16 steps is
    unrolled into scalar code before the loop vectoriser sees it: lane loops run
    ``range(rt_lanes(a))`` instead, ``min(N, len(a))``, which is N for every block array (at least
    one row) but not known to be, so the loop vectoriser turns the loop into vector code."""
    raise TypeError("rt_lanes runs inside Numba kernels only")


@overload(rt_lanes, inline="always")
def _rt_lanes(a):
    n = _n_of(a.dtype)
    return lambda a: min(n, a.shape[0])


@njit(inline="always")
def U(i):
    """``i`` as an unsigned index: Numba then emits no negative-index wraparound, which would
    keep LLVM from seeing that the lanes of a row are adjacent (and from vectorising)."""
    return np.uint64(i)


def like(x, a):
    """``x`` converted to the dtype of array ``a``; Numba kernels only."""
    raise TypeError("like runs inside Numba kernels only")


@overload(like, inline="always")
def _like(x, a):
    dt = a.dtype
    return lambda x, a: dt(x)


@intrinsic
def _vmove(typingctx, dst, do, src, so):
    """dst[do:do+N] = src[so:so+N] (N the lane count): one vector load and one vector store. A copy
    loop over the lanes would do the same, but LLVM turns a loop of run-time length (see
    :func:`rt_lanes`) into a call of libc's memcpy, which costs more than the copy of one row."""
    if not (isinstance(dst, types.Array) and isinstance(src, types.Array) and dst.dtype == src.dtype):
        return None
    dt = dst.dtype
    n = _n_of(dt)

    def codegen(context, builder, sig, args):
        a_dst, v_do, a_src, v_so = args
        d = context.make_array(sig.args[0])(context, builder, a_dst)
        s = context.make_array(sig.args[2])(context, builder, a_src)
        vptr = ir.VectorType(context.get_value_type(dt), n).as_pointer()
        align = context.get_abi_sizeof(context.get_value_type(dt))
        ps = builder.bitcast(builder.gep(s.data, [context.cast(builder, v_so, sig.args[3], types.intp)]), vptr)
        pd = builder.bitcast(builder.gep(d.data, [context.cast(builder, v_do, sig.args[1], types.intp)]), vptr)
        builder.store(builder.load(ps, align=align), pd, align=align)
        return context.get_dummy_value()
    return types.void(dst, do, src, so), codegen


@njit(inline="always", error_model="numpy")
def lload(acc, A, row):
    """acc[l] = A[row, l] (a row of a block array: chromosome or workspace)."""
    _vmove(acc, 0, A, row * nlanes(A))


@njit(inline="always", error_model="numpy")
def lfill(acc, v):
    """acc[l] = v."""
    for l in range(U(acc.shape[0])):
        acc[l] = v


@intrinsic
def _vdot(typingctx, acc, W, ow, ws, ox, m):
    """acc[:] += sum_j W[ow + j*N : ow + (j+1)*N] * ws[ox + j*N : ox + (j+1)*N] for j < m, written
    with LLVM vector operations: LLVM's vectorisers do not turn this loop into vector code by
    themselves (8 accumulators carried across iterations; ws may alias W as far as LLVM knows)."""
    if not all(isinstance(a, types.Array) for a in (acc, W, ws)):
        return None
    dt = ws.dtype
    n = _n_of(dt)

    def codegen(context, builder, sig, args):
        a_acc, a_w, v_ow, a_ws, v_ox, v_m = args
        acc_arr = context.make_array(sig.args[0])(context, builder, a_acc)
        w_arr = context.make_array(sig.args[1])(context, builder, a_w)
        ws_arr = context.make_array(sig.args[3])(context, builder, a_ws)
        vty = ir.VectorType(context.get_value_type(dt), n)
        vptr = vty.as_pointer()
        align = context.get_abi_sizeof(context.get_value_type(dt))
        intp = context.get_value_type(types.intp)
        ow = context.cast(builder, v_ow, sig.args[2], types.intp)
        ox = context.cast(builder, v_ox, sig.args[4], types.intp)
        m = context.cast(builder, v_m, sig.args[5], types.intp)
        acc_p = builder.bitcast(acc_arr.data, vptr)
        total = cgutils.alloca_once_value(builder, builder.load(acc_p, align=align))
        step = ir.Constant(intp, n)
        with cgutils.for_range(builder, m) as loop:
            off = builder.mul(loop.index, step)
            pw = builder.bitcast(builder.gep(w_arr.data, [builder.add(ow, off)]), vptr)
            px = builder.bitcast(builder.gep(ws_arr.data, [builder.add(ox, off)]), vptr)
            prod = builder.fmul(builder.load(pw, align=align), builder.load(px, align=align))
            builder.store(builder.fadd(builder.load(total), prod), total)
        builder.store(builder.load(total), acc_p, align=align)
        return context.get_dummy_value()
    return types.void(acc, W, ow, ws, ox, m), codegen


@intrinsic
def _vdot_rows(typingctx, acc, nrows, W, ow, rstride, ws, ox, m):
    """For r < nrows (a literal): acc[r*N:(r+1)*N] += sum_j W[ow + r*rstride + j*N : ... + N] *
    ws[ox + j*N : ox + (j+1)*N] for j < m. Several rows that read the same state run as independent
    vector chains, so the latency of each addition is hidden behind the others (one chain alone
    waits about four cycles per term); the terms of each row are added in the same order as
    :func:`_vdot`, so the results are the same to the bit."""
    if not isinstance(nrows, types.IntegerLiteral) or not all(isinstance(a, types.Array) for a in (acc, W, ws)):
        return None
    dt = ws.dtype
    n = _n_of(dt)
    k = nrows.literal_value

    def codegen(context, builder, sig, args):
        a_acc, _k, a_w, v_ow, v_rs, a_ws, v_ox, v_m = args
        acc_arr = context.make_array(sig.args[0])(context, builder, a_acc)
        w_arr = context.make_array(sig.args[2])(context, builder, a_w)
        ws_arr = context.make_array(sig.args[5])(context, builder, a_ws)
        vty = ir.VectorType(context.get_value_type(dt), n)
        vptr = vty.as_pointer()
        align = context.get_abi_sizeof(context.get_value_type(dt))
        intp = context.get_value_type(types.intp)
        ow = context.cast(builder, v_ow, sig.args[3], types.intp)
        rs = context.cast(builder, v_rs, sig.args[4], types.intp)
        ox = context.cast(builder, v_ox, sig.args[6], types.intp)
        m = context.cast(builder, v_m, sig.args[7], types.intp)
        acc_ps = [builder.bitcast(builder.gep(acc_arr.data, [ir.Constant(intp, r * n)]), vptr) for r in range(k)]
        totals = [cgutils.alloca_once_value(builder, builder.load(p, align=align)) for p in acc_ps]
        row_off = [builder.add(ow, builder.mul(rs, ir.Constant(intp, r))) for r in range(k)]
        step = ir.Constant(intp, n)
        with cgutils.for_range(builder, m) as loop:
            off = builder.mul(loop.index, step)
            x = builder.load(builder.bitcast(builder.gep(ws_arr.data, [builder.add(ox, off)]), vptr), align=align)
            for r in range(k):
                pw = builder.bitcast(builder.gep(w_arr.data, [builder.add(row_off[r], off)]), vptr)
                prod = builder.fmul(builder.load(pw, align=align), x)
                builder.store(builder.fadd(builder.load(totals[r]), prod), totals[r])
        for r in range(k):
            builder.store(builder.load(totals[r]), acc_ps[r], align=align)
        return context.get_dummy_value()
    return types.void(acc, nrows, W, ow, rstride, ws, ox, m), codegen


@intrinsic
def lane_accs(typingctx, like, nrows):
    """A stack array of ``nrows`` (a literal) accumulator rows of N values: row r at [r*N, (r+1)*N)."""
    if not isinstance(like, types.Array) or not isinstance(nrows, types.IntegerLiteral):
        return None
    dt = like.dtype
    size = _n_of(dt) * nrows.literal_value
    arrty = types.Array(dt, 1, "C")

    def codegen(context, builder, sig, args):
        ty = context.get_value_type(dt)
        ptr = cgutils.alloca_once(builder, ty, size=size)
        ary = context.make_array(arrty)(context, builder)
        isz = context.get_abi_sizeof(ty)
        context.populate_array(ary, data=ptr, shape=[context.get_constant(types.intp, size)],
                               strides=[context.get_constant(types.intp, isz)],
                               itemsize=context.get_constant(types.intp, isz), meminfo=None)
        return ary._getvalue()
    return arrty(like, nrows), codegen


@njit(inline="always", error_model="numpy")
def ldot_rows(acc, nrows, W, pw, row_stride, ws, px, m):
    """For r < nrows (a literal): accumulator row r of ``acc`` += sum_j W[pw + r*row_stride + j, l] *
    ws[px + j, l] for j < m: the dot products of ``nrows`` weight rows with one state, at once."""
    n = nlanes(ws)
    _vdot_rows(acc, nrows, W, pw * n, row_stride * n, ws, px * n, m)


@njit(inline="always", error_model="numpy")
def lload_row(acc, r, A, row):
    """Accumulator row r of ``acc`` = A[row, :]."""
    n = nlanes(A)
    _vmove(acc, r * n, A, row * n)


@njit(inline="always", error_model="numpy")
def lstore_row(ws, row, acc, r):
    """ws[row, :] = accumulator row r of ``acc``."""
    n = nlanes(ws)
    _vmove(ws, row * n, acc, r * n)


@njit(inline="always", error_model="numpy")
def ldot(acc, W, pw, ws, px, m):
    """acc[l] += sum_j W[pw + j, l] * ws[px + j, l] for j < m (evolved weights times a state)."""
    n = nlanes(ws)
    _vdot(acc, W, pw * n, ws, px * n, m)


@njit(inline="always", error_model="numpy")
def ldot_fixed(acc, c, pc, ws, px, m):
    """acc[l] += sum_j c[pc + j] * ws[px + j, l] for j < m (fixed weights shared by all lanes)."""
    n = nlanes(ws)
    nl = U(rt_lanes(ws))
    ox = U(px * n)
    for j in range(U(m)):
        cj = like(c[U(pc) + j], ws)
        for l in range(nl):
            acc[l] += cj * ws[ox + l]
        ox += U(n)


@njit(inline="always", error_model="numpy")
def lstore(ws, row, acc):
    """ws[row, l] = acc[l]."""
    _vmove(ws, row * nlanes(ws), acc, 0)


@njit(inline="always", error_model="numpy")
def lact_rows(code, ws, row, m):
    """ws[row + j, l] = act(ws[row + j, l]) for j < m, in place."""
    n = nlanes(ws)
    o = U(row * n)
    if code == TANH:
        for i in range(U(m * n)):
            ws[o + i] = vtanh(ws[o + i])
    elif code == SIGMOID:
        for i in range(U(m * n)):
            ws[o + i] = vsigmoid(ws[o + i])
    elif code == RELU:
        for i in range(U(m * n)):
            v = ws[o + i]
            ws[o + i] = v * 0 if v < 0 else v


@njit(inline="always", error_model="numpy")
def lcopy(ws, src, dst, m):
    """Rows ws[dst:dst+m] = ws[src:src+m] (all lanes)."""
    n = nlanes(ws)
    so = U(src * n)
    do = U(dst * n)
    for i in range(U(m * n)):
        ws[do + i] = ws[so + i]


@njit(inline="always", error_model="numpy")
def lzero(ws, row, m):
    """Rows ws[row:row+m] = 0."""
    n = nlanes(ws)
    o = U(row * n)
    for i in range(U(m * n)):
        ws[o + i] = 0


# -- packing a population into blocks and back -----------------------------------------------
def pack(W: np.ndarray, dtype) -> np.ndarray:
    """Population W (P, n) -> blocks (B, n * N) of ``dtype``, the last block padded with zero rows.

    Row p of W is lane p % N of block p // N. Padding with whole zero chromosomes (instead of a
    scalar tail) keeps every individual in a vector lane doing the same arithmetic.
    """
    P, n = W.shape
    N = lanes_of_dtype(dtype)
    B = -(-P // N)
    padded = np.zeros((B * N, n), dtype=dtype)
    padded[:P] = W
    return np.ascontiguousarray(padded.reshape(B, N, n).transpose(0, 2, 1)).reshape(B, n * N)


def unpack(Yb: np.ndarray, P: int, T: int, n_out: int) -> np.ndarray:
    """Block outputs (B, T * n_out * N) -> (P, T, n_out) float64."""
    B, N = Yb.shape[0], lanes_of_dtype(Yb.dtype)
    Y = Yb.reshape(B, T, n_out, N).transpose(0, 3, 1, 2).reshape(B * N, T, n_out)[:P]
    return np.ascontiguousarray(Y, dtype=np.float64)
