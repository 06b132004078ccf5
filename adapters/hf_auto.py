"""Any Hugging Face ``transformers`` audio encoder as a HEAR module, layer by layer.

``load_model("org/name[@revision]")`` or ``load_model("/path/to/save_pretrained_dir")`` loads
the model with ``AutoModel`` and its preprocessing with ``AutoFeatureExtractor`` (or the
feature extractor of ``AutoProcessor``); the registry resolves ``--model hf:<id>[@rev]`` to this
module with the id as ``model_file_path``, so HEAR tooling can use it the same way.

Audio tower: for dual encoders (CLAP-like models with an ``audio_model``) the audio tower is
used; for encoder-decoder models (Whisper) the encoder; otherwise the model itself.

Layers: every output of ``output_hidden_states=True`` is a layer; ``hidden_states[0]`` is the
input of the first transformer layer, ``hidden_states[k]`` the output of layer ``k``. The model
exposes ``n_layers``, ``layer_ids`` (``0 .. n_layers - 1``), ``layer_dims`` and
``with_layer(k)`` (a view that shares the weights and embeds with layer ``k``);
:func:`get_hidden_states` / :func:`get_layer_scene_embeddings` give **all** layers from one
forward pass. The default layer is the last hidden state (``layer="last"``); note that for
stable-layer-norm models (e.g. wav2vec2-large) ``hidden_states[-1]`` is taken before the
encoder's final layer norm, unlike ``last_hidden_state``.

Frames and timestamps, by family:

- raw-waveform models with a convolutional feature encoder (wav2vec2, HuBERT, WavLM,
  data2vec-audio, MERT-style): preprocessing in torch (zero-mean unit-variance when the
  feature extractor says ``do_normalize``; differentiable), frame ``i`` covers samples
  ``[i S, i S + R)`` of the conv stack (receptive field ``R``, stride ``S``) and is stamped at its
  centre; long audio is chunked as in ``hear_probes_adapters._ssl``.
- Whisper's encoder: log-mel features of the feature extractor (padded to 30 s), frame ``j`` at
  ``2 j`` mel hops (20 ms), only the frames over the real audio are kept; clips up to 30 s.
- AST (patch tokens on a frequency x time grid): the special tokens are dropped and the patch
  tokens are averaged over frequency, giving one frame per time patch (stamped at the patch
  centre); only patches that start inside the real audio are kept; clips up to the extractor's
  ``max_length`` frames (10.24 s).
- any other encoder whose hidden states are ``[batch, time, dim]``: the feature extractor's
  output, frames spread evenly over the clip (stamped at their centres).

The scene embedding is the mean over the kept frames of the chosen layer.

Remote code (a repository whose ``config.json`` has an ``auto_map``) runs only with the
project's explicit opt-in (``trust_remote_code=True``, or ``--trust-remote-code`` on the command line)
and, for a hub id, only at a pinned 40-hex commit (``org/name@<commit>``).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from hear_probes_adapters._common import HalfbandDecimator, as_audio, timestamps_ms
from hear_probes_adapters._hf_utils import check_remote_code, load_pretrained, require_hub
from hear_probes_adapters._ssl import conv_geometry, normalise, run_chunked

ADAPTER_VERSION = "1"
HEAR_RATES = (16000, 22050, 32000, 44100, 48000)


def parse_model_ref(ref: str) -> tuple[str, str | None]:
    """Split ``"org/name@revision"`` (or a local directory) into id and revision.

    An existing local path is taken as is (a directory name may contain ``@``); otherwise the
    text after the last ``@`` is the revision.

    Raises
    ------
    ValueError
        For an empty id or an empty revision.
    """
    ref = str(ref).strip()
    if not ref:
        raise ValueError("no model given: pass a Hugging Face repo id or a save_pretrained "
                         "directory, e.g. hf:facebook/wav2vec2-base or hf:/path/to/model")
    if Path(ref).exists() or "@" not in ref:
        return ref, None
    repo, _, rev = ref.rpartition("@")
    if not repo or not rev:
        raise ValueError(f"bad model reference {ref!r}: expected repo_id or repo_id@revision")
    if Path(repo).is_dir():
        raise ValueError(f"{repo} is a local directory: it has no revision (drop '@{rev}')")
    return repo, rev


def _config_json(source: str, revision: str | None) -> dict:
    """``config.json`` of a local directory or a hub repo (``{}`` when it cannot be read).

    Raises
    ------
    WeightsNotFoundError
        A hub id that is not cached while the hub is unreachable (:func:`require_hub`).
    """
    local = Path(source) / "config.json"
    if local.is_file():
        return json.loads(local.read_text())
    if Path(source).exists():
        return {}
    require_hub(source, revision)  # offline and not cached: one line now, not ~50 s of retries
    try:
        from huggingface_hub import hf_hub_download

        return json.loads(Path(hf_hub_download(source, "config.json", revision=revision)).read_text())
    except Exception:
        return {}


def _feature_extractor(source: str, revision: str | None, trust: bool):
    """The feature extractor of ``source`` (AutoFeatureExtractor, else AutoProcessor's)."""
    from transformers import AutoFeatureExtractor, AutoProcessor

    kwargs: dict[str, Any] = {"trust_remote_code": trust}
    if Path(source).is_dir():
        kwargs["local_files_only"] = True
    else:
        kwargs["revision"] = revision
    errors = []
    for cls in (AutoFeatureExtractor, AutoProcessor):
        try:
            fe = cls.from_pretrained(source, **kwargs)
        except Exception as exc:  # noqa: BLE001 - try the next loader, report all
            errors.append(f"{cls.__name__}: {exc}")
            continue
        fe = getattr(fe, "feature_extractor", fe)
        if getattr(fe, "sampling_rate", None):
            return fe
        errors.append(f"{cls.__name__}: {type(fe).__name__} has no sampling_rate")
    raise ValueError(f"{source}: no audio feature extractor found (preprocessor_config.json); "
                     + "; ".join(e.splitlines()[0] for e in errors))


def audio_tower(model: torch.nn.Module) -> torch.nn.Module:
    """The audio encoder of a transformers model (CLAP: ``audio_model``; Whisper: encoder)."""
    if hasattr(model, "audio_model"):
        return model.audio_model
    if getattr(model.config, "is_encoder_decoder", False) and hasattr(model, "get_encoder"):
        return model.get_encoder()
    return model


def _family(tower: torch.nn.Module) -> str:
    cfg = tower.config
    if hasattr(cfg, "conv_kernel") and hasattr(cfg, "conv_stride") and "input_values" in _inputs(tower):
        return "waveform"
    name = type(tower).__name__.lower()
    if name.startswith("clap"):
        return "clap"
    if "whisper" in name:
        return "whisper"
    if name.startswith("ast"):
        return "ast"
    return "generic"


def _inputs(tower: torch.nn.Module) -> tuple[str, ...]:
    import inspect

    return tuple(inspect.signature(tower.forward).parameters)


class HFAutoEmbedder(torch.nn.Module):
    """A transformers audio encoder with HEAR attributes and layer selection.

    Parameters
    ----------
    model : torch.nn.Module
        The loaded transformers model (its audio tower is used).
    fe : transformers feature extractor
        Its preprocessing (sample rate, normalisation, spectrogram).
    weights_id : str
        Identity of the weights (``hf:<repo>@<commit>`` or ``sha256-tree:...``).
    layer : int or "last"
        Hidden state returned by the HEAR functions.
    chunk_s, batch_size : float, int
        Longest piece of audio per pass (waveform models); clips per pass.
    """

    def __init__(self, model: torch.nn.Module, fe, weights_id: str, layer: int | str = "last",
                 chunk_s: float = 30.0, batch_size: int = 4) -> None:
        super().__init__()
        self.model = model
        self.tower = audio_tower(model)
        self.fe = fe
        self.family = _family(self.tower)
        rate = int(fe.sampling_rate)
        self.model_rate = rate
        if rate in HEAR_RATES:
            self.sample_rate, self.decimate = rate, None
        elif rate == 24000:
            self.sample_rate, self.decimate = 48000, HalfbandDecimator()
        else:
            raise ValueError(f"the model runs at {rate} Hz, which is not a HEAR rate "
                             f"({', '.join(map(str, HEAR_RATES))}) nor 24 kHz; not supported")
        self.batch_size = int(batch_size)
        self.weights_id = weights_id
        if self.family == "waveform":
            cfg = self.tower.config
            self.field, self.stride = conv_geometry(cfg.conv_kernel, cfg.conv_stride)
            self.chunk_frames = max(1, int(chunk_s * rate) // self.stride)
            self.do_normalize = bool(getattr(fe, "do_normalize", False))
        probe = torch.zeros(1, rate, device=next(model.parameters()).device)
        with torch.no_grad():
            states = self._states(probe)
        self.n_layers = len(states)
        self.layer_ids = list(range(self.n_layers))
        self.layer_dims = [int(s.shape[-1]) for s in states]
        self.layer = self.check_layer(layer)
        self.scene_embedding_size = self.timestamp_embedding_size = self.layer_dims[self.layer]

    # -- layers ------------------------------------------------------------------------------
    def check_layer(self, layer: int | str) -> int:
        """Index of ``layer`` ("last", "first" or an int; negative counts from the end)."""
        if layer == "last":
            return self.n_layers - 1
        if layer == "first":
            return 0
        try:
            k = int(layer)
        except (TypeError, ValueError):
            k = None
        if k is None or not -self.n_layers <= k < self.n_layers:
            raise ValueError(f"layer {layer!r} out of range: this model has {self.n_layers} "
                             f"layers, valid indices 0..{self.n_layers - 1} (or 'last')")
        return k % self.n_layers

    def with_layer(self, layer: int | str) -> HFAutoEmbedder:
        """A view of this model (same weights) that embeds with ``layer``."""
        view = copy.copy(self)
        view.layer = self.check_layer(layer)
        view.scene_embedding_size = view.timestamp_embedding_size = self.layer_dims[view.layer]
        return view

    # -- forward -----------------------------------------------------------------------------
    def _fe_inputs(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Feature-extractor inputs for a batch (numpy preprocessing, not differentiable)."""
        arr = x.detach().cpu().numpy().astype(np.float32)
        kwargs: dict[str, Any] = {"sampling_rate": self.model_rate, "return_tensors": "pt"}
        feats = self.fe(list(arr), **kwargs)
        names = set(_inputs(self.tower))
        dev = x.device
        return {k: v.to(dev) for k, v in feats.items() if k in names and isinstance(v, torch.Tensor)}

    def _states(self, x: torch.Tensor) -> list[torch.Tensor]:
        """All hidden states ``[n, T, d]`` of audio at the model rate, frames over the clip."""
        n_samples = x.shape[-1]
        if self.family == "waveform":
            return self._waveform_states(x, reduce_mean=False)
        out = self.tower(**self._fe_inputs(x), output_hidden_states=True)
        states = list(out.hidden_states or [])
        if self.family == "clap" and states and states[0].ndim == 4:
            # HTSAT: [n, channels, h, w] maps of the spectrogram folded into a square image;
            # frames cannot be unfolded generically, so each layer is one frame (the mean map)
            return [st.flatten(2).mean(dim=-1, keepdim=True).transpose(1, 2) for st in states]
        if not states or states[0].ndim != 3:
            raise ValueError(f"{type(self.tower).__name__}: hidden states are not [batch, time, "
                             "dim]; this architecture is not supported by hf_auto")
        if self.family == "whisper":
            hop = int(self.fe.hop_length)
            keep = max(1, -(-n_samples // (2 * hop)))
            return [s[:, :keep] for s in states]
        if self.family == "ast":
            return [self._ast_frames(s, n_samples) for s in states]
        return states

    def _ast_frames(self, s: torch.Tensor, n_samples: int) -> torch.Tensor:
        cfg = self.tower.config
        f_dim = (cfg.num_mel_bins - cfg.patch_size) // cfg.frequency_stride + 1
        t_dim = (cfg.max_length - cfg.patch_size) // cfg.time_stride + 1
        grid = s[:, -f_dim * t_dim:].reshape(s.shape[0], f_dim, t_dim, s.shape[-1]).mean(dim=1)
        mel_frames = 1 + max(0, n_samples - int(0.025 * self.model_rate)) // int(0.010 * self.model_rate)
        keep = max(1, min(t_dim, -(-mel_frames // cfg.time_stride)))
        return grid[:, :keep]

    def _waveform_states(self, x: torch.Tensor, reduce_mean: bool) -> list[torch.Tensor]:
        if self.do_normalize:
            x = normalise(x)

        def encode(chunk: torch.Tensor) -> torch.Tensor:
            return torch.cat(self.tower(chunk, output_hidden_states=True).hidden_states, dim=-1)

        both = run_chunked(x, encode, self.field, self.stride, self.chunk_frames, self.batch_size,
                           reduce_mean)
        dims = getattr(self, "layer_dims", None)
        if dims is None:  # first call (from __init__): all hidden states share one size
            d = int(self.tower.config.hidden_size)
            dims = [d] * (both.shape[-1] // d)
        return list(torch.split(both, dims, dim=-1))

    def _too_long(self, n_samples: int) -> None:
        limit = None
        if self.family == "whisper":
            limit = int(self.fe.n_samples)
        elif self.family == "clap":  # longer clips would be cropped at random by the extractor
            limit = int(getattr(self.fe, "nb_max_samples", 0)) or None
        elif self.family == "ast":
            limit = int(self.tower.config.max_length * 0.010 * self.model_rate)
        if limit is not None and n_samples > limit:
            raise ValueError(f"clip of {n_samples / self.model_rate:.2f} s is longer than the "
                             f"{limit / self.model_rate:.2f} s this {self.family} model takes")

    def hidden_states(self, audio: torch.Tensor) -> list[torch.Tensor]:
        """HEAR-rate audio ``[n, samples]`` → every layer ``[n, T, d_k]`` (one forward pass)."""
        x = self.decimate(audio) if self.decimate is not None else audio
        self._too_long(x.shape[-1])
        return self._states(x)

    def layer_scenes(self, audio: torch.Tensor) -> list[torch.Tensor]:
        """Scene embedding (mean over frames) of every layer, ``[n, d_k]`` each, one pass."""
        x = self.decimate(audio) if self.decimate is not None else audio
        self._too_long(x.shape[-1])
        if self.family == "waveform":
            return self._waveform_states(x, reduce_mean=True)
        return [s.mean(dim=1) for s in self._states(x)]

    def forward(self, audio: torch.Tensor, reduce_mean: bool = False) -> torch.Tensor:
        """``[n, samples]`` → ``[n, T, d]`` of the selected layer (``[n, d]`` with reduce_mean)."""
        if reduce_mean:
            return self.layer_scenes(audio)[self.layer]
        return self.hidden_states(audio)[self.layer]

    def frame_times(self, n: int, n_frames: int, n_samples: int, device) -> torch.Tensor:
        """Frame centres in ms ``[n, n_frames]`` for HEAR-rate clips of ``n_samples``."""
        rate = self.model_rate
        if self.family == "waveform":
            step, offset = self.stride / rate, self.field / 2 / rate
        elif self.family == "whisper":
            step, offset = 2 * int(self.fe.hop_length) / rate, 0.0
        elif self.family == "ast":
            cfg = self.tower.config
            step = cfg.time_stride * 0.010
            offset = (cfg.patch_size * 0.010 + 0.015) / 2
        else:
            step = n_samples / self.sample_rate / max(1, n_frames)
            offset = step / 2
        return timestamps_ms(n, n_frames, step, offset, device)


def load_model(
    model_file_path: str = "",
    layer: int | str = "last",
    revision: str | None = None,
    trust_remote_code: bool | None = None,
    device: str | None = None,
    chunk_s: float = 30.0,
    batch_size: int = 4,
) -> HFAutoEmbedder:
    """Load any transformers audio encoder.

    Parameters
    ----------
    model_file_path : str
        Hub repo id (``org/name``, optionally ``@revision``) or a local ``save_pretrained``
        directory (with its ``preprocessor_config.json``).
    layer : int or "last"
        Hidden state used by the HEAR functions (``0 .. n_layers - 1``).
    revision : str, optional
        Hub revision (overrides one given after ``@``).
    trust_remote_code : bool, optional
        Opt in to a repository's own code (default: no; ``--trust-remote-code``); also
        needs a 40-hex pinned revision for hub ids.
    device : str, optional
        "cpu", "cuda", "mps", "auto" (default ``$HEAR_PROBES_DEVICE`` or "auto").
    chunk_s, batch_size : float, int
        Longest piece of audio per pass (waveform models); clips per pass.

    Raises
    ------
    ValueError
        Empty id, bad revision, no feature extractor, unsupported sample rate or layer.
    PermissionError
        The repository needs remote code and it was not opted in to (or not pinned).
    """
    from transformers import AutoModel

    repo, rev = parse_model_ref(model_file_path)
    rev = revision or rev
    local = Path(repo).is_dir()
    if Path(repo).exists() and not local:
        raise ValueError(f"{repo} is a file; hf_auto needs a save_pretrained directory or a repo id")
    cfg = _config_json(repo, rev)
    remote = "auto_map" in cfg
    allow = check_remote_code(repo, rev, trust_remote_code) if remote else False
    model, source, weights_id = load_pretrained(AutoModel, repo if local else "", repo, rev,
                                                device, trust_remote_code=allow)
    fe = _feature_extractor(source, rev, allow)
    emb = HFAutoEmbedder(model, fe, weights_id, layer, chunk_s, batch_size)
    return emb.to(next(model.parameters()).device).eval()


def get_hidden_states(audio, model: HFAutoEmbedder) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Every layer's frame embeddings ``[n, T, d_k]`` and the timestamps, from one forward pass."""
    x = as_audio(audio, model)
    states = model.hidden_states(x)
    ts = model.frame_times(x.shape[0], states[0].shape[1], x.shape[-1], x.device)
    return states, ts


def get_layer_scene_embeddings(audio, model: HFAutoEmbedder) -> list[torch.Tensor]:
    """Every layer's scene embedding ``[n, d_k]`` (mean over frames), from one forward pass."""
    return model.layer_scenes(as_audio(audio, model))


def get_timestamp_embeddings(audio, model: HFAutoEmbedder) -> tuple[torch.Tensor, torch.Tensor]:
    """Frame embeddings ``[n, T, d]`` of the selected layer and frame centres in ms."""
    x = as_audio(audio, model)
    emb = model(x)
    return emb, model.frame_times(x.shape[0], emb.shape[1], x.shape[-1], emb.device)


def get_scene_embeddings(audio, model: HFAutoEmbedder) -> torch.Tensor:
    """Mean over frames of the selected layer, ``[n, d]``."""
    return model(as_audio(audio, model), reduce_mean=True)
