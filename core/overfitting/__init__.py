"""Overfitting, its remedies, and cross-validation (notes, chapters 1-2), trained live.

A ladder of models, from a line (0 hidden layers) to deep ReLU MLPs, all fitted to the same
few noisy points of a 1-D curve under the same budget: training loss keeps falling with depth,
validation loss falls and then rises. More data, weight decay, a simpler family and early
stopping each shrink the deepest model's train-validation gap; k-fold cross-validation picks a
good depth from the training points alone more reliably than one train/validation split.

All capacities (and all folds, seeds, remedies) train together as one batched, full-batch Adam run:
  data.py              the noisy curve, the k-fold split, and LadderConfig (data + training budget)
  ladder.py            the batched ladder, its training loop, logged curves -> tidy frames
  reference.py         one model of the ladder as a plain nn.Sequential, to read beside ladder.py
  capacity.py          sections 1-3: the capacity sweep (run_sweep)
  remedies.py          section 4: four remedies side by side (run_remedies)
  cross_validation.py  section 5: k-fold / leave-one-out (run_cv) and its reliability (run_reliability)
"""
from core.overfitting.capacity import SweepConfig, SweepResult, n_params, run_sweep
from core.overfitting.cross_validation import (CVConfig, CVResult, ReliabilityConfig, ReliabilityResult,
                                               run_cv, run_reliability)
from core.overfitting.data import LadderConfig
from core.overfitting.reference import sequential
from core.overfitting.remedies import REMEDIES, RemedyConfig, RemedyResult, run_remedies

__all__ = ["LadderConfig", "SweepConfig", "SweepResult", "run_sweep", "n_params",
           "RemedyConfig", "RemedyResult", "run_remedies", "REMEDIES",
           "CVConfig", "CVResult", "run_cv", "ReliabilityConfig", "ReliabilityResult", "run_reliability",
           "sequential"]
