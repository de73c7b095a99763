"""How much does a bandit round's feedback tell about the arm it played? (docs/information.md)

A bandit can only prefer an arm if the feedback of the rounds that played it
differs from the feedback of the others. Measured on runs whose arm was drawn
by ``UniformBandit``, the arm of a round is independent of the network's state,
so any dependence of the feedback on the arm is the arm's effect: the signal
*any* bandit fed that feedback could use. This module measures it from the
runs' round records (``rounds.csv``, ``lrrl.run_folder``; or the archived
records, ``lrrl.run_archive``). Pure functions on pandas tables, no TensorFlow.

Each round record yields every signal at once (``round_signals``), as the
controller's feedback classes (``lrrl.control.feedback``) would compute them
from the same round:

- ``return_level``: (f - run min) / run range, the min-max scaled level of
  the round's returns over the run so far (the default of configs/lrrl/bandit.gin
  until issue 28);
- ``return_change``: f_n - f_{n-1}, the change against the previous round (the
  paper's improvement with j = 1, unscaled);
- ``return_paired``: (f_n - the mean return of the episodes that ended just
  before the round began) / run range:
  ``RoundImprovement(baseline='before_round', scale='run_range')``;
- ``loss_current`` and ``loss_frozen``: ln(L_start / L_end) of the TD loss on
  the round's probe batch, with the target network of the round's end or the
  targets of its start, clipped to ±1 (``LossImprovement``);
- ``guard``: -1 for a round that ``DivergenceGuard``'s defaults would
  penalise (loss x10, or |Q| x10 above 1, or non-finite), else 0; its arm
  means are minus the share of each arm's rounds it flags (not standardised);
- ``guarded_*``: the return level, the paired change and the loss decrease
  (current targets) with the guard: -1 where it flags the round.

Per signal and group of runs (one task and round length), ``information``
gives, with every number over the rounds of all runs:

- each arm's mean signal in units of the signal's spread *within its run*
  (each run's signal is standardised, so runs of other scales pool), with a
  95% t-interval over runs (the run, not the round, is the independent unit);
- ``eta2``: the share of the signal's variance the arm explains;
- ``gap``: the best arm's mean minus the worst's, in those units, with a 95%
  interval from a bootstrap over runs, beside ``gap_null``, the gap noise
  alone reaches (95th percentile over the shuffles below: a max-minus-min is
  above 0 even when the arm tells nothing);
- ``p_value``: a randomisation test of arm ⟂ signal: the arms are shuffled
  within each run (exact under uniform arm choice; rounds' serial dependence
  is kept), the statistic is eta2;
- ``rounds_to_tell``: rounds per arm a bandit needs before the best and worst
  arms' mean signals differ by two standard errors (8 / gap²), against the
  rounds per arm a run has (``rounds_per_arm``).
"""

import math

import numpy as np
import pandas as pd
from scipy import stats

SIGNALS = (
    'return_level',
    'return_change',
    'return_paired',
    'loss_current',
    'loss_frozen',
    'guard',
    'guarded_return_level',
    'guarded_return_paired',
    'guarded_loss_current',
)
SIGNAL_TEXT = {
    'return_level': 'return level (f - run min) / run range',
    'return_change': 'return change f_n - f_{n-1}',
    'return_paired': 'return change against the returns just before the round, / run range',
    'loss_current': 'TD-loss decrease ln(L_start / L_end), current targets',
    'loss_frozen': "TD-loss decrease ln(L_start / L_end), the round start's targets",
    'guard': 'divergence guard (-1: loss x10 or |Q| x10 within the round)',
    'guarded_return_level': 'the return level, -1 where the guard flags the round',
    'guarded_return_paired': 'the paired return change, -1 where the guard flags the round',
    'guarded_loss_current': 'the TD-loss decrease (current targets), -1 where the guard flags the round',
}
# LossImprovement's default clip.
LOSS_BOUND = 1.0
# DivergenceGuard's defaults (lrrl.control.feedback).
GUARD_FACTOR = 10.0
GUARD_Q_FLOOR = 1.0


