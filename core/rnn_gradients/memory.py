"""The memory cell, step by step (chapter 5 opens with it): a tiny Elman network trained to fill the slots of a
travel sentence, read one word at a time.

The notes' four steps, as this module measures them: (1) each time the hidden layer outputs h_t, that value is
stored in the memory cell; (2) at the next word the neurons use the word *and* the stored h_{t-1}; (3) so the
stored value changes the output; (4) the cell's value is the hidden state. "Taipei" after "arrive" is the
destination, after "leave" the place of departure: the same input, a different output, because of what the cell
holds (the course's slot-filling example, made tiny).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from core.lab import Progress, diverged, generator, param, report, seed_param, validate

VERBS, PLACES, DATES = ("arrive", "leave"), ("Taipei", "Tokyo"), ("Nov 2nd", "May 5th")
WORDS = (*VERBS, *PLACES, "on", *DATES)  # the vocabulary: each word is a one-hot input of size 7
LABELS = ("other", "destination", "departure", "arrival_time", "departure_time")  # the slots
PAIR = (("arrive", "Taipei", "on", "Nov 2nd"), ("leave", "Taipei", "on", "Nov 2nd"))  # replayed step by step


@dataclass(frozen=True)
class MemoryConfig:
    """One slot-filling Elman net: the size of its memory cell, Adam steps and lr."""

    hidden: int = param(8, lo=2, hi=32, step=2, label="mem_hidden")  # hidden units = numbers the memory cell holds
    steps: int = param(100, lo=20, hi=1000, step=20, label="mem_steps")  # full-batch Adam steps, every sentence
    lr: float = param(0.05, options=(0.003, 0.01, 0.03, 0.05, 0.1, 0.3), log=True, label="mem_lr")  # Adam step size
    seed: int = seed_param()

    def __post_init__(self):
        validate(self)


@dataclass(frozen=True)
class MemoryResult:
    """The trained net read step by step on the two sentences of PAIR, and its training curve."""

    cell: pd.DataFrame  # sentence (its verb), t (0 = the empty cell before the first word), word, unit, value (h_t)
    outputs: pd.DataFrame  # sentence, t, word, label, prob, true (the label the word should get)
    apart: pd.DataFrame  # t, word, what (input / cell), distance: how far the two sentences' x_t or h_t are apart
    history: pd.DataFrame  # step, loss (cross-entropy in nats over every word; rows stop at divergence)
    accuracy: float  # share of the words of every sentence the trained net labels right
    diverged: bool


def slots(sentence: tuple[str, ...]) -> list[int]:
    """The slot id of each word of "<verb> <place> on <date>": the place's and the date's depend on the verb."""
    arrive = sentence[0] == "arrive"
    return [0, 1 if arrive else 2, 0, 3 if arrive else 4]


def sentences() -> tuple[torch.Tensor, torch.Tensor]:
    """Every sentence of the little language: "<verb> <place> on <date>"; word ids (8, 4), slot ids (8, 4)."""
    every = [(verb, place, "on", date) for verb, place, date in itertools.product(VERBS, PLACES, DATES)]
    return torch.tensor([[WORDS.index(w) for w in s] for s in every]), torch.tensor([slots(s) for s in every])


def _init(cfg: MemoryConfig, g: torch.Generator) -> dict[str, torch.Tensor]:
    """Elman weights drawn from g, uniform +-1/sqrt(H) (PyTorch's RNN init)."""
    H, k = cfg.hidden, 1 / math.sqrt(cfg.hidden)
    u = lambda *shape: ((2 * torch.rand(*shape, generator=g) - 1) * k).requires_grad_()  # noqa: E731
    return {"W_x": u(len(WORDS), H), "W_h": u(H, H), "b": u(H), "V": u(H, len(LABELS)), "c": u(len(LABELS))}


def unroll(p: dict[str, torch.Tensor], words: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Read word ids (N, T) one step at a time; returns the stored values h_0..h_T (N, T + 1, H), logits (N, T, L)."""
    N, T = words.shape
    h = torch.zeros(N, p["W_h"].shape[0])  # the cell starts empty
    hs = [h]
    for t in range(T):
        h = torch.tanh(p["W_x"][words[:, t]] + h @ p["W_h"] + p["b"])  # the word and the stored value
        hs.append(h)  # ... and the hidden layer's output is stored for the next word
    hs = torch.stack(hs, 1)  # (N, T + 1, H)
    return hs, hs[:, 1:] @ p["V"] + p["c"]  # (N, T, L): the output reads the new h_t


def run_memory(cfg: MemoryConfig = MemoryConfig(), progress: Progress | None = None) -> MemoryResult:
    """Train the Elman net on every sentence, then read the two sentences of PAIR step by step."""
    p = _init(cfg, generator(cfg.seed))
    words, labels = sentences()
    opt = torch.optim.Adam(p.values(), lr=cfg.lr)
    rows, broke = [], False
    for step in range(cfg.steps):
        loss = nn.functional.cross_entropy(unroll(p, words)[1].flatten(0, 1), labels.flatten())
        if diverged(loss.item()):
            broke = True
            break
        rows.append({"step": step, "loss": loss.item()})
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 20 == 0:
            report(progress, step / cfg.steps, rows)
    with torch.no_grad():
        accuracy = (unroll(p, words)[1].argmax(-1) == labels).float().mean().item()
        pair = torch.tensor([[WORDS.index(w) for w in s] for s in PAIR])
        hs, logits = unroll(p, pair)  # (2, T + 1, H), (2, T, L)
    report(progress, 1.0, rows)
    return MemoryResult(cell=_cell_frame(hs), outputs=_output_frame(logits.softmax(-1)),
                        apart=_apart_frame(pair, hs), history=pd.DataFrame(rows, columns=["step", "loss"]),
                        accuracy=accuracy, diverged=broke)


def _cell_frame(hs: torch.Tensor) -> pd.DataFrame:
    """(2, T + 1, H) stored values -> sentence, t, word, unit, value."""
    _, T1, H = hs.shape
    return pd.DataFrame([{"sentence": s[0], "t": t, "word": s[t - 1] if t else "", "unit": u + 1,
                          "value": hs[i, t, u].item()}
                         for i, s in enumerate(PAIR) for t in range(T1) for u in range(H)])


def _output_frame(probs: torch.Tensor) -> pd.DataFrame:
    """(2, T, L) output probabilities -> sentence, t, word, label, prob, true."""
    return pd.DataFrame([{"sentence": s[0], "t": t + 1, "word": s[t], "label": label,
                          "prob": probs[i, t, k].item(), "true": slots(s)[t] == k}
                         for i, s in enumerate(PAIR) for t in range(len(s)) for k, label in enumerate(LABELS)])


def _apart_frame(pair: torch.Tensor, hs: torch.Tensor) -> pd.DataFrame:
    """How far apart the two sentences are at each step: their inputs (one-hot: 0 or sqrt 2) and stored values."""
    x = nn.functional.one_hot(pair, len(WORDS)).float()  # (2, T, V)
    rows = []
    for t in range(1, hs.shape[1]):
        word = " / ".join(dict.fromkeys(s[t - 1] for s in PAIR))  # "arrive / leave", then one shared word
        rows.append({"t": t, "word": word, "what": "input", "distance": (x[0, t - 1] - x[1, t - 1]).norm().item()})
        rows.append({"t": t, "word": word, "what": "cell", "distance": (hs[0, t] - hs[1, t]).norm().item()})
    return pd.DataFrame(rows)


def top_labels(r: MemoryResult, t: int) -> dict[str, tuple[str, float]]:
    """{sentence: (the label the net gives the word at step t, its probability)}."""
    at = r.outputs[r.outputs.t == t]
    best = at.loc[at.groupby("sentence", sort=False).prob.idxmax()]
    return {row.sentence: (row.label, row.prob) for row in best.itertuples()}
