"""Gaussian-process models and their acquisition functions, on numpy and scipy only."""
