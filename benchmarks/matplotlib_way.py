"""The standard matplotlib way, for comparison: the original script's figure saved by FuncAnimation.

Re-creates the original teaching figure (640x480, the same axes, labels, reference lines and
annotation, the same curve) and saves it with `FuncAnimation.save`, which redraws the whole figure
for every frame: `PillowWriter` for GIF, `FFMpegWriter` (imageio-ffmpeg's bundled binary) for MP4.

    python benchmarks/matplotlib_way.py --format gif --out original.gif [--fps 90] [--frames 250]
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--format", choices=["gif", "mp4"], required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--fps", type=float, default=90)
    parser.add_argument("--frames", type=int, default=250, help="Frames to save, two samples each.")
    args = parser.parse_args()

    import imageio_ffmpeg
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter
    from scipy.interpolate import interp1d

    matplotlib.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()

    # The original curve: rest, a spike Gaussian and an after-hyperpolarization Gaussian, cubic-smoothed.
    samples = 2 * args.frames
    t = np.linspace(0, 10, samples)
    v = np.ones_like(t) * -70
    v += 110 * np.exp(-((t - 2.5) ** 2) / (2 * 0.1**2))
    v += -20 * np.exp(-((t - 3.5) ** 2) / (2 * 0.2**2))
    v = interp1d(t, v, kind="cubic")(t)

    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
    (line,) = ax.plot([], [], color="blue", linewidth=2, zorder=2)
    ax.set_ylim(-100, 70)
    ax.set_xlim(0, 10)
    ax.set_xticks(np.arange(0, 10.5, 1))
    ax.set_xlabel("Time (ms)")
    ax.set_ylabel("Voltage (mV)")
    ax.set_title("Action Potential")
    ax.axhline(y=-70, color="gray", linestyle="--", alpha=0.5, zorder=1)
    ax.axhline(y=0, color="black", linestyle="-", alpha=0.5, zorder=0)
    ax.annotate("© Remy Cohan", (0.97, 0.03), xycoords="axes fraction", fontsize=8, ha="right", va="bottom", alpha=0.3)

    def update(i: int):
        line.set_data(t[: 2 * (i + 1)], v[: 2 * (i + 1)])
        return (line,)

    animation = FuncAnimation(fig, update, frames=args.frames, blit=True)
    if args.format == "gif":
        animation.save(args.out, writer=PillowWriter(fps=args.fps))
    else:
        # codec "h264" (libx264) also makes matplotlib ask for yuv420p, as we do.
        animation.save(args.out, writer=FFMpegWriter(fps=args.fps, codec="h264"))


if __name__ == "__main__":
    main()
