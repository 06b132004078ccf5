"""OpenL3 audio embeddings (Cramer et al. 2019) as a HEAR module, in PyTorch, with the official weights.

Variants: ``content_type`` "music" | "env" × ``input_repr`` "linear" | "mel128" | "mel256" ×
``embedding_size`` 512 | 6144; the default music / mel256 / 6144 is the choice of the GEAR
paper (Lostanlen, Yan & Yang 2023).

Framing follows ``openl3.core`` with ``center=True, hop_size=0.1``: the signal (48 kHz) is
zero-padded by half a window (24 000 samples) at the start, then at the end so that every
sample falls in a window; 1-s windows every 0.1 s, so window ``k`` is centred at
``k * 100`` ms; ``T = 1 + ceil((max(S + 24000, 48000) - 48000) / 4800)``. The scene
embedding is the mean over windows.

Backends:

- ``"torch"`` (default): the front-end and network of :mod:`._openl3_net` (written from the
  openl3 and Kapre sources, documented there and in ``docs/adapters-tf.md``), reading the
  official Keras HDF5 weight files with h5py;
- ``"openl3"``: the official ``openl3`` package (TensorFlow + Kapre), when installed.

Weights (``model_file_path=""``), first found of: the hear-probes weight cache
(``<cache>/weights/openl3/openl3_audio_<repr>_<content>.h5``), the file bundled in an
installed ``openl3`` package, a download of
``https://github.com/marl/openl3/raw/models/openl3_audio_<repr>_<content>-v0_4_0.h5.gz``
into the cache. Files are checked by sha256: against a pinned digest where one is known
(:data:`PINNED_SHA256`), otherwise against the digest recorded at download time. A path
to an ``.h5`` file replaces all of this; when its name contains
``openl3_audio_<repr>_<content>`` that fixes the variant.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import re
import shutil
import tempfile
import urllib.request
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from hear_probes_adapters._common import WeightsNotFoundError, as_audio, timestamps_ms
from hear_probes_adapters._openl3_net import (
    CONTENT_TYPES,
    EMBEDDING_SIZES,
    INPUT_REPRS,
    SAMPLE_RATE,
    WINDOW,
    KapreFrontEnd,
    OpenL3Net,
    load_openl3_net,
)

from hear_probes.hashing import sha256_file
from hear_probes.paths import cache_root

ADAPTER_VERSION = "1"

#: The built-in models this module provides: read by :mod:`hear_probes.registry` from this
#: source (``ast``, without importing it, so no model library is imported). Literals, or
#: names of the literal constants above. Keys: the fields of ``ModelSpec`` but ``module``.
BUILTIN_MODELS = (
    {
        "name": 'openl3',
        "backend": 'torch',
        "sample_rate": 48000,
        "scene_dim": 6144,
        "timestamp_dim": 6144,
        "weights": 'openl3_audio_mel256_music.h5 (openl3 v0.4.0 weights, sha256-checked)',
        "options": {'content_type': 'music', 'input_repr': 'mel256', 'embedding_size': 6144},
        "requires": ('torch', 'h5py'),
        "description": 'OpenL3 music/mel256/6144 (torch port, Kapre front-end): 1-s windows, 0.1-s hop',
        "weights_check": ('pypi:openl3/openl3_audio_mel256_music.h5', 'cache:openl3/openl3_audio_mel256_music.h5'),
    },
)

HOP = 4800
BACKENDS = ("torch", "openl3")
WEIGHTS_URL = "https://github.com/marl/openl3/raw/models/openl3_audio_{repr}_{content}-v0_4_0.h5.gz"
#: sha256 of (decompressed .h5, .h5.gz) where known. The mel256/music digests come from a
#: public third-party project that downloads these files; they could not be re-checked here
#: (no network to GitHub). Other variants are checked against the digest recorded at download.
PINNED_SHA256: dict[tuple[str, str], tuple[str, str]] = {
    ("mel256", "music"): (
        "624ee7b1dd5ff87e18073f66fd8b2052bebb8ac70210e9c0937c0c940c63e9d6",
        "e379f41e880b78e157c199ebddac80d3764e6a46282bcccdbe875bcf538f9afd",
    ),
}
_NAME = re.compile(r"openl3_audio_(linear|mel128|mel256)_(music|env)")


def weight_file_name(input_repr: str, content_type: str) -> str:
    """Official file name of a variant, ``openl3_audio_<repr>_<content>.h5``."""
    return f"openl3_audio_{input_repr}_{content_type}.h5"


def weights_dir() -> Path:
    """Where downloaded OpenL3 weights are kept (``<hear-probes cache>/weights/openl3``)."""
    return cache_root() / "weights" / "openl3"


class OpenL3Model(torch.nn.Module):
    """OpenL3 with HEAR attributes: framing, Kapre front-end, network, chunked evaluation.

    Parameters
    ----------
    net : OpenL3Net
        The network with its weights.
    input_repr, content_type : str
        The variant.
    frame_batch : int
        1-s windows evaluated at once (about 50 MB each for mel256).
    weights_id : str
        Identity of the weights (``sha256:<hex>``).
    """

    sample_rate = SAMPLE_RATE

    def __init__(self, net: OpenL3Net, input_repr: str, content_type: str,
                 frame_batch: int = 8, weights_id: str = "") -> None:
        super().__init__()
        self.frontend = KapreFrontEnd(input_repr)
        self.net = net
        self.input_repr = input_repr
        self.content_type = content_type
        self.hop = HOP
        self.frame_batch = int(frame_batch)
        self.weights_id = weights_id
        self.scene_embedding_size = self.timestamp_embedding_size = int(net.embedding_size)

    def n_frames(self, n_samples: int) -> int:
        """Windows for a signal of ``n_samples`` samples (``openl3.core`` with center=True)."""
        length = max(n_samples + WINDOW // 2, WINDOW)
        return 1 + -(-(length - WINDOW) // self.hop)

    def windows(self, audio: torch.Tensor) -> torch.Tensor:
        """Centred, end-padded 1-s windows ``[n, T, 48000]``."""
        t = self.n_frames(audio.shape[-1])
        total = (t - 1) * self.hop + WINDOW
        x = F.pad(audio, (WINDOW // 2, total - WINDOW // 2 - audio.shape[-1]))
        return x.unfold(-1, WINDOW, self.hop)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """``[n, samples]`` → embeddings ``[n, T, d]``."""
        win = self.windows(audio)
        n, t = win.shape[:2]
        if n == 0:
            return audio.new_zeros(0, t, self.scene_embedding_size)
        flat = win.reshape(n * t, WINDOW)
        outs = [self.net(self.frontend(flat[i : i + self.frame_batch]))
                for i in range(0, n * t, self.frame_batch)]
        return torch.cat(outs, dim=0).view(n, t, -1)


# --------------------------------------------------------------------------- weights


def _variant(path: str, input_repr: str | None, content_type: str | None) -> tuple[str, str]:
    m = _NAME.search(Path(path).name) if path else None
    if m:
        for given, found, what in ((input_repr, m.group(1), "input_repr"),
                                   (content_type, m.group(2), "content_type")):
            if given is not None and given != found:
                raise ValueError(
                    f"{what}={given!r} contradicts the weight file {Path(path).name} ({found}); "
                    "pass the file of that variant or drop the option"
                )
        return m.group(1), m.group(2)
    repr_, content = input_repr or "mel256", content_type or "music"
    if repr_ not in INPUT_REPRS:
        raise ValueError(f"unknown OpenL3 input_repr {repr_!r}; use one of {INPUT_REPRS}")
    if content not in CONTENT_TYPES:
        raise ValueError(f"unknown OpenL3 content_type {content!r}; use one of {CONTENT_TYPES}")
    return repr_, content


def _check_digest(path: Path, input_repr: str, content_type: str) -> str:
    """sha256 of a cached/bundled file, checked against the pin or the recorded digest."""
    digest = sha256_file(path)
    pinned = PINNED_SHA256.get((input_repr, content_type))
    recorded = path.with_name(path.name + ".sha256")
    expected = pinned[0] if pinned else (recorded.read_text().split()[0] if recorded.is_file() else None)
    if expected and digest != expected:
        raise WeightsNotFoundError(
            f"OpenL3 weight file {path} has sha256 {digest}, expected {expected}: delete it to "
            "download it again, or pass a trusted copy as model_file_path"
        )
    return digest


def _installed_openl3_file(name: str) -> Path | None:
    """The weight file bundled in an installed ``openl3`` package (found without importing it)."""
    try:
        spec = importlib.util.find_spec("openl3")
    except (ImportError, ValueError):
        return None
    for root in (spec.submodule_search_locations or []) if spec else []:
        p = Path(root, name)
        if p.is_file():
            return p
    return None


def download_weights(input_repr: str, content_type: str, dest_dir: Path | None = None,
                     timeout: float = 60.0) -> Path:
    """Download, check and decompress the official weight file into the cache.

    Raises
    ------
    WeightsNotFoundError
        When the download fails (one line with the URL and what to do) or a digest differs.
    """
    dest_dir = Path(dest_dir) if dest_dir is not None else weights_dir()
    url = WEIGHTS_URL.format(repr=input_repr, content=content_type)
    name = weight_file_name(input_repr, content_type)
    pinned = PINNED_SHA256.get((input_repr, content_type))
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest_dir) as tmp:
        gz, h5 = Path(tmp, name + ".gz"), Path(tmp, name)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as r, open(gz, "wb") as f:
                shutil.copyfileobj(r, f)
        except Exception as exc:  # offline, DNS, HTTP error
            raise WeightsNotFoundError(
                f"OpenL3 weights {name} are not cached and cannot be downloaded from {url} "
                f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                f"download and gunzip it by hand and pass the .h5 as model_file_path, or put it "
                f"in {dest_dir}"
            ) from None
        if pinned and sha256_file(gz) != pinned[1]:
            raise WeightsNotFoundError(f"downloaded {url} fails its sha256 check ({sha256_file(gz)})")
        with gzip.open(gz, "rb") as src, open(h5, "wb") as dst:
            shutil.copyfileobj(src, dst)
        digest = sha256_file(h5)
        if pinned and digest != pinned[0]:
            raise WeightsNotFoundError(f"decompressed {name} fails its sha256 check ({digest})")
        Path(tmp, name + ".sha256").write_text(f"{digest}  {name}\n")
        os.replace(Path(tmp, name + ".sha256"), dest_dir / (name + ".sha256"))
        os.replace(h5, dest_dir / name)
    return dest_dir / name


def resolve_weights(model_file_path: str, input_repr: str, content_type: str,
                    download: bool = True) -> tuple[Path, str]:
    """Weight file of a variant and its identity ``sha256:<hex>`` (see the module docstring)."""
    if model_file_path:
        p = Path(model_file_path)
        if p.is_dir():
            p = p / weight_file_name(input_repr, content_type)
        if not p.is_file():
            raise WeightsNotFoundError(f"OpenL3 weight file {p} does not exist")
        return p, f"sha256:{sha256_file(p)}"
    name = weight_file_name(input_repr, content_type)
    cached = weights_dir() / name
    if cached.is_file():
        return cached, f"sha256:{_check_digest(cached, input_repr, content_type)}"
    bundled = _installed_openl3_file(name)
    if bundled is not None:
        return bundled, f"sha256:{_check_digest(bundled, input_repr, content_type)}"
    if not download:
        raise WeightsNotFoundError(f"OpenL3 weights {name} are not cached in {weights_dir()}")
    path = download_weights(input_repr, content_type)
    return path, f"sha256:{sha256_file(path)}"


# --------------------------------------------------------------------------- HEAR API


def load_model(model_file_path: str = "", content_type: str | None = None,
               input_repr: str | None = None, embedding_size: int = 6144,
               backend: str = "torch", frame_batch: int = 8):
    """Load OpenL3.

    Parameters
    ----------
    model_file_path : str
        An official ``.h5`` weight file (or a folder holding it); "" finds or downloads it.
    content_type : {"music", "env"}, optional
        Training content (default "music", or what the file name says).
    input_repr : {"linear", "mel128", "mel256"}, optional
        Front-end (default "mel256", or what the file name says).
    embedding_size : {512, 6144}
        Size of the embeddings.
    backend : {"torch", "openl3"}
        PyTorch port (default) or the official ``openl3`` package (TensorFlow).
    frame_batch : int
        1-s windows evaluated at once by the torch backend.

    Returns
    -------
    OpenL3Model (torch.nn.Module) or a tf.Module wrapping the official Keras model.
    """
    embedding_size = int(embedding_size)
    if embedding_size not in EMBEDDING_SIZES:
        raise ValueError(f"OpenL3 embedding_size must be 512 or 6144, got {embedding_size!r}")
    if backend not in BACKENDS:
        raise ValueError(f"unknown OpenL3 backend {backend!r}; use one of {BACKENDS}")
    repr_, content = _variant(str(model_file_path or ""), input_repr, content_type)
    if backend == "openl3" and importlib.util.find_spec("openl3") is None:
        raise WeightsNotFoundError(
            "backend='openl3' needs the openl3 package (pip install openl3; its setup downloads "
            "the weights); use backend='torch' otherwise"
        )
    path, wid = resolve_weights(str(model_file_path or ""), repr_, content)
    if backend == "openl3":
        return _load_keras(path, repr_, content, embedding_size, wid)
    net = load_openl3_net(path, repr_, embedding_size)
    return OpenL3Model(net, repr_, content, frame_batch=frame_batch, weights_id=wid).eval()


def _load_keras(path: Path, input_repr: str, content_type: str, embedding_size: int, wid: str):
    import openl3
    import tensorflow as tf

    class OpenL3KerasModel(tf.Module):
        """The official Keras OpenL3 model (Kapre front-end) with HEAR attributes."""

        sample_rate = SAMPLE_RATE

        def __init__(self) -> None:
            super().__init__(name="openl3_keras")
            self.keras_model = openl3.models.load_audio_embedding_model_from_path(
                str(path), input_repr, embedding_size, frontend="kapre")
            self.input_repr, self.content_type = input_repr, content_type
            self.scene_embedding_size = self.timestamp_embedding_size = embedding_size
            self.weights_id = wid

    return OpenL3KerasModel()


def _keras_embeddings(audio, model) -> tuple[np.ndarray, np.ndarray]:
    import openl3

    x = np.asarray(audio.numpy() if hasattr(audio, "numpy") else audio, dtype=np.float32)
    embs, tss = openl3.get_audio_embedding(
        [row for row in x], SAMPLE_RATE, model=model.keras_model, center=True,
        hop_size=HOP / SAMPLE_RATE, batch_size=32, frontend="kapre", verbose=False)
    emb = np.stack(embs).astype(np.float32)
    ts = (np.stack(tss) * 1000.0).astype(np.float32)
    return emb, ts


def get_timestamp_embeddings(audio, model):
    """Embeddings of 1-s windows every 100 ms ``[n, T, d]`` and window centres in ms ``[n, T]``."""
    if not isinstance(model, OpenL3Model):
        import tensorflow as tf

        emb, ts = _keras_embeddings(audio, model)
        return tf.convert_to_tensor(emb), tf.convert_to_tensor(ts)
    x = as_audio(audio, model)
    emb = model(x)
    return emb, timestamps_ms(x.shape[0], emb.shape[1], HOP / SAMPLE_RATE, 0.0, emb.device)


def get_scene_embeddings(audio, model):
    """Mean over windows of the timestamp embeddings, ``[n, d]``."""
    emb, _ = get_timestamp_embeddings(audio, model)
    if isinstance(model, OpenL3Model):
        return emb.mean(dim=1)
    import tensorflow as tf

    return tf.reduce_mean(emb, axis=1)
