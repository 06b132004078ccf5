"""Read a TensorFlow (V2 bundle) checkpoint without TensorFlow: ``.index`` + ``.data`` files.

A TF checkpoint saved by ``tf.compat.v1.train.Saver`` is two files:

- ``<prefix>.index``: a LevelDB-style SSTable (blocks of prefix-compressed key/value entries,
  an index block and a 48-byte footer ending in the magic ``0xdb4775248b80fb57``) mapping each
  variable name to a ``BundleEntryProto`` (dtype, shape, shard, offset, size, crc32c); the
  empty key holds the ``BundleHeaderProto``;
- ``<prefix>.data-00000-of-00001``: the raw little-endian tensor bytes at those offsets.

Only what the checkpoints of the ``musicnn`` package use is implemented (uncompressed blocks,
one shard, float32/int32/int64 tensors); anything else is a :class:`CheckpointFormatError`
naming the file. This keeps TensorFlow out of hear-probes' run time.
"""

from __future__ import annotations

import struct

import numpy as np

_MAGIC = 0xDB4775248B80FB57
#: TF ``DataType`` enum values read here.
_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 9: np.int64, 10: np.bool_}


class CheckpointFormatError(ValueError):
    """The bytes are not a TF checkpoint of the supported kind (message names the file)."""


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode a protobuf/LevelDB varint at ``pos``; return (value, next position)."""
    shift = value = 0
    while True:
        if pos >= len(buf):
            raise CheckpointFormatError("truncated varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7


def _block_entries(block: bytes) -> list[tuple[bytes, bytes]]:
    """Key/value pairs of one SSTable block (prefix-compressed keys, restart array at the end)."""
    if len(block) < 4:
        raise CheckpointFormatError("block shorter than its restart count")
    n_restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    end = len(block) - 4 - 4 * n_restarts
    if end < 0:
        raise CheckpointFormatError("bad restart count")
    out: list[tuple[bytes, bytes]] = []
    pos, key = 0, b""
    while pos < end:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        vlen, pos = _varint(block, pos)
        key = key[:shared] + block[pos: pos + unshared]
        pos += unshared
        out.append((key, block[pos: pos + vlen]))
        pos += vlen
    return out


def _read_block(buf: bytes, handle: bytes) -> bytes:
    """The content of the block a BlockHandle (varint offset, varint size) points to."""
    offset, p = _varint(handle, 0)
    size, _ = _varint(handle, p)
    if offset + size + 5 > len(buf):
        raise CheckpointFormatError("block beyond the end of the file (truncated?)")
    if buf[offset + size] != 0:
        raise CheckpointFormatError(f"compressed block (type {buf[offset + size]}) not supported")
    return buf[offset: offset + size]


def _fields(msg: bytes) -> list[tuple[int, int, object]]:
    """(field number, wire type, value) of a protobuf message (varint, fixed, length-delimited)."""
    out = []
    pos = 0
    while pos < len(msg):
        tag, pos = _varint(msg, pos)
        num, wire = tag >> 3, tag & 7
        if wire == 0:
            val, pos = _varint(msg, pos)
        elif wire == 1:
            val, pos = msg[pos: pos + 8], pos + 8
        elif wire == 2:
            n, pos = _varint(msg, pos)
            val, pos = msg[pos: pos + n], pos + n
        elif wire == 5:
            val, pos = msg[pos: pos + 4], pos + 4
        else:
            raise CheckpointFormatError(f"protobuf wire type {wire} not supported")
        out.append((num, wire, val))
    return out


def _entry(value: bytes) -> tuple[int, tuple[int, ...], int, int, int]:
    """(dtype, shape, shard, offset, size) of a ``BundleEntryProto``."""
    dtype = shard = offset = size = 0
    shape: list[int] = []
    for num, _, val in _fields(value):
        if num == 1:
            dtype = int(val)
        elif num == 2:
            for dnum, _, dim in _fields(val):  # TensorShapeProto.dim (2)
                if dnum == 2:
                    shape.extend(int(s) for n, _, s in _fields(dim) if n == 1)
        elif num == 3:
            shard = int(val)
        elif num == 4:
            offset = int(val)
        elif num == 5:
            size = int(val)
        elif num == 7:
            raise CheckpointFormatError("partitioned (sliced) variables not supported")
    return dtype, tuple(shape), shard, offset, size


def index_entries(index: bytes) -> dict[str, tuple[int, tuple[int, ...], int, int, int]]:
    """Every variable of a checkpoint ``.index`` file: name -> (dtype, shape, shard, offset, size)."""
    if len(index) < 48 or struct.unpack_from("<Q", index, len(index) - 8)[0] != _MAGIC:
        raise CheckpointFormatError("no SSTable footer (not a TF checkpoint index, or truncated)")
    footer = index[-48:]
    _, p = _varint(footer, 0)
    _, p = _varint(footer, p)  # metaindex handle (unused)
    index_handle = footer[p:]
    out = {}
    for _, handle in _block_entries(_read_block(index, index_handle)):
        for key, value in _block_entries(_read_block(index, handle)):
            if key:  # the empty key is the BundleHeaderProto
                out[key.decode("utf-8")] = _entry(value)
    return out


def read_checkpoint(index: bytes, data: bytes, where: str = "checkpoint") -> dict[str, np.ndarray]:
    """All tensors of a one-shard TF checkpoint from the bytes of its two files.

    Parameters
    ----------
    index, data : bytes
        Contents of ``<prefix>.index`` and ``<prefix>.data-00000-of-00001``.
    where : str
        Name used in error messages.

    Returns
    -------
    dict
        Variable name -> array (a copy, in the checkpoint's dtype and shape).

    Raises
    ------
    CheckpointFormatError
        Not a checkpoint of the supported kind, or the data file is too short.
    """
    try:
        entries = index_entries(index)
    except CheckpointFormatError as exc:
        raise CheckpointFormatError(f"{where}: {exc}") from None
    out = {}
    for name, (dtype, shape, shard, offset, size) in entries.items():
        if dtype not in _DTYPES or shard != 0:
            raise CheckpointFormatError(f"{where}: variable {name} has dtype {dtype} / shard "
                                        f"{shard}, not supported")
        if offset + size > len(data):
            raise CheckpointFormatError(f"{where}: variable {name} lies beyond the end of the "
                                        "data file (truncated?)")
        arr = np.frombuffer(data, dtype=np.dtype(_DTYPES[dtype]).newbyteorder("<"),
                            count=size // np.dtype(_DTYPES[dtype]).itemsize, offset=offset)
        out[name] = arr.reshape(shape).copy()
    return out
