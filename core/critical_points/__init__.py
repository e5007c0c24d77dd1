"""Chapter 3, critical points: where the gradient is 0, is it a local minimum or a saddle point? The Hessian decides.

saddle   the smallest network with a saddle (y_hat = w1 * w2 * x): gradient, Hessian, eigenvalues, Taylor
         model at a chosen point; gradient descent stuck near the saddle and the ways out
network  many small tanh networks pushed to near-critical points, the exact Hessian's eigenvalues there
"""
from core.critical_points import network, saddle
from core.critical_points.network import (EIG_TOL as NET_EIG_TOL, NetworkConfig, NetworkResult, n_params,
                                          run_network, summary)
from core.critical_points.saddle import (EIG_TOL, EPS_LADDER, ESCAPED, GRAD_TOL, EscapeConfig, EscapeResult,
                                         PointConfig, PointResult, loss, run_escape, run_point)

__all__ = ["network", "saddle", "NET_EIG_TOL", "NetworkConfig", "NetworkResult", "n_params", "run_network", "summary",
           "EIG_TOL", "EPS_LADDER", "ESCAPED", "GRAD_TOL", "EscapeConfig", "EscapeResult", "PointConfig",
           "PointResult", "loss", "run_escape", "run_point"]
