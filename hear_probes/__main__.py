"""``python -m hear_probes``: the ``hear-probes`` command line."""

from hear_probes.cli import run

if __name__ == "__main__":
    run()
