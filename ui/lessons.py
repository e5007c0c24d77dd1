"""The course in order: one entry per lesson. The router, the home page, the tests and the bench read it.

Lesson `name` lives in core/<name>.py, pages/<n>_<name>.py (n = its place here, from 1),
tests/test_<name>.py and the "<name>" section of locales/*.json.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ["gradient_descent", "overfitting", "pooling", "rnn_gradients"]


def page_file(name: str) -> str:
    """The lesson's page script, relative to the repo root: "pages/1_gradient_descent.py"."""
    return f"pages/{LESSONS.index(name) + 1}_{name}.py"


def available() -> list[str]:
    """The lessons whose page exists (all of them on main; a lesson being written may lack one)."""
    return [name for name in LESSONS if (ROOT / page_file(name)).exists()]
