"""Basic Pitch weights: the ``basic-pitch`` 0.4.0 wheel's ONNX model, verified, read.

The PyPI package ``basic-pitch`` 0.4.0 (Bittner et al. 2022) ships its ICASSP 2022 model as a
TF SavedModel, TFLite, CoreML and ONNX (``basic_pitch/saved_models/icassp_2022/nmp.onnx``,
230 KB), but requires ``tensorflow<2.15.1`` and cannot be installed with this project.
:func:`fetch` (``hear-probes weights fetch basic-pitch``) takes only ``nmp.onnx``
(sha256-pinned) out of the sha256-pinned wheel into
``<cache>/weights/basic-pitch/icassp_2022/nmp.onnx`` (see
:mod:`hear_probes_adapters._wheel_weights`).

:func:`read_onnx` parses that file without the ``onnx`` package (an ONNX model is a protobuf
message; only the tensors and the graph's node list are read), and :func:`learned_arrays`
picks the learned tensors of the network by the graph position of the nodes that use them.
The ONNX export (tf2onnx 1.15.1) folded the batch norms that follow the contour and onset
convolutions into those convolutions' kernels and biases; the input batch norm is a scalar
multiply and add.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from hear_probes_adapters import _wheel_weights as ww
from hear_probes_adapters._pypi_weights import WeightsCorruptError
from hear_probes_adapters._tf_checkpoint import CheckpointFormatError, _fields, _varint
from hear_probes_adapters._wheel_weights import Member, WheelSpec

MODEL = "basic-pitch"
#: The wheel (sha256 measured on PyPI 2026-12-05) and the one file taken out of it.
SPEC = WheelSpec(
    MODEL, "basic-pitch", "0.4.0", "basic_pitch-0.4.0-py2.py3-none-any.whl",
    "738adb503aae7fdfc7d1e1511aa0ce35052315f260a19531ef4c356708425db0",
    (Member("basic_pitch/saved_models/icassp_2022/nmp.onnx", "icassp_2022/nmp.onnx",
            "2c3c1d144bfa61ad236e92e169c13535c880469a12a047d4e73451f2c059a0ec", 230444),))
FETCH_HINT = SPEC.fetch_hint

#: Learned convolutions of the network: name -> ONNX kernel shape (out, in, time, freq).
CONV_SHAPES: dict[str, tuple[int, int, int, int]] = {
    "contour_conv": (8, 8, 3, 39),  # conv2d_1 + batch_normalization_2 (folded)
    "contour_head": (1, 8, 5, 5),  # contours-reduced (sigmoid)
    "note_conv": (32, 1, 7, 7),  # conv2d_2, stride (1, 3)
    "note_head": (1, 32, 7, 3),  # conv2d_3 (sigmoid)
    "onset_conv": (32, 8, 5, 5),  # conv2d_4 + batch_normalization_3 (folded), stride (1, 3)
    "onset_head": (1, 33, 3, 3),  # conv2d_5 (sigmoid)
}
_FLOAT, _INT32, _INT64 = 1, 6, 7


class OnnxFormatError(ValueError):
    """The bytes are not an ONNX model of the expected kind."""


def weights_file() -> Path:
    """Cache path of the fetched ONNX model."""
    return SPEC.target(SPEC.members[0])


def fetch(wheel: str | Path | None = None, force: bool = False) -> list[Path]:
    """Put Basic Pitch's ``nmp.onnx`` into the hear-probes cache.

    :func:`~hear_probes_adapters._wheel_weights.fetch` of :data:`SPEC`; returns
    the cache folder holding ``nmp.onnx`` (one entry).
    """
    return [p.parent for p in ww.fetch(SPEC, wheel, force)]


def require_weights(check_digest: bool = True) -> tuple[Path, str]:
    """The cached, verified ``nmp.onnx`` and its sha256.

    Errors as :func:`hear_probes_adapters._wheel_weights.require` (one line with the fix).
    """
    return ww.require(SPEC, SPEC.members[0], check_digest)


# --------------------------------------------------------------------------- ONNX reading


def _tensor_fields(msg: bytes) -> tuple[str, list[int], int, bytes | None, list[bytes], list[int]]:
    """(name, dims, data type, raw_data, float_data chunks, int32/int64 data) of a ``TensorProto``."""
    dims: list[int] = []
    dtype, name, raw = 0, "", None
    floats: list[bytes] = []
    ints: list[int] = []
    for num, wire, val in _fields(msg):
        if num in (1, 5, 7):  # dims, int32_data, int64_data (packed or not)
            (dims if num == 1 else ints).extend(_packed_varints(val) if wire == 2 else [val])
        elif num == 2:
            dtype = val
        elif num == 4:
            floats.append(val)
        elif num == 8:
            name = val.decode()
        elif num == 9:
            raw = val
    return name, dims, dtype, raw, floats, ints


def _tensor(msg: bytes) -> tuple[str, np.ndarray]:
    """Name and value of an ONNX ``TensorProto`` (float32, int32 or int64)."""
    name, dims, dtype, raw, floats, ints = _tensor_fields(msg)
    np_dtype = {_FLOAT: np.float32, _INT32: np.int32, _INT64: np.int64}.get(dtype)
    if np_dtype is None:
        raise OnnxFormatError(f"tensor {name!r} has ONNX data type {dtype}, not float32/int32/int64")
    if raw is not None:
        arr = np.frombuffer(raw, dtype=np.dtype(np_dtype).newbyteorder("<")).astype(np_dtype)
    elif floats:
        arr = np.frombuffer(b"".join(floats), dtype="<f4").astype(np.float32)
    else:
        arr = np.asarray(ints, dtype=np_dtype)
    count = int(np.prod(dims)) if dims else 1
    if arr.size != count:
        raise OnnxFormatError(f"tensor {name!r} holds {arr.size} values, its shape {dims} needs {count}")
    return name, arr.reshape(dims)


def _packed_varints(buf: bytes) -> list[int]:
    """Signed int64 values of a packed repeated varint field."""
    out, pos = [], 0
    while pos < len(buf):
        v, pos = _varint(buf, pos)
        out.append(v - (1 << 64) if v >= 1 << 63 else v)
    return out


def _node(msg: bytes) -> tuple[str, list[str], list[str]]:
    """(op type, inputs, outputs) of an ONNX ``NodeProto``."""
    op, ins, outs = "", [], []
    for num, _, val in _fields(msg):
        if num == 1:
            ins.append(val.decode())
        elif num == 2:
            outs.append(val.decode())
        elif num == 4:
            op = val.decode()
    return op, ins, outs


def read_onnx(data: bytes, where: str = "model") -> tuple[dict[str, np.ndarray], list[tuple[str, list[str], list[str]]]]:
    """Initializers by name and the nodes ``(op, inputs, outputs)`` of an ONNX model.

    Raises
    ------
    OnnxFormatError
        The bytes are not a readable ONNX model (message names ``where``).
    """
    try:
        graphs = [v for num, wire, v in _fields(data) if num == 7 and wire == 2]
        if len(graphs) != 1:
            raise OnnxFormatError("no graph")
        inits: dict[str, np.ndarray] = {}
        nodes = []
        for num, wire, val in _fields(graphs[0]):
            if num == 5 and wire == 2:
                name, arr = _tensor(val)
                inits[name] = arr
            elif num == 1 and wire == 2:
                nodes.append(_node(val))
    except (CheckpointFormatError, OnnxFormatError, UnicodeDecodeError, struct.error) as exc:
        raise OnnxFormatError(f"{where} is not a readable ONNX model ({exc})") from None
    return inits, nodes


def learned_arrays(inits: dict[str, np.ndarray], nodes: list, where: str = "model") -> dict[str, np.ndarray]:
    """The network's learned tensors, by the names of :data:`CONV_SHAPES`.

    ``<conv>.weight`` (ONNX layout ``[out, in, time, freq]``) and ``<conv>.bias`` for each
    convolution, ``bn_in.scale`` and ``bn_in.offset`` (the folded input batch norm), and the
    front-end constants of the export for checks: ``cqt.kernels`` ``[2, 36, 256]`` (the two
    top-octave kernels, in graph order), ``cqt.lowpass`` ``[256]``, ``cqt.sqrt_lengths``
    ``[309]``.

    Raises
    ------
    OnnxFormatError
        A tensor is missing or ambiguous: not the Basic Pitch graph.
    """
    by_shape: dict[tuple, list[tuple[str, str | None]]] = {}
    for op, ins, _ in nodes:
        if op == "Conv" and len(ins) >= 2 and ins[1] in inits:
            by_shape.setdefault(tuple(inits[ins[1]].shape), []).append(
                (ins[1], ins[2] if len(ins) > 2 else None))
    out: dict[str, np.ndarray] = {}
    for name, shape in CONV_SHAPES.items():
        hits = {w for w in by_shape.get(shape, [])}
        if len(hits) != 1:
            raise OnnxFormatError(f"{where}: {len(hits)} convolutions with kernel {shape} ({name}); "
                                  "not the Basic Pitch ICASSP 2022 graph")
        w, b = hits.pop()
        out[f"{name}.weight"] = inits[w].astype(np.float32)
        out[f"{name}.bias"] = inits[b].astype(np.float32) if b else np.zeros(shape[0], np.float32)
    kernels = list(dict.fromkeys(w for w, _ in by_shape.get((36, 1, 1, 256), [])))
    lowpass = list(dict.fromkeys(w for w, _ in by_shape.get((1, 1, 1, 256), [])))
    for op, key in (("Mul", "bn_in.scale"), ("Add", "bn_in.offset")):
        hits = {i for o, ins, _ in nodes if o == op for i in ins
                if i in inits and inits[i].shape == (1,) and inits[i].dtype == np.float32}
        if len(hits) != 1:
            raise OnnxFormatError(f"{where}: {len(hits)} candidates for the input batch norm "
                                  f"({op}); not the Basic Pitch ICASSP 2022 graph")
        out[key] = inits[hits.pop()]
    sqrt_len = [v for k, v in inits.items() if v.shape == (309, 1, 1)]
    if len(kernels) != 2 or len(lowpass) != 1 or len(sqrt_len) != 1:
        raise OnnxFormatError(f"{where}: CQT constants not found; not the Basic Pitch ICASSP 2022 graph")
    out["cqt.kernels"] = np.stack([inits[k][:, 0, 0, :] for k in kernels])
    out["cqt.lowpass"] = inits[lowpass[0]].reshape(-1)
    out["cqt.sqrt_lengths"] = sqrt_len[0].reshape(-1)
    return out


def read_arrays(path: str | Path, name: str = MODEL) -> dict[str, np.ndarray]:
    """:func:`learned_arrays` of an ONNX file.

    Raises
    ------
    WeightsCorruptError
        The file is not a readable Basic Pitch ONNX model (one line naming it and the fix).
    """
    try:
        inits, nodes = read_onnx(Path(path).read_bytes(), str(path))
        return learned_arrays(inits, nodes, str(path))
    except OnnxFormatError as exc:
        raise WeightsCorruptError(f"{name}: {exc}; fetch it again with {FETCH_HINT} --force") from None
