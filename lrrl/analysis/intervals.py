"""Our per-run scores as rliable's score matrices, and rliable's interval estimates on them.

rliable (Agarwal et al. 2021, "Deep RL at the edge of the statistical
precipice") computes the IQM, the probability of improvement and performance
profiles with 95% stratified-bootstrap intervals. This module only adapts our
data to it:

- rliable takes one ``runs x games`` matrix per method, so every game needs the
  same number of runs. ``score_matrix`` keeps the seeds that every game of the
  method has (one run per seed) and returns the runs it left out, so the report
  can list them instead of dropping them silently.
- rliable's bootstrap draws its indices from numpy's global random state (its
  ``random_state`` argument does not reach the draws), so ``_seeded`` seeds that
  state for the call and restores it afterwards: the same seed gives the same
  intervals, and the caller's random state is left as it was.
"""

import contextlib
import dataclasses

import numpy as np
import pandas as pd
from rliable import library as rly
from rliable import metrics as rly_metrics


@dataclasses.dataclass
class ScoreMatrix:
    """A ``runs x games`` matrix: row ``i`` holds seed ``seeds[i]`` of every game in ``games``."""

    matrix: np.ndarray
    games: list
    seeds: list
    # {game: [seed, ...]} of the runs not in the matrix (a seed some game lacks, or a repeated seed).
    left_out: dict


def score_matrix(by_game, games=None):
    """``ScoreMatrix`` of ``{game: pd.Series of per-run scores indexed by seed}`` over ``games``.

    One game: all its runs. Several: the seeds every game has, one run each (a
    seed launched twice counts once, its first run); runs of other seeds and
    runs whose seed is unknown (``None``) are left out.
    """
    games = sorted(by_game) if games is None else sorted(games)
    if not games:
        raise ValueError('no games to make a score matrix of.')
    runs = {game: pd.Series(by_game[game], dtype=float).dropna() for game in games}
    if len(games) == 1:
        (series,) = runs.values()
        return ScoreMatrix(matrix=series.to_numpy()[:, None], games=games, seeds=list(series.index), left_out={})
    usable = {game: s.index.notna() & ~s.index.duplicated(keep='first') for game, s in runs.items()}
    common = sorted(set.intersection(*(set(s.index[usable[game]]) for game, s in runs.items())))
    matrix = np.zeros((len(common), len(games)))
    left_out = {}
    for column, (game, series) in enumerate(runs.items()):
        kept = usable[game] & series.index.isin(common)
        matrix[:, column] = series[kept].loc[common].to_numpy()
        if not kept.all():
            left_out[game] = [seed if pd.notna(seed) else None for seed in series.index[~kept]]
    return ScoreMatrix(matrix=matrix, games=games, seeds=common, left_out=left_out)


@contextlib.contextmanager
def _seeded(seed):
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _check(reps, *matrices):
    if reps < 1:
        raise ValueError(f'reps={reps} is not allowed: it must be >= 1.')
    for m in matrices:
        if m.matrix.shape[0] == 0:
            raise ValueError(f'no seed is common to the games {", ".join(m.games)}: there is no run to bootstrap.')


def _iqm_and_mean(scores):
    return np.array([rly_metrics.aggregate_iqm(scores), rly_metrics.aggregate_mean(scores)])


def aggregate_intervals(matrices, reps, seed=0):
    """Per method: IQM and mean of its ``ScoreMatrix`` with 95% stratified-bootstrap percentile intervals.

    ``matrices``: ``{method: ScoreMatrix}``. The mean is rliable's: the mean
    over games of each game's mean over runs.
    """
    _check(reps, *matrices.values())
    rows = []
    for method, m in sorted(matrices.items()):
        with _seeded(seed):
            points, cis = rly.get_interval_estimates({method: m.matrix}, _iqm_and_mean, reps=reps)
        (iqm, mean), ((iqm_low, mean_low), (iqm_high, mean_high)) = points[method], cis[method]
        rows.append(
            {
                'method': method,
                'games': len(m.games),
                'runs': int(m.matrix.size),
                'runs_left_out': int(sum(len(v) for v in m.left_out.values())),
                'iqm': float(iqm),
                'iqm_low': float(iqm_low),
                'iqm_high': float(iqm_high),
                'mean': float(mean),
                'mean_low': float(mean_low),
                'mean_high': float(mean_high),
            }
        )
    return pd.DataFrame(rows)


def _probability_of_improvement(scores_x, scores_y):
    return np.array([rly_metrics.probability_of_improvement(scores_x, scores_y)])


def improvement_interval(x, y, reps, seed=0):
    """``(P(X > Y), low, high)``: rliable's probability of improvement of ``x`` over ``y`` and its interval.

    ``x`` and ``y`` are ``ScoreMatrix`` over the same games (their run counts
    may differ: each is resampled on its own, game by game).
    """
    if x.games != y.games:
        raise ValueError(f'the score matrices cover different games: {x.games} and {y.games}.')
    _check(reps, x, y)
    with _seeded(seed):
        points, cis = rly.get_interval_estimates({'x>y': [x.matrix, y.matrix]}, _probability_of_improvement, reps=reps)
    return float(points['x>y'][0]), float(cis['x>y'][0][0]), float(cis['x>y'][1][0])


def performance_profiles(matrices, thresholds, reps, seed=0):
    """rliable's score distributions: per method, the fraction of runs scoring above each threshold, and its interval.

    Returns ``{method: (profile, low, high)}``, each an array over ``thresholds``.
    """
    _check(reps, *matrices.values())
    profiles = {}
    for method, m in sorted(matrices.items()):
        with _seeded(seed):
            points, cis = rly.create_performance_profile({method: m.matrix}, np.asarray(thresholds), reps=reps)
        profiles[method] = (np.asarray(points[method]), np.asarray(cis[method][0]), np.asarray(cis[method][1]))
    return profiles
