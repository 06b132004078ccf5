"""Benchmark: embedding all layers of a (small, random) Hugging Face model vs its last layer.

A random-initialised wav2vec2 (default 6 layers of 128, conv dims 64; ``--hidden 768
--layers 12`` for the size of wav2vec2-base; structure only, no results) is
saved locally and loaded through ``hf:``. Three timings, median of ``--repeats``:

* ``last (plain)``: the plain transformers call, ``last_hidden_state`` mean over time
  (no ``output_hidden_states``): the cost of one embedding;
* ``all layers``: ``hf_auto.get_layer_scene_embeddings`` (one pass, 7 layers);
* ``store: last`` vs ``store: all``: :func:`hear_probes.embed.embed_set` into fresh stores for
  the default layer vs ``--layers all`` (one pass, 7 HDF5 stores written).

Target: all layers cost at most 1.2x the last layer. Usage::

    PYTHONPATH=. python benchmarks/bench_layers.py [--n 32] [--seconds 1.0] [--repeats 3]
        [--hidden 128] [--layers 6]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import transformers

from hear_probes.embed import embed_stimulus_set
from hear_probes.hear_module import load_hear_module
from hear_probes.layers import layer_views
from hear_probes.stimuli.base import StimulusSet
from hear_probes.store import EmbeddingStore


def _model_dir(root: Path, hidden: int, layers: int) -> Path:
    torch.manual_seed(0)
    cfg = transformers.Wav2Vec2Config(hidden_size=hidden, num_hidden_layers=layers,
                                      num_attention_heads=4, intermediate_size=2 * hidden,
                                      conv_dim=(hidden // 2,) * 7)
    d = root / "w2v2-small-random"
    transformers.Wav2Vec2Model(cfg).save_pretrained(d)
    transformers.Wav2Vec2FeatureExtractor(do_normalize=True).save_pretrained(d)
    return d


def _timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--hidden", type=int, default=128, help="hidden size (768 = wav2vec2-base)")
    ap.add_argument("--layers", type=int, default=6, help="transformer layers (12 = base)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    audio = (0.1 * rng.standard_normal((args.n, int(16000 * args.seconds)))).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        d = _model_dir(Path(tmp), args.hidden, args.layers)
        loaded = load_hear_module(name=f"hf:{d}")
        model = loaded.model
        from hear_probes_adapters import hf_auto
        from hear_probes_adapters._ssl import normalise

        def plain():
            with torch.no_grad():
                for s in range(0, args.n, args.batch):
                    x = normalise(torch.from_numpy(audio[s : s + args.batch]))
                    model.tower(x).last_hidden_state.mean(dim=1)

        def all_layers():
            with torch.no_grad():
                for s in range(0, args.n, args.batch):
                    hf_auto.get_layer_scene_embeddings(audio[s : s + args.batch], model)

        plain()  # warm-up
        t_last, t_all = _timed(plain, args.repeats), _timed(all_layers, args.repeats)
        ids = [f"x{i}" for i in range(args.n)]

        def load(chunk):
            return [audio[int(i[1:])] for i in chunk]

        def store_run(layered: bool):
            cache = Path(tempfile.mkdtemp(dir=tmp))
            views = layer_views(loaded, "all", cache) if layered else [loaded]
            v = views[-1]
            embed_stimulus_set(v, EmbeddingStore.for_model(v, cache),
                StimulusSet.from_loader("bench", "clips", ids, load, "s"),
                      batch_size=args.batch, quiet=True)

        s_last = _timed(lambda: store_run(False), args.repeats)
        s_all = _timed(lambda: store_run(True), args.repeats)
    print(f"{args.n} clips of {args.seconds} s, batch {args.batch}, {model.n_layers} layers, "
          f"1 thread, median of {args.repeats}")
    print(f"  forward: last (plain) {t_last:.3f} s, all layers {t_all:.3f} s -> {t_all / t_last:.2f}x")
    print(f"  embed_set + store: last {s_last:.3f} s, all ({model.n_layers} stores) {s_all:.3f} s "
          f"-> {s_all / s_last:.2f}x")


if __name__ == "__main__":
    main()
