"""apsim-batch: render action-potential teaching animations from validated YAML configs.

The library API, for notebooks and scripts (the CLI is a thin shell over the same functions):

    from apsim_batch import load_config, render, run_batch
    result = render("configs/classic.yaml", out="outputs")   # displays inline in Jupyter
    result.measurements["half_width_ms"], result.files["mp4"]
    run_batch(["configs"], "outputs")                          # what `apsim-batch run` does
    run_batch(["configs"], "shard-2", shard=Shard(2, 3))       # ... with --shard 2/3
    merge_outputs(["shard-1", "shard-2", "shard-3"], "outputs") # what `apsim-batch merge` does

Names are imported on first use, so `import apsim_batch` (and `apsim-batch --help`) stays fast.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "ApsimError",
    "BatchResult",
    "Config",
    "ConfigError",
    "LoadedConfig",
    "Rendered",
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
    "Config": "config",
    "LoadedConfig": "config",
    "load_config": "config",
    "Rendered": "api",
    "render": "api",
    "BatchResult": "batch",
    "run_batch": "batch",
    "validate_paths": "batch",
    "Shard": "shard",
    "merge_outputs": "merge",
}

if TYPE_CHECKING:
    from .api import Rendered, render
    from .batch import BatchResult, run_batch, validate_paths
    from .config import Config, LoadedConfig, load_config
    from .errors import ApsimError, ConfigError
    from .merge import merge_outputs
    from .shard import Shard


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'apsim_batch' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """Keeps `apsim_batch.render` the render() function.

    Importing the submodule `apsim_batch.render` (the per-render engine) makes Python set the
    package attribute of the same name to that module, which would hide the public function.
    The engine stays importable as usual: `from apsim_batch.render import ...`.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "render" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
