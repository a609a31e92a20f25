"""``python -m qrisk`` runs the command-line interface."""

from qrisk.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
