"""Trials: the live handle an objective receives, fixed trials, and stored records."""

from tansaku.trial._base import BaseTrial
from tansaku.trial._fixed import FixedTrial
from tansaku.trial._frozen import FrozenTrial, create_trial
from tansaku.trial._state import TrialState
from tansaku.trial._trial import Trial

__all__ = ["BaseTrial", "FixedTrial", "FrozenTrial", "Trial", "TrialState", "create_trial"]
