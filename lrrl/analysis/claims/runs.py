"""Where the campaign's runs are, what each run measured, and which runs a cell may pool.

``RunStore``: run folders under one runs root and, for runs whose folders are gone,
their archived records (``lrrl.run_archive``). ``run_table``: one row per run with its
scores and the bandit's state. ``pool_by_code``: a cell pools seeds only over runs made
by one behaviour of the code from one configuration (``lrrl.provenance``).
"""

import dataclasses
import os

import numpy as np
import pandas as pd

from lrrl import run_archive
from lrrl import run_folder
from lrrl.analysis import loading
from lrrl.analysis import report
from lrrl.analysis import scores as scores_lib

PRIMARY = 'final_return'
SECONDARY = 'auc'
# Runs recorded before provenance existed: their code is "unknown", older than any version.
UNKNOWN = 'unknown'


@dataclasses.dataclass(frozen=True)
class RunStore:
    """The campaign's runs: folders under ``runs_root``, archived records under ``archive_root``.

    A run folder, when present, wins over its archived record. ``planned``:
    ``{sweep: {run key: labels}}``, the runs each sweep file plans (``lrrl.claims``
    expands the files), so that progress and "every game" count runs that exist
    nowhere yet; without it, only the runs found count.
    """

    runs_root: str
    archive_root: str = None
    planned: dict = None

    def _folders(self, sweeps):
        folders = [os.path.join(self.runs_root, s) for s in sweeps]
        return [f for f in folders if os.path.isdir(f) and loading.find_run_folders([f])]

    def _archived(self, sweeps):
        if not self.archive_root:
            return []
        return [r for s in sweeps for r in loading.archived_runs(self.archive_root, self.runs_root, s)]

    def has_runs(self, sweep):
        """Whether any run of the sweep exists, as a folder or an archived record."""
        return bool(self._folders([sweep])) or bool(
            self.archive_root and run_archive.find_records(self.archive_root, sweep)
        )

    def tables(self, sweeps):
        """The sweeps' runs as ``RunTables``; None if no run of theirs exists.

        The runs table gains ``config_recorded``: False for an archived record with no
        configuration (migrated from a report table: the code that made it cannot be named).
        """
        folders, archived = self._folders(sweeps), self._archived(sweeps)
        if not (folders or archived):
            return None
        tables = loading.load_runs(folders, archived)
        without = {os.path.abspath(p) for p in self._records_without_config(sweeps)}
        tables.runs['config_recorded'] = ~tables.runs['run_dir'].map(os.path.abspath).isin(without)
        return tables

    def _records_without_config(self, sweeps):
        """The run folders (under the runs root) whose archived record holds no configuration
        and that have no folder of their own."""
        if not self.archive_root:
            return []
        found = []
        for sweep in sweeps:
            for key, path in run_archive.find_records(self.archive_root, sweep).items():
                run_dir = os.path.join(self.runs_root, *key.split('/'))
                if run_archive.read_record(path).get('config') is None and not run_folder.is_run_folder(run_dir):
                    found.append(run_dir)
        return found

    def write_report(self, sweep, out_dir, reps, seed, final_iterations):
        """``lrrl.report`` of one sweep's runs into ``out_dir``; returns the paths (none without runs)."""
        folders, archived = self._folders([sweep]), self._archived([sweep])
        if not (folders or archived):
            return []
        paths, _ = report.write_report(
            folders, out_dir, reps, seed, True, final_iterations=final_iterations, archived=archived
        )
        return paths

    def archive_finished(self, sweeps):
        """Archives every finished run folder of ``sweeps``; returns how many records were written."""
        return run_archive.archive_finished(self._folders(sweeps), self.runs_root, self.archive_root)

    def planned_games(self, sweep):
        """The game labels the sweep file plans (empty without a plan)."""
        return {labels.get('game') for labels in (self.planned or {}).get(sweep, {}).values()} - {None}

    def progress(self, sweeps):
        """(finished runs, runs planned or found, sweeps with no run anywhere)."""
        finished, total, missing = set(), set(), []
        for sweep in sweeps:
            keys = set((self.planned or {}).get(sweep, {}))
            started = False
            for folder in self._folders([sweep]):
                for run_dir in loading.find_run_folders([folder]):
                    key = run_archive.run_key(self.runs_root, run_dir)
                    keys.add(key)
                    started = True
                    if (run_folder.read_status(run_dir) or {}).get('state') == 'finished':
                        finished.add(key)
            for key, path in run_archive.find_records(self.archive_root, sweep).items() if self.archive_root else ():
                keys.add(key)
                started = True
                if run_archive.read_record(path)['settings'].get('finished'):
                    finished.add(key)
            total |= keys
            if not started:
                missing.append(sweep)
        return len(finished), len(total), missing


# ---------------------------------------------------------------------------
# Per run.


