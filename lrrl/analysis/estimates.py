"""The paper's reported values beside ours, and the estimates across games (rliable).

``paper_values`` finds the value the paper reports for a cell
(``lrrl/data/paper_reported.csv``); ``normalized_scores`` turns per-run scores
into human-normalised ones per game; ``group_estimates`` gives IQM, mean and
probability of improvement with rliable's stratified-bootstrap intervals
(through ``lrrl.analysis.intervals``, the only adapter to rliable).
"""

import os

import numpy as np
import pandas as pd

from lrrl.analysis import intervals
from lrrl.analysis import normalization
from lrrl.analysis import scores as scores_lib

PAPER_REPORTED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'data', 'paper_reported.csv')
# The paper's scale per agent: iterations x agent steps per iteration. DQN and
# IQN: 200 x 250k agent steps (200M Atari frames). PPO: 1M environment steps on
# MuJoCo (assumed; configs/agents/ppo_mujoco.gin, docs/ppo.md).
PAPER_ITERATIONS = 200
PAPER_TRAINING_STEPS = 250_000
PAPER_SCALE = {'ppo': (100, 10_000)}


def paper_scale(agent):
    """(iterations, training steps per iteration) of the paper's runs for ``agent``."""
    return PAPER_SCALE.get(agent, (PAPER_ITERATIONS, PAPER_TRAINING_STEPS))


def at_paper_scale(agent, num_iterations, training_steps):
    """Whether runs of this length are at least as long as the paper's (total agent steps)."""
    iterations, steps = paper_scale(agent)
    return num_iterations * training_steps >= iterations * steps


LRRL_CONTROLLER = 'BanditLearningRate'
# Bandits that are baselines, not LRRL: a uniformly random arm every round.
BASELINE_BANDITS = ('UniformBandit',)


def lrrl_methods(runs):
    """The methods whose rate a learning bandit chooses (``UniformBandit`` is a baseline)."""
    bandit = runs['bandit'] if 'bandit' in runs.columns else pd.Series('', index=runs.index)
    chosen = (runs['controller'] == LRRL_CONTROLLER) & ~bandit.isin(BASELINE_BANDITS)
    return set(runs.loc[chosen, 'method'])


MINATAR_SCALE = '0 = random policy, 1 = best fixed rate (MinAtar)'
MINATAR_NOTE = (
    'MinAtar games have no human scores: their aggregates normalise each game between the random policy '
    '(0; lrrl/data/minatar_reference_scores.csv) and the best fixed-rate baseline of the same group (1), '
    'so they say how LRRL compares with a tuned fixed rate at the same budget (docs/minatar.md).'
)


def paper_values(cells, runs, path=PAPER_REPORTED):
    """The paper's reported value for each cell where known, and whether the runs are at its scale.

    ``best_fixed`` rows go to the fixed-rate method with the highest mean in
    that agent and game.
    """
    reported = pd.read_csv(path, comment='#')
    text = pd.Series('', index=cells.index)
    controller = runs.groupby('method')['controller'].first()
    for row in reported.itertuples():
        here = cells[(cells['agent'].astype(str) == row.agent) & (cells['game'].astype(str) == row.game)]
        if row.method == 'best_fixed':
            fixed = here[here['method'].map(controller) == 'FixedLearningRate']
            targets = [fixed['max_average_return_mean'].idxmax()] if len(fixed) else []  # as the paper chose it
        else:
            targets = list(here.index[here['method'] == row.method])
        value = f'{row.mean:,.0f}' + (f' ± {row.std:,.0f}' if not pd.isna(row.std) else '')
        for index in targets:
            cell_runs = runs[
                (runs['agent'] == row.agent)
                & (runs['game'] == row.game)
                & (runs['method'] == cells.loc[index, 'method'])
            ]
            at_scale = all(
                at_paper_scale(row.agent, r.num_iterations, r.training_steps) for r in cell_runs.itertuples()
            )
            text[index] = f'{value} ({row.description}{"" if at_scale else "; different scale"})'
    return text


# ---------------------------------------------------------------------------
# Across games.


