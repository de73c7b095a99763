"""One-off migration: the claims campaign's runs of 2026-11-23, from their report tables to the archive.

Those runs' folders did not outlive the machine they ran on (results/runs is not in git); what
remains of them is each claim sweep's report, committed by `python -m lrrl.claims`:
results/claims/claim<N>/<sweep>/runs.csv (one row per run) and iterations.csv (the long table
of lrrl.analysis.loading, one row per run and iteration). This script turns every *finished*
run there into its archived record (lrrl.run_archive), as `python -m lrrl.claims` now makes from
a run folder, so the page and the launcher (`--archive_root=results/claims/archive`) know them:

- settings: the run's row of runs.csv without its scores (they are recomputed from iterations);
- iterations: its rows of iterations.csv, the per-iteration columns only;
- run_settings: the run.json the launcher writes, rebuilt by expanding the sweep file (its
  configs/ files and the code are unchanged since those runs; `git log` shows it);
- config: None (config.gin went with the folder); source: says where the record came from.

A run that already has a record is left as it is (a record made from its folder is better).

  .venv/bin/python scripts/archive_from_reports.py [results/claims]
"""

import glob
import os
import sys

import pandas as pd

from lrrl import run_archive
from lrrl.sweeps import spec

SCORES = ('final_return', 'auc', 'max_average_return')
INTEGERS = ('seed', 'training_steps', 'num_iterations', 'iterations_logged')
BASE = ('iteration', 'train_return', 'train_episodes', 'eval_return', 'learning_rate')
ARM_PREFIXES = ('p', 'share', 'rate')
RUNS_ROOT = os.path.join('results', 'runs')  # where the runs were (their run_dir column)


def _value(name, value):
    if pd.isna(value):
        return None
    if name in INTEGERS:
        return int(float(value))
    if name == 'finished':
        return str(value) == 'True'
    return value


def migrate(report_dir, archive_root):
    runs = pd.read_csv(os.path.join(report_dir, 'runs.csv'), dtype=str, keep_default_na=False, na_values=[''])
    iterations = pd.read_csv(os.path.join(report_dir, 'iterations.csv'), low_memory=False)
    setting_columns = [c for c in runs.columns if c not in SCORES]
    per_iteration = [c for c in iterations.columns if c not in setting_columns]
    sweep_name = runs['sweep'].dropna().iloc[0]
    planned = {
        run_archive.run_key(RUNS_ROOT, r.base_dir): r for r in spec.expand(spec.load_sweep(sweep_name), RUNS_ROOT)
    }
    written = kept = 0
    for _, row in runs.iterrows():
        if row['finished'] != 'True':
            continue
        key = run_archive.run_key(RUNS_ROOT, row['run_dir'])
        if os.path.exists(run_archive.record_path(archive_root, key)):
            kept += 1
            continue
        run = planned[key]
        table = iterations[iterations['run_dir'] == row['run_dir']].sort_values('iteration')
        # As lrrl.analysis.loading reads a run: the base columns, then each arm's p, share and rate.
        arms = [c for c in per_iteration if c not in BASE and table[c].notna().any()]
        columns = list(BASE) + sorted(
            arms, key=lambda c: (ARM_PREFIXES.index(c.rsplit('_', 1)[0]), int(c.rsplit('_', 1)[1]))
        )
        table = table[columns].astype({'iteration': int, 'train_episodes': int})
        settings = {c: _value(c, row[c]) for c in setting_columns if c != 'run_dir'}
        record = run_archive.make_record(
            key,
            run.record(),
            settings,
            columns,
            table.itertuples(index=False, name=None),
            source=f'migrated from {os.path.join(report_dir, "iterations.csv")} (its run folder is gone)',
        )
        run_archive.write_record(archive_root, record)
        written += 1
    return written, kept


def main(out_dir):
    archive_root = os.path.join(out_dir, 'archive')
    for report_dir in sorted(glob.glob(os.path.join(out_dir, 'claim*', 'claim*'))):
        if os.path.exists(os.path.join(report_dir, 'iterations.csv')):
            written, kept = migrate(report_dir, archive_root)
            print(f'{report_dir}: {written} records written, {kept} already archived')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join('results', 'claims'))
