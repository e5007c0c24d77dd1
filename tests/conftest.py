"""Make the repo root importable (core, ui, tests) from any working directory."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
