"""The course in order: one `Lesson` spec per lesson, read by the router, the home page, the URL
parser, the tests, the bench and the README check.

A lesson is `core/<name>` (its config classes declare every parameter once, with core.lab.param),
`pages/<name>.py`, `tests/test_<name>.py`, `locales/<lang>/<name>.json` and one entry below (what an
entry holds: ui/spec.py; how its questions read their answers off a run: ui/questions.py).
A section's controls are its config fields: their ranges, steps and options come from the config
class; the spec only says which fields the page shows and under which URL names.
"""
from __future__ import annotations

from pathlib import Path

from core import activations as ac, convolution as cv, critical_points as cp, gradient_descent as gd, overfitting as of
from core import pooling as pl
from core import rnn_gradients as rg
from core.lab import Param
from ui import questions as q
from ui.spec import Lesson, Moment, Question, Section

__all__ = ["LESSONS", "Lesson", "Moment", "Question", "Section", "lesson"]
ROOT = Path(__file__).resolve().parent.parent


# --- the lessons, in course order -------------------------------------------------------------
_GD = Section("run", gd.GDConfig, gd.run, ("loss", "lr", "steps", "b0", "w0", "outlier"),
              views={"at_step": (200, Param(lo=0, hi=1000, step=1))},  # replay: the page caps it at the last step
              own_data=("outlier",))
_VALLEYS = Section("valleys", gd.ValleyConfig, gd.run_valleys, ("a0", "h0", "steps"), prefix="nc_")
_START = {"gd_tab": "run", "steps": 200, "b0": -4.0, "w0": -3.0}  # every preset of the line starts from one point


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
   questions={"too_small": Question("rate", ("converged", "slow", "diverges"), q.rate),
              "diverges": Question("first", ("down", "up"), q.first),
              "outlier_mse": Question("pull", ("mse", "mae", "same"), q.pull),
              "outlier_mae": Question("share", ("hardly", "little", "far"), q.share),
              "same_start": Question("same", ("all_global", "all_local", "differ"), q.same),
              "other_valley": Question("escape", ("largest", "smaller", "none"), q.escape)},
   moments={"good": Moment(1.5), "too_small": Moment(1), "diverges": Moment(1), "outlier_mse": Moment(1),
            "outlier_mae": Moment(1, core=False), "same_start": Moment(1), "other_valley": Moment(1)})

_PIECE = Section("piece", ac.PieceConfig, ac.run_piece, ("c", "b", "w"), prefix="pc_")
_FIT = Section("fit", ac.FitConfig, ac.run_fit, ("target", "units", "act"), prefix="fit_",
               budget=("steps", "lr", "restarts"))
_ONE = {"ac_tab": "piece"}
_FITS = {**_FIT.defaults(), "ac_tab": "fit"}  # a fit preset: the default budget, so its question meets its run


ACTIVATIONS = Lesson("activations", "1", (_PIECE, _FIT), {
    "one_sigmoid": {**_ONE, "pc_c": 1.0, "pc_b": 0.0, "pc_w": 1.0},
    "step": {**_ONE, "pc_c": 1.0, "pc_b": 0.0, "pc_w": 20.0},  # steep: the sigmoid approaches a step (still smooth)
    "hard_sigmoid": {**_ONE, "pc_c": 1.5, "pc_b": -2.0, "pc_w": 2.0},  # flat, a ramp from x = 1 to 1.5, flat: 2 ReLUs
    "three_pieces": {**_FITS, "fit_target": "kinks", "fit_units": 3, "fit_act": "relu"},  # a constant + 3 kinks
    "sigmoid_vs_relu": {**_FITS, "fit_target": "sine", "fit_units": 8, "fit_act": "sigmoid"},
    "many_pieces": {**_FITS, "fit_target": "sine", "fit_units": 32, "fit_act": "relu"},  # straight pieces, a smooth curve
}, tab_key="ac_tab", questions={"three_pieces": Question("fewest", ("few", "three", "four", "more"), q.fewest),
                                "sigmoid_vs_relu": Question("lower", ("sigmoid", "relu", "same"), q.lower)},
   moments={"one_sigmoid": Moment(1), "step": Moment(0.5, core=False), "hard_sigmoid": Moment(1.5),
            "three_pieces": Moment(1.5), "sigmoid_vs_relu": Moment(1), "many_pieces": Moment(0.5)})

