"""Built-in HEAR modules of hear-probes (importable as ``hear_probes_adapters``).

The folder is named ``adapters/`` in the source tree but installs under the import name
``hear_probes_adapters`` so that it never shadows the PyPI package ``adapters`` (AdapterHub).
"""

