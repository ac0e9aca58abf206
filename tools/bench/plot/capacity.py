"""The saga's latency curve from target/bench/capacity.json: p50 and p99 of submit → COMPLETED
per step of the capacity search, each step marked held or broke, the 300 ms target and the
capacity found. Written to capacity.png beside the JSON."""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: render straight to the file
import matplotlib.pyplot as plt  # noqa: E402

TARGET_MS = 300


def main(out_dir: Path) -> None:
    capacity = json.loads((out_dir / "capacity.json").read_text())
    if capacity is None:
        return
    steps = sorted(capacity["steps"], key=lambda s: s["rate"])
    rates = [s["rate"] for s in steps]
    figure, axes = plt.subplots(figsize=(7, 4), dpi=120)
    for quantile, style in (("p50_ms", "o-"), ("p99_ms", "s-")):
        axes.plot(rates, [s["submit_to_completed"][quantile] for s in steps], style,
                  label=quantile.replace("_ms", ""))
    broke = [s for s in steps if not s["held"]]
    axes.scatter([s["rate"] for s in broke], [s["submit_to_completed"]["p99_ms"] for s in broke],
                 s=120, facecolors="none", edgecolors="red", label="step broke")
    axes.axhline(TARGET_MS, color="grey", linestyle="--", label=f"p99 target {TARGET_MS} ms")
    if capacity["capacity"] > 0:
        axes.axvline(capacity["capacity"], color="green", linestyle=":",
                     label=f"capacity {capacity['capacity']:.0f}/s")
    axes.set_xlabel("arrival rate (checkouts/s, open loop)")
    axes.set_ylabel("submit → COMPLETED (ms)")
    axes.set_yscale("log")
    axes.set_title(f"Saga latency per step ({capacity['step_seconds']} s each)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(out_dir / "capacity.png")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "target/bench"))
