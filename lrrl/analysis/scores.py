"""Scores per run and per cell of a table (no TensorFlow)."""

import numpy as np
import pandas as pd

# The primary scores first: final return and area under the curve measure where
# a run ends and how it got there; the paper's max average return is reported
# beside them but is biased upward, more for unstable methods (a run that
# climbs then collapses scores like one that stays up: docs/method.md).
SCORES = ('final_return', 'auc', 'max_average_return')
PRIMARY_SCORE = 'final_return'
FINAL_ITERATIONS = 10
SCORE_NAMES = {'final_return': 'final return', 'auc': 'AUC', 'max_average_return': 'max average return'}


def score_definitions(final_iterations=FINAL_ITERATIONS):
    """What each score is, for the report's text."""
    return {
        'final_return': f'mean training return over the last {final_iterations} logged iterations (fewer if the run '
        'has fewer)',
        'auc': 'area under the training curve, as the mean over logged iterations of the mean training return',
        'max_average_return': "max over iterations of the mean training return of the iteration (the paper's metric; "
        'biased upward, more for unstable methods, so it is not a primary score here)',
    }


def run_scores(tables, final_iterations=FINAL_ITERATIONS):
    """One row per run: its settings and the three scores, from its logged iterations."""
    if isinstance(final_iterations, bool) or not isinstance(final_iterations, int) or final_iterations < 1:
        raise ValueError(f'final_iterations = {final_iterations!r} is not allowed: it must be an integer >= 1.')
    runs = tables.runs.set_index('run_dir')
    if tables.iterations.empty:
        scores = pd.DataFrame(index=runs.index, columns=list(SCORES), dtype=float)
    else:
        by_run = tables.iterations.sort_values('iteration').groupby('run_dir')['train_return']
        scores = pd.DataFrame(
            {
                'final_return': by_run.apply(lambda returns: returns.tail(final_iterations).mean()),
                'auc': by_run.mean(),
                'max_average_return': by_run.max(),
            }
        )
    return runs.join(scores).reset_index()


def cell_table(tables, scores=None):
    """Per cell (agent, game, method, ...): mean and std over seeds of each score.

    Also: ``n_seeds``, ``n_iterations`` (the range over its runs, e.g. ``3`` or
    ``2-3``), ``n_unfinished``, ``missing_seeds`` (seeds other cells of the same
    game have and this one lacks), ``best`` (see ``best_in_game``) and
    ``best_fixed_after_the_fact`` (the fixed rate with the highest mean primary
    score in its game: chosen on the same seeds it is scored on, so an
    optimistic baseline). Runs with no logged iteration count in
    ``n_runs_without_data`` but not in the scores.
    """
    scores = run_scores(tables) if scores is None else scores
    keys = [c for c in tables.cell_columns if c in scores.columns]
    scores = scores.copy()
    for key in keys:
        scores[key] = scores[key].astype(object).where(scores[key].notna(), '')
    rows = []
    for cell, group in scores.groupby(keys, sort=True, dropna=False):
        cell = dict(zip(keys, cell if isinstance(cell, tuple) else (cell,)))
        with_data = group[group['iterations_logged'] > 0]
        row = dict(cell)
        for score in SCORES:
            values = with_data[score].astype(float)
            row[f'{score}_mean'] = values.mean() if len(values) else np.nan
            row[f'{score}_std'] = values.std(ddof=1) if len(values) > 1 else np.nan
        logged = sorted(set(with_data['iterations_logged'].astype(int)))
        row['n_seeds'] = len(with_data)
        row['n_iterations'] = '' if not logged else str(logged[0]) if len(logged) == 1 else f'{logged[0]}-{logged[-1]}'
        row['n_unfinished'] = int((~group['finished'].astype(bool)).sum())
        row['n_runs_without_data'] = int(len(group) - len(with_data))
        row['seeds'] = ','.join(str(s) for s in sorted(group['seed'].dropna().astype(int).unique()))
        rows.append(row)
    table = pd.DataFrame(rows)
    table['missing_seeds'] = ''
    game_keys = [k for k in keys if k != 'method']
    for _, group in table.groupby(game_keys, sort=False, dropna=False):
        all_seeds = set().union(*(set(s.split(',')) - {''} for s in group['seeds']))
        for index, seeds in group['seeds'].items():
            missing = sorted(all_seeds - set(seeds.split(',')), key=lambda s: int(s))
            table.loc[index, 'missing_seeds'] = ','.join(missing)
    table['best'] = best_in_game(table, game_keys)
    table['best_fixed_after_the_fact'] = False
    if 'controller' in scores.columns:
        controller = scores.groupby('method')['controller'].first()
        fixed = table[table['method'].map(controller) == 'FixedLearningRate']
        for _, group in fixed.groupby(game_keys, sort=False, dropna=False):
            means = group[f'{PRIMARY_SCORE}_mean']
            if means.notna().any() and len(group) > 1:
                table.loc[means.idxmax(), 'best_fixed_after_the_fact'] = True
    return table


def best_in_game(table, game_keys, score=PRIMARY_SCORE):
    """True for the method whose mean ± std interval lies above every other method's in its game.

    The interval is the one the table prints (mean ± std over seeds); a cell
    with one seed has no interval and is never best.
    """
    best = pd.Series(False, index=table.index)
    for _, group in table.groupby(game_keys, sort=False, dropna=False):
        if len(group) < 2:
            continue
        means, stds = group[f'{score}_mean'], group[f'{score}_std']
        if means.isna().all() or stds.isna().any():
            continue
        top = means.idxmax()
        low = means[top] - stds[top]
        others_high = (means + stds).drop(top)
        if (low > others_high).all():
            best[top] = True
    return best
