"""Dataset manifests (source URLs, file lists, sha256).

This folder installs as ``hear_probes.manifests`` (see ``pyproject.toml``); it is never an
importable top-level package named ``datasets``, which would shadow Hugging Face's.
"""
