"""Benchmarks run by `make bench`; each prints its figures beside a baseline measured in the same run."""

import dashboard  # noqa: F401 - first, as `python -m dashboard` does: one malloc arena (dashboard/malloc.py)