def _run_level(values):
    low = np.minimum.accumulate(values)
    high = np.maximum.accumulate(values)
    span = high - low
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(span > 0, (values - low) / np.where(span > 0, span, 1.0), 0.0)


def _log_ratio(start, end):
    """``LossImprovement``: ln(start / end) clipped to ±1; a non-finite loss (a diverged network) is -1."""
    with np.errstate(invalid='ignore', divide='ignore'):
        ratio = np.clip(np.log(start / end), -LOSS_BOUND, LOSS_BOUND)
    return np.where(np.isfinite(end) & np.isfinite(start), ratio, -LOSS_BOUND)


def round_signals(rounds):
    """Every signal of every round of one run's ``rounds.csv`` (a DataFrame), in round order.

    Returns a DataFrame with ``round``, ``arm``, ``phase`` (the round's end as a
    share of the run's last round end) and one column per signal; NaN where a
    signal is undefined (the first round's change, rounds without a probe).
    """
    rounds = rounds.sort_values('round').reset_index(drop=True)
    values = rounds['value'].to_numpy(dtype=float)
    out = pd.DataFrame({'round': rounds['round'], 'arm': rounds['arm'].astype(int)})
    end = rounds['end_step'].to_numpy(dtype=float)
    out['phase'] = end / end.max() if len(end) and end.max() > 0 else 0.0
    out['return_level'] = _run_level(values)
    out['return_change'] = np.concatenate([[np.nan], np.diff(values)]) if len(values) else []
    before = pd.to_numeric(rounds.get('before', pd.Series(np.nan, index=rounds.index)), errors='coerce')
    span = np.maximum.accumulate(values) - np.minimum.accumulate(values) if len(values) else values
    with np.errstate(invalid='ignore', divide='ignore'):
        paired = (values - before.to_numpy(dtype=float)) / span
    out['return_paired'] = np.where(span > 0, paired, np.where(np.isnan(paired), np.nan, 0.0))
    if 'loss_start' in rounds:
        start = rounds['loss_start'].to_numpy(dtype=float)
        out['loss_current'] = _log_ratio(start, rounds['loss_end'].to_numpy(dtype=float))
        out['loss_frozen'] = _log_ratio(start, rounds['loss_frozen_end'].to_numpy(dtype=float))
        q_start = rounds['q_max_start'].to_numpy(dtype=float)
        q_end = rounds['q_max_end'].to_numpy(dtype=float)
        loss_end = rounds['loss_end'].to_numpy(dtype=float)
        with np.errstate(invalid='ignore'):
            diverged = (
                ~np.isfinite(loss_end)
                | ~np.isfinite(q_end)
                | (loss_end > GUARD_FACTOR * np.maximum(start, 1e-12))
                | (q_end > GUARD_FACTOR * np.maximum(np.nan_to_num(q_start), GUARD_Q_FLOOR))
            )
        out['guard'] = np.where(diverged, -1.0, 0.0)
    else:
        out['guard'] = np.nan
        for name in ('loss_current', 'loss_frozen'):
            out[name] = np.nan
    for name in ('return_level', 'return_paired', 'loss_current'):
        out[f'guarded_{name}'] = np.where(out['guard'] < 0, -1.0, out[name])
    return out


def _standardised(frame, signal):
    """The signal's rounds with ``z``: the signal standardised within each run (runs of spread 0 dropped).

    The guard (-1 or 0, often 0 for every round) is kept as it is: its arm means
    are minus the share of the arm's rounds it flags.
    """
    rows = frame[['run', 'arm', signal]].rename(columns={signal: 'x'})
    rows = rows[np.isfinite(rows['x'].to_numpy(dtype=float)) | (rows['x'] == -np.inf)]
    # -inf (a diverged loss) becomes the run's worst finite value minus its spread: the worst round.
    finite = rows[np.isfinite(rows['x'])]
    floor = finite.groupby('run')['x'].agg(lambda x: x.min() - (x.std(ddof=0) or 1.0))
    rows = rows.assign(x=np.where(np.isfinite(rows['x']), rows['x'], rows['run'].map(floor)))
    if signal == 'guard':
        return rows.assign(z=rows['x'])
    grouped = rows.groupby('run')['x']
    spread = grouped.transform(lambda x: x.std(ddof=0))
    rows = rows.assign(z=(rows['x'] - grouped.transform('mean')) / spread)
    return rows[spread > 0].dropna(subset=['z'])


