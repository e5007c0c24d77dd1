"""Chapter 1: gradient descent. Two tabs, two parameters each, plain autograd:

- line: the model y = b + w*x with MSE or MAE — a convex bowl, learning rate too small / too large, an outlier;
- valleys: a tiny network (one bump made of two sigmoid units) on fixed points — a surface with two valleys, where
  the start and the learning rate decide which minimum gradient descent ends in.
"""
from core.gradient_descent.line import (ESCAPE_STEPS, LOSSES, LR_CHOICES, OUTLIER_RISE, OUTLIER_X, PAIRS_UP_TO,
                                        GDConfig, GDResult, best_fit, converged, descend, line_at, loss_fn,
                                        lr_fastest, lr_limit, make_data, outlier_pull, path_in_frame, run,
                                        steps_in_frame, surface)
from core.gradient_descent.line import _mae_fit_by_pivot  # noqa: F401  tests/test_own_data.py checks it

__all__ = ["ESCAPE_STEPS", "LOSSES", "LR_CHOICES", "OUTLIER_RISE", "OUTLIER_X", "PAIRS_UP_TO", "GDConfig", "GDResult",
           "best_fit", "converged", "descend", "line_at", "loss_fn", "lr_fastest", "lr_limit", "make_data",
           "outlier_pull", "path_in_frame", "run", "steps_in_frame", "surface"]
from core.gradient_descent.valleys import RATES, ValleyConfig, ValleyResult, run_valleys

__all__ += ["RATES", "ValleyConfig", "ValleyResult", "run_valleys"]