def run_table(tables, final_iterations, share_rate=None):
    """One row per finished run: the scores, the largest arm probability at the end
    (``final_max_p``) and the share of the second half's steps on ``share_rate``."""
    scores = scores_lib.run_scores(tables, final_iterations)
    scores = scores[(scores['iterations_logged'] > 0) & scores['finished'].astype(bool)].copy()
    by_run = dict(list(tables.iterations.groupby('run_dir'))) if len(tables.iterations) else {}
    scores['final_max_p'] = scores['run_dir'].map(
        {run_dir: final_max_probability(iterations) for run_dir, iterations in by_run.items()}
    )
    scores['share_on_rate'] = (
        scores['run_dir'].map({run_dir: loading.second_half_share(it, share_rate) for run_dir, it in by_run.items()})
        if share_rate is not None
        else np.nan
    )
    # Runs made before provenance (or read with no archive) have no such columns.
    for column in ('commit', 'behaviour', 'fingerprint', 'config_recorded'):
        if column not in scores.columns:
            scores[column] = None
    return scores


def final_max_probability(iterations):
    """The largest arm probability at the last logged iteration; NaN for a run with one arm.

    How far the bandit moved from a uniform choice (1/K) by the end of the run.
    """
    last = iterations.sort_values('iteration').iloc[-1]
    probabilities = [last[c] for c in iterations.columns if c.startswith('p_') and pd.notna(last[c])]
    return float(max(probabilities)) if len(probabilities) > 1 else np.nan


def rate_drift(runs, tables):
    """Per LRRL run: the step-weighted mean log10 rate over the last quarter minus the first quarter."""
    out = []
    for run_dir, iterations in tables.iterations.groupby('run_dir'):
        shares = loading.rate_shares(iterations)
        if shares.shape[1] < 2:
            continue
        logs = np.log10(shares.columns.to_numpy(dtype=float))
        shares = shares.to_numpy(dtype=float)
        quarter = max(len(shares) // 4, 1)
        early = np.nanmean(shares[:quarter], axis=0) @ logs
        late = np.nanmean(shares[-quarter:], axis=0) @ logs
        out.append({'run_dir': run_dir, 'drift': float(late - early)})
    drift = pd.DataFrame(out, columns=['run_dir', 'drift'])
    return runs.merge(drift, on='run_dir')


def cell_names(runs, columns):
    """Each run's cell: its ``columns`` joined with '/' (``method`` alone by default)."""
    present = [c for c in columns if c in runs.columns]
    if runs.empty:
        return pd.Series([], dtype=object)
    return runs[present].astype(str).agg('/'.join, axis=1) if present else runs['method']


# ---------------------------------------------------------------------------
# Which runs a cell pools.


def code_group(row):
    """A run's (behaviour, fingerprint): ``UNKNOWN`` for runs recorded before provenance existed."""
    behaviour, fingerprint = row.get('behaviour'), row.get('fingerprint')
    if behaviour is None or (isinstance(behaviour, float) and np.isnan(behaviour)):
        return (UNKNOWN, UNKNOWN)
    if isinstance(behaviour, (float, np.floating)) and float(behaviour).is_integer():
        behaviour = int(behaviour)  # a column with missing values holds versions as floats
    return (behaviour, fingerprint if isinstance(fingerprint, str) else UNKNOWN)


def _age(group, size):
    """Sort key, newest last: a known behaviour version above unknown, then the larger group."""
    behaviour, fingerprint = group
    known = isinstance(behaviour, (int, np.integer, float)) and not isinstance(behaviour, bool)
    return (known, float(behaviour) if known else -1.0, size, str(fingerprint))


def pool_by_code(runs, keys=('game', 'cell')):
    """The runs a cell may pool, and a note per cell that had to be split.

    A cell (``keys``) pools seeds only over runs of one (behaviour, fingerprint): runs
    whose own sessions span a behaviour change (``'mixed'``) are left out, and a cell
    whose runs come from more than one group keeps the newest (the highest behaviour
    version; runs with no provenance are the oldest; then the larger group). Returns
    ``(runs kept, [note, ...])``.
    """
    if runs.empty:
        return runs, []
    groups = runs.apply(code_group, axis=1)
    kept, notes = [], []
    for key, cell in runs.groupby(list(keys), sort=True):
        cell_groups = groups.loc[cell.index]
        mixed = cell_groups.map(lambda g: 'mixed' in g)
        name = '/'.join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
        if mixed.any():
            notes.append(f'{name}: {int(mixed.sum())} run(s) left out, trained across a behaviour change')
        cell, cell_groups = cell[~mixed], cell_groups[~mixed]
        sizes = cell_groups.value_counts()
        if len(sizes) > 1:
            newest = max(sizes.index, key=lambda g: _age(g, sizes[g]))
            dropped = [f'{_group_text(g)} ({sizes[g]} runs)' for g in sizes.index if g != newest]
            notes.append(
                f'{name}: records of {len(sizes)} code versions; kept {_group_text(newest)} '
                f'({sizes[newest]} runs), left out {", ".join(dropped)}'
            )
            cell = cell[cell_groups == newest]
        kept.append(cell)
    return pd.concat(kept) if kept else runs.iloc[:0], notes


def _group_text(group):
    behaviour, fingerprint = group
    if behaviour == UNKNOWN:
        return 'code unknown (made before provenance was recorded)'
    return f'behaviour {behaviour}, settings {fingerprint}'
