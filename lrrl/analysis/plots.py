"""The report's figures (matplotlib, Agg): learning curves, LRRL's rates, aggregates.

Each function takes the long tables of ``lrrl.analysis`` and returns the
matplotlib figure, so tests can read the plotted data back (lines, the shaded
band, the heatmap's array). ``save`` writes a PNG atomically and closes it.
"""

import textwrap

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # after choosing the backend
import numpy as np

from lrrl import atomic


def save(fig, path, dpi=100):
    """Writes the figure as PNG (atomically) and closes it."""
    atomic.save_figure(fig, path, dpi=dpi)
    plt.close(fig)
    return path


def _by_iteration(iterations, column):
    """Iteration x run matrix of ``column``; runs shorter than others leave NaN."""
    return iterations.pivot_table(index='iteration', columns='run_dir', values=column, aggfunc='first').sort_index()


def mean_and_std_over_runs(iterations, column='train_return'):
    """Per iteration: mean and std over the runs that reached it, and how many did."""
    matrix = _by_iteration(iterations, column)
    return matrix.mean(axis=1), matrix.std(axis=1, ddof=1).fillna(0.0), matrix.notna().sum(axis=1)


def learning_curves(iterations, title=''):
    """Mean training return per iteration, one line per method, shaded mean ± std over seeds."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for method, runs in iterations.groupby('method', sort=True):
        mean, std, _ = mean_and_std_over_runs(runs)
        (line,) = ax.plot(
            mean.index, mean.to_numpy(), marker='o', markersize=3, label=f'{method} (n={runs["run_dir"].nunique()})'
        )
        ax.fill_between(mean.index, (mean - std).to_numpy(), (mean + std).to_numpy(), alpha=0.2, color=line.get_color())
    ax.set_xlabel('iteration')
    ax.set_ylabel('mean training return')
    ax.set_title(title or 'learning curves (mean ± std over seeds)')
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def arm_probabilities(iterations):
    """Arms x iterations matrix of the end-of-iteration arm probabilities, averaged over runs."""
    columns = sorted((c for c in iterations.columns if c.startswith('p_')), key=lambda c: int(c[2:]))
    columns = [c for c in columns if iterations[c].notna().any()]
    return np.stack([_by_iteration(iterations, c).mean(axis=1).to_numpy() for c in columns]), columns


def learning_rates(iterations, candidates, title=''):
    """LRRL over training: the rate used per iteration and a heatmap of arm probabilities, averaged over seeds.

    ``candidates``: the rates of the arms, in arm order (for the heatmap's rows);
    None when the arms are schedules (rows named by arm index).
    The rate line is the geometric mean over seeds of each run's geometric mean
    rate over the iteration's training episodes.
    """
    fig, (ax_rate, ax_heat) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    log_rates = _by_iteration(iterations.assign(log_rate=np.log10(iterations['learning_rate'])), 'log_rate')
    mean_log = log_rates.mean(axis=1)
    ax_rate.plot(
        mean_log.index, 10 ** mean_log.to_numpy(), marker='o', markersize=3, label='rate used (mean over seeds)'
    )
    for rate in candidates or ():
        ax_rate.axhline(rate, color='gray', linewidth=0.5, linestyle=':')
    ax_rate.set_yscale('log')
    ax_rate.set_ylabel('learning rate')
    ax_rate.legend(fontsize=8)
    probabilities, _ = arm_probabilities(iterations)
    first, last = mean_log.index.min(), mean_log.index.max()
    image = ax_heat.imshow(
        probabilities,
        aspect='auto',
        origin='lower',
        vmin=0,
        vmax=1,
        cmap='viridis',
        extent=(first - 0.5, last + 0.5, -0.5, len(probabilities) - 0.5),
        interpolation='nearest',
    )
    ax_heat.set_yticks(range(len(probabilities)))
    if candidates is None:
        ax_heat.set_yticklabels([f'arm {k}' for k in range(len(probabilities))])
        ax_heat.set_ylabel('arm (schedule)')
    else:
        ax_heat.set_yticklabels([f'{r:.3g}' for r in candidates[: len(probabilities)]])
        ax_heat.set_ylabel('arm (learning rate)')
    ax_heat.set_xlabel('iteration')
    fig.colorbar(image, ax=ax_heat, label='probability (mean over seeds)')
    ax_rate.set_title(title or 'learning rate chosen by LRRL')
    fig.tight_layout()
    return fig


def aggregate(estimates, thresholds, profiles, score_label):
    """IQM bars with their 95% intervals, and performance profiles with their bands, one entry per method.

    ``estimates``: rows with ``method``, ``iqm``, ``iqm_low``, ``iqm_high``;
    ``profiles``: ``{method: (profile, low, high)}`` over ``thresholds``
    (``lrrl.analysis.intervals.performance_profiles``).
    """
    fig, (ax_bar, ax_profile) = plt.subplots(1, 2, figsize=(11, 4))
    methods = list(estimates['method'])
    iqm = estimates['iqm'].to_numpy(dtype=float)
    errors = np.stack(
        [iqm - estimates['iqm_low'].to_numpy(dtype=float), estimates['iqm_high'].to_numpy(dtype=float) - iqm]
    )
    ax_bar.barh(range(len(methods)), iqm, xerr=errors, capsize=4, color='tab:blue', alpha=0.7)
    ax_bar.set_yticks(range(len(methods)))
    ax_bar.set_yticklabels(methods, fontsize=8)
    # Wrapped: the score label is long and the two panels' labels would overlap.
    ax_bar.set_xlabel(textwrap.fill(f'IQM of {score_label} (95% stratified bootstrap CI)', 60))
    for method in methods:
        profile, low, high = profiles[method]
        (line,) = ax_profile.plot(thresholds, profile, label=method)
        ax_profile.fill_between(thresholds, low, high, alpha=0.2, color=line.get_color())
    ax_profile.set_xlabel(textwrap.fill(f'{score_label}: threshold τ', 60))
    ax_profile.set_ylabel('fraction of runs with score > τ')
    ax_profile.set_title('performance profile (95% CI)')
    ax_profile.legend(fontsize=8)
    fig.tight_layout()
    return fig
