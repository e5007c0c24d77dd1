"""Benchmark: the training time of every run-sheet moment (each preset of each lesson), cold, on one core, seed 0;
written to ui/moments.json, which the run-sheet adds to each moment's talking minutes.

    python bench/moments.py                 # every moment, then the file
    python bench/moments.py --lesson pooling  # only that lesson's moments (the others keep their figures)

Each preset runs in a fresh process pinned to one core (a Community Cloud container), as the page would run it
on a cold server: the preset's section config, the core entry point, no cache.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "ui" / "moments.json"

CHILD = r"""
import os, sys, time, logging, warnings
os.sched_setaffinity(0, {0})
sys.path.insert(0, sys.argv[1])
logging.disable(logging.WARNING); warnings.simplefilter("ignore")
from urllib.parse import parse_qs
from ui.lessons import lesson
from ui.page import link_configs
x = lesson(sys.argv[2])
values = x.presets[sys.argv[3]]
section = x.preset_section(sys.argv[3]) or x.sections[0].name
cfg = link_configs(x, {k: [str(v) if not isinstance(v, bool) else str(v).lower()] for k, v in values.items()})[section]
t0 = time.perf_counter()
x.run(cfg)
print(time.perf_counter() - t0)
"""


def measure(lesson: str, preset: str) -> float:
    """Seconds one cold run of the preset's section takes on one core (a fresh process)."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), lesson, preset], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from ui.lessons import LESSONS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lesson", help="measure only this lesson's moments")
    args = ap.parse_args()
    old = json.loads(OUT.read_text(encoding="utf-8")) if OUT.exists() else {}
    new = {}
    for x in LESSONS:
        for p in x.presets:
            key = f"{x.name}.{p}"
            if args.lesson and x.name != args.lesson and key in old:
                new[key] = old[key]
                continue
            new[key] = round(measure(x.name, p), 2)
            print(f"{key:40} {new[key]:6.2f} s", flush=True)
    OUT.write_text(json.dumps(new, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(new)} moments, {sum(new.values()):.1f} s of training in all")


if __name__ == "__main__":
    main()
