"""Per-game normalised scores: human-normalised Atari, random-anchored MinAtar.

Atari: (score - random) / (human - random), with the per-game random and human
scores of ``lrrl/data/atari_reference_scores.csv`` (its header names the
source). Game names match ale-py's (``'Pong'``, ``'SpaceInvaders'``); case,
spaces and underscores are ignored.

MinAtar has no human scores. Its games carry their own names in the analysis
(``minatar_game_label``: ``'breakout'`` is ``'Breakout-MinAtar'``), so no
MinAtar score is ever read against an Atari reference. Their random-policy
scores ship in ``lrrl/data/minatar_reference_scores.csv``, measured by the
command in its header; the upper anchor is chosen by the report
(``lrrl.analysis.estimates.normalized_scores``, docs/minatar.md).
"""

import functools
import os
import time

import numpy as np
import pandas as pd

from lrrl import run_description

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'data')
REFERENCE_SCORES = os.path.join(DATA, 'atari_reference_scores.csv')
MINATAR_REFERENCE_SCORES = os.path.join(DATA, 'minatar_reference_scores.csv')
# The analysis's MinAtar game names, with the run folder's reading (lrrl.run_description).
MINATAR_SUFFIX = run_description.MINATAR_SUFFIX
minatar_game_label = run_description.minatar_game_label


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


def is_minatar(game):
    return str(game).endswith(MINATAR_SUFFIX)


@functools.cache
def minatar_random_scores(path=MINATAR_REFERENCE_SCORES):
    """``{MinAtar game label: mean return of a uniform random policy}``."""
    if not os.path.exists(path):
        return {}
    table = pd.read_csv(path, comment='#')
    return {minatar_game_label(row.game): float(row.random) for row in table.itertuples()}


def write_minatar_reference_scores(path, environment_results, command, date=None):
    """Writes ``lrrl/data/minatar_reference_scores.csv`` from ``lrrl.bench``'s environment-alone results."""
    from lrrl import atomic  # pylint: disable=g-import-not-at-top

    lines = [
        '# Per-game mean return of a uniform random policy on MinAtar (minatar 1.0.15; sticky actions 0.25,',
        '# difficulty ramping on, the settings of configs/agents/*_minatar.gin), over whole episodes.',
        f'# Measured on {date or time.strftime("%Y-%m-%d")} by: {command}',
        '# (results/bench/minatar.md). MinAtar has no human scores: the report anchors each game',
        '# at this random score and at the best fixed-rate baseline of the same report (docs/minatar.md).',
        '# Games are named as minatar names them (create_minatar_environment.game_name).',
        'game,random,random_sem,episodes,mean_length',
    ]
    for game, e in sorted(environment_results.items()):
        lines.append(f'{game},{e["mean_return"]:.4f},{e["sem_return"]:.4f},{e["episodes"]},{e["mean_length"]:.1f}')
    atomic.write_text(path, '\n'.join(lines) + '\n')
    minatar_random_scores.cache_clear()
    return path
