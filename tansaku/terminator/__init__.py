"""Stop a study when more tuning stops paying: once the room left for improvement falls below
the objective's own error (Makarova et al. 2022, "Automatic termination for hyperparameter
optimization").

A :class:`Terminator` compares an improvement evaluator (how much better the optimum may
still be: :class:`RegretBoundEvaluator`, :class:`EMMREvaluator`,
:class:`BestValueStagnationEvaluator`) with an error evaluator (how large a difference is
noise: :class:`CrossValidationErrorEvaluator`, :class:`StaticErrorEvaluator`,
:class:`MedianErrorEvaluator`); :class:`TerminatorCallback` stops ``Study.optimize`` when it
says so. The GP evaluators use tansaku's own GP (no torch). Optuna 5.0 deprecates its
terminator; tansaku supports it and does not warn.
"""

from __future__ import annotations

from tansaku.terminator._callback import TerminatorCallback
from tansaku.terminator._emmr import EMMREvaluator
from tansaku.terminator._erroreval import (
    BaseErrorEvaluator,
    CrossValidationErrorEvaluator,
    StaticErrorEvaluator,
    report_cross_validation_scores,
)
from tansaku.terminator._improvement import (
    BaseImprovementEvaluator,
    BestValueStagnationEvaluator,
    RegretBoundEvaluator,
)
from tansaku.terminator._median import MedianErrorEvaluator
from tansaku.terminator._terminator import BaseTerminator, Terminator

__all__ = [
    "TerminatorCallback",
    "BaseErrorEvaluator",
    "CrossValidationErrorEvaluator",
    "report_cross_validation_scores",
    "StaticErrorEvaluator",
    "MedianErrorEvaluator",
    "BaseImprovementEvaluator",
    "BestValueStagnationEvaluator",
    "RegretBoundEvaluator",
    "EMMREvaluator",
    "BaseTerminator",
    "Terminator",
]
