"""Export an evolved network to ONNX, PyTorch or plain JSON.

``export(net, w, format="onnx", path="best.onnx")``; ``build_from_json(path)`` reads a JSON export
back into (net, w). The JSON document (:mod:`.json_format`) is the one description every format is
made from. onnx (and onnxruntime to run the model) and torch are optional: ``pip install
'evornn[export]'`` for ONNX; torch as you install it for your platform.

The ONNX and torch models compute in float64: for a network built with ``dtype="float32"`` they
give the float64 kernels' outputs (the float32 kernels differ from those by float32 rounding).
"""
from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import numpy as np

from .json_format import build_from_json, to_dict

FORMATS = {"onnx": ".onnx", "torch": ".pt", "json": ".json"}


def export(net, w: np.ndarray, format: str = "onnx", path: str | Path | None = None, *,
           native_ops: bool = False) -> Any:
    """Export network ``net`` with chromosome ``w`` (n_params,).

    format "json": the document (a dict); "onnx": the ``onnx.ModelProto``; "torch": a
    ``torch.nn.Module`` (float64) whose ``forward(x, state=None)`` returns ``(y, state)``. With
    ``path`` it is also written there (for torch: the state dict and the JSON document in one
    ``torch.save`` file that :func:`evornn.export.torch_format.load` reads back) and the path is
    returned instead. ``native_ops`` (ONNX only): ONNX's own RNN/LSTM/GRU operators where they
    compute the cell exactly (see :mod:`evornn.export.onnx_format`; onnxruntime cannot run them
    in float64).
    """
    if format not in FORMATS:
        raise ValueError(f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}")
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (net.n_params,):
        raise ValueError(f"chromosome must have shape ({net.n_params},) for {net.name}, got {w.shape}")
    doc = to_dict(net, w)
    if format == "json":
        if path is None:
            return doc
        from .json_format import write_doc
        return write_doc(doc, path)
    if format == "onnx":
        from . import onnx_format
        return onnx_format.build_model(doc, native_ops) if path is None else onnx_format.write(doc, path, native_ops)
    from . import torch_format
    return torch_format.build_module(doc) if path is None else torch_format.write(doc, path)


def export_run(folder: str | Path, format: str, out: str | Path | None = None) -> Path:
    """Export the best network of run folder ``folder`` (best.npy, network.json); returns the file
    written (default: ``best.onnx``, ``best.pt`` or ``best.json`` in the folder)."""
    from ..nets import build
    from ..records import BEST, NETWORK, read_json
    if format not in FORMATS:
        raise ValueError(f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}")
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no run folder {folder}")
    for name in (BEST, NETWORK):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder} has no {name}: not a run folder, or its run has not "
                                    f"recorded a best network yet")
    w = np.load(folder / BEST, allow_pickle=False)
    net = build(**read_json(folder / NETWORK))
    if w.shape != (net.n_params,):
        raise ValueError(f"{folder}: best.npy has shape {w.shape}, network.json needs ({net.n_params},)")
    return export(net, w, format, out if out is not None else folder / f"best{FORMATS[format]}")


__all__ = ["FORMATS", "build_from_json", "export", "export_run", "to_dict"]


class _CallableModule(types.ModuleType):
    """``evornn.export(net, w, ...)`` calls :func:`export`, while ``evornn.export`` stays this
    package (so ``import evornn.export.onnx_format`` and the like keep working)."""

    def __call__(self, net, w, format: str = "onnx", path=None, **options):
        return export(net, w, format, path, **options)


sys.modules[__name__].__class__ = _CallableModule
