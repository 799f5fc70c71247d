"""Config layer: strict YAML reading, the pydantic models, located problems, field paths, --set and variant sets."""
