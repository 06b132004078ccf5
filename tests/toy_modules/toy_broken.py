"""Deliberately broken HEAR modules: TOY_BREAK selects the rule to break."""

import os

import torch
import toy_good


class Broken(torch.nn.Module):
    sample_rate = 16000
    scene_embedding_size = 3
    timestamp_embedding_size = 3


def load_model(model_file_path: str = ""):
    m = Broken()
    mode = os.environ.get("TOY_BREAK", "")
    if mode == "rate":
        m.sample_rate = 12345
    if mode == "size":
        m.scene_embedding_size = 3.5
    return m


def get_timestamp_embeddings(audio, model):
    emb, ts = toy_good.get_timestamp_embeddings(audio, model)
    mode = os.environ.get("TOY_BREAK", "")
    if mode == "uneven":
        ts = ts.clone()
        ts[:, -1] += 37.0
    if mode == "ts_shape":
        ts = ts[:, :-1]
    return emb, ts


def get_scene_embeddings(audio, model):
    emb = toy_good.get_scene_embeddings(audio, model)
    mode = os.environ.get("TOY_BREAK", "")
    if mode == "nan":
        emb = emb.clone()
        emb[0, 0] = float("nan")
    if mode == "dtype":
        emb = emb.double()
    if mode == "shape":
        emb = emb[:, :2]
    return emb
