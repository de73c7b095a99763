"""Does the demo show the claim? LRRL against each of its rates alone, over seeds (no TensorFlow).

Reads the run folders of ``configs/sweeps/demo_check.toml`` (``python -m lrrl.launch
--sweep=demo_check``): ``<runs>/<method>/seed_<n>``, a method being ``lrrl``,
``lrrl_paper_literal``, ``uniform`` or ``fixed_<rate>``. Per run:

- the share of the second half's training steps spent on the collapsing rate
  (the ``learning_rate_arm_steps`` that the runner logs per iteration; runs
  without them count the steps of the episodes, each on the rate at its end);
- the mean training return over the second half and over the last 10
  iterations, and the best iteration's (an unstable rate peaks, then collapses).

``demo_table`` returns one row per method (mean over seeds, and each seed).
"""

import glob
import os

import numpy as np
import pandas as pd

from lrrl import run_folder


def _arm_steps(run_dir, num_arms):
    """{iteration: steps per arm} from the logs, or from the trace's episode lengths."""
    logs = run_folder.read_dopamine_log(run_dir)
    steps = {i: s['learning_rate_arm_steps'][0] for i, s in logs.items() if s.get('learning_rate_arm_steps')}
    if steps:
        return {i: np.asarray(v, dtype=float) for i, v in steps.items()}
    trace = run_folder.read_trace(run_dir)
    out = {}
    for i, group in trace.groupby('iteration'):
        out[i] = np.bincount(group['arm'], weights=group['length'], minlength=num_arms).astype(float)
    return out


def run_row(run_dir, collapsing_rate):
    """The measurements of one run (see the module doc)."""
    trace = run_folder.read_trace(run_dir)
    returns = trace.groupby('iteration')['return'].mean()
    iterations = sorted(returns.index)
    second_half = iterations[len(iterations) // 2 :]
    rates = trace.groupby('arm')['learning_rate'].first()
    row = {
        'iterations': len(iterations),
        'return_second_half': float(returns.loc[second_half].mean()),
        'return_last_10': float(returns.loc[iterations[-10:]].mean()),
        'peak_return': float(returns.max()),
    }
    num_arms = int(trace['arm'].max()) + 1
    if num_arms > 1 or len(rates) > 1:
        steps = _arm_steps(run_dir, len([c for c in trace.columns if c.startswith('p_')]))
        total = sum(steps[i] for i in second_half if i in steps)
        arm = [k for k, r in rates.items() if np.isclose(r, collapsing_rate)]
        row['share_on_collapsing_rate_second_half'] = float(total[arm[0]] / total.sum()) if arm else 0.0
    return row


def demo_table(runs_dir, collapsing_rate):
    """One row per finished (method, seed) run and one 'mean' row per method, from ``runs_dir``.

    Runs that have not finished (``status.json``) are left out; ``unfinished``
    lists them.
    """
    rows = []
    for run_dir in sorted(glob.glob(os.path.join(runs_dir, '*', 'seed_*'))):
        status = run_folder.read_status(run_dir) if run_folder.is_run_folder(run_dir) else None
        if not status or status.get('state') != 'finished':
            continue
        method = os.path.basename(os.path.dirname(run_dir))
        seed = int(os.path.basename(run_dir)[len('seed_') :])
        rows.append({'method': method, 'seed': seed, **run_row(run_dir, collapsing_rate)})
    if not rows:
        return pd.DataFrame()
    table = pd.DataFrame(rows)
    means = table.groupby('method', sort=False).mean(numeric_only=True).reset_index()
    means['iterations'] = table.groupby('method', sort=False)['iterations'].min().to_numpy()
    means['seed'] = 'mean'
    table['runs'] = 1
    means['runs'] = table.groupby('method', sort=False).size().to_numpy()
    return pd.concat([table, means], ignore_index=True)


def unfinished(runs_dir):
    """The run folders under ``runs_dir`` that have not finished."""
    out = []
    for run_dir in sorted(glob.glob(os.path.join(runs_dir, '*', 'seed_*'))):
        status = run_folder.read_status(run_dir) if run_folder.is_run_folder(run_dir) else None
        if not status or status.get('state') != 'finished':
            out.append(os.path.relpath(run_dir, runs_dir))
    return out
