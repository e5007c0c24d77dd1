"""How each question for the class reads its answer off the run on screen: measure(result) -> (answer id, the
numbers its ".why" sentence quotes). Measured every time, never stored, so the answer follows the seed. The spec
(ui/lessons.py) pairs each with its preset: Question(key, answers, measure)."""
from __future__ import annotations

from typing import Any, Callable

from core import activations as ac, convolution as cv, critical_points as cp, gradient_descent as gd, overfitting as of
from core import rnn_gradients as rg

FLOOR = f"{ac.FLOOR:.0e}".replace("e-0", "e-")  # 1e-4, as the activations page writes it


# --- gradient descent -----------------------------------------------------------------------------
def rate(r: gd.GDResult) -> tuple[str, dict]:
    """Where the run's loss ended: within 1% of the lowest possible, still above it, or diverged."""
    kind = "diverges" if r.diverged else "converged" if gd.converged(r) else "slow"
    return kind, {"last": f"{r.path.loss.iloc[-1]:.3g}", "best": f"{r.best_loss:.3g}"}


def first(r: gd.GDResult) -> tuple[str, dict]:
    """The loss after one step against the start's."""
    l0, l1 = r.path.loss.iloc[0], (r.path.loss.iloc[1] if len(r.path) > 1 else float("inf"))
    return ("up" if l1 > l0 else "down"), {"l0": f"{l0:.3g}", "l1": f"{l1:.3g}"}


def pull(r: gd.GDResult) -> tuple[str, dict]:
    """Which loss's best line the outlier moves further towards itself (MSE or MAE)."""
    mse, mae = (abs(gd.outlier_pull(r, k)[0]) for k in ("mse", "mae"))
    return ("same" if abs(mse - mae) < 1e-6 else "mse" if mse > mae else "mae"), {"mse": f"{mse:.3g}", "mae": f"{mae:.3g}"}


def share(r: gd.GDResult) -> tuple[str, dict]:
    """How far the outlier moves the best MAE line, as a share of the way."""
    (mae, gap), mse = gd.outlier_pull(r, "mae"), gd.outlier_pull(r, "mse")[0]
    part = abs(mae) / gap
    kind = "hardly" if part < 0.01 else "little" if part < 0.1 else "far"
    return kind, {"mae": f"{100 * part:.2g}%", "mse": f"{100 * abs(mse) / gap:.2g}%"}


def same(r: gd.ValleyResult) -> tuple[str, dict]:
    """Do all rates end in one minimum?"""
    ends = set(r.ends.end)
    kind = "all_global" if ends == {"global"} else "all_local" if ends == {"local"} else "differ"
    return kind, {"g": int((r.ends.end == "global").sum()), "l": int((r.ends.end == "local").sum()), "n": len(r.ends)}


def escape(r: gd.ValleyResult) -> tuple[str, dict]:
    """Which rate reaches the global minimum from this start?"""
    won = r.ends.set_index("lr").end.eq("global")
    kind = "largest" if won.get(max(gd.RATES), False) else "smaller" if won.any() else "none"
    return kind, {"g": int(won.sum()), "n": len(won)}


# --- activations ----------------------------------------------------------------------------------
def fewest(r: ac.FitResult) -> tuple[str, dict]:
    """The fewest ReLU pieces (plus the constant) that this run fitted below the floor, among k = 1..4 (the
    three_pieces preset trains every one of them: the ladder's 1, 2, 4 and its own 3)."""
    err = r.sweep[r.sweep.act == "relu"].set_index("k").rel_mse
    fitted = [k for k in (1, 2, 3, 4) if k in err.index and err[k] < ac.FLOOR]
    answer = "more" if not fitted else "few" if fitted[0] <= 2 else {3: "three", 4: "four"}[fitted[0]]
    return answer, {"errors": ", ".join(f"k = {k}: {err[k]:.1e}" for k in (1, 2, 3, 4) if k in err.index),
                    "floor": FLOOR}


def lower(r: ac.FitResult) -> tuple[str, dict]:
    """Which activation ends lower at k = 8 (within 2x of each other, or both below the floor: about the same)."""
    err = r.sweep.set_index(["act", "k"]).rel_mse
    sig, relu = err[("sigmoid", 8)], err[("relu", 8)]
    same = max(sig, relu) < ac.FLOOR or max(sig, relu) < 2 * min(sig, relu)
    return ("same" if same else "sigmoid" if sig < relu else "relu"), {
        "sig": f"{sig:.1e}", "relu": f"{relu:.1e}", "floor": FLOOR}