def standardised(frame, signal):
    """``frame`` (``round_signals`` with a ``run`` column) with ``z``: ``signal`` standardised within its run.

    NaN where the signal is undefined or its run's spread is 0 (see ``_standardised``).
    """
    rows = _standardised(frame, signal)
    return frame.assign(z=rows['z'].reindex(frame.index))


def _eta2(z, arms, num_arms):
    counts = np.bincount(arms, minlength=num_arms)
    sums = np.bincount(arms, weights=z, minlength=num_arms)
    total = float(np.sum((z - z.mean()) ** 2))
    if total == 0:
        return 0.0
    with np.errstate(invalid='ignore', divide='ignore'):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
    return float(np.sum(counts * (means - z.mean()) ** 2) / total)


def _arm_means(z, arms, num_arms):
    counts = np.bincount(arms, minlength=num_arms)
    sums = np.bincount(arms, weights=z, minlength=num_arms)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def permutation_test(rows, num_arms, permutations=2000, seed=0):
    """(eta2, p, null gap) of arm ⟂ z, shuffling the arms within each run (``rows``: run, arm, z).

    The null gap is the 95th percentile of the best-minus-worst arm gap over the
    shuffles: the gap that noise alone reaches (the gap is biased upwards).
    """
    z = rows['z'].to_numpy(dtype=float)
    arms = rows['arm'].to_numpy(dtype=int)
    observed = _eta2(z, arms, num_arms)
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(rows['run'].to_numpy() == run) for run in rows['run'].unique()]
    at_least = 0
    gaps = []
    shuffled = arms.copy()
    for _ in range(permutations):
        for index in groups:
            shuffled[index] = rng.permutation(arms[index])
        at_least += _eta2(z, shuffled, num_arms) >= observed - 1e-12
        gaps.append(_gap(_arm_means(z, shuffled, num_arms)))
    return observed, (1 + at_least) / (1 + permutations), float(np.nanpercentile(gaps, 95)) if gaps else math.nan


def _arm_run_means(rows, num_arms):
    """runs x arms: each run's mean z per arm (NaN where a run never played an arm)."""
    table = rows.groupby(['run', 'arm'])['z'].mean().unstack()
    return table.reindex(columns=range(num_arms))


def _t_interval(values, level=0.95):
    values = values[np.isfinite(values)]
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    if n == 1:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def _gap(means):
    finite = means[np.isfinite(means)]
    return float(finite.max() - finite.min()) if len(finite) > 1 else math.nan


def information(frame, signal, num_arms, permutations=2000, reps=2000, seed=0):
    """The information the signal carries about the arm, over the rounds of ``frame`` (see the module doc).

    ``frame``: ``round_signals`` of several runs with a ``run`` column. Returns a
    dict: rounds, runs, eta2, p_value, gap (low, high), rounds_to_tell,
    rounds_per_arm, and per arm its mean z with a 95% t-interval over runs.
    """
    rows = _standardised(frame, signal)
    result = {'signal': signal, 'rounds': len(rows), 'runs': int(rows['run'].nunique())}
    if len(rows) < 2 * num_arms or result['runs'] < 1:
        return result
    result['eta2'], result['p_value'], result['gap_null'] = permutation_test(rows, num_arms, permutations, seed)
    per_run = _arm_run_means(rows, num_arms)
    pooled = rows.groupby('arm')['z'].mean().reindex(range(num_arms)).to_numpy()
    result['gap'] = _gap(pooled)
    rng = np.random.default_rng(seed)
    run_ids = rows['run'].unique()
    gaps = []
    for _ in range(reps):
        chosen = rng.choice(run_ids, size=len(run_ids), replace=True)
        sample = pd.concat([rows[rows['run'] == run] for run in chosen])
        gaps.append(_gap(sample.groupby('arm')['z'].mean().reindex(range(num_arms)).to_numpy()))
    result['gap_low'], result['gap_high'] = (float(q) for q in np.nanpercentile(gaps, [2.5, 97.5]))
    # In units of the signal's spread (the guard's gap is a difference of shares: no such unit).
    result['rounds_to_tell'] = math.nan if signal == 'guard' else (8.0 / result['gap'] ** 2 if result['gap'] > 0 else math.inf)
    result['rounds_per_arm'] = len(rows) / result['runs'] / num_arms
    for arm in range(num_arms):
        mean, low, high = _t_interval(per_run[arm].to_numpy(dtype=float))
        result[f'arm_{arm}'] = float(pooled[arm])
        result[f'arm_{arm}_low'], result[f'arm_{arm}_high'] = low, high
    result['best_arm'] = int(np.nanargmax(pooled))
    return result


