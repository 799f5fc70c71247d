"""Batch layer: discovery, planning, the run, executors (in-process, workers, Dask), shards, merge, watch."""
