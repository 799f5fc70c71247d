"""Trace layer: waveform models, measurements and phases (numpy/scipy only: no plotting, no files)."""