# --- critical points ------------------------------------------------------------------------------
def kind(r: cp.PointResult) -> tuple[str, dict]:
    """The page's own verdict (core's kind, its tolerances)."""
    kind = {"minimum": "minimum", "maximum": "maximum", "saddle": "saddle"}.get(r.kind, "flat")
    return kind, {"e1": f"{min(r.eigenvalues):.3g}", "e2": f"{max(r.eigenvalues):.3g}", "loss": f"{r.loss:.3g}"}


def minima(r: cp.NetworkResult) -> tuple[str, dict]:
    """The share of near-critical points with every eigenvalue > tol."""
    n, minima = len(r.points), int((r.points.ratio == 1).sum())
    share = minima / n if n else 0.0
    return "most" if share > 0.5 else "some" if share >= 0.25 else "few", {"minima": minima, "n": n}


# --- overfitting ----------------------------------------------------------------------------------
def best_depth(r: of.SweepResult) -> tuple[str, dict]:
    """The depth with the lowest validation loss, in buckets of the question's answers."""
    d = r.best_depth
    bucket = "d0" if d == 0 else "d12" if d <= 2 else "d34" if d <= 4 else "d56"
    return bucket, {"d": d, "v": f"{r.models.set_index('depth').val_loss[d]:.3f}"}


def turn(r: of.SweepResult) -> tuple[str, dict]:
    """The deepest net's own training curves, not the capacity curve."""
    row = r.models.iloc[-1]
    last = int(r.history.epoch[r.history.depth == row.depth].max())
    return ("end" if row.best_epoch == last else "earlier"), {
        "d": int(row.depth), "e": int(row.best_epoch), "bv": f"{row.best_val_loss:.3f}", "last": last,
        "v": f"{row.val_loss:.3f}"}


def memorise(r: of.SweepResult) -> tuple[str, dict]:
    """How far below the noise floor the deepest net fits."""
    row, floor = r.models.iloc[-1], r.noise_floor
    kind = "low" if row.train_loss < floor / 4 else "mid" if row.train_loss < floor else "high"
    return kind, {"d": int(row.depth), "tr": f"{row.train_loss:.3f}", "f": f"{floor:.3f}"}


def best_remedy(r: of.RemedyResult) -> tuple[str, dict]:
    """The remedy that reaches the lowest validation loss for the deepest net."""
    rest = r.gaps.iloc[1:].set_index("remedy").val_loss  # the four remedies, without "none"
    best = str(rest.idxmin())
    return best.replace(" ", "_"), {"r": best, "v": f"{rest[best]:.3f}", "none": f"{r.gaps.val_loss.iloc[0]:.3f}"}


def pick(which: str) -> Callable[[of.CVResult], tuple[str, dict]]:
    """How far one split's pick ('single': the first fold) or k-fold's ('kfold') lands from the truly best depth."""
    def measure(r: of.CVResult) -> tuple[str, dict]:
        sel = r.single_split_depths[0] if which == "single" else r.selected_depth
        test = r.summary.set_index("depth").test_loss
        return r.judge(sel), {"sel": sel, "best": r.test_best_depth, "tsel": f"{test[sel]:.3f}",
                              "tbest": f"{test[r.test_best_depth]:.3f}"}
    return measure


def often(r: of.ReliabilityResult) -> tuple[str, dict]:
    """Which way of choosing the depth lands within one step of the best more often, over the data sets."""
    hits = r.summary.set_index("method").hits
    s, k = int(hits["single split"]), int(hits["k-fold"])
    return ("same" if s == k else "kfold" if k > s else "single"), {"s": s, "k": k, "n": int(r.summary.n.iloc[0])}


# --- convolution ----------------------------------------------------------------------------------
def size(r: cv.FieldResult) -> tuple[str, dict]:
    """The side of the tensor conv2d returned."""
    return f"o{r.conv_out}", {"conv": r.conv_out, "out": r.out}


def border(r: cv.OverlapResult) -> tuple[str, dict]:
    """How often the chosen stride's detector is right on borders."""
    acc = r.accuracy.set_index(["stride", "place"]).accuracy
    s = int(r.accuracy.stride.iloc[0])  # the chosen stride comes first
    b = float(acc[(s, "border")])
    return ("lo" if b <= 0.6 else "mid" if b < 0.9 else "hi"), {
        "s": s, "b": f"{b:.0%}", "i": f"{acc[(s, 'inside')]:.0%}", "one": f"{acc[(1, 'border')]:.0%}"}


