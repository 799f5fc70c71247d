"""Output layer: the outputs folder (safe writes, reserved names, lock), encoders, manifests, answers, gallery."""