_POINT = Section("point", cp.PointConfig, cp.run_point, ("w1", "w2"), prefix="cp_")
_ESCAPE = Section("escape", cp.EscapeConfig, cp.run_escape, ("eps", "lr", "momentum", "jump"), prefix="cpe_",
                  budget=("steps",))
_NETWORK = Section("network", cp.NetworkConfig, cp.run_network, ("runs", "hidden"), prefix="cpn_",
                   budget=("train_steps", "critical_steps"),
                   views={"show": (1, Param(lo=1, hi=100, step=1))})  # the run whose spectrum is drawn (<= runs)


_KIND = Question("kind", ("minimum", "maximum", "saddle", "flat"), q.kind)
_VALLEY = Question("valley", _KIND.answers, q.kind)  # the same reading; its reveal adds what the loss value settles
_MINIMA = Question("minima", ("most", "some", "few"), q.minima)

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
    questions={"just_right": Question("depth", ("d0", "d12", "d34", "d56"), q.best_depth),
               "overfit": Question("turn", ("end", "earlier"), q.turn),
               "more_data": Question("memorise", ("low", "mid", "high"), q.memorise),
               "remedies": Question("remedy", ("more_data", "weight_decay", "simpler_family", "early_stopping"),
                                    q.best_remedy),
               "single_split": Question("single", _PICKED, q.pick("single")),
               "kfold": Question("kfold", _PICKED, q.pick("kfold")),
               "reliability": Question("often", ("single", "kfold", "same"), q.often)},
    moments={"just_right": Moment(1.5), "overfit": Moment(1.5), "more_data": Moment(1),
             "weight_decay": Moment(1, core=False), "remedies": Moment(1.5), "single_split": Moment(1),
             "kfold": Moment(1), "leave_one_out": Moment(1, core=False), "reliability": Moment(1)})

_FIELD = Section("field", cv.FieldConfig, cv.run_field, ("n", "k", "s", "p", "neuron"), prefix="cvf_")
_OVERLAP = Section("overlap", cv.OverlapConfig, cv.run_overlap, ("k", "s"), prefix="cvo_", budget=("steps",))
_SHARING = Section("sharing", cv.SharingConfig, cv.run_sharing, ("n", "cin", "filters", "k"), prefix="cvs_")
_SHRINK = Section("shrink", cv.ShrinkConfig, cv.run_shrink, ("size", "factor", "pool"), prefix="cvd_")
_CHANNELS = Section("channels", cv.ChannelsConfig, cv.run_channels, ("size", "classes", "label"), prefix="cv_")
_FIELD_TAB = {**_FIELD.defaults(), "cv_tab": "field"}


