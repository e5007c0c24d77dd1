"""The course in order: one `Lesson` spec per lesson, read by the router, the home page, the URL
parser, the tests, the bench and the README check.

A lesson is `core/<name>` (its config classes declare every parameter once, with core.lab.param),
`pages/<name>.py`, `tests/test_<name>.py`, `locales/<lang>/<name>.json` and one entry below.
A section's controls are its config fields: their ranges, steps and options come from the config
class; the spec only says which fields the page shows and under which URL names.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from core import activations as ac, convolution as cv, critical_points as cp, gradient_descent as gd, overfitting as of
from core import pooling as pl
from core import rnn_gradients as rg
from core.lab import Param, defaults, params

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Section:
    """One part of a lesson page: a config class, its core entry point, and the fields it shows."""

    name: str  # locale key "<lesson>.<name>.*"; the tab id in a tabbed lesson
    config: type  # a frozen dataclass whose fields are declared with core.lab.param
    run: Callable  # run(cfg, progress=None) -> result
    fields: tuple[str, ...]  # config fields drawn as controls, in order (the seed comes from the sidebar)
    prefix: str = ""  # URL key = prefix + field, unless `keys` names it (names kept from older links)
    keys: dict[str, str] = field(default_factory=dict)
    budget: tuple[str, ...] = ()  # more fields, drawn in a collapsed "training budget" expander
    views: dict[str, tuple[Any, Param]] = field(default_factory=dict)  # page-only controls: name -> (default, Param)
    own_data: tuple[str, ...] | None = None  # given: the section also trains on a visitor's own (x, y) points
                                             # (run(cfg, progress, points)); these fields then have no effect

    def key(self, name: str) -> str:
        """The URL (and session-state) key of a field or view."""
        return self.keys.get(name, self.prefix + name)

    def declared(self) -> dict[str, tuple[Any, Param]]:
        """Every control of the section: {field or view name: (default, Param)}, fields first."""
        p, d = params(self.config), defaults(self.config)
        return {**{n: (d[n], p[n]) for n in (*self.fields, *self.budget)}, **self.views}

    def defaults(self) -> dict[str, Any]:
        """{URL key: default} of every control of the section (a preset starts from these)."""
        return {self.key(n): d for n, (d, _) in self.declared().items()}

    def config_from(self, values: dict[str, Any], seed: int) -> Any:
        """The config these widget values ({URL key: value}) and the seed stand for."""
        return self.config(**{n: values[self.key(n)] for n in (*self.fields, *self.budget)}, seed=seed)


@dataclass(frozen=True)
class Question:
    """A question for the class before a preset's result is shown (ui/predict.py): 2-4 answer ids, and how to read
    the answer off the run on screen — measured every time, never stored. Strings: "<lesson>.ask.<key>.q", one per
    answer ".<answer>", and ".why" (the numbers that decide it, filled from measure's dict)."""

    key: str
    answers: tuple[str, ...]
    measure: Callable[[Any], tuple[str, dict]]  # result -> (answer id, numbers for ".why")


@dataclass(frozen=True)
class Moment:
    """A preset as a moment of the lecture (the run-sheet): the minutes to spend on it (asking, looking, talking;
    its training time is measured apart, bench/moments.py -> ui/moments.json) and whether the core walk, the one
    that fits a 50-minute lecture, keeps it."""

    talk: float  # suggested minutes around the moment, training not included
    core: bool = True  # False: optional, skipped by the core walk


@dataclass(frozen=True)
class Lesson:
    """One page of the course."""

    name: str  # core/<name>, pages/<name>.py, tests/test_<name>.py, locales/*/<name>.json, URL path /<name>
    chapter: str  # chapter(s) of the notes, e.g. "1–2" (the README's lesson table lists it)
    sections: tuple[Section, ...]
    presets: dict[str, dict[str, Any]]  # name -> {URL key: value}: the moments of the lecture, in order
    tab_key: str = ""  # given: the sections are tabs bound to this URL key, and only the open one trains
    questions: dict[str, Question] = field(default_factory=dict)  # preset -> its question (predict, then reveal)
    moments: dict[str, Moment] = field(default_factory=dict)  # preset -> its time and mark on the run-sheet (each one)
    retired: tuple[str, ...] = ()  # URL keys of controls removed since: an old link's value is dropped without notice

    @property
    def lazy(self) -> bool:
        """Sections are lazy tabs (only the open one trains)."""
        return bool(self.tab_key)

    @property
    def page(self) -> str:
        """The page script, relative to the repo root."""
        return f"pages/{self.name}.py"

    def run(self, cfg: Any, progress: Callable | None = None, points: tuple | None = None) -> Any:
        """Run the section whose config class cfg is (the core entry point, not cached); points: a visitor's own
        data, for a section that declares own_data."""
        run = next(s.run for s in self.sections if type(cfg) is s.config)
        return run(cfg, progress=progress) if points is None else run(cfg, progress=progress, points=points)

    def section(self, name: str) -> Section:
        """The section called name."""
        return next(s for s in self.sections if s.name == name)

    def section_about(self, keys) -> str | None:
        """The section some URL keys are about: the last one, in page order, that has one of them (None: the
        first section, or none)."""
        touched = [s.name for s in self.sections if set(keys) & s.defaults().keys()]
        return touched[-1] if touched and touched[-1] != self.sections[0].name else None

    def preset_section(self, name: str) -> str | None:
        """The section a preset is about: the last one, in page order, whose settings it sets (None: the first)."""
        return self.section_about(self.presets[name])

    def keys(self) -> list[str]:
        """Every URL key this page reads (besides the sidebar's)."""
        return [s.key(n) for s in self.sections for n in s.declared()] + ([self.tab_key] if self.tab_key else [])


# --- the lessons, in course order -------------------------------------------------------------
_GD = Section("run", gd.GDConfig, gd.run, ("loss", "lr", "steps", "b0", "w0", "outlier"),
              views={"at_step": (200, Param(lo=0, hi=1000, step=1))},  # replay: the page caps it at the last step
              own_data=("outlier",))
_VALLEYS = Section("valleys", gd.ValleyConfig, gd.run_valleys, ("a0", "h0", "steps"), prefix="nc_")
_START = {"gd_tab": "run", "steps": 200, "b0": -4.0, "w0": -3.0}  # every preset of the line starts from one point


def _rate(r: gd.GDResult) -> tuple[str, dict]:
    kind = "diverges" if r.diverged else "converged" if gd.converged(r) else "slow"
    return kind, {"last": f"{r.path.loss.iloc[-1]:.3g}", "best": f"{r.best_loss:.3g}"}


def _first(r: gd.GDResult) -> tuple[str, dict]:  # the loss after one step against the start's
    l0, l1 = r.path.loss.iloc[0], (r.path.loss.iloc[1] if len(r.path) > 1 else float("inf"))
    return ("up" if l1 > l0 else "down"), {"l0": f"{l0:.3g}", "l1": f"{l1:.3g}"}


def _pull(r: gd.GDResult) -> tuple[str, dict]:
    mse, mae = (abs(gd.outlier_pull(r, k)[0]) for k in ("mse", "mae"))
    return ("same" if abs(mse - mae) < 1e-6 else "mse" if mse > mae else "mae"), {"mse": f"{mse:.3g}", "mae": f"{mae:.3g}"}


def _share(r: gd.GDResult) -> tuple[str, dict]:  # how far the outlier moves the best MAE line, as a share of the way
    (mae, gap), mse = gd.outlier_pull(r, "mae"), gd.outlier_pull(r, "mse")[0]
    share = abs(mae) / gap
    kind = "hardly" if share < 0.01 else "little" if share < 0.1 else "far"
    return kind, {"mae": f"{100 * share:.2g}%", "mse": f"{100 * abs(mse) / gap:.2g}%"}


def _same(r: gd.ValleyResult) -> tuple[str, dict]:  # do all rates end in one minimum?
    ends = set(r.ends.end)
    kind = "all_global" if ends == {"global"} else "all_local" if ends == {"local"} else "differ"
    return kind, {"g": int((r.ends.end == "global").sum()), "l": int((r.ends.end == "local").sum()), "n": len(r.ends)}


def _escape(r: gd.ValleyResult) -> tuple[str, dict]:  # which rate reaches the global minimum from this start?
    won = r.ends.set_index("lr").end.eq("global")
    kind = "largest" if won.get(max(gd.RATES), False) else "smaller" if won.any() else "none"
    return kind, {"g": int(won.sum()), "n": len(won)}


_VAL = {**_VALLEYS.defaults(), "gd_tab": "valleys"}  # the tab's defaults: a0 1, h0 2.5
GRADIENT_DESCENT = Lesson("gradient_descent", "1", (_GD, _VALLEYS), {
    "good": {**_START, "loss": "mse", "lr": 0.1, "outlier": False},
    "too_small": {**_START, "loss": "mse", "lr": 0.001, "outlier": False},
    "diverges": {**_START, "loss": "mse", "lr": 1.0, "outlier": False},  # above lr_limit for every seed
    "outlier_mse": {**_START, "loss": "mse", "lr": 0.1, "outlier": True},
    "outlier_mae": {**_START, "loss": "mae", "lr": 0.1, "outlier": True},
    "same_start": _VAL,  # lr 0.5, 1, 2 end in the global minimum, lr 4 in the local one (the points are fixed)
    "other_valley": {**_VAL, "nc_a0": 2.5, "nc_h0": -1.0},  # every rate ends in the local minimum
}, tab_key="gd_tab",
   questions={"too_small": Question("rate", ("converged", "slow", "diverges"), _rate),
              "diverges": Question("first", ("down", "up"), _first),
              "outlier_mse": Question("pull", ("mse", "mae", "same"), _pull),
              "outlier_mae": Question("share", ("hardly", "little", "far"), _share),
              "same_start": Question("same", ("all_global", "all_local", "differ"), _same),
              "other_valley": Question("escape", ("largest", "smaller", "none"), _escape)},
   moments={"good": Moment(1.5), "too_small": Moment(1), "diverges": Moment(1), "outlier_mse": Moment(1),
            "outlier_mae": Moment(1, core=False), "same_start": Moment(1), "other_valley": Moment(1)})

_PIECE = Section("piece", ac.PieceConfig, ac.run_piece, ("c", "b", "w"), prefix="pc_")
_FIT = Section("fit", ac.FitConfig, ac.run_fit, ("target", "units", "act"), prefix="fit_",
               budget=("steps", "lr", "restarts"))
_ONE = {"ac_tab": "piece"}
_FITS = {**_FIT.defaults(), "ac_tab": "fit"}  # a fit preset: the default budget, so its question meets its run
_FLOOR = f"{ac.FLOOR:.0e}".replace("e-0", "e-")  # 1e-4, as the page writes it


def _fewest(r: ac.FitResult) -> tuple[str, dict]:
    """The fewest ReLU pieces (plus the constant) that this run fitted below the floor, among k = 1..4 (the
    three_pieces preset trains every one of them: the ladder's 1, 2, 4 and its own 3)."""
    err = r.sweep[r.sweep.act == "relu"].set_index("k").rel_mse
    fitted = [k for k in (1, 2, 3, 4) if k in err.index and err[k] < ac.FLOOR]
    answer = "more" if not fitted else "few" if fitted[0] <= 2 else {3: "three", 4: "four"}[fitted[0]]
    return answer, {"errors": ", ".join(f"k = {k}: {err[k]:.1e}" for k in (1, 2, 3, 4) if k in err.index),
                    "floor": _FLOOR}


def _lower(r: ac.FitResult) -> tuple[str, dict]:
    """Which activation ends lower at k = 8 (within 2x of each other, or both below the floor: about the same)."""
    err = r.sweep.set_index(["act", "k"]).rel_mse
    sig, relu = err[("sigmoid", 8)], err[("relu", 8)]
    same = max(sig, relu) < ac.FLOOR or max(sig, relu) < 2 * min(sig, relu)
    return ("same" if same else "sigmoid" if sig < relu else "relu"), {
        "sig": f"{sig:.1e}", "relu": f"{relu:.1e}", "floor": _FLOOR}


ACTIVATIONS = Lesson("activations", "1", (_PIECE, _FIT), {
    "one_sigmoid": {**_ONE, "pc_c": 1.0, "pc_b": 0.0, "pc_w": 1.0},
    "step": {**_ONE, "pc_c": 1.0, "pc_b": 0.0, "pc_w": 20.0},  # steep: the sigmoid approaches a step (still smooth)
    "hard_sigmoid": {**_ONE, "pc_c": 1.5, "pc_b": -2.0, "pc_w": 2.0},  # flat, a ramp from x = 1 to 1.5, flat: 2 ReLUs
    "three_pieces": {**_FITS, "fit_target": "kinks", "fit_units": 3, "fit_act": "relu"},  # a constant + 3 kinks
    "sigmoid_vs_relu": {**_FITS, "fit_target": "sine", "fit_units": 8, "fit_act": "sigmoid"},
    "many_pieces": {**_FITS, "fit_target": "sine", "fit_units": 32, "fit_act": "relu"},  # straight pieces, a smooth curve
}, tab_key="ac_tab", questions={"three_pieces": Question("fewest", ("few", "three", "four", "more"), _fewest),
                                "sigmoid_vs_relu": Question("lower", ("sigmoid", "relu", "same"), _lower)},
   moments={"one_sigmoid": Moment(1), "step": Moment(0.5, core=False), "hard_sigmoid": Moment(1.5),
            "three_pieces": Moment(1.5), "sigmoid_vs_relu": Moment(1), "many_pieces": Moment(0.5)})

_POINT = Section("point", cp.PointConfig, cp.run_point, ("w1", "w2"), prefix="cp_")
_ESCAPE = Section("escape", cp.EscapeConfig, cp.run_escape, ("eps", "lr", "momentum", "jump"), prefix="cpe_",
                  budget=("steps",))
_NETWORK = Section("network", cp.NetworkConfig, cp.run_network, ("runs", "hidden"), prefix="cpn_",
                   budget=("train_steps", "critical_steps"),
                   views={"show": (1, Param(lo=1, hi=100, step=1))})  # the run whose spectrum is drawn (<= runs)


def _kind(r: cp.PointResult) -> tuple[str, dict]:  # the page's own verdict (core's kind, its tolerances)
    kind = {"minimum": "minimum", "maximum": "maximum", "saddle": "saddle"}.get(r.kind, "flat")
    return kind, {"e1": f"{min(r.eigenvalues):.3g}", "e2": f"{max(r.eigenvalues):.3g}", "loss": f"{r.loss:.3g}"}


def _minima(r: cp.NetworkResult) -> tuple[str, dict]:  # the share of near-critical points with every eigenvalue > tol
    n, minima = len(r.points), int((r.points.ratio == 1).sum())
    share = minima / n if n else 0.0
    return "most" if share > 0.5 else "some" if share >= 0.25 else "few", {"minima": minima, "n": n}


_KIND = Question("kind", ("minimum", "maximum", "saddle", "flat"), _kind)
_VALLEY = Question("valley", _KIND.answers, _kind)  # the same reading; its reveal adds what the loss value settles
_MINIMA = Question("minima", ("most", "some", "few"), _minima)

CRITICAL_POINTS = Lesson("critical_points", "3", (_POINT, _ESCAPE, _NETWORK), {
    "saddle": {"cp_tab": "point", "cp_w1": 0.0, "cp_w2": 0.0},  # g = 0, eigenvalues -2 and +2
    "valley": {"cp_tab": "point", "cp_w1": 1.0, "cp_w2": 1.0},  # g = 0, eigenvalues 0 and 4; L = 0 (a valley of minima)
    "stuck": {**_ESCAPE.defaults(), "cp_tab": "escape", "cpe_eps": 1e-6},  # the closest start: the longest plateau
    "eigenvector": {**_ESCAPE.defaults(), "cp_tab": "escape", "cpe_jump": 1.0},  # L(u) = 0.25 < L(0) = 1
    "network": {**_NETWORK.defaults(), "cp_tab": "network"},  # 19 parameters: few or none of the points are minima
    "few_dimensions": {**_NETWORK.defaults(), "cp_tab": "network", "cpn_hidden": 2},  # 7 parameters: most are minima
}, tab_key="cp_tab", questions={"saddle": _KIND, "valley": _VALLEY, "network": _MINIMA},
   moments={"saddle": Moment(1.5), "valley": Moment(1.5), "stuck": Moment(1), "eigenvector": Moment(0.5),
            "network": Moment(1.5), "few_dimensions": Moment(0.5)})  # 6.5 talk minutes, all core

_LADDER, _BUDGET = ("n_train", "noise", "max_depth"), ("width", "epochs", "lr")
_SHOW = ("deepest", Param(options=("best", "deepest", 0, 1, 2, 3, 4, 5, 6)))
_CAPACITY = Section("capacity", of.SweepConfig, of.run_sweep, (*_LADDER, "weight_decay"), prefix="of_",
                    budget=_BUDGET, views={"show": _SHOW}, own_data=("n_train", "noise"))
_REMEDIES = Section("remedies", of.RemedyConfig, of.run_remedies,
                    (*_LADDER, "data_factor", "weight_decay", "narrow_width", "repeats"), prefix="ofr_", budget=_BUDGET)
_CV = Section("cv", of.CVConfig, of.run_cv, (*_LADDER, "folds", "leave_one_out"), prefix="ofc_", budget=_BUDGET,
              views={"single": (False, Param())})  # True: draw only the first fold, one train/validation split
_RELIABILITY = Section("reliability", of.ReliabilityConfig, of.run_reliability, (*_LADDER, "n_seeds", "folds"),
                       prefix="ofk_", budget=_BUDGET)
_CAP = {**_CAPACITY.defaults(), "of_tab": "capacity"}  # the capacity presets open the capacity tab
_CVS = {**_CV.defaults(), "of_tab": "cv"}


def _best_depth(r: of.SweepResult) -> tuple[str, dict]:
    d = r.best_depth
    bucket = "d0" if d == 0 else "d12" if d <= 2 else "d34" if d <= 4 else "d56"
    return bucket, {"d": d, "v": f"{r.models.set_index('depth').val_loss[d]:.3f}"}


def _turn(r: of.SweepResult) -> tuple[str, dict]:  # the deepest net's own training curves, not the capacity curve
    row = r.models.iloc[-1]
    last = int(r.history.epoch[r.history.depth == row.depth].max())
    return ("end" if row.best_epoch == last else "earlier"), {
        "d": int(row.depth), "e": int(row.best_epoch), "bv": f"{row.best_val_loss:.3f}", "last": last,
        "v": f"{row.val_loss:.3f}"}


def _memorise(r: of.SweepResult) -> tuple[str, dict]:  # how far below the noise floor the deepest net fits
    row, floor = r.models.iloc[-1], r.noise_floor
    kind = "low" if row.train_loss < floor / 4 else "mid" if row.train_loss < floor else "high"
    return kind, {"d": int(row.depth), "tr": f"{row.train_loss:.3f}", "f": f"{floor:.3f}"}


def _best_remedy(r: of.RemedyResult) -> tuple[str, dict]:
    rest = r.gaps.iloc[1:].set_index("remedy").val_loss  # the four remedies, without "none"
    best = str(rest.idxmin())
    return best.replace(" ", "_"), {"r": best, "v": f"{rest[best]:.3f}", "none": f"{r.gaps.val_loss.iloc[0]:.3f}"}


def _pick(which: str) -> Callable[[of.CVResult], tuple[str, dict]]:
    """How far one split's pick ('single': the first fold) or k-fold's ('kfold') lands from the truly best depth."""
    def measure(r: of.CVResult) -> tuple[str, dict]:
        sel = r.single_split_depths[0] if which == "single" else r.selected_depth
        test = r.summary.set_index("depth").test_loss
        return r.judge(sel), {"sel": sel, "best": r.test_best_depth, "tsel": f"{test[sel]:.3f}",
                              "tbest": f"{test[r.test_best_depth]:.3f}"}
    return measure


def _often(r: of.ReliabilityResult) -> tuple[str, dict]:
    hits = r.summary.set_index("method").hits
    s, k = int(hits["single split"]), int(hits["k-fold"])
    return ("same" if s == k else "kfold" if k > s else "single"), {"s": s, "k": k, "n": int(r.summary.n.iloc[0])}


_PICKED = ("hit", "near", "miss")
OVERFITTING = Lesson("overfitting", "1–2", (_CAPACITY, _REMEDIES, _CV, _RELIABILITY), {
    "just_right": {**_CAP, "of_show": "best"},
    "overfit": _CAP,
    "more_data": {**_CAP, "of_n_train": 100},  # same budget, 5x the points: the deepest net fits nearer the noise floor
    "weight_decay": {**_CAP, "of_weight_decay": 0.01},
    "remedies": {**_REMEDIES.defaults(), "of_tab": "remedies"},  # chapter 2: more data, or constrain the model
    "single_split": {**_CVS, "ofc_single": True},  # the notes: split the training data into training + validation
    "kfold": _CVS,  # ... then k-fold (same run: only the view changes)
    "leave_one_out": {**_CVS, "ofc_leave_one_out": True},  # ... and leave-one-out
    "reliability": {**_RELIABILITY.defaults(), "of_tab": "reliability"},
}, tab_key="of_tab",
    questions={"just_right": Question("depth", ("d0", "d12", "d34", "d56"), _best_depth),
               "overfit": Question("turn", ("end", "earlier"), _turn),
               "more_data": Question("memorise", ("low", "mid", "high"), _memorise),
               "remedies": Question("remedy", ("more_data", "weight_decay", "simpler_family", "early_stopping"),
                                    _best_remedy),
               "single_split": Question("single", _PICKED, _pick("single")),
               "kfold": Question("kfold", _PICKED, _pick("kfold")),
               "reliability": Question("often", ("single", "kfold", "same"), _often)},
    moments={"just_right": Moment(1.5), "overfit": Moment(1.5), "more_data": Moment(1),
             "weight_decay": Moment(1, core=False), "remedies": Moment(1.5), "single_split": Moment(1),
             "kfold": Moment(1), "leave_one_out": Moment(1, core=False), "reliability": Moment(1)})

_FIELD = Section("field", cv.FieldConfig, cv.run_field, ("n", "k", "s", "p", "neuron"), prefix="cvf_")
_OVERLAP = Section("overlap", cv.OverlapConfig, cv.run_overlap, ("k", "s"), prefix="cvo_", budget=("steps",))
_SHARING = Section("sharing", cv.SharingConfig, cv.run_sharing, ("n", "cin", "filters", "k"), prefix="cvs_")
_SHRINK = Section("shrink", cv.ShrinkConfig, cv.run_shrink, ("size", "factor", "pool"), prefix="cvd_")
_CHANNELS = Section("channels", cv.ChannelsConfig, cv.run_channels, ("size", "classes", "label"), prefix="cv_")
_F = {**_FIELD.defaults(), "cv_tab": "field"}


def _size(r: cv.FieldResult) -> tuple[str, dict]:  # the side of the tensor conv2d returned
    return f"o{r.conv_out}", {"conv": r.conv_out, "out": r.out}


def _border(r: cv.OverlapResult) -> tuple[str, dict]:  # how often the chosen stride's detector is right on borders
    acc = r.accuracy.set_index(["stride", "place"]).accuracy
    s = int(r.accuracy.stride.iloc[0])  # the chosen stride comes first
    b = float(acc[(s, "border")])
    return ("lo" if b <= 0.6 else "mid" if b < 0.9 else "hi"), {
        "s": s, "b": f"{b:.0%}", "i": f"{acc[(s, 'inside')]:.0%}", "one": f"{acc[(1, 'border')]:.0%}"}


def _saves(r: cv.SharingResult) -> tuple[str, dict]:  # which step divides the count by more (within 2x: the same)
    fc, local, conv = r.counts.parameters
    field, share = fc / local, local / conv
    kind = "same" if max(field, share) <= 2 * min(field, share) else "field" if field > share else "sharing"
    return kind, {"field": f"{field:,.0f}", "share": f"{share:,.0f}"}


def _pooled(r: cv.ShrinkResult) -> tuple[str, dict]:  # the pooled tensor's side and channels
    h, c = r.shapes.set_index("view").loc["pooled", ["height", "channels"]]
    return f"s{h}c{c}", {"h": int(h), "c": int(c)}


CONVOLUTION = Lesson("convolution", "4", (_CHANNELS, _FIELD, _OVERLAP, _SHARING, _SHRINK), {
    "channels": {**_CHANNELS.defaults(), "cv_tab": "channels"},
    "one_hot": {**_CHANNELS.defaults(), "cv_tab": "channels", "cv_classes": 10, "cv_label": 7},
    "slide": {**_F, "cvf_neuron": 1},  # 3 x 3, stride 1: neighbours share 2 columns
    "stride2": {**_F, "cvf_s": 2, "cvf_neuron": 0},  # they share 1 column
    "padding": {**_F, "cvf_p": 1},  # 7 x 7 in, 7 x 7 out
    "out_size": {**_F, "cvf_s": 2, "cvf_p": 1, "cvf_neuron": 0},  # floor((7 + 2 - 3) / 2) + 1 = 4
    "stride3": {**_OVERLAP.defaults(), "cv_tab": "overlap"},  # 3 x 3, stride 3: no overlap, patterns on borders missed
    "sharing": {**_SHARING.defaults(), "cv_tab": "sharing"},  # the notes' 100 x 100 x 3 image
    "subsample": {**_SHRINK.defaults(), "cv_tab": "shrink"},  # 32 x 32 x 3 -> 16 x 16 x 3, either way
    "alphago": {"cv_tab": "sharing", "cvs_n": 19, "cvs_cin": 48, "cvs_filters": 192, "cvs_k": 5},
}, tab_key="cv_tab", questions={"out_size": Question("size", ("o3", "o4", "o5", "o7"), _size),
                                "stride3": Question("border", ("hi", "mid", "lo"), _border),
                                "sharing": Question("saves", ("field", "sharing", "same"), _saves),
                                "subsample": Question("pooled", ("s16c3", "s16c1", "s8c3"), _pooled)},
   moments={"channels": Moment(1), "one_hot": Moment(1, core=False), "slide": Moment(1, core=False),
            "stride2": Moment(1, core=False), "padding": Moment(1, core=False), "out_size": Moment(1.5),
            "stride3": Moment(1.5), "sharing": Moment(1.5), "subsample": Moment(1), "alphago": Moment(1, core=False)},
   retired=("cvs_fc",))  # the sharing tab's fully connected layer now has the convolution's outputs

_POOL = Section("pool", pl.PoolingConfig, pl.run_pooling,
                ("task", "pool_a", "pool_b", "n_conv", "channels", "kernel", "epochs", "lr"), prefix="cnn_",
                keys={"n_conv": "cnn_convs"})
_INV = Section("inv", pl.InvarianceConfig, pl.run_invariance, ("max_angle", "min_scale", "max_scale", "epochs"),
               prefix="cnn_", keys={"max_angle": "cnn_angle", "epochs": "cnn_inv_epochs"},
               views={"show_aug": (True, Param())})
# the transformer tab draws the rotation tab's plain and augmented nets beside its own (the same cached run when
# their settings match), so it has keys of its own: moving its sliders never changes the rotation tab
_STN = Section("stn", pl.TransformerConfig, pl.run_transformer, ("train_on", "max_angle", "min_scale", "max_scale"),
               prefix="stn_", keys={"max_angle": "stn_angle"})
_INV_DEF = {k: v for k, v in _INV.defaults().items() if k != "cnn_show_aug"}


def _higher(r) -> tuple[str, dict]:
    acc = r.final[r.final.split == "test"].set_index("model").accuracy
    a, b = float(acc["A"]), float(acc["B"])
    return ("same" if abs(a - b) <= 2 else "A" if a > b else "B"), {"a": f"{a:.1f}", "b": f"{b:.1f}"}


def _takes_back(r) -> tuple[str, dict]:
    """A third or more of a warp taken back counts (the run's own slope, pl.TransformerResult.undone)."""
    turn, zoom = (r.undone.get(w, 0.0) >= 1 / 3 for w in ("rotation", "scale"))
    kind = "both" if turn and zoom else "turn" if turn else "zoom" if zoom else "neither"
    return kind, {k: f"{100 * r.undone.get(w, 0.0):.0f}" for k, w in (("turn", "rotation"), ("zoom", "scale"))}


_HIGHER = Question("higher", ("A", "B", "same"), _higher)
_BACK_WARP = Question("takes_back", ("turn", "zoom", "both", "neither"), _takes_back)

POOLING = Lesson("pooling", "4", (_POOL, _INV, _STN), {
    "what": {**_POOL.defaults(), "cnn_tab": "pool"},
    "max_avg": {**_POOL.defaults(), "cnn_pool_b": "avg", "cnn_tab": "pool"},  # max usually a few points higher here
    "where": {**_POOL.defaults(), "cnn_task": "where", "cnn_tab": "pool"},
    "rotated": {**_INV_DEF, "cnn_show_aug": False, "cnn_tab": "inv"},
    "augmented": {**_INV_DEF, "cnn_show_aug": True, "cnn_tab": "inv"},
    "stn_upright": {**_STN.defaults(), "stn_train_on": "upright", "cnn_tab": "stn"},  # nothing to take back
    "stn": {**_STN.defaults(), "cnn_tab": "stn"},  # trained on the augmented net's warped copies
}, tab_key="cnn_tab", questions={"what": _HIGHER, "max_avg": _HIGHER, "where": _HIGHER, "stn_upright": _BACK_WARP,
                                 "stn": _BACK_WARP},
   moments={"what": Moment(1.5), "max_avg": Moment(1, core=False), "where": Moment(1.5),
            "rotated": Moment(1, core=False), "augmented": Moment(1), "stn_upright": Moment(1, core=False),
            "stn": Moment(1.5)})

_FLOW, _CLIP, _ADD = rg.FlowConfig(), rg.ClipConfig(), rg.AddingConfig()


def _ratio_kind(ratio: float, exploded: bool = False) -> str:
    """||dL/dh_1|| / ||dL/dh_T|| in words: below 1/100 it vanished, above 100 (or overflowed) it exploded."""
    return "larger" if exploded or ratio > 100 else "smaller" if ratio < 0.01 else "similar"


def _back(model: str) -> Callable[[Any], tuple[str, dict]]:
    def measure(r) -> tuple[str, dict]:
        f = r.flow[r.flow.model == model].set_index("t")
        first, last = f.grad_norm[f.index.min()], f.grad_norm[f.index.max()]
        ratio = first / last if last > 0 else float("inf")
        return _ratio_kind(ratio, bool(f.exploded.any())), {"ratio": f"{ratio:.2g}", "T": int(f.index.max())}
    return measure


def _grows_from(r) -> tuple[str, dict]:  # where the page's own RNN sweep first grows going back (ratio > 1)
    cross = rg.crossing(r)
    above = cross[1] if cross else float("inf")
    kind = "near_one" if above <= 1.25 else "to_two" if above <= 2 else "beyond_two"
    below = cross[0] if cross else rg.SWEEP_SCALES[-1]
    return kind, {"T": int(r.flow.t.max()), "below": below, "r_below": f"{rg.sweep_ratio(r, below):.2g}",
                  "above": above if cross else "—", "r_above": f"{rg.sweep_ratio(r, above):.2g}" if cross else "—"}


def _cell_path(r) -> tuple[str, dict]:  # the LSTM's cell path alone: a product of forget gates, so at most 1
    return ("bounded" if r.cell_ratio <= 1 else "grows"), {"cell": f"{r.cell_ratio:.2g}", "lstm": f"{r.lstm_ratio:.2g}"}


def _same_word(r) -> tuple[str, dict]:  # step 2 of the memory tab: "Taipei" after "arrive" and after "leave"
    top, p = rg.top_labels(r, 2), r.outputs[r.outputs.t == 2].set_index(["sentence", "label"]).prob
    d = r.apart.set_index(["t", "what"]).distance[(1, "cell")]  # the stored values step 2 starts from
    return ("same" if top["arrive"][0] == top["leave"][0] else "different"), {
        s[0] + k: f"{p[(s, slot)]:.0%}" for s in ("arrive", "leave") for k, slot in (("d", "destination"),
                                                                                    ("p", "departure"))} | {
        "d": f"{d:.2f}"}


def _echoes(r) -> tuple[str, dict]:
    v = rg.echo_verdict(r)
    kind = {(True, True): "both", (True, False): "elman", (False, True): "jordan", (False, False): "neither"}[
        (v["elman"] == "learned", v["jordan"] == "learned")]
    return kind, {"elman": f"{r.elman_loss:.3g}", "jordan": f"{r.jordan_loss:.3g}", "learned": f"{rg.LEARNED:.2f}"}


_BACK = Question("back", ("smaller", "similar", "larger"), _back("rnn"))
_MEM = Section("memory", rg.MemoryConfig, rg.run_memory, ("hidden",), prefix="rnn_mem_", budget=("steps", "lr"),
               views={"step": (2, Param(lo=1, hi=len(rg.PAIR[0]), step=1))})  # replay: the word read at step t
_F = {"rnn_tab": "flow", "rnn_T": _FLOW.T, "rnn_scale": _FLOW.rnn_scale, "rnn_fbias": _FLOW.forget_bias,
      "lstm_scale": _FLOW.lstm_scale}  # the flow tab's defaults: RNN at 0.8, LSTM with its forget gate open
RNN_GRADIENTS = Lesson("rnn_gradients", "5", (
    Section("flow", rg.FlowConfig, rg.run_gradient_flow, ("T", "rnn_scale", "forget_bias", "lstm_scale"),
            keys={"T": "rnn_T", "forget_bias": "rnn_fbias"}),
    Section("clip", rg.ClipConfig, rg.run_clipping, ("model", "scale", "threshold", "lr", "lr_low"), prefix="rnn_",
            keys={"threshold": "rnn_clip", "scale": "rnn_clip_scale"}),
    Section("adding", rg.AddingConfig, rg.run_adding, ("T",), keys={"T": "rnn_add_T"}),
    Section("echo", rg.EchoConfig, rg.run_echo, ("delay",), prefix="rnn_"),
    _MEM,  # last tab: a link without rnn_tab (made before it existed) still opens the tab its values are about
), {
    # the notes open chapter 5 with the memory cell: the same word, two labels, because of what the cell holds
    "memory": {**_MEM.defaults(), "rnn_tab": "memory", "rnn_mem_step": 2},
    # below spectral radius 1 the RNN's gradient can only shrink; PyTorch's forget bias ~0 makes the LSTM vanish too
    "vanishing": {**_F, "rnn_scale": 0.8, "rnn_fbias": 0.0},
    # above 1 it can grow: the question is where this run's sweep starts to (tanh' <= 1 takes some back)
    "exploding": {**_F, "rnn_scale": 3.0},
    # the same LSTM with its forget gate open (bias 3) keeps its gradient
    "forget_gate": _F,
    # ... but not from exploding: large recurrent weights (scale 10), although the forget gate is open
    "lstm_explodes": {**_F, "lstm_scale": 10.0},
    "clipping": {"rnn_tab": "clip", "rnn_model": "rnn", "rnn_clip_scale": _CLIP.scale, "rnn_clip": 3.0, "rnn_lr": _CLIP.lr,
                 "rnn_lr_low": _CLIP.lr_low},
    # clipping bounds the LSTM's updates while its gradient explodes (recurrent scale 10 again)
    "lstm_clipped": {"rnn_tab": "clip", "rnn_model": "lstm", "rnn_clip_scale": 10.0, "rnn_clip": _CLIP.threshold,
                     "rnn_lr": _CLIP.lr, "rnn_lr_low": _CLIP.lr_low},
    "lstm": {**_F, "rnn_tab": "adding", "rnn_add_T": _ADD.T},  # what an open forget gate buys: a long memory
    # the course's last moment: Elman feeds back its hidden state, Jordan its answer (delay 3: Jordan at chance)
    "echo": {"rnn_tab": "echo", "rnn_delay": 3},
}, tab_key="rnn_tab",
   questions={"memory": Question("same_word", ("same", "different"), _same_word), "vanishing": _BACK,
              "exploding": Question("grows_from", ("near_one", "to_two", "beyond_two"), _grows_from),
              "forget_gate": Question("lstm_back", ("smaller", "similar", "larger"), _back("lstm")),
              "lstm_explodes": Question("cell_path", ("bounded", "grows"), _cell_path),
              "echo": Question("echo", ("both", "elman", "jordan", "neither"), _echoes)},
   moments={"memory": Moment(1.5), "vanishing": Moment(1.5), "exploding": Moment(1), "forget_gate": Moment(1),
            "lstm_explodes": Moment(1), "clipping": Moment(1), "lstm_clipped": Moment(1, core=False),
            "lstm": Moment(1.5, core=False), "echo": Moment(1)})

LESSONS: tuple[Lesson, ...] = (GRADIENT_DESCENT, ACTIVATIONS, OVERFITTING, CRITICAL_POINTS, CONVOLUTION, POOLING,
                               RNN_GRADIENTS)


def lesson(name: str) -> Lesson | None:
    """The lesson called name (its URL path), or None (the home page)."""
    return next((x for x in LESSONS if x.name == name), None)
