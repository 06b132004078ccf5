"""The published STFT column, reproduced: embeddings put in the row order of the released features.

Pascal & Lagrange (2024) released their STFT features (``data/stft/<Dataset>.pkl`` of
``bpascal-fr/timbre-metric-learning``) with the rows of each study in an order that is not
the sorted file-name order of the rating matrices. ``published_stft_row_order.json`` (shipped
with the timbre data, ``../shared/data/timbre``) gives that order: ``order[<Dataset>][k]`` is
the file name of the sound whose features are row ``k`` of the released features. Their code
pairs row ``k`` with row/column ``k`` of the rating matrix, i.e. with the ``k``-th sound in
sorted order. So the published Table I STFT column was computed with sound ``sorted[k]``
described by the features of sound ``order[k]``.

This module writes an embeddings file (the ``--embeddings`` layout,
``/timbre/<Dataset>/{embeddings,item_ids}``) that reproduces that pairing: under the item id of
``sorted[k]`` it stores the embedding of ``order[k]``. Run::

    python -m hear_probes.probes.timbre.erratum --model stft --data ../shared/data/timbre --out X.h5
    hear-probes probe timbre --embeddings X.h5 --init warm --no-loso --reference none \\
        --data ../shared/data/timbre --out OUT

Use it only to reproduce the published numbers: the correct pairing is the sorted order
(``hear-probes probe timbre --model stft``). See docs/timbre.md, "The published STFT column:
an erratum".
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from hear_probes.errors import HearProbesError

#: File name of the row order inside the timbre data folder.
ORDER_FILE = "published_stft_row_order.json"


def load_row_order(path: str | os.PathLike) -> dict[str, list[str]]:
    """Read ``published_stft_row_order.json``.

    Parameters
    ----------
    path : path-like
        The JSON file; its ``order`` maps each study to the sound file names in the row order
        of the released features.

    Returns
    -------
    dict
        ``{dataset: [file name of released row 0, row 1, ...]}``.

    Raises
    ------
    HearProbesError
        Missing file or no ``order`` mapping of lists.
    """
    p = Path(path)
    if not p.is_file():
        raise HearProbesError(
            f"{p}: no such file; it ships with the timbre data (../shared/data/timbre/{ORDER_FILE}). "
            "Pass --order FILE"
        )
    try:
        doc = json.loads(p.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise HearProbesError(f"{p}: not a row order file ({type(exc).__name__}: {exc}); pass the "
                              f"{ORDER_FILE} that ships with the timbre data as --order") from None
    order = doc.get("order") if isinstance(doc, dict) else None
    if not isinstance(order, dict) or not all(isinstance(v, list) for v in order.values()):
        raise HearProbesError(f"{p}: expected {{'order': {{<Dataset>: [file names]}}}}")
    return {str(k): [str(x) for x in v] for k, v in order.items()}


def released_permutation(item_ids: Sequence[str], released: Sequence[str], where: str) -> np.ndarray:
    """Index ``perm`` such that ``embeddings[perm]`` is in the released row order.

    Parameters
    ----------
    item_ids : sequence of str
        Sound ids of the study (file names without extension), sorted order = rating rows.
    released : sequence of str
        File names (with or without extension) in the released row order.
    where : str
        Study name for error messages.

    Returns
    -------
    np.ndarray of int
        ``perm[k]`` = index in ``item_ids`` of the sound whose features are released row ``k``.

    Raises
    ------
    HearProbesError
        When ``released`` is not a permutation of the study's sounds.
    """
    ids = list(item_ids)
    stems = [Path(r).stem if Path(r).suffix else r for r in released]
    index = {k: i for i, k in enumerate(ids)}
    missing = sorted(set(ids) - set(stems))
    unknown = sorted(set(stems) - set(ids))
    if missing or unknown or len(stems) != len(ids):
        raise HearProbesError(
            f"{where}: the released row order is not a permutation of the study's {len(ids)} "
            f"sounds (missing {missing or 'none'}, unknown {unknown or 'none'}, "
            f"{len(stems)} rows); is the order file for this data?"
        )
    return np.array([index[s] for s in stems], dtype=np.int64)


def write_embeddings_file(
    path: str | os.PathLike,
    sets: Mapping[str, tuple[Sequence[str], np.ndarray]],
    attrs: Mapping[str, str] | None = None,
) -> Path:
    """Write ``/timbre/<Dataset>/{embeddings,item_ids}`` (the ``--embeddings`` layout).

    Parameters
    ----------
    path : path-like
        Output HDF5 file (overwritten).
    sets : mapping
        ``{dataset: (item_ids, embeddings [n, dim])}``.
    attrs : mapping, optional
        Root attributes (provenance).

    Returns
    -------
    Path
    """
    import h5py

    from hear_probes.atomic import atomic_path

    p = Path(path)
    with atomic_path(p, suffix=".h5") as tmp, h5py.File(tmp, "w") as f:  # never half-written
        for k, v in (attrs or {}).items():
            f.attrs[k] = v
        for name, (ids, emb) in sets.items():
            g = f.create_group(f"timbre/{name}")
            g.create_dataset("embeddings", data=np.asarray(emb, dtype=np.float32))
            g.create_dataset("item_ids", data=list(ids), dtype=h5py.string_dtype("utf-8"))
    return p


def released_order_sets(
    embeddings: Mapping[str, np.ndarray],
    item_ids: Mapping[str, Sequence[str]],
    order: Mapping[str, Sequence[str]],
) -> dict[str, tuple[list[str], np.ndarray]]:
    """Pair each study's sorted sounds with the embeddings of the released row order.

    Row ``k`` of the result is labelled ``item_ids[k]`` (sorted sound ``k``, rating row ``k``)
    and holds the embedding of sound ``order[k]``, as in the released features. Studies
    without an entry in ``order`` are left out.
    """
    out = {}
    for name, emb in embeddings.items():
        if name not in order:
            continue
        ids = list(item_ids[name])
        perm = released_permutation(ids, order[name], name)
        out[name] = (ids, np.asarray(emb)[perm])
    return out


def comparison_rows(released: Mapping[str, float], correct: Mapping[str, float]) -> list[dict]:
    """The three STFT columns per study: published, released order, correct pairing.

    Parameters
    ----------
    released, correct : mapping
        ``explained_variance`` of the runs on the released-order and the sorted embeddings.

    Returns
    -------
    list of dict
        One row per published study (Table I order): ``study``, ``published``,
        ``released_order``, ``diff`` (released - published), ``within_0_03``,
        ``correct_pairing``.
    """
    from hear_probes.stimuli.timbre import PUBLISHED_STFT_EV, TIMBRE_DATASETS

    rows = []
    for name in TIMBRE_DATASETS:
        if name not in released:
            continue
        pub, rel = PUBLISHED_STFT_EV[name], released[name]
        rows.append({"study": name, "published": pub, "released_order": round(float(rel), 4),
                     "diff": round(float(rel) - pub, 4), "within_0_03": bool(abs(rel - pub) <= 0.03),
                     "correct_pairing": round(float(correct[name]), 4) if name in correct else None})
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: embed (through the store) and write the released-order embeddings file."""
    ap = argparse.ArgumentParser(
        prog="python -m hear_probes.probes.timbre.erratum",
        description="Write the embeddings of a model with each timbre study's rows in the order "
        "of the STFT features released by Pascal & Lagrange (2024), to reproduce their "
        "(mis-paired) Table I STFT column with 'hear-probes probe timbre --embeddings'.",
    )
    ap.add_argument("--model", default="stft", help="registry model (default stft)")
    ap.add_argument("--data", required=True, type=Path, help="timbre data folder (sounds/, ratings/)")
    ap.add_argument("--out", required=True, type=Path, help="output HDF5 file")
    ap.add_argument("--order", type=Path, default=None,
                    help=f"row order file (default: <data>/{ORDER_FILE})")
    ap.add_argument("--pairing", choices=("released", "correct"), default="released",
                    help="released: the published (wrong) pairing; correct: sorted order")
    ap.add_argument("--cache", type=Path, default=None, help="embedding cache folder")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    try:
        return _run(args)
    except HearProbesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    """The work of :func:`main` (errors are turned into exit codes there)."""
    from hear_probes.checks import check_cache_dir, check_out_file

    check_out_file(args.out, "--out")  # before anything is computed
    check_cache_dir(args.cache)
    from hear_probes.hear_module import load_hear_module
    from hear_probes.probes.timbre.run import embed_studies
    from hear_probes.stimuli.timbre import find_timbre_dir, load_timbre_dataset
    from hear_probes.store import EmbeddingStore

    root = find_timbre_dir(args.data)
    order = load_row_order(args.order or root / ORDER_FILE)
    names = [n for n in order if (root / "sounds" / n).is_dir()]
    if not names:
        raise HearProbesError(f"{root}: none of the studies of the order file is here")
    loaded = load_hear_module(name=args.model)
    store = EmbeddingStore.for_model(loaded, args.cache)
    emb = embed_studies(loaded, store, root, names, quiet=args.quiet)
    ids = {n: load_timbre_dataset(root, n).item_ids for n in names}
    if args.pairing == "released":
        sets = released_order_sets(emb, ids, order)
    else:
        sets = {n: (ids[n], emb[n]) for n in names}
    write_embeddings_file(args.out, sets, {
        "model": loaded.model_id, "pairing": args.pairing,
        "note": "rows of sorted sound k hold the embedding of released row k"
        if args.pairing == "released" else "sorted file-name order (correct pairing)",
    })
    if not args.quiet:
        print(f"{args.out}: {len(sets)} studies, {args.pairing} pairing, model {args.model}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
