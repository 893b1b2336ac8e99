"""Ligne de commande : `python -m pipelines <commande>`. Voir `python -m pipelines --help`."""

from pipelines.cli import main

raise SystemExit(main())
