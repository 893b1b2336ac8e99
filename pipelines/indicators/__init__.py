"""Indicateurs : transformations Polars pures (LazyFrame → LazyFrame) et leur matérialisation dans l'entrepôt."""
