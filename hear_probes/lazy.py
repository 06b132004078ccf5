"""Lazy package attributes (PEP 562), so that importing the CLI does not import torch."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_attributes(package: str, mapping: Mapping[str, str]) -> tuple[Callable, Callable]:
    """``__getattr__`` and ``__dir__`` for a package whose attributes live in submodules.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    mapping : mapping
        ``{attribute: dotted module that defines it}``; the module is imported on first access
        and the attribute cached in the package namespace.

    Returns
    -------
    (__getattr__, __dir__)
        Functions to assign at the package's top level.
    """

    def __getattr__(name: str):
        if name not in mapping:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(mapping[name]), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(mapping))

    return __getattr__, __dir__
