"""Record the PESTO parity fixture (tests/fixtures/pesto_upstream.npz) from the upstream package.

Run once, in a throwaway environment where ``pesto-pitch`` imports (never in the project's):
its metadata requires torchaudio, which has no build for this project's torch, and pesto
imports it only for ``torchaudio.load`` (file input), so a stub module ``torchaudio`` with a
``load`` that raises is enough (the signals are passed as 16-kHz tensors, no resampling)::

    python3 -m venv /tmp/pesto-up && /tmp/pesto-up/bin/pip install torch==2.13.0 numpy scipy tqdm omegaconf
    mkdir -p <site-packages>/torchaudio && echo 'def load(*a, **k): raise NotImplementedError' \\
        > <site-packages>/torchaudio/__init__.py
    /tmp/pesto-up/bin/pip install --no-deps pesto-pitch==2.0.1
    /tmp/pesto-up/bin/python tests/tools/record_pesto.py          # mir-1k_g7 (keys g7_*)
    /tmp/pesto-up/bin/pip install --no-deps pesto-pitch==1.0.0
    /tmp/pesto-up/bin/python tests/tools/record_pesto.py          # mir-1k    (keys mir1k_*)

Each run adds the keys of the checkpoint that its pesto version runs as published and keeps
the others. ``mir-1k.ckpt`` is recorded with pesto 1.0.0, the release it was published with: pesto 2.0.1
cannot run it (it renamed the prefilter modules, so ``load_model`` leaves the prefilter
convolution at a random initialisation with only a logged warning, and its confidence head
expects 72 features where mir-1k's 296-bin CQT gives 87: ``RuntimeError`` in ``forward``,
checked 2026-12-05). 1.0.0 runs it as trained: prefilter convolution without activation (a
side effect of ``nn.ModuleList(*[...])`` in that release), encoder input in dB.

Stored per checkpoint ``<m>`` (``g7`` or ``mir1k``), for the batch of :func:`signals`
(3 clips of 1.2 s, 121 frames each at the 10-ms step):

- ``<m>_pitch``, ``<m>_confidence``: ``[3, 121]`` pitch in semitones (MIDI) and confidence;
- ``<m>_act``: the activations (softmax, rolled to absolute pitch) at frames :data:`ACT_FRAMES`;
- ``<m>_cqt``: the encoder input (cropped log-magnitude CQT) and ``<m>_pointwise4``: the
  output of the last 1x1 convolution (the Toeplitz classifier's input, this adapter's default
  layer), at frames :data:`MAP_FRAMES`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
DURATION_S = 1.2
#: Frames (of 121 per clip) whose activations are stored (edges included: reflect padding).
ACT_FRAMES = (0, 20, 40, 60, 80, 100, 120)
#: Frames whose encoder input and last pointwise map are stored.
MAP_FRAMES = (0, 60, 120)
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pesto_upstream.npz"


def signals() -> np.ndarray:
    """``[3, 19200]`` float32 at 16 kHz: a 220-Hz sine, an exponential chirp 110 → 880 Hz, noise."""
    t = np.arange(int(DURATION_S * SAMPLE_RATE)) / SAMPLE_RATE
    sine = 0.5 * np.sin(2 * np.pi * 220.0 * t)
    f0, f1 = 110.0, 880.0
    k = np.log(f1 / f0) / DURATION_S
    chirp = 0.3 * np.sin(2 * np.pi * f0 * (np.exp(k * t) - 1.0) / k)
    noise = 0.1 * np.random.default_rng(0).standard_normal(t.size)
    return np.stack([sine, chirp, noise]).astype(np.float32)


def record() -> dict[str, np.ndarray]:
    """The arrays of the installed pesto version's checkpoint (see the module docstring)."""
    import pesto
    import torch
    from pesto.loader import load_model

    v1 = pesto.__version__.startswith("1.")
    name, key = ("mir-1k", "mir1k") if v1 else ("mir-1k_g7", "g7")
    model = load_model(name, step_size=10.0, sampling_rate=SAMPLE_RATE)
    seen: dict[str, torch.Tensor] = {}
    model.encoder.register_forward_hook(lambda m, i, o: seen.__setitem__("cqt", i[0].clone()))
    model.encoder.conv_layers.register_forward_hook(lambda m, i, o: seen.__setitem__("pw", o.clone()))
    x = torch.from_numpy(signals())
    with torch.inference_mode():
        out = model(x, sr=SAMPLE_RATE, convert_to_freq=False, return_activations=True)
    pitch, conf, act = out[0], out[1], out[-1]
    n, frames = pitch.shape
    cqt = seen["cqt"].reshape(n, frames, -1)  # [B*T, 1, F] → [B, T, F]
    pw = seen["pw"].reshape(n, frames, -1)  # [B*T, C, F] → [B, T, C*F] (channel-major)
    return {f"{key}_pitch": pitch.numpy(), f"{key}_confidence": conf.numpy(),
            f"{key}_act": act[:, list(ACT_FRAMES)].numpy(),
            f"{key}_cqt": cqt[:, list(MAP_FRAMES)].numpy(),
            f"{key}_pointwise4": pw[:, list(MAP_FRAMES)].numpy(),
            f"{key}_version": np.array(pesto.__version__)}


def main(out: Path = FIXTURE) -> None:
    arrays = dict(np.load(out)) if out.is_file() else {}
    arrays.update(record())
    arrays["signals_sha"] = np.array(__import__("hashlib").sha256(signals().tobytes()).hexdigest())
    np.savez_compressed(out, **arrays)
    print(out, {k: v.shape for k, v in arrays.items()}, f"{out.stat().st_size} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURE)
