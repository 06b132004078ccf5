"""hear-probes: probe what an audio embedding model hears."""

__version__ = "0.1.0"

