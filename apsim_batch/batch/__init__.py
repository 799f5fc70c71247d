"""Batch layer: discovery, planning, the run, executors (in-process, workers, Dask), shards, merge, watch."""

DEFAULT_TIMEOUT_S = 900.0  # a render of the largest allowed config takes minutes, a hung one forever
