"""Your own data: (x, y) points from a CSV file or pasted text, checked before any lesson trains on them.

Accepted: text in UTF-8 (a BOM is fine), UTF-16 with a BOM, or GB 18030/GBK (Excel's CSV on Chinese Windows); one
point per line, two numbers separated by a comma, a semicolon (then a decimal comma is fine too: 1,5;2,25), a tab
or spaces; an optional header line first (a line with no number on it: "x,y", "时间,高度"); blank lines skipped.
Anything else raises PointsError naming what was wrong and where (the line number), so a page can say it in the
visitor's language and carry on with its built-in data.
"""
from __future__ import annotations

import math
import re
MAX_BYTES = 1_000_000  # 1 MB
MAX_ROWS = 2_000
MIN_POINTS = 5
MAX_ABS = 1e6  # larger values would overflow a loss surface or a learning-rate bound; rescale them first
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")  # plain decimals (also nan/inf below)


Points = tuple[tuple[float, ...], tuple[float, ...]]  # (xs, ys)


class PointsError(ValueError):
    """What was wrong (`reason`, a locale key under "data.error"), where (`line`, from 1; 0: the whole input),
    and the details the message quotes."""

    def __init__(self, reason: str, line: int = 0, details: dict | None = None) -> None:
        # reason: too_big | binary | empty | too_few | too_many | columns | not_number | not_finite | too_large
        super().__init__(f"{reason} (line {line}): {details or {}}")
        self.reason, self.line, self.details = reason, line, details or {}


def _split(line: str, sep: str | None) -> list[str]:
    """A line's fields: by the separator, or by runs of spaces (sep None)."""
    return [f.strip() for f in (line.split(sep) if sep else line.split())]


def _decode(data: bytes) -> str:
    """The text of the bytes: UTF-16 with a BOM, UTF-8 (BOM or not), else GB 18030; PointsError("binary")."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise PointsError("binary") from None
    if b"\x00" in data:  # a picture, a spreadsheet, a zip: no text file holds NUL bytes
        raise PointsError("binary")
    for codec in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    raise PointsError("binary")


def _is_header(line: str) -> bool:
    """A title line: no field of it is a number, whatever separates them."""
    return not any(_NUMBER.fullmatch(f.replace(",", ".")) for f in re.split(r"[,;\t ]+", line.strip()))


def _separator(line: str) -> str | None:
    """The separator the first line uses: comma, semicolon, tab, or spaces (None)."""
    for sep in (";", "\t", ","):  # a semicolon file may use decimal commas: look for it first
        if sep in line:
            return sep
    return None


def _number(text: str, sep: str | None, line: int) -> float:
    """One field as a finite float; PointsError for text, nan or inf."""
    plain = text.replace(",", ".") if sep == ";" else text  # 1,5 in a semicolon file is 1.5
    if plain.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise PointsError("not_finite", line, {"value": text[:20]})
    if not _NUMBER.fullmatch(plain):
        raise PointsError("not_number", line, {"value": text[:20]})
    v = float(plain)
    if not math.isfinite(v):  # 1e999
        raise PointsError("not_finite", line, {"value": text[:20]})
    if abs(v) > MAX_ABS:
        raise PointsError("too_large", line, {"value": text[:20], "limit": MAX_ABS})
    return v


def parse_points(raw: bytes | str) -> Points:
    """(xs, ys) from CSV bytes or pasted text; PointsError unless it is MIN_POINTS..MAX_ROWS (x, y) pairs of finite
    numbers within ±MAX_ABS."""
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    if len(data) > MAX_BYTES:
        raise PointsError("too_big", 0, {"size": len(data), "limit": MAX_BYTES})
    rows = [(i, s) for i, s in enumerate(_decode(data).splitlines(), start=1) if s.strip()]  # i: line number
    if rows and _is_header(rows[0][1]):
        rows = rows[1:]
    if not rows:
        raise PointsError("empty")
    sep = _separator(rows[0][1])  # the first data line's
    xs, ys = [], []
    for i, line in rows:
        fields = _split(line, sep)
        if len(fields) != 2:
            raise PointsError("columns", i, {"count": len(fields)})
        x, y = (_number(f, sep, i) for f in fields)
        if len(xs) == MAX_ROWS:
            raise PointsError("too_many", i, {"limit": MAX_ROWS})
        xs.append(x)
        ys.append(y)
    if len(xs) < MIN_POINTS:
        raise PointsError("too_few", 0, {"count": len(xs), "least": MIN_POINTS})
    return tuple(xs), tuple(ys)
