"""Gaussian-process regression and Bayesian-optimization acquisitions on numpy and scipy.

The in-package API, for samplers and for the terminator:

- ``GPSpace``: a search space as rows of the GP's input cube (``encode``/``decode``).
- ``fit_gp(x, y, categorical, ...) -> GaussianProcess``: the MAP fit (warm-startable) of a
  Matern 5/2 ARD GP with a Hamming term for categorical columns; ``GaussianProcess`` gives the
  posterior mean and variance at many rows (``posterior``), with gradients
  (``posterior_with_gradient``), their joint covariance (``joint_posterior``), its
  hyperparameters (``params``), its kernel (``kernel``) and ``condition_on`` for
  pseudo-observations.
- ``standardize``: the values to fit, and how to map thresholds into their scale;
  ``power_warp``: one objective's values warped toward a normal shape, order kept.
- ``log_ei``, ``log_pof``, ``combine``, ``ModelAcquisition``: acquisitions in log space with
  gradients with respect to posterior means and variances, and as functions of rows.
- ``maximize``: the acquisition search (Sobol candidates, then mixed local search).
- ``_ehvi.log_ehvi``: the multi-objective acquisition, of the same shape as ``log_ei``
  (imported where needed).
"""

from tansaku._gp._acquisition import ModelAcquisition, combine, log_ei, log_h, log_pof
from tansaku._gp._model import GaussianProcess, GPParams, fit_gp
from tansaku._gp._optimize import maximize
from tansaku._gp._prior import GPPrior, classic_prior, dimension_scaled_prior
from tansaku._gp._space import GPSpace
from tansaku._gp._standardize import Standardized, power_warp, standardize

__all__ = [
    "GPParams",
    "GPPrior",
    "GPSpace",
    "GaussianProcess",
    "ModelAcquisition",
    "Standardized",
    "classic_prior",
    "combine",
    "dimension_scaled_prior",
    "fit_gp",
    "log_ei",
    "log_h",
    "log_pof",
    "maximize",
    "power_warp",
    "standardize",
]
