"""The ui layer without a browser: the lesson specs, URL parsing of a control, the string catalogues."""
import ast
import json
import re

import pytest

from core.lab import params
from tests.conftest import ROOT
from ui.controls import Control, read_link, section_controls
from ui.i18n import LANGS, catalogue
from ui.lessons import LESSONS
from ui.page import SHARED, page_controls


@pytest.mark.parametrize("lesson", LESSONS, ids=[x.name for x in LESSONS])
def test_a_lesson_is_its_files_and_one_spec_entry(lesson):
    for path in (lesson.page, f"tests/test_{lesson.name}.py", *(f"locales/{g}/{lesson.name}.json" for g in LANGS)):
        assert (ROOT / path).exists(), path
    assert (ROOT / "core" / lesson.name).is_dir() or (ROOT / "core" / f"{lesson.name}.py").exists()
    for part in ("title", "chapter", "intro", "card"):
        assert f"{lesson.name}.{part}" in catalogue("en"), part
    per_tab = [f"{lesson.name}.{s.name}.takeaway" for s in lesson.sections] if lesson.lazy else []
    assert f"{lesson.name}.takeaway" in catalogue("en") or per_tab and all(k in catalogue("en") for k in per_tab)
    if lesson.lazy:
        assert all(f"{lesson.name}.tab.{s.name}" in catalogue(g) for g in LANGS for s in lesson.sections)


def test_readme_lesson_table_follows_the_specs():
    """One row per lesson, in course order: | <English title> | <chapter> · ... |."""
    rows = [r for r in (ROOT / "README.md").read_text(encoding="utf-8").splitlines() if r.startswith("| ")][1:]
    assert [r.split(" | ")[0][2:] for r in rows] == [catalogue("en")[f"{x.name}.title"] for x in LESSONS]
    assert [r.split(" | ")[1].split(" · ")[0] for r in rows] == [x.chapter for x in LESSONS]


@pytest.mark.parametrize("lesson", LESSONS, ids=[x.name for x in LESSONS])
def test_spec_fields_exist_and_keys_are_unique(lesson):
    keys = [c.key for c in page_controls(lesson)] + [c.key for c in SHARED]
    assert len(keys) == len(set(keys)), keys
    for s in lesson.sections:
        assert set(s.fields + s.budget) <= set(params(s.config)), s.name


@pytest.mark.parametrize("lesson", LESSONS, ids=[x.name for x in LESSONS])
def test_presets_are_valid_links(lesson):
    """Every value a preset sets is one its control accepts (so the preset is also a link)."""
    controls = {c.key: c for c in page_controls(lesson)}
    for name, values in lesson.presets.items():
        query = {k: [controls[k].fmt(v)] if k != lesson.tab_key else [v] for k, v in values.items()}
        valid, bad, _ = read_link(list(controls.values()), query)
        assert not bad, (name, bad)
        assert all(valid[k] == v for k, v in values.items() if k != lesson.tab_key), name


@pytest.mark.parametrize("lesson", LESSONS, ids=[x.name for x in LESSONS])
def test_every_control_has_a_label_in_both_languages(lesson):
    for s in lesson.sections:
        for c in section_controls(lesson.name, s):
            for g in LANGS:
                assert catalogue(g).get(c.label, "").strip(), (g, c.label)


@pytest.mark.parametrize("raw", ["abc", "", "nan", "inf", "-1e309", "1e309", "11", "<b>1</b>", "2.5", "1e1", "１"])
def test_slider_rejects_garbage(raw):
    with pytest.raises(ValueError):
        Control("steps", "slider", 5, lo=1, hi=10).parse(raw)


def test_parse_accepts_valid_values():
    assert Control("steps", "slider", 5, lo=1, hi=10).parse(" 7 ") == 7
    assert Control("lr", "select", 0.1, options=(0.01, 0.1)).parse("1e-2") == 0.01
    assert Control("b0", "slider", 0.0, lo=-10.0, hi=10.0, step=0.5).parse("0.7") == 0.5  # snapped to the grid
    assert Control("on", "toggle", False).parse("1") is True
    assert Control("on", "toggle", False).parse("False") is False
    assert Control("loss", "choice", "mse", options=("mse", "mae")).parse("mae") == "mae"
    with pytest.raises(ValueError):
        Control("loss", "choice", "mse", options=("mse", "mae")).parse("MSE; drop")


def test_locales_have_the_same_non_empty_keys():
    en, zh = catalogue("en"), catalogue("zh")
    assert set(en) == set(zh), set(en) ^ set(zh)
    empty = [k for k in en if not str(en[k]).strip() or not str(zh[k]).strip()]
    assert not empty, empty
    for g in LANGS:  # one file per lesson plus the common one, in every language
        assert {p.stem for p in (ROOT / "locales" / g).glob("*.json")} == {"common", *(x.name for x in LESSONS)}
        for p in (ROOT / "locales" / g).glob("*.json"):
            json.loads(p.read_text(encoding="utf-8"))


def t_keys_in_code() -> set[str]:
    """Every t("...") key written out in pages/ and ui/ (f-strings: their literal prefix with the lesson filled in)."""
    keys = set()
    for path in [*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "t" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant):
                    keys.add(arg.value)
                elif isinstance(arg, ast.JoinedStr):
                    keys.add(ast.unparse(arg))  # checked as a pattern below
    return keys


