"""One model of the ladder as a plain nn.Sequential: the simple version beside the fast one.

The ladder stacks every model's weights so one `baddbmm` per layer trains them all; this module
picks one (depth, group) out of that stack, so a reader can check what the batched code computes.
"""
from __future__ import annotations

import torch
from torch import nn

from core.overfitting.ladder import Ladder


def _linear(w: torch.Tensor, b: torch.Tensor) -> nn.Linear:
    """nn.Linear computing x @ w + b, from a ladder slice w (in, out), b (1, out)."""
    layer = nn.utils.skip_init(nn.Linear, *w.shape)  # no init draws: the global RNG stays untouched
    with torch.no_grad():
        layer.weight.copy_(w.T)     # nn.Linear stores (out, in)
        layer.bias.copy_(b[0])
    return layer


def sequential(lad: Ladder, depth: int, group: int) -> nn.Sequential:
    """The model with `depth` hidden layers of group `group`, with copies of its ladder weights.

    depth 0 is Linear(1, 1); depth d >= 1 is Linear(1, W)-ReLU-(Linear(W, W)-ReLU) x (d-1)-Linear(W, 1).
    Its output on x (N, 1) equals forward(lad, x)[depth * G + group] for x broadcast to (G, N).
    """
    D, G, p = lad.depth, lad.groups, [t.detach() for t in lad.params]
    if not (0 <= depth <= D and 0 <= group < G):
        raise ValueError(f"depth must be 0..{D} and group 0..{G - 1}, got {depth}, {group}")
    if depth == 0:
        return nn.Sequential(_linear(p[0][group], p[1][group]))     # slope a, intercept c
    Ws, bs, V, v = p[2:2 + D], p[2 + D:2 + 2 * D], p[-2], p[-1]
    layers: list[nn.Module] = []
    for l in range(1, depth + 1):
        row = (depth - l) * G + group   # layer l stacks capacities l..D, each for G groups
        layers += [_linear(Ws[l - 1][row], bs[l - 1][row]), nn.ReLU()]
    row = (depth - 1) * G + group       # the output layer stacks capacities 1..D
    return nn.Sequential(*layers, _linear(V[row], v[row]))
