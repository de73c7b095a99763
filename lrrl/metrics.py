"""Aggregate scores across games with honest intervals (the rliable protocol).

Agarwal et al. 2021 ("Deep RL at the edge of the statistical precipice",
the ``rliable`` package): interquartile mean (IQM) of normalised scores over
all runs of all games, 95% percentile intervals from a *stratified* bootstrap
(runs are resampled within each game), probability of improvement, and
performance profiles.

``rliable`` itself is not used: every release (1.2.0 needs ``arch < 8``)
imports an ``arch`` that does not import under the project's pandas 3.0.6, and
``arch`` 8 changed the API ``rliable`` calls. These functions follow the
published definitions with numpy only, and accept a different number of runs
per game (missing seeds), which rliable's matrices do not.

Scores are given per game: ``{game: 1-D array of per-run scores}``.
"""

import numpy as np
from scipy import stats


def iqm(scores):
    """Interquartile mean: the mean of the middle 50% of all run scores, games pooled."""
    values = np.concatenate([np.asarray(v, dtype=float).ravel() for v in _as_list(scores)])
    return float(stats.trim_mean(values, proportiontocut=0.25))


def mean(scores):
    values = np.concatenate([np.asarray(v, dtype=float).ravel() for v in _as_list(scores)])
    return float(np.mean(values))


def median_of_game_means(scores):
    return float(np.median([np.mean(v) for v in _as_list(scores)]))


def probability_of_improvement(scores_x, scores_y):
    """P(X > Y) averaged over games; each game's is P(x > y) + P(x = y) / 2 over all run pairs.

    ``scores_x`` and ``scores_y`` are ``{game: runs}`` over the same games.
    """
    games = _common_games(scores_x, scores_y)
    per_game = []
    for game in games:
        x = np.asarray(scores_x[game], dtype=float)[:, None]
        y = np.asarray(scores_y[game], dtype=float)[None, :]
        per_game.append(np.mean(x > y) + 0.5 * np.mean(x == y))
    return float(np.mean(per_game))


def performance_profile(scores, thresholds):
    """Fraction of runs whose score exceeds each threshold, averaged over games."""
    thresholds = np.asarray(thresholds, dtype=float)
    per_game = [np.mean(np.asarray(v, dtype=float)[:, None] > thresholds[None, :], axis=0) for v in _as_list(scores)]
    return np.mean(per_game, axis=0)


def _as_list(scores):
    return list(scores.values()) if isinstance(scores, dict) else list(scores)


def _common_games(*score_dicts):
    games = sorted(set.intersection(*(set(d) for d in score_dicts)))
    if not games:
        raise ValueError('the score sets have no game in common.')
    return games


def stratified_resample(scores, rng):
    """One bootstrap replicate: each game's runs drawn with replacement, as many as it has."""
    return {game: np.asarray(v)[rng.integers(0, len(v), size=len(v))] for game, v in scores.items()}


def bootstrap_interval(statistic, *score_dicts, reps=2000, confidence=0.95, seed=0):
    """``(point, low, high)``: ``statistic(*score_dicts)`` and its stratified-bootstrap percentile interval.

    Each score dict is resampled independently, game by game.
    """
    if reps < 1:
        raise ValueError(f'reps={reps} is not allowed: it must be >= 1.')
    if not 0 < confidence < 1:
        raise ValueError(f'confidence={confidence} is not allowed: it must be in (0, 1).')
    for scores in score_dicts:
        empty = [game for game, v in scores.items() if len(v) == 0]
        if empty or not scores:
            raise ValueError(f'no runs to bootstrap for {empty or "any game"}.')
    rng = np.random.default_rng(seed)
    point = statistic(*score_dicts)
    replicates = np.array([statistic(*(stratified_resample(s, rng) for s in score_dicts)) for _ in range(reps)])
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(replicates, [tail, 100 - tail])
    return float(point), float(low), float(high)
