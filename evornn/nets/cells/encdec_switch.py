"""Encoder-decoder switch: the encoder's final state initialises the decoder (Sutskever, Vinyals &
Le 2014, "Sequence to sequence learning with neural networks", NIPS; Cho et al. 2014).

The first layer of a ``seq2seq`` network (:func:`evornn.nets.seq2seq.build`), which runs an
encoder core (layer k + 1) and a decoder core (layer k + 2) of the same state layout, both reading
the network's input, then a dense readout of the decoder. The last input column is the phase
flag: 0 while the source is read, 1 while the target is produced. At the first step whose flag
is above 0.5 the switch copies the encoder's whole state into the decoder's:

    s_dec <- s_enc   (once per sequence, before either core steps)

The decoder therefore starts the target from the encoder's final state, whatever it did while
the source was read (its state is overwritten); the encoder's steps after the switch are never
read. No parameters. Workspace: one flag, 1 once the copy is done (reset with the state at every
sequence start).
"""
from numba import njit

from ..lanes import U, nlanes
from ..layer import NIN, SLEN, SOFF, XOFF, LayerSpec

CODE = 20


def build(n_in: int) -> LayerSpec:
    return LayerSpec(CODE, n_in, 0, 0, [], 1, [], kind="encdec_switch")


@njit(cache=True, error_model="numpy")
def step(L, k, ix, fx, w, ws):
    s = L[k, SOFF]
    if ws[L[k, XOFF] + L[k, NIN] - 1] > 0.5 and ws[s] == 0.0:
        enc, dec, m = L[k + 1, SOFF], L[k + 2, SOFF], L[k + 1, SLEN]
        for j in range(m):
            ws[dec + j] = ws[enc + j]
        ws[s] = 1.0


@njit(cache=True, error_model="numpy")
def step_lanes(L, k, ix, fx, W, ws):
    """:func:`step` for a block of individuals in vector lanes, lane by lane."""
    n = nlanes(ws)
    s = L[k, SOFF]
    flag = L[k, XOFF] + L[k, NIN] - 1
    enc, dec, m = L[k + 1, SOFF], L[k + 2, SOFF], L[k + 1, SLEN]
    for lane in range(n):
        if ws[U(flag * n + lane)] > 0.5 and ws[U(s * n + lane)] == 0.0:
            for j in range(m):
                ws[U((dec + j) * n + lane)] = ws[U((enc + j) * n + lane)]
            ws[U(s * n + lane)] = 1.0