def saves(r: cv.SharingResult) -> tuple[str, dict]:
    """Which step divides the count by more (within 2x: the same)."""
    fc, local, conv = r.counts.parameters
    field, share = fc / local, local / conv
    kind = "same" if max(field, share) <= 2 * min(field, share) else "field" if field > share else "sharing"
    return kind, {"field": f"{field:,.0f}", "share": f"{share:,.0f}"}


def pooled(r: cv.ShrinkResult) -> tuple[str, dict]:
    """The pooled tensor's side and channels."""
    h, c = r.shapes.set_index("view").loc["pooled", ["height", "channels"]]
    return f"s{h}c{c}", {"h": int(h), "c": int(c)}


# --- pooling --------------------------------------------------------------------------------------
def higher(r) -> tuple[str, dict]:
    """Which CNN scores higher on the test set (within 2 points: about the same)."""
    acc = r.final[r.final.split == "test"].set_index("model").accuracy
    a, b = float(acc["A"]), float(acc["B"])
    return ("same" if abs(a - b) <= 2 else "A" if a > b else "B"), {"a": f"{a:.1f}", "b": f"{b:.1f}"}


def takes_back(r) -> tuple[str, dict]:
    """A third or more of a warp taken back counts (the run's own slope, pl.TransformerResult.undone)."""
    turn, zoom = (r.undone.get(w, 0.0) >= 1 / 3 for w in ("rotation", "scale"))
    kind = "both" if turn and zoom else "turn" if turn else "zoom" if zoom else "neither"
    return kind, {k: f"{100 * r.undone.get(w, 0.0):.0f}" for k, w in (("turn", "rotation"), ("zoom", "scale"))}


# --- RNN / LSTM -----------------------------------------------------------------------------------
def ratio_kind(ratio: float, exploded: bool = False) -> str:
    """||dL/dh_1|| / ||dL/dh_T|| in words: below 1/100 it vanished, above 100 (or overflowed) it exploded."""
    return "larger" if exploded or ratio > 100 else "smaller" if ratio < 0.01 else "similar"


def back(model: str) -> Callable[[Any], tuple[str, dict]]:
    """A measure of how the gradient of `model` at t = 1 compares with the last step's."""
    def measure(r) -> tuple[str, dict]:
        f = r.flow[r.flow.model == model].set_index("t")
        first, last = f.grad_norm[f.index.min()], f.grad_norm[f.index.max()]
        ratio = first / last if last > 0 else float("inf")
        return ratio_kind(ratio, bool(f.exploded.any())), {"ratio": f"{ratio:.2g}", "T": int(f.index.max())}
    return measure


def grows_from(r) -> tuple[str, dict]:
    """Where the page's own RNN sweep first grows going back (ratio > 1)."""
    cross = rg.crossing(r)
    above = cross[1] if cross else float("inf")
    kind = "near_one" if above <= 1.25 else "to_two" if above <= 2 else "beyond_two"
    below = cross[0] if cross else rg.SWEEP_SCALES[-1]
    return kind, {"T": int(r.flow.t.max()), "below": below, "r_below": f"{rg.sweep_ratio(r, below):.2g}",
                  "above": above if cross else "—", "r_above": f"{rg.sweep_ratio(r, above):.2g}" if cross else "—"}


def cell_path(r) -> tuple[str, dict]:
    """The LSTM's cell path alone: a product of forget gates, so at most 1."""
    return ("bounded" if r.cell_ratio <= 1 else "grows"), {"cell": f"{r.cell_ratio:.2g}", "lstm": f"{r.lstm_ratio:.2g}"}


def same_word(r) -> tuple[str, dict]:
    """Step 2 of the memory tab: "Taipei" after "arrive" and after "leave"."""
    top, p = rg.top_labels(r, 2), r.outputs[r.outputs.t == 2].set_index(["sentence", "label"]).prob
    d = r.apart.set_index(["t", "what"]).distance[(1, "cell")]  # the stored values step 2 starts from
    return ("same" if top["arrive"][0] == top["leave"][0] else "different"), {
        s[0] + k: f"{p[(s, slot)]:.0%}" for s in ("arrive", "leave") for k, slot in (("d", "destination"),
                                                                                    ("p", "departure"))} | {
        "d": f"{d:.2f}"}


def echoes(r) -> tuple[str, dict]:
    """Which network learned to echo the bit: Elman, Jordan, both or neither."""
    v = rg.echo_verdict(r)
    kind = {(True, True): "both", (True, False): "elman", (False, True): "jordan", (False, False): "neither"}[
        (v["elman"] == "learned", v["jordan"] == "learned")]
    return kind, {"elman": f"{r.elman_loss:.3g}", "jordan": f"{r.jordan_loss:.3g}", "learned": f"{rg.LEARNED:.2f}"}