def test_every_t_key_used_in_code_exists():
    en = catalogue("en")
    names = "|".join(x.name for x in LESSONS)
    missing = []
    for key in t_keys_in_code():
        if not key.startswith("f"):
            if key not in en:
                missing.append(key)
            continue
        # f"{L.name}.adding.m_rnn" -> regex "(lesson names)\.adding\.m_rnn"; other {…} parts match one key segment
        body = key[2:-1]
        parts = re.split(r"(\{[^}]*\})", body)
        rx = "".join(f"({names})" if p in ("{L.name}",) else r"[^.]+" if p.startswith("{") else re.escape(p)
                     for p in parts if p)
        if not any(re.fullmatch(rx, k) for k in en):
            missing.append(key)
    assert not missing, missing


def test_presenter_mode_shows_the_share_link_as_its_qr_code():
    """Scan to join: in presenter mode the sidebar shows the share link as a QR code whose modules are segno's
    matrix for exactly that link (read back from the PNG, 8 px per module, 2 modules of quiet zone)."""
    import io

    import segno
    from PIL import Image

    from tests.apptest import assert_clean, open_page, share_link
    from ui.page import qr_png
    at = open_page(LESSONS[0].page, "zh", {"present": "1", "seed": "7"})
    assert_clean(at)
    link = share_link(at)
    assert "seed=7" in link and len(at.sidebar.get("image")) == 1
    png = Image.open(io.BytesIO(qr_png(link))).convert("L")
    matrix = [[bool(v) for v in row] for row in segno.make(link, error="m", micro=False).matrix]
    n = len(matrix)
    assert png.size == (8 * (n + 4), 8 * (n + 4))
    read = [[png.getpixel((8 * (c + 2) + 4, 8 * (r + 2) + 4)) < 128 for c in range(n)] for r in range(n)]
    assert read == matrix
    assert len(open_page(LESSONS[0].page, "zh", {"seed": "7"}).sidebar.get("image")) == 0  # only on the projector


# One Chinese term per concept, the notes' own (seed/: 汇聚, 局部极小值, 海森矩阵, 隐状态, 模式 …): the variants listed
# may appear in no string of either language (the English files gloss terms in Chinese too).
ZH_TERMS = {  # concept: (the notes' term, variants that may not appear)
    "pooling": ("汇聚", ("池化",)),  # except once per file, in parentheses right after 汇聚: 汇聚（池化）
    "local minimum": ("局部极小值", ("局部最小值", "局部最小点", "局部最小")),
    "local maximum": ("局部极大值", ("局部最大值", "局部最大")),
    "Hessian": ("海森矩阵", ("黑塞矩阵", "Hessian 矩阵", "Hessian矩阵")),  # "Hessian" itself: once per file, 海森矩阵（Hessian）
    "hidden state": ("隐状态", ("隐藏状态",)),
    "pattern": ("模式", ("图案", "图样")),
    "chance": ("随机猜", ("瞎猜", "抛硬币", "碰运气")),
    "notes": ("笔记", ("讲义",)),
    "mean squared error": ("均方误差", ("平均平方误差",)),
    "flatten": ("扁平化", ("展平",)),
    "memory cell": ("记忆元", ("记忆单元", "存储单元")),
    "subsampling": ("下采样", ("降采样",)),
    "hidden layer": ("隐藏层", ("隐层",)),
    "stride": ("步幅", ("步距",)),
}
MACHINE_LIKE = ("模型阶梯", "一个异常点的分量不比其他点大", "所有 scale 一次看全", "按所有课程共用的规则算作爆掉", "图像就是通道")
ALLOWED_ONCE = {"池化": "汇聚（池化）", "Hessian": "海森矩阵（Hessian）"}  # the first mention may name the other form
LOCALE_FILES = sorted((ROOT / "locales").glob("*/*.json"))


@pytest.mark.parametrize("path", LOCALE_FILES, ids=[f"{p.parent.name}-{p.stem}" for p in LOCALE_FILES])
def test_one_chinese_term_per_concept(path):
    text = "\n".join(flatten_values(json.loads(path.read_text(encoding="utf-8"))))
    found = []
    if path.parent.name == "zh":
        for word, form in ALLOWED_ONCE.items():
            if text.count(form) > 1:
                found.append((word, f"{text.count(form)}× {form} (once at most)"))
            text = text.replace(form, "")
            if word in text:
                found.append((word, f"'{word}' other than as {form}"))
    found += [(c, v) for c, (_, variants) in ZH_TERMS.items() for v in variants if v in text]
    found += [("machine-like phrase", p) for p in MACHINE_LIKE if p in text]
    assert not found, found


def test_glossary_uses_the_notes_terms():
    zh = catalogue("zh")
    for key, concept in (("pooling", "pooling"), ("hidden_state", "hidden state"), ("hessian", "Hessian"),
                         ("local_minimum", "local minimum"), ("pattern", "pattern"), ("memory_cell", "memory cell"),
                         ("subsampling", "subsampling"), ("stride", "stride"), ("hidden_layer", "hidden layer")):
        assert zh[f"glossary.{key}.term"].startswith(ZH_TERMS[concept][0]), key


def flatten_values(tree) -> list[str]:
    """Every string of a locale file."""
    if isinstance(tree, dict):
        return [s for v in tree.values() for s in flatten_values(v)]
    return [tree] if isinstance(tree, str) else []
