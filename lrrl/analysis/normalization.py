"""Human-normalised Atari scores: (score - random) / (human - random).

The per-game random and human scores ship as ``lrrl/data/atari_reference_scores.csv``
(its header names the source). Game names match ale-py's (``'Pong'``,
``'SpaceInvaders'``); case, spaces and underscores are ignored.
"""

import functools
import os

import numpy as np
import pandas as pd

REFERENCE_SCORES = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'data', 'atari_reference_scores.csv'
)


def _key(game):
    return str(game).lower().replace('_', '').replace(' ', '')


@functools.cache
def reference_scores(path=REFERENCE_SCORES):
    """``{normalised game name: (random, human)}``."""
    table = pd.read_csv(path, comment='#')
    return {_key(row.game): (float(row.random), float(row.human)) for row in table.itertuples()}


def has_reference(game):
    return _key(game) in reference_scores()


def human_normalized(score, game):
    """``score`` (a number or an array) normalised so that random play is 0 and the human reference 1."""
    scores = reference_scores()
    if _key(game) not in scores:
        raise KeyError(f'no random/human reference score for game {game!r}; known games: {sorted(scores)}.')
    random_score, human_score = scores[_key(game)]
    return (np.asarray(score, dtype=float) - random_score) / (human_score - random_score)
