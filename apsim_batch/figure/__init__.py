"""Figure layer: the figure layout, palette and overlays, and the fast stream of animation frames."""
