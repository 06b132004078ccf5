"""Record the fixture that pins Basic Pitch to the upstream package run by ONNX Runtime.

``basic-pitch`` 0.4.0 requires ``tensorflow<2.15.1`` but runs its published ONNX model with
``onnxruntime`` alone. Run once, by hand, in a scratch environment::

    python3 -m venv /tmp/venv-bp
    /tmp/venv-bp/bin/pip install onnxruntime onnx librosa pretty_midi soundfile
    /tmp/venv-bp/bin/pip install --no-deps basic-pitch==0.4.0
    /tmp/venv-bp/bin/python tests/tools/record_basic_pitch.py

Everything upstream is its own code: each clip of :func:`clips` is written as a 22.05-kHz
float WAV and transcribed by ``basic_pitch.inference.run_inference`` with
``basic_pitch.inference.Model`` on the package's ``nmp.onnx`` (``librosa.load`` at 22050 Hz,
3840 leading zeros, 43844-sample windows every 36164 samples, 15 frames dropped at each window
end, trimmed to ``floor(n * 86 / 22050)`` frames). Intermediates come from the same windows
(``get_audio_input``) run through a copy of the ONNX graph whose outputs also expose the
``NormalizedLog`` CQT and the contour branch's ReLU. Recorded per clip ``<c>``:

- ``<c>_n``: number of stitched frames; ``<c>_frames``: the frames sampled below (every 8th,
  plus the 8 frames around each window seam);
- ``<c>_<head>`` (``contour``, ``note``, ``onset``): the stitched head at those frames;
  ``<c>_<head>_proj``: every stitched frame projected on 8 fixed random directions
  (:func:`directions`);
- ``<c>_cqt``: the ``NormalizedLog`` CQT of every window at frames :data:`CQT_FRAMES`
  (``[windows, 6, 309]``); ``<c>_contour_conv_proj``: the contour branch's ReLU output of every
  window and frame, flattened frequency-major, projected on 8 directions (``[windows, 172, 8]``).

The fixture is ``tests/fixtures/basic_pitch_upstream.npz`` (about 150 KB).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "basic_pitch_upstream.npz"
SR = 22050
SEED = 22
CLIPS = ("sine", "chord", "chirp")
HEADS = ("contour", "note", "onset")
CQT_FRAMES = (0, 20, 60, 100, 150, 171)
N_PROJ = 8
SEAM = 142  # stitched frames per window


def clips() -> dict[str, np.ndarray]:
    """The three 22.05-kHz test clips (float32, 3.7 s in all).

    ``sine``: 0.5 s of 440 Hz at 0.5 (one window, mostly zero padding); ``chord``: 1 s of a
    C major triad (C4, E4, G4, three harmonics each, 0.2 each) with a 10-ms fade-in;
    ``chirp``: 2.2 s exponential sweep 110 → 1760 Hz whose level rises by 20 dB, plus a
    little seeded noise (two windows: the stitching seam is inside).
    """
    rng = np.random.default_rng(SEED)
    out = {}
    t = np.arange(int(0.5 * SR)) / SR
    out["sine"] = 0.5 * np.sin(2 * np.pi * 440.0 * t)
    t = np.arange(SR) / SR
    chord = sum(0.2 / h * np.sin(2 * np.pi * h * f * t) for f in (261.63, 329.63, 392.0)
                for h in (1, 2, 3))
    out["chord"] = chord * np.minimum(1.0, t / 0.01)
    t = np.arange(int(2.2 * SR)) / SR
    f0, f1, dur = 110.0, 1760.0, 2.2
    phase = 2 * np.pi * f0 * dur / np.log(f1 / f0) * ((f1 / f0) ** (t / dur) - 1)
    level = 0.05 * 10 ** (t / dur)
    out["chirp"] = level * np.sin(phase) + 0.002 * rng.standard_normal(t.size)
    return {k: v.astype(np.float32) for k, v in out.items()}


def directions(dim: int, salt: int = 0) -> np.ndarray:
    """``[dim, 8]`` fixed unit random directions for projections."""
    rng = np.random.default_rng(SEED * 1000 + dim + salt)
    v = rng.standard_normal((dim, N_PROJ))
    return (v / np.linalg.norm(v, axis=0)).astype(np.float64)


def sampled_frames(n: int) -> np.ndarray:
    """Every 8th stitched frame plus the 8 frames around each window seam."""
    seams = [s + d for s in range(SEAM, n, SEAM) for d in range(-4, 4)]
    return np.array(sorted(set(range(0, n, 8)) | {s for s in seams if 0 <= s < n}), dtype=np.int64)


def _intermediate_session(onnx_path: Path):
    import onnx
    import onnxruntime as ort

    model = onnx.load(str(onnx_path))
    names = {"cqt": "model_1/normalized_log_1/Reshape_2;model_1/normalized_log_1/Reshape_2",
             "contour_conv": "Relu__38:0"}
    for name in names.values():
        model.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess, names


def main() -> None:  # pragma: no cover - needs onnxruntime and basic-pitch
    import tempfile

    import basic_pitch
    import soundfile as sf
    from basic_pitch.inference import Model, get_audio_input, run_inference

    onnx_path = Path(basic_pitch.__file__).parent / "saved_models/icassp_2022/nmp.onnx"
    model = Model(onnx_path)
    sess, inter = _intermediate_session(onnx_path)
    overlap_len = 30 * 256
    hop_size = 43844 - overlap_len
    rec: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, x in clips().items():
            path = Path(tmp) / f"{name}.wav"
            sf.write(path, x, SR, subtype="FLOAT")
            out = run_inference(path, model)
            n = out["contour"].shape[0]
            frames = sampled_frames(n)
            rec[f"{name}_n"] = np.array(n)
            rec[f"{name}_frames"] = frames
            for head in HEADS:
                h = out[head].astype(np.float64)
                rec[f"{name}_{head}"] = h[frames].astype(np.float32)
                rec[f"{name}_{head}_proj"] = (h @ directions(h.shape[1])).astype(np.float32)
            cqts, convs = [], []
            for window, _, _ in get_audio_input(path, overlap_len, hop_size):
                cqt, cc = sess.run([inter["cqt"], inter["contour_conv"]],
                                   {"serving_default_input_2:0": window.astype(np.float32)})
                cqts.append(cqt[0][list(CQT_FRAMES)])
                flat = cc[0].transpose(1, 2, 0).reshape(cc.shape[2], -1).astype(np.float64)
                convs.append(flat @ directions(flat.shape[1], salt=1))
            rec[f"{name}_cqt"] = np.stack(cqts).astype(np.float32)
            rec[f"{name}_contour_conv_proj"] = np.stack(convs).astype(np.float32)
            print(name, n, "frames,", len(cqts), "windows")
    np.savez_compressed(OUT, **rec)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