def signal_table(runs, permutations=2000, reps=2000, seed=0):
    """One row per (group, signal): ``information`` of each group's runs.

    ``runs``: a list of ``(group, run name, num_arms, rates, rounds DataFrame)``; a
    group is e.g. ``('information_cartpole_dqn', '0.01')`` (a task and a round length).
    """
    by_group = {}
    for group, name, num_arms, rates, rounds in runs:
        if rounds is None or not len(rounds):
            continue
        entry = by_group.setdefault(group, {'num_arms': num_arms, 'rates': rates, 'frames': []})
        entry['frames'].append(round_signals(rounds).assign(run=name))
    rows = []
    for group, entry in sorted(by_group.items()):
        frame = pd.concat(entry['frames'], ignore_index=True)
        for signal in SIGNALS:
            if frame[signal].notna().sum() == 0:
                continue
            row = {'group': group, 'rates': entry['rates']}
            row.update(information(frame, signal, entry['num_arms'], permutations, reps, seed))
            rows.append(row)
    return pd.DataFrame(rows)


def phase_means(runs, signal, phases=4):
    """Per group, arm and run phase (quarters of the run): the mean z of ``signal`` (for the plot)."""
    rows = []
    for group, name, num_arms, rates, rounds in runs:
        if rounds is None or not len(rounds):
            continue
        frame = round_signals(rounds).assign(run=name)
        if frame[signal].notna().sum() == 0:
            continue
        z = _standardised(frame, signal).join(frame[['phase']])
        z['quarter'] = np.minimum((z['phase'] * phases).astype(int), phases - 1)
        for (arm, quarter), value in z.groupby(['arm', 'quarter'])['z'].mean().items():
            rows.append({'group': group, 'run': name, 'arm': arm, 'rate': rates[arm], 'quarter': quarter, 'z': value})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# From run folders and archived records, to a Markdown table and a plot.


def runs_from_records(records):
    """``signal_table``'s input from ``lrrl.analysis.loading.RunRecord``s (run folders or archived records).

    The group of a run is its sweep and its launcher labels (e.g. the round
    length), so the seeds of one setting pool; runs without rounds are left out.
    """
    runs = []
    for record in records:
        if record.rounds is None or not len(record.rounds):
            continue
        settings = record.settings
        labels = tuple(sorted((k[len('label:') :], str(v)) for k, v in settings.items() if k.startswith('label:')))
        rates = tuple(float(r) for r in str(settings.get('candidates') or '').split(',') if r)
        num_arms = len(rates) or int(record.rounds['arm'].max()) + 1
        group = (settings.get('sweep') or settings.get('game') or 'runs', labels)
        runs.append((group, settings['run_dir'], num_arms, rates, record.rounds))
    return runs


def _cell(mean, low, high):
    if not math.isfinite(mean):
        return ''
    if not (math.isfinite(low) and math.isfinite(high)):
        return f'{mean:+.2f}'
    return f'{mean:+.2f} [{low:+.2f}, {high:+.2f}]'


def group_label(group):
    sweep, labels = group
    return sweep + (' (' + ', '.join(f'{k} {v}' for k, v in labels) + ')' if labels else '')


