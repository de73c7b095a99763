"""Do two agents train alike? An equivalence check with a margin fixed in advance.

The library behind ``python -m lrrl.fidelity``. Two cells of one sweep (e.g.
``configs/experiments/fidelity_cartpole_jax_tf.toml``: Dopamine's JAX DQN and
the harness's TF DQN, same settings) are compared on each score of
``lrrl.analysis.scores`` (final return, AUC) over their seeds:

- the difference of means (candidate - reference) and its Welch t-interval at
  ``confidence`` (two one-sided tests at (1 - confidence) / 2 each);
- **equivalent** when the interval lies inside ±``margin``; **different**
  when it excludes 0 (both, said together, when both hold); otherwise **not
  shown**, with the interval's half-width: the smallest difference these
  seeds could have told apart from 0.

The margin and the confidence are the rule's and must be written down before
the runs (the sweep file says them). The intervals are ``lrrl.analysis.small_sample``'s
(Welch's for the difference, Student's t for each cell's mean), whose coverage at
a few seeds, bimodal CartPole-like scores included, ``tests/analysis/test_small_sample.py``
measures; a percentile bootstrap does not hold it at that size.
"""

import numpy as np

from lrrl.analysis import loading
from lrrl.analysis import scores as scores_lib
from lrrl.analysis import small_sample

COMPARED_SCORES = ('final_return', 'auc')


def verdict(low, high, margin):
    """The rule's verdict for the interval [low, high] of a difference (both can hold: said together)."""
    equivalent = -margin < low and high < margin
    different = low > 0 or high < 0
    if equivalent and different:
        return 'equivalent (a difference inside the margin)'
    if equivalent:
        return 'equivalent'
    if different:
        return 'different'
    return 'not shown'


def compare(
    runs,
    axis,
    reference,
    candidate,
    margin,
    confidence=0.95,
    final_iterations=scores_lib.FINAL_ITERATIONS,
    archived=(),
    seeds=None,
):
    """The check on the finished runs under ``runs`` whose ``axis`` label is ``reference`` or ``candidate``.

    ``archived``: records of runs whose folders are gone (``loading.archived_runs``), read as if found.
    ``seeds``: the rule's seeds. Only these are read, and each cell must hold a finished
    run of every one: a look at fewer seeds than the rule names is not the rule's look,
    and a look at more (a later look's seeds, once archived) is not the earlier one.
    None reads every finished run.
    Returns a dict: the cells' scores per seed and, per score, the difference, its interval and the verdict.
    """
    tables = loading.load_runs(runs, archived)
    column = axis if axis in tables.runs.columns else f'label:{axis}'
    if column not in tables.runs.columns:
        raise ValueError(f'no run under {runs} has the label {axis!r}.')
    scores = scores_lib.run_scores(tables, final_iterations)
    finished = scores[scores['finished'].astype(bool)] if 'finished' in scores.columns else scores
    cells = {}
    for label in (reference, candidate):
        cell = finished[finished[column] == label].sort_values('seed')
        if seeds is not None:
            missing = sorted(set(seeds) - {int(s) for s in cell['seed']})
            if missing:
                shown = ', '.join(map(str, missing[:10])) + (', ...' if len(missing) > 10 else '')
                raise ValueError(
                    f'{axis} = {label!r}: {len(missing)} of the {len(set(seeds))} seeds the rule names have no '
                    f'finished run among those read (seeds {shown}); the look is taken when all have finished.'
                )
            cell = cell[cell['seed'].isin(list(seeds))]
        if len(cell) < 2:
            raise ValueError(f'{axis} = {label!r}: {len(cell)} finished run(s) under {runs}; at least two are needed.')
        cells[label] = {
            'seeds': [int(s) for s in cell['seed']],
            **{score: [float(v) for v in cell[score]] for score in COMPARED_SCORES},
        }
    comparisons = {}
    for score in COMPARED_SCORES:
        welch = small_sample.welch(cells[candidate][score], cells[reference][score], confidence)
        comparisons[score] = {
            'difference': welch.estimate,
            'low': welch.low,
            'high': welch.high,
            'dof': welch.df,
            'half_width': (welch.high - welch.low) / 2,
            'verdict': verdict(welch.low, welch.high, margin),
            # What a rerun would need to show equivalence with power 0.8 if the agents were alike.
            'equivalence_seeds_needed': small_sample.equivalence_seeds_needed(
                float(np.std(cells[candidate][score], ddof=1)),
                float(np.std(cells[reference][score], ddof=1)),
                margin,
                confidence,
            ),
        }
    return {
        'axis': axis,
        'reference': reference,
        'candidate': candidate,
        'margin': margin,
        'confidence': confidence,
        'final_iterations': final_iterations,
        'unfinished': int(len(scores) - len(finished)),
        'cells': cells,
        'comparisons': comparisons,
    }


def report_text(result, command, scale):
    """The Markdown table of ``compare``'s result, with the command that made it and the runs' scale."""
    confidence = result['confidence']
    level = f'{confidence:.0%}'
    names = scores_lib.SCORE_NAMES
    lines = [
        f'# Fidelity: {result["candidate"]} against {result["reference"]}',
        '',
        f'Command: `{command}`. Scale: {scale}.',
        '',
        f'Rule (fixed before the runs): equivalent when the {level} Welch t-interval of the difference of '
        f'means ({result["candidate"]} - {result["reference"]}) lies inside ±{result["margin"]:g}; different '
        'when it excludes 0; otherwise not shown.',
        '',
        '| cell | runs | seeds | '
        + ' | '.join(f'{names[s]}, mean [{level} t-interval]' for s in COMPARED_SCORES)
        + ' |',
        '|---|---|---|' + '---|' * len(COMPARED_SCORES),
    ]
    for label in (result['reference'], result['candidate']):
        cell = result['cells'][label]
        seeds = cell['seeds']
        contiguous = seeds == list(range(seeds[0], seeds[-1] + 1))
        seed_text = f'{seeds[0]}-{seeds[-1]}' if contiguous else ', '.join(map(str, seeds))
        intervals = [
            '{:.1f} [{:.1f}, {:.1f}]'.format(*small_sample.t_interval(cell[score], confidence))
            for score in COMPARED_SCORES
        ]
        lines.append(f'| {label} | {len(seeds)} | {seed_text} | ' + ' | '.join(intervals) + ' |')
    lines += [
        '',
        f'| score | difference of means | {level} Welch interval | half-width | '
        f'verdict (margin ±{result["margin"]:g}) | seeds a cell to show equivalence, power 0.8 |',
        '|---|---|---|---|---|---|',
    ]
    for score in COMPARED_SCORES:
        c = result['comparisons'][score]
        needed = c.get('equivalence_seeds_needed')
        lines.append(
            f'| {names[score]} | {c["difference"]:+.1f} | [{c["low"]:+.1f}, {c["high"]:+.1f}] | '
            f'{c["half_width"]:.1f} | **{c["verdict"]}** | {needed if needed else "more than 10,000"} |'
        )
    lines += [
        '',
        'Seeds to show equivalence: the fewest seeds per cell at which, if the agents trained alike (a '
        'true difference of 0) with these cells\' spreads, the interval would lie inside the margin with '
        'probability 0.8 (lrrl.analysis.small_sample.equivalence_seeds_needed).',
        '',
        f'Final return: mean training return over the last {result["final_iterations"]} iterations; AUC: mean '
        'training return over all iterations (lrrl/analysis/scores.py).',
    ]
    if result['unfinished']:
        lines.append(f'{result["unfinished"]} unfinished run(s) under the folder were left out.')
    return '\n'.join(lines) + '\n'