CONVOLUTION = Lesson("convolution", "4", (_CHANNELS, _FIELD, _OVERLAP, _SHARING, _SHRINK), {
    "channels": {**_CHANNELS.defaults(), "cv_tab": "channels"},
    "one_hot": {**_CHANNELS.defaults(), "cv_tab": "channels", "cv_classes": 10, "cv_label": 7},
    "slide": {**_FIELD_TAB, "cvf_neuron": 1},  # 3 x 3, stride 1: neighbours share 2 columns
    "stride2": {**_FIELD_TAB, "cvf_s": 2, "cvf_neuron": 0},  # they share 1 column
    "padding": {**_FIELD_TAB, "cvf_p": 1},  # 7 x 7 in, 7 x 7 out
    "out_size": {**_FIELD_TAB, "cvf_s": 2, "cvf_p": 1, "cvf_neuron": 0},  # floor((7 + 2 - 3) / 2) + 1 = 4
    "stride3": {**_OVERLAP.defaults(), "cv_tab": "overlap"},  # 3 x 3, stride 3: no overlap, patterns on borders missed
    "sharing": {**_SHARING.defaults(), "cv_tab": "sharing"},  # the notes' 100 x 100 x 3 image
    "subsample": {**_SHRINK.defaults(), "cv_tab": "shrink"},  # 32 x 32 x 3 -> 16 x 16 x 3, either way
    "alphago": {"cv_tab": "sharing", "cvs_n": 19, "cvs_cin": 48, "cvs_filters": 192, "cvs_k": 5},
}, tab_key="cv_tab", questions={"out_size": Question("size", ("o3", "o4", "o5", "o7"), q.size),
                                "stride3": Question("border", ("hi", "mid", "lo"), q.border),
                                "sharing": Question("saves", ("field", "sharing", "same"), q.saves),
                                "subsample": Question("pooled", ("s16c3", "s16c1", "s8c3"), q.pooled)},
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


_HIGHER = Question("higher", ("A", "B", "same"), q.higher)
_BACK_WARP = Question("takes_back", ("turn", "zoom", "both", "neither"), q.takes_back)

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


_BACK = Question("back", ("smaller", "similar", "larger"), q.back("rnn"))
_MEM = Section("memory", rg.MemoryConfig, rg.run_memory, ("hidden",), prefix="rnn_mem_", budget=("steps", "lr"),
               views={"step": (2, Param(lo=1, hi=len(rg.PAIR[0]), step=1))})  # replay: the word read at step t
_FLOW_TAB = {"rnn_tab": "flow", "rnn_T": _FLOW.T, "rnn_scale": _FLOW.rnn_scale, "rnn_fbias": _FLOW.forget_bias,
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
    "vanishing": {**_FLOW_TAB, "rnn_scale": 0.8, "rnn_fbias": 0.0},
    # above 1 it can grow: the question is where this run's sweep starts to (tanh' <= 1 takes some back)
    "exploding": {**_FLOW_TAB, "rnn_scale": 3.0},
    # the same LSTM with its forget gate open (bias 3) keeps its gradient
    "forget_gate": _FLOW_TAB,
    # ... but not from exploding: large recurrent weights (scale 10), although the forget gate is open
    "lstm_explodes": {**_FLOW_TAB, "lstm_scale": 10.0},
    "clipping": {"rnn_tab": "clip", "rnn_model": "rnn", "rnn_clip_scale": _CLIP.scale, "rnn_clip": 3.0, "rnn_lr": _CLIP.lr,
                 "rnn_lr_low": _CLIP.lr_low},
    # clipping bounds the LSTM's updates while its gradient explodes (recurrent scale 10 again)
    "lstm_clipped": {"rnn_tab": "clip", "rnn_model": "lstm", "rnn_clip_scale": 10.0, "rnn_clip": _CLIP.threshold,
                     "rnn_lr": _CLIP.lr, "rnn_lr_low": _CLIP.lr_low},
    "lstm": {**_FLOW_TAB, "rnn_tab": "adding", "rnn_add_T": _ADD.T},  # what an open forget gate buys: a long memory
    # the course's last moment: Elman feeds back its hidden state, Jordan its answer (delay 3: Jordan at chance)
    "echo": {"rnn_tab": "echo", "rnn_delay": 3},
}, tab_key="rnn_tab",
   questions={"memory": Question("same_word", ("same", "different"), q.same_word), "vanishing": _BACK,
              "exploding": Question("grows_from", ("near_one", "to_two", "beyond_two"), q.grows_from),
              "forget_gate": Question("lstm_back", ("smaller", "similar", "larger"), q.back("lstm")),
              "lstm_explodes": Question("cell_path", ("bounded", "grows"), q.cell_path),
              "echo": Question("echo", ("both", "elman", "jordan", "neither"), q.echoes)},
   moments={"memory": Moment(1.5), "vanishing": Moment(1.5), "exploding": Moment(1), "forget_gate": Moment(1),
            "lstm_explodes": Moment(1), "clipping": Moment(1), "lstm_clipped": Moment(1, core=False),
            "lstm": Moment(1.5, core=False), "echo": Moment(1)})

LESSONS: tuple[Lesson, ...] = (GRADIENT_DESCENT, ACTIVATIONS, OVERFITTING, CRITICAL_POINTS, CONVOLUTION, POOLING,
                               RNN_GRADIENTS)


def lesson(name: str) -> Lesson | None:
    """The lesson called name (its URL path), or None (the home page)."""
    return next((x for x in LESSONS if x.name == name), None)
