"""Your own data (core/points.py, ui/own_data.py): what the parser takes and refuses (with the line), the two
lessons that train on it (gradient descent, overfitting's capacity tab), and the page carrying on with its
built-in data after a bilingual error. The browser test uploads a file through the widget."""
import math

import pytest
import torch

from core import gradient_descent as gd
from core import overfitting as of
from core.points import MAX_ROWS, PointsError, parse_points
from tests.apptest import assert_clean, open_page
from ui.i18n import catalogue
from ui.lessons import GRADIENT_DESCENT, OVERFITTING

GOOD = "".join(f"{i / 4:g},{1 + 2 * i / 4 + (-1) ** i * 0.3:g}\n" for i in range(12))


def paste(at, lesson_name: str, text: str):
    """Open the page's 'Your own data' expander (its widgets are built only when open) and paste text."""
    at.session_state[f"{lesson_name}_own_data"] = True
    at.run()
    return at.text_area(key=f"{lesson_name}_paste").input(text).run()


def refused(raw) -> PointsError:
    with pytest.raises(PointsError) as e:
        parse_points(raw)
    return e.value


@pytest.mark.parametrize("raw", [GOOD, "x,y\n" + GOOD, "\ufeffx,y\r\n" + GOOD.replace("\n", "\r\n"),
                                 GOOD.replace(",", ";"), GOOD.replace(",", "\t"), GOOD.replace(",", "   "),
                                 "\n\n" + GOOD + "\n\n"])
def test_good_data_with_or_without_a_header_any_separator(raw):
    xs, ys = parse_points(raw.encode("utf-8"))
    assert xs == tuple(i / 4 for i in range(12)) and len(ys) == 12
    assert ys[1] == pytest.approx(1 + 0.5 - 0.3)


@pytest.mark.parametrize("codec", ["gbk", "utf-16", "utf-8-sig"])
def test_chinese_excel_and_utf16_files(codec):
    """Excel's CSV on Chinese Windows is GBK, its 'Unicode text' UTF-16: a header 时间,高度 and the numbers."""
    xs, ys = parse_points(("时间,高度\n" + GOOD).encode(codec))
    assert len(xs) == 12 and xs[-1] == 2.75


def test_a_title_line_of_any_shape_is_a_header():
    assert len(parse_points("My measurements (cm)\n" + GOOD)[0]) == 12
    assert len(parse_points("x y\n" + GOOD)[0]) == 12  # header with spaces over comma-separated data


def test_semicolon_file_with_decimal_commas():
    assert parse_points("x;y\n0,5;1,25\n1;2\n1,5;3,5\n2;4\n2,5;5,75\n") == ((0.5, 1.0, 1.5, 2.0, 2.5),
                                                                         (1.25, 2.0, 3.5, 4.0, 5.75))


@pytest.mark.parametrize("raw, reason, line", [
    (b"", "empty", 0), (b"\n  \n", "empty", 0),
    (GOOD.replace("2.5,", "2.5,abc#", 1).encode(), "not_number", 11),  # text in a column: its line
    ("x,y\n1,2\none,3\n" + GOOD, "not_number", 3), ("1,y\n" + GOOD, "not_number", 1),  # a header has no number
    (GOOD + "3,nan\n", "not_finite", 13), (GOOD + "inf,3\n", "not_finite", 13), (GOOD + "3,1e999\n", "not_finite", 13),
    (GOOD + "3,-Infinity\n", "not_finite", 13), (GOOD + "3,2e6\n", "too_large", 13),
    (GOOD + "3,4,5\n", "columns", 13), (GOOD + "3\n", "columns", 13),
    ("1,2\n2,3\n3,4\n4,5\n", "too_few", 0),
    ("".join(f"{i},{i}\n" for i in range(MAX_ROWS + 1)), "too_many", MAX_ROWS + 1),
    (b"1,2\n" * 10 ** 6, "too_big", 0),  # 10^6 rows: 4 MB
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary", 0), (b"\xff\xfe1\x00,", "binary", 0),
    ("x y\n1 2 3\n", "columns", 2), ("x,y\n", "empty", 0),
])
def test_bad_data_says_what_and_where(raw, reason, line):
    e = refused(raw)
    assert (e.reason, e.line) == (reason, line)
    for lang in ("en", "zh"):  # every reason has its sentence in both languages, with the line where there is one
        text = catalogue(lang)[f"data.error.{reason}"]
        assert ("{line}" in text) == (line > 0)


