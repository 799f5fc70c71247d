"""apsim-batch: render action-potential teaching animations from validated YAML configs."""

__version__ = "0.1.0"
