"""Reads one run folder back: per-iteration returns, arm shares, a plot.

Used by the demo and by ``python -m lrrl.run_summary --run_dir=DIR``. It reads
``lr_trace.csv`` (written by the runner) and Dopamine's latest ``logs/log_N``
pickle through ``lrrl.run_folder``; no TensorFlow.
"""

import os

import numpy as np
import pandas as pd

from lrrl import atomic
from lrrl import run_folder


def arm_labels(episodes, candidates=None):
    """A name per arm: its rate when each arm kept one distinct rate, else 'arm k'.

    Schedule arms change their rate over time, and several may start equal.
    An arm no episode ended on is named by ``candidates`` (the rates the logs
    record) when given.
    """
    num_arms = sum(1 for c in episodes.columns if c.startswith('p_'))
    rates = episodes.groupby('arm')['learning_rate']
    played = rates.first()
    labels = [
        f'{played[k]:.3g}'
        if k in played.index
        else f'{candidates[k]:.3g}'
        if candidates is not None and len(candidates) == num_arms
        else f'arm {k}'
        for k in range(num_arms)
    ]
    if len(set(labels)) < num_arms or (rates.nunique() > 1).any():
        return [f'arm {k}' for k in range(num_arms)]
    return labels


def iteration_table(run_dir):
    """One row per iteration: returns, episodes, and the share of each arm.

    The share is of the iteration's training steps when the logs count the
    agent steps on each arm (a bandit whose rounds are agent steps switches
    rates mid-episode), else of its training episodes; ``table.attrs['share_of']``
    says which.
    """
    episodes = run_folder.read_trace(run_dir)
    grouped = episodes.groupby('iteration')
    table = pd.DataFrame(
        {
            'train_return': grouped['return'].mean(),
            'episodes': grouped.size(),
        }
    )
    logs = run_folder.read_dopamine_log(run_dir)
    steps = {i: s['learning_rate_arm_steps'][0] for i, s in logs.items() if s.get('learning_rate_arm_steps')}
    by_steps = bool(steps) and set(table.index) <= set(steps)
    candidates = next(
        (s['learning_rate_candidates'][0] for _, s in sorted(logs.items()) if s.get('learning_rate_candidates')), None
    )
    for k, label in enumerate(arm_labels(episodes, candidates)):
        if by_steps:
            table[f'share {label}'] = pd.Series({i: steps[i][k] / max(sum(steps[i]), 1) for i in table.index})
        else:
            table[f'share {label}'] = grouped['arm'].apply(lambda arms, k=k: float(np.mean(arms == k)))
    table.attrs['share_of'] = 'steps' if by_steps else 'episodes'
    evals = {i: s['eval_average_return'][0] for i, s in logs.items() if s.get('eval_average_return')}
    if evals:
        table['eval_return'] = pd.Series(evals)
    table.index.name = 'iteration'
    return table


def plot_run(run_dir, path=None):
    """Return curve over the chosen rate and the arm probabilities; a PNG."""
    import matplotlib  # pylint: disable=g-import-not-at-top

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top

    episodes = run_folder.read_trace(run_dir)
    table = iteration_table(run_dir)
    arm_columns = sorted((c for c in episodes.columns if c.startswith('p_')), key=lambda c: int(c[2:]))
    fig, (ax_return, ax_prob) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    ax_return.plot(episodes['agent_step'], episodes['return'], '.', alpha=0.25, label='training episode')
    ends = episodes.groupby('iteration')['agent_step'].max()
    ax_return.plot(ends, table['train_return'], '-o', label='mean training return per iteration')
    if 'eval_return' in table:
        ax_return.plot(ends, table['eval_return'].reindex(ends.index), '-s', label='evaluation return')
    ax_return.set_ylabel('return')
    ax_return.legend(loc='upper left', fontsize=8)
    ax_rate = ax_return.twinx()
    ax_rate.step(episodes['agent_step'], episodes['learning_rate'], where='post', color='gray', alpha=0.4)
    ax_rate.set_yscale('log')
    ax_rate.set_ylabel('learning rate used', color='gray')
    probabilities = episodes[arm_columns].to_numpy()
    ax_prob.stackplot(
        episodes['agent_step'],
        probabilities.T,
        labels=arm_labels(episodes),
        alpha=0.8,
    )
    ax_prob.set_ylim(0, 1)
    ax_prob.set_ylabel('arm probability')
    ax_prob.set_xlabel('agent step')
    ax_prob.legend(title='arm', loc='upper left', fontsize=8)
    fig.suptitle(os.path.basename(os.path.normpath(run_dir)))
    fig.tight_layout()
    path = path or os.path.join(run_dir, 'lr_plot.png')
    atomic.save_figure(fig, path, dpi=100)
    plt.close(fig)
    return path


def format_table(table):
    with pd.option_context('display.width', 120, 'display.max_columns', 20):
        return table.to_string(float_format=lambda v: f'{v:.2f}')
