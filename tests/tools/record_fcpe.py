"""Record the fixture that pins FCPE (``torchfcpe`` 0.0.4, ``fcpe_c_v001.pt``) to upstream.

``torchfcpe`` imports ``torchaudio.transforms.Resample`` at module level, and torchaudio has no
build for this project's torch. Upstream uses ``Resample`` only when the input rate differs
from 16 kHz; the clips here are fed at 16 kHz, so a stub ``torchaudio`` whose ``Resample``
raises is put on ``sys.path`` when no real torchaudio is importable (the mel front-end is
upstream's own torch code: ``torch.stft`` and librosa's mel filters, ``mel_fn_librosa`` when
librosa is absent). ``local-attention`` is imported but unused by the conv-only network; 1.9.0
is used because 1.11.2 imports ``hyper_connections``, not installed. Run once, by hand, in a
throwaway environment::

    python3 -m venv /work/venv-fcpe-upstream
    /work/venv-fcpe-upstream/bin/pip install -c constraints/tests.txt torch==2.13.0 numpy einops
    /work/venv-fcpe-upstream/bin/pip install --no-deps torchfcpe==0.0.4 local-attention==1.9.0
    /work/venv-fcpe-upstream/bin/python tests/tools/record_fcpe.py

Everything measured is upstream's own code: ``spawn_bundled_infer_model(device="cpu")``, its
``wav2mel`` (the network input), its ``model.forward`` (the latent, through forward hooks on
``input_stack``, every ``net.encoder_layers[i]`` and ``norm``) and ``infer`` with both decoders
(``local_argmax``, the default, and ``argmax``; threshold 0.006 as ``infer``'s default), on the
five 16-kHz clips of :func:`clips`. Recorded (``[clip, frame, ...]``):

- ``mel``: the log-mel input at :func:`frames_subset` frames (8 per clip);
- ``latent``: the 360-bin latent (sigmoid salience) at the same frames; ``latent_proj``: the
  latent at every frame projected on 8 fixed random directions; ``latent_max`` and
  ``latent_argmax``: its maximum and arg-maximum at every frame;
- ``<layer>_proj`` for ``input_stack``, ``block1`` .. ``block6``, ``norm``: the 512-dim hidden
  state every 5th frame projected on 8 fixed random directions (:func:`directions`);
- ``f0_local_argmax``, ``f0_argmax``: f0 in Hz at every frame (0 where upstream masks it).

The fixture is ``tests/fixtures/fcpe_upstream.npz`` (about 150 KB).
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "fcpe_upstream.npz"
SR = 16000
#: Not a multiple of the 160-sample hop: upstream then repeats its last mel frame.
N_SAMPLES = 24100
SEED = 22
HIDDEN = ("input_stack", "block1", "block2", "block3", "block4", "block5", "block6", "norm")
N_PROJ = 8
EVERY = 5
N_SUBSET = 8
THRESHOLD = 0.006


def clips(n: int = N_SAMPLES) -> np.ndarray:
    """Five seeded 16-kHz clips ``[5, n]`` float32 (peak below 1, as upstream expects).

    0: 220-Hz sine (0.5); 1: 880-Hz sine (0.2); 2: exponential chirp 80 → 1200 Hz (0.3);
    3: a voiced-like harmonic tone (140 Hz, 5-Hz vibrato of ±3 %, 12 harmonics with a 1/k
    slope and two formant-like peaks near 500 and 1500 Hz, a little noise); 4: white noise
    (standard deviation 0.05), which upstream decodes as unvoiced.
    """
    t = np.arange(n) / SR
    dur = n / SR
    rng = np.random.default_rng(SEED)
    sine_lo = 0.5 * np.sin(2 * np.pi * 220.0 * t)
    sine_hi = 0.2 * np.sin(2 * np.pi * 880.0 * t + 0.3)
    ratio = 1200.0 / 80.0
    chirp = 0.3 * np.sin(2 * np.pi * 80.0 * dur / np.log(ratio) * (ratio ** (t / dur) - 1.0))
    f0 = 140.0 * (1.0 + 0.03 * np.sin(2 * np.pi * 5.0 * t))
    phase = 2 * np.pi * np.cumsum(f0) / SR
    voiced = np.zeros(n)
    for k in range(1, 13):
        fk = 140.0 * k
        env = 1.0 / k * (1.0 + 2.0 * np.exp(-((fk - 500.0) / 150.0) ** 2)
                         + 1.5 * np.exp(-((fk - 1500.0) / 250.0) ** 2))
        voiced += env * np.sin(k * phase + 0.1 * k)
    voiced = 0.4 * voiced / np.abs(voiced).max() + 0.003 * rng.standard_normal(n)
    noise = 0.05 * rng.standard_normal(n)
    return np.stack([sine_lo, sine_hi, chirp, voiced, noise]).astype(np.float32)


def directions(dim: int) -> np.ndarray:
    """Fixed random directions ``[dim, 8]`` (seeded by ``dim``), scaled by ``1/sqrt(dim)``."""
    rng = np.random.default_rng(dim)
    return rng.standard_normal((dim, N_PROJ)) / np.sqrt(dim)


def frames_subset(n_frames: int) -> np.ndarray:
    """The 8 frames at which the full mel and latent are recorded (first and last included)."""
    return np.linspace(0, n_frames - 1, N_SUBSET).round().astype(int)


def project(h: np.ndarray) -> np.ndarray:
    """Hidden states ``[clip, frame, dim]`` every 5th frame on :func:`directions`."""
    return (h[:, ::EVERY].astype(np.float64) @ directions(h.shape[-1])).astype(np.float32)


def _stub_torchaudio() -> None:
    if importlib.util.find_spec("torchaudio") is not None:
        return
    root = Path(tempfile.mkdtemp(prefix="stub-torchaudio-")) / "torchaudio"
    root.mkdir()
    (root / "__init__.py").write_text("from . import transforms\n")
    (root / "transforms.py").write_text(
        "class Resample:\n"
        "    def __init__(self, *args, **kwargs):\n"
        "        raise NotImplementedError('stub torchaudio: feed 16-kHz audio')\n")
    sys.path.insert(0, str(root.parent))


def record() -> dict[str, np.ndarray]:
    """Run upstream once on :func:`clips` and return the fixture arrays."""
    _stub_torchaudio()
    import torch
    from torchfcpe import spawn_bundled_infer_model

    torch.manual_seed(0)
    infer = spawn_bundled_infer_model(device="cpu")
    net = infer.model
    hidden: dict[str, torch.Tensor] = {}

    def hook(name):
        def fn(_mod, _inp, out):
            hidden[name] = out.transpose(1, 2) if name == "input_stack" else out
        return fn

    net.input_stack.register_forward_hook(hook("input_stack"))
    for i, layer in enumerate(net.net.encoder_layers):
        layer.register_forward_hook(hook(f"block{i + 1}"))
    net.norm.register_forward_hook(hook("norm"))
    wav = torch.from_numpy(clips()).unsqueeze(-1)  # (B, n, 1) as upstream documents
    with torch.no_grad():
        mel = infer.wav2mel(wav, SR)
        latent = net(mel)
        f0_local = infer.infer(wav, SR, decoder_mode="local_argmax", threshold=THRESHOLD)
        f0_arg = infer.infer(wav, SR, decoder_mode="argmax", threshold=THRESHOLD)
    mel_np, lat = mel.numpy(), latent.numpy()
    sub = frames_subset(mel_np.shape[1])
    out = {
        "mel": mel_np[:, sub],
        "latent": lat[:, sub],
        "frames_subset": sub,
        "latent_proj": (lat.astype(np.float64) @ directions(lat.shape[-1])).astype(np.float32),
        "latent_max": lat.max(-1),
        "latent_argmax": lat.argmax(-1),
        "f0_local_argmax": f0_local[..., 0].numpy(),
        "f0_argmax": f0_arg[..., 0].numpy(),
        "torch_version": np.array(torch.__version__),
    }
    for name in HIDDEN:
        out[f"{name}_proj"] = project(hidden[name].numpy())
    return out


def main() -> None:
    out = record()
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes); mel {out['mel'].shape}, "
          f"f0 (local argmax) medians {np.median(out['f0_local_argmax'], axis=1).round(1)}")


if __name__ == "__main__":
    main()
