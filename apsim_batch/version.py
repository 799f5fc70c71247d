"""The package's version: bottom layer, so manifests, answer keys and shards can stamp it without importing upwards."""

__version__ = "0.1.0"