def normalized_scores(scores, score='final_return'):
    """``{method: {game: per-run scores}}`` for one aggregate group, what the scores are, and the games left out.

    Each game's scores are a ``pd.Series`` indexed by seed (``None`` where the
    seed is unknown), so runs can be matched across games.
    Human-normalised over the games with Atari reference scores. MinAtar games
    (no human scores; docs/minatar.md) are normalised per game between the
    random policy's score (``lrrl/data/minatar_reference_scores.csv``) and the
    best fixed-rate baseline's mean in this group (``minatar_anchors``). A
    group whose only game has no reference (CartPole) is aggregated on raw
    scores; games without reference scores beside games with them are left
    out (and reported).
    """
    name = scores_lib.SCORE_NAMES.get(score, score)
    games = sorted(scores['game'].astype(str).unique())
    known = [g for g in games if normalization.has_reference(g) and not normalization.is_minatar(g)]
    anchors = minatar_anchors(scores, score) if not known and any(map(normalization.is_minatar, games)) else {}
    if known:
        label, used, left_out = f'human-normalised {name}', known, sorted(set(games) - set(known))
    elif anchors:
        label = f'{name} normalised per game: {MINATAR_SCALE}'
        used, left_out = sorted(anchors), sorted(set(games) - set(anchors))
    elif len(games) == 1:
        why = 'no fixed rate beats the random policy' if normalization.is_minatar(games[0]) else 'no reference scores'
        label, used, left_out = f'{name} on {games[0]} (raw: {why})', games, []
    else:
        return None, None, games
    by_method = {}
    for (method, game), runs in scores[scores['game'].astype(str).isin(used)].groupby(['method', 'game']):
        runs = runs[runs[score].notna()]
        if len(runs):
            values = runs[score].to_numpy(dtype=float)
            seeds = pd.Index([int(s) if pd.notna(s) else None for s in runs['seed']], dtype=object, name='seed')
            if known:
                values = normalization.human_normalized(values, game)
            elif anchors:
                low, high = anchors[game]
                values = (values - low) / (high - low)
            by_method.setdefault(method, {})[game] = pd.Series(values, index=seeds)
    return by_method, label, left_out


def minatar_anchors(scores, score='final_return'):
    """``{MinAtar game: (random score, best fixed-rate mean)}`` for the games that have both.

    MinAtar has no human scores, and no published agent score is shipped for
    it (docs/minatar.md): 1 is the best fixed rate of the same group, i.e. the
    tuned-rate baseline the paper's tables compare LRRL with, at the same
    budget. A game whose best fixed rate does not beat the random policy has
    no scale and is left out.
    """
    random_scores = normalization.minatar_random_scores()
    anchors = {}
    if 'controller' not in scores.columns:
        return anchors
    fixed = scores[scores['controller'] == 'FixedLearningRate']
    for game, runs in fixed[fixed[score].notna()].groupby(fixed['game'].astype(str)):
        if game not in random_scores:
            continue
        best = float(runs.groupby('method')[score].mean().max())
        if best > random_scores[game]:
            anchors[game] = (random_scores[game], best)
    return anchors


def _left_out_text(matrix):
    return '; '.join(
        f'{game} seed{"s" if len(seeds) > 1 else ""} {",".join("unknown" if s is None else str(s) for s in seeds)}'
        for game, seeds in sorted(matrix.left_out.items())
    )


def group_estimates(group_name, by_method, lrrl_methods, reps, seed):
    """rliable's estimates for one group: IQM/mean intervals, probabilities of improvement, and notes.

    rliable needs the same runs on every game: each method's matrix keeps the
    seeds all its games have (``intervals.score_matrix``); the runs left out
    are named in the notes. A method with no seed common to its games is left
    out of the group's tables, and said so.
    """
    notes = []
    matrices = {}
    for method, by_game in sorted(by_method.items()):
        matrix = intervals.score_matrix(by_game)
        if matrix.left_out and not matrix.seeds:
            notes.append(
                f'{group_name}, {method}: left out of the aggregates: no seed is common to its games '
                f'({_left_out_text(matrix)}; rliable needs the same runs on every game).'
            )
        elif matrix.left_out:
            notes.append(
                f'{group_name}, {method}: the aggregates use the seeds all its games have '
                f'({",".join(str(s) for s in matrix.seeds)}); left out: {_left_out_text(matrix)} '
                '(rliable needs the same runs on every game).'
            )
        if len(matrix.seeds):
            matrices[method] = matrix
    aggregate = intervals.aggregate_intervals(matrices, reps, seed) if matrices else pd.DataFrame()
    rows = []
    for method in sorted(m for m in matrices if m in lrrl_methods):
        for baseline in sorted(m for m in matrices if m not in lrrl_methods):
            games = sorted(set(matrices[method].games) & set(matrices[baseline].games))
            if not games:
                continue
            x, y = (
                m if m.games == games else intervals.score_matrix(by_method[name], games)
                for name, m in ((method, matrices[method]), (baseline, matrices[baseline]))
            )
            if not (len(x.seeds) and len(y.seeds)):
                continue
            if x is not matrices[method] or y is not matrices[baseline]:
                notes.append(
                    f'{group_name}, P({method} > {baseline}): on the games both have ({", ".join(games)}), '
                    f'seeds {",".join(str(s) for s in x.seeds)} vs {",".join(str(s) for s in y.seeds)}.'
                )
            p, low, high = intervals.improvement_interval(x, y, reps, seed)
            row = {'method': method, 'baseline': baseline, 'games': len(games), 'probability': p}
            rows.append({**row, 'low': low, 'high': high})
    improvement = pd.DataFrame(rows, columns=['method', 'baseline', 'games', 'probability', 'low', 'high'])
    return matrices, aggregate, improvement, notes


def profile_thresholds(matrices, count=101):
    """Evenly spaced thresholds over the range of all scores, 5% margin either side."""
    values = np.concatenate([m.matrix.ravel() for m in matrices.values()])
    low, high = float(np.min(values)), float(np.max(values))
    span = high - low or 1.0
    return np.linspace(low - 0.05 * span, high + 0.05 * span, count)