def markdown(table):
    """The table as Markdown, one section per sweep: a row per (setting, signal)."""
    from lrrl import tables  # pylint: disable=g-import-not-at-top

    if table.empty:
        return 'No run has round records (rounds.csv) to measure.\n'
    lines = []
    for sweep, rows in table.groupby(table['group'].map(lambda g: g[0]), sort=True):
        rates = rows['rates'].iloc[0]
        num_arms = len(rates) if rates else max(int(c[4:]) for c in rows if c.startswith('arm_') and c[4:].isdigit()) + 1
        arm_names = [f'{r:g}' for r in rates] if rates else [str(k) for k in range(num_arms)]
        header = ['setting', 'signal', 'rounds (runs)', 'eta²', 'p', 'gap [95%]', 'null gap', 'rounds to tell / per arm']
        header += [f'arm {name}' for name in arm_names]
        body = []
        for _, row in rows.sort_values(['group', 'signal'], key=lambda c: c.map(str)).iterrows():
            labels = ', '.join(f'{k} {v}' for k, v in row['group'][1]) or '-'
            if 'eta2' not in row or not math.isfinite(row.get('eta2', math.nan)):
                body.append([labels, row['signal'], f'{row["rounds"]} ({row["runs"]})'] + [''] * (len(header) - 3))
                continue
            tell = row['rounds_to_tell']
            body.append(
                [
                    labels,
                    row['signal'],
                    f'{row["rounds"]} ({row["runs"]})',
                    f'{row["eta2"]:.3f}',
                    f'{row["p_value"]:.3g}',
                    _cell(row['gap'], row['gap_low'], row['gap_high']).lstrip('+'),
                    f'{row["gap_null"]:.2f}',
                    ('-' if not math.isfinite(tell) else f'{tell:,.0f}') + f' / {row["rounds_per_arm"]:,.0f}',
                ]
                + [
                    _cell(row.get(f'arm_{k}', math.nan), row.get(f'arm_{k}_low', math.nan), row.get(f'arm_{k}_high', math.nan))
                    for k in range(num_arms)
                ]
            )
        lines.append(f'### {sweep}\n')
        lines.append(tables.markdown_table(header, body))
    return '\n'.join(lines)


def plot(table):
    """Arm means (in units of the signal's spread within a run) per setting, one panel per sweep and signal."""
    import matplotlib  # pylint: disable=g-import-not-at-top

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top

    sweeps = sorted({g[0] for g in table['group']})
    signals = [s for s in SIGNALS if s in set(table['signal'])]
    fig, axes = plt.subplots(
        len(sweeps), len(signals), figsize=(3.2 * len(signals), 2.8 * len(sweeps)), squeeze=False, sharey='col'
    )
    for i, sweep in enumerate(sweeps):
        for j, signal in enumerate(signals):
            ax = axes[i][j]
            rows = table[(table['group'].map(lambda g: g[0]) == sweep) & (table['signal'] == signal)]
            rows = rows[rows.get('eta2', pd.Series(dtype=float)).notna()] if 'eta2' in rows else rows.iloc[0:0]
            settings = [', '.join(v for _, v in g[1]) or '-' for g in rows['group']]
            rates = rows['rates'].iloc[0] if len(rows) else ()
            for k, rate in enumerate(rates):
                means = rows[f'arm_{k}'].to_numpy(dtype=float)
                low = rows[f'arm_{k}_low'].to_numpy(dtype=float)
                high = rows[f'arm_{k}_high'].to_numpy(dtype=float)
                x = np.arange(len(settings)) + (k - (len(rates) - 1) / 2) * 0.08
                ax.errorbar(x, means, yerr=[means - low, high - means], marker='o', markersize=3, capsize=2, label=f'{rate:g}')
            ax.axhline(0.0, color='grey', linewidth=0.5)
            ax.set_xticks(range(len(settings)), settings, fontsize=7)
            if i == 0:
                ax.set_title(signal, fontsize=9)
            if j == 0:
                ax.set_ylabel(sweep.replace('information_', ''), fontsize=8)
            if i == 0 and j == 0 or (j == 0 and len(rates)):
                ax.legend(fontsize=6, title='arm', title_fontsize=6)
    fig.suptitle('mean signal per arm (units of its spread within a run; 95% t-interval over runs), by round length', fontsize=9)
    fig.tight_layout()
    return fig
