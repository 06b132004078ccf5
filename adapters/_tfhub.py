"""Loading TensorFlow Hub SavedModels for the HEAR modules (vggish, yamnet).

:func:`load_hub_model` loads a hub handle (downloaded into the TF Hub cache,
``$TFHUB_CACHE_DIR``) or a local SavedModel folder with ``hub.load`` (which works with
TensorFlow 2.21 and Keras 3; ``hub.KerasLayer`` does not), and returns it with its
identity: ``tfhub:<handle>`` or ``sha256-tree:<hex>`` of the folder. Failures give a
one-line :class:`WeightsNotFoundError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
from hear_probes_adapters._common import WeightsNotFoundError

from hear_probes.hashing import sha256_tree


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def load_hub_model(model_file_path: str, handle: str, what: str) -> tuple[Any, str]:
    """Load a SavedModel with ``hub.load``: a local folder if given, else ``handle``.

    Parameters
    ----------
    model_file_path : str
        A SavedModel folder (holding ``saved_model.pb``) or "".
    handle : str
        TF Hub handle used when ``model_file_path`` is "".
    what : str
        Model name for error messages.

    Returns
    -------
    (loaded object, weights identity)

    Raises
    ------
    WeightsNotFoundError
        Not a SavedModel folder, or the handle cannot be downloaded (one line).
    """
    import tensorflow_hub as hub

    if model_file_path:
        p = Path(model_file_path)
        if not (p / "saved_model.pb").is_file():
            raise WeightsNotFoundError(
                f"{what}: {p} is not a SavedModel folder (no saved_model.pb); pass the unpacked "
                f"folder of {handle}"
            )
        try:
            return hub.load(str(p)), f"sha256-tree:{sha256_tree(p)}"
        except Exception as exc:
            raise WeightsNotFoundError(f"{what}: hub.load({str(p)!r}) failed: {_first_line(exc)}") from None
    try:
        return hub.load(handle), f"tfhub:{handle}"
    except Exception as exc:
        raise WeightsNotFoundError(
            f"{what}: cannot load {handle} from TF Hub ({_first_line(exc)}); offline? download "
            "and unpack the SavedModel and pass its folder as model_file_path, or point "
            "$TFHUB_CACHE_DIR at a cache holding it"
        ) from None


class HubModel(tf.Module):
    """A TF Hub SavedModel with the HEAR attributes (base of the vggish and yamnet models).

    Subclasses set ``sample_rate``, ``scene_embedding_size`` and ``timestamp_embedding_size``.

    Parameters
    ----------
    hub_model : object
        What ``hub.load`` returned (callable on a 1-D waveform).
    weights_id : str
        Identity of the weights.
    name : str
        Module name.
    """

    sample_rate = 16000
    scene_embedding_size = timestamp_embedding_size = 0

    def __init__(self, hub_model, weights_id: str, name: str) -> None:
        super().__init__(name=name)
        self.hub_model = hub_model
        self.weights_id = weights_id


def as_numpy_audio(audio) -> np.ndarray:
    """``[n, samples]`` float32 numpy array from a tf/torch tensor or an array."""
    if hasattr(audio, "detach"):
        audio = audio.detach().cpu().numpy()
    elif hasattr(audio, "numpy"):
        audio = audio.numpy()
    x = np.asarray(audio, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"audio must have shape [n_sounds, n_samples], got {x.shape}")
    return x


def frame_timestamps(n: int, n_frames: int, hop_s: float, offset_s: float):
    """Frame times ``offset + k * hop`` in ms as a tf float32 ``[n, n_frames]`` tensor."""
    import tensorflow as tf

    ts = (offset_s + np.arange(n_frames, dtype=np.float64) * hop_s) * 1000.0
    return tf.convert_to_tensor(np.broadcast_to(ts.astype(np.float32), (n, n_frames)).copy())