def test_exactly_the_limits_are_accepted():
    xs, _ = parse_points("".join(f"{i},{i}\n" for i in range(MAX_ROWS)))
    assert len(xs) == MAX_ROWS
    assert len(parse_points("1,2\n2,3\n3,4\n4,5\n5,-1e6\n")[0]) == 5


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n", [40, 201])
def test_mae_fit_for_many_points_is_the_exact_optimum(seed, n):
    """Own data can have 2,000 points: MAE's best line is then found by pivoting on each point (a weighted median
    of slopes) instead of checking all pairs; both reach the same least loss."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, generator=g, dtype=torch.float64) * 4 - 1
    y = 1 + 2 * x + torch.randn(n, generator=g, dtype=torch.float64) ** 3
    loss = lambda bw: float(gd.loss_fn("mae", *torch.tensor(bw), x, y))  # noqa: E731
    assert loss(gd._mae_fit_by_pivot(x, y)) == pytest.approx(loss(gd.best_fit("mae", x, y)), rel=1e-12)


def test_gradient_descent_trains_on_exactly_the_given_points():
    xs, ys = parse_points(GOOD)
    r = gd.run(gd.GDConfig(), points=(xs, ys))
    assert r.data.x.tolist() == list(xs) and r.data.y.tolist() == list(ys) and not r.data.outlier.any()
    fit = torch.linalg.lstsq(torch.tensor([[1.0, x] for x in xs], dtype=torch.float64),
                             torch.tensor(ys, dtype=torch.float64)[:, None]).solution[:, 0].tolist()
    assert (r.best_b, r.best_w) == pytest.approx(fit)
    assert gd.run(gd.GDConfig(outlier=True), points=(xs, ys)).data.equals(r.data)  # the outlier is the built-in data's


def test_capacity_sweep_on_own_points_is_deterministic_and_bounded():
    xs = tuple(i / 100 for i in range(2000))
    ys = tuple(math.sin(7 * x) for x in xs)
    a = of.run_sweep(of.SweepConfig(epochs=50), points=(xs, ys))
    b = of.run_sweep(of.SweepConfig(epochs=50), points=(xs, ys))
    assert a.history.equals(b.history) and a.points.equals(b.points)
    assert a.points.split.value_counts().to_dict() == {"val": of.data.OWN_VAL, "train": of.data.OWN_TRAIN}
    assert a.points.x.between(-1, 1).all() and a.truth.empty
    five = of.run_sweep(of.SweepConfig(epochs=50), points=((1.0, 2, 3, 4, 5), (2.0, 1, 4, 3, 5)))
    assert five.points.split.value_counts().to_dict() == {"train": 3, "val": 2}


@pytest.mark.parametrize("loss", ["mse", "mae"])
@pytest.mark.parametrize("raw", [
    "".join(f"{i},{20000 + i}\n" for i in range(8)),  # far from the start: its first loss is above BLOWUP
    "".join(f"3,{i}\n" for i in range(8)),  # every x the same
    "".join(f"{i},{2 * i + 1}\n" for i in range(8)),  # exactly on a line: the lowest loss is 0
    "".join(f"{9000 + i},{i}\n" for i in range(8)),  # big x: no offered learning rate is stable
])
def test_awkward_own_data_runs_and_says_what_happened(raw, loss):
    at = open_page(GRADIENT_DESCENT.page, "en", {"loss": loss})
    paste(at, "gradient_descent", raw)
    assert_clean(at)
    assert at.get("vega_lite_chart") and at.metric
    assert at.error or at.success or at.warning  # a verdict: blew up, converged or on its way


def test_reset_empties_own_data():
    at = open_page(GRADIENT_DESCENT.page, "en")
    paste(at, "gradient_descent", GOOD)
    assert at.sidebar.warning
    at.button(key="reset").click().run()
    assert_clean(at)
    assert not at.sidebar.warning and all(not ta.value for ta in at.text_area)


PAGES = [(GRADIENT_DESCENT, {}), (OVERFITTING, {"of_tab": "capacity"})]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("lesson, query", PAGES, ids=[x.name for x, _ in PAGES])
def test_pasted_points_train_and_the_share_link_says_they_are_not_in_it(lesson, query, lang):
    at = open_page(lesson.page, lang, query)
    built_in = [m.value for m in at.metric]
    assert not at.sidebar.warning
    paste(at, lesson.name, "x,y\n" + GOOD)
    assert_clean(at)
    cat = catalogue(lang)
    assert any(s.value.startswith(cat["data.using"].split("{")[0]) for s in at.success)
    assert [m.value for m in at.metric] != built_in
    assert [w.value for w in at.sidebar.warning] == [cat["data.not_in_link"]]
    assert "paste" not in at.sidebar.code[0].value and "points" not in at.sidebar.code[0].value
    assert any("parse_points" in c.value for c in at.code)  # 'Reproduce in Python' reads the points too


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("lesson, query", PAGES, ids=[x.name for x, _ in PAGES])
def test_bad_points_get_a_bilingual_error_and_the_built_in_data(lesson, query, lang):
    at = open_page(lesson.page, lang, query)
    built_in = [m.value for m in at.metric]
    paste(at, lesson.name, GOOD + "3,nan\n")
    assert_clean(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "13" in errors[0] and "`nan`" in errors[0]
    first, second = errors[0].split(" / ")
    assert first.startswith(catalogue(lang)["data.error.not_finite"].split("{")[0])  # the page's language first
    other = "zh" if lang == "en" else "en"
    assert second.startswith(catalogue(other)["data.error.not_finite"].split("{")[0])
    assert [m.value for m in at.metric] == built_in and not at.sidebar.warning
