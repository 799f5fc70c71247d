"""apsim-batch: render action-potential teaching animations from validated YAML configs.

The library API, for notebooks and scripts (the CLI is a thin shell over the same functions):

    from apsim_batch import load_config, render, run_batch
    result = render("configs/classic.yaml", out="outputs")   # displays inline in Jupyter
    result.measurements["half_width_ms"], result.files["mp4"]
    run_batch(["configs"], "outputs")                          # what `apsim-batch run` does
    run_batch(["configs"], "shard-2", shard=Shard(2, 3))       # ... with --shard 2/3
    run_batch(["configs"], "outputs", RunOptions(jobs=1, force=True))  # every option in one object
    merge_outputs(["shard-1", "shard-2", "shard-3"], "outputs") # what `apsim-batch merge` does

Names are imported on first use, so `import apsim_batch` (and `apsim-batch --help`) stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .version import __version__

__all__ = [
    "ApsimError",
    "BatchResult",
    "Config",
    "ConfigError",
    "LoadedConfig",
    "Rendered",
    "RunOptions",
    "Shard",
    "__version__",
    "load_config",
    "merge_outputs",
    "render",
    "run_batch",
    "validate_paths",
]

# public name -> module that defines it
_LAZY = {
    "ApsimError": "errors",
    "ConfigError": "errors",
    "Config": "config.models",
    "LoadedConfig": "config.load",
    "load_config": "config.load",
    "Rendered": "api",
    "render": "api",
    "BatchResult": "batch.plan",
    "run_batch": "batch.run",
    "RunOptions": "batch.options",
    "validate_paths": "batch.plan",
    "Shard": "batch.shard",
    "merge_outputs": "batch.merge",
}

if TYPE_CHECKING:
    from .api import Rendered, render
    from .batch.merge import merge_outputs
    from .batch.options import RunOptions
    from .batch.plan import BatchResult, validate_paths
    from .batch.run import run_batch
    from .batch.shard import Shard
    from .config.load import LoadedConfig, load_config
    from .config.models import Config
    from .errors import ApsimError, ConfigError


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'apsim_batch' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
