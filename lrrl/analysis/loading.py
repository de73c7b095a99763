"""Run folders back as pandas tables: the one data contract of the analysis.

A run folder is what ``python -m lrrl.train --base_dir=DIR`` writes (with a
``run.json`` holding its seed, gin files and bindings), or what the sweep
launcher writes (its ``run.json`` adds the sweep and labels; ``status.json``).
``load_runs`` finds every run folder under the given roots and returns three
tables:

- ``runs``: one row per run folder: its settings (agent, game, method, seed,
  controller, candidate set, optimizer, the launcher's labels, and any gin
  binding that varies between otherwise equal runs), how many iterations it
  has logged, how many it was configured for, and whether it is finished.
- ``iterations``: one row per run and iteration (the long table): mean training
  return, evaluation return, number of episodes, the mean rate used and the
  arm probabilities at the iteration's end.
- ``episodes``: ``lr_trace.csv`` of every run, one row per training episode.

Everything is read from files (``lrrl.run_folder``: Dopamine's pickled logs,
``lr_trace.csv``, ``run.json``, ``status.json``; the gin config as text,
``lrrl.gin_text``; the settings by ``lrrl.run_description``): no TensorFlow, so reading hundreds of runs takes
seconds, and run folders written by every version of lrrl read the same way.

A finished run whose folder is gone can stand in as its archived record
(``lrrl.run_archive`` writes them, from the same reading of the run folder,
``lrrl.run_description``): ``archived_runs`` reads a sweep's records back (runs
and iterations as the folder gave them; no episodes, no gin bindings), and
``load_runs(..., archived=...)`` adds those whose run folder is not found.
"""

import dataclasses
import math
import os

import numpy as np
import pandas as pd

from lrrl import run_archive
from lrrl import run_description
from lrrl import run_folder

# Read here, defined with the reading of a run folder's settings (lrrl.run_description).
NoRunsError = run_description.NoRunsError
find_run_folders = run_description.find_run_folders
infer_method = run_description.infer_method

# The columns that say which cell of a table a run belongs to; launcher labels
# and varying bindings are added after them.
CELL_COLUMNS = ('agent', 'game', 'method')
# Bindings that differ between runs of one cell without making them different
# experiments (a raised iteration count, the seed).
NOT_SETTINGS = ('Runner.num_iterations', 'Exp3Bandit.seed', 'ClassicExp3Bandit.seed')


@dataclasses.dataclass
class RunRecord:
    """One run folder: its settings, its per-iteration statistics, its episodes and bandit rounds."""

    settings: dict
    bindings: dict
    iterations: pd.DataFrame
    episodes: pd.DataFrame
    # rounds.csv (lrrl.run_folder), or None: no bandit, or made before rounds were recorded.
    rounds: pd.DataFrame = None


def read_run(run_dir, method_files=None):
    """Reads one run folder into a ``RunRecord`` (no TensorFlow): ``lrrl.run_description`` and its traces."""
    run_dir = os.path.normpath(run_dir)
    described = run_description.describe(run_dir, method_files)
    settings, logs = described.settings, described.logs
    iterations = pd.DataFrame(described.iteration_rows)
    if iterations.empty:
        iterations = pd.DataFrame(columns=['iteration', 'train_return', 'train_episodes', 'eval_return'])
    trace_path = os.path.join(run_dir, run_folder.TRACE_FILE)
    episodes = run_folder.read_trace(run_dir) if os.path.exists(trace_path) else pd.DataFrame()
    required = ('iteration', 'episode', 'return')
    # The trace is written whole (atomically); a missing value anywhere means damage.
    if len(episodes) and (any(c not in episodes.columns for c in required) or episodes.isna().any().any()):
        raise run_folder.UnreadableRunError(f'{trace_path} has missing values or columns: it is truncated or corrupt.')
    _check_trace_matches_log(trace_path, episodes, logs)
    rounds = run_folder.read_rounds(run_dir)
    return RunRecord(
        settings=settings, bindings=described.bindings, iterations=iterations, episodes=episodes, rounds=rounds
    )


def _check_trace_matches_log(trace_path, episodes, logs):
    """Every iteration in both records has as many trace rows as logged training episodes.

    The trace may lack the last logged iteration (a process that died between
    Dopamine's log write and the checkpoint), never part of an iteration: that
    is a truncated or damaged file.
    """
    if episodes.empty or 'iteration' not in episodes.columns:
        return
    counts = episodes['iteration'].value_counts()
    for iteration, stats in logs.items():
        expected = len(stats.get('train_episode_returns') or [])
        if iteration in counts.index and counts[iteration] != expected:
            raise run_folder.UnreadableRunError(
                f"{trace_path} has {counts[iteration]} episodes for iteration {iteration}, Dopamine's log "
                f'{expected}: the trace is truncated or corrupt.'
            )


def _varying_bindings(records):
    """Bindings that differ between runs with the same agent, game, method and labels.

    Runs launched by hand carry no labels: a binding swept by hand (e.g.
    ``Exp3Bandit.alpha``) would otherwise merge different settings into one
    cell. Such bindings become columns (``gin:Exp3Bandit.alpha``).
    """
    groups = {}
    # A run the launcher planned but has not started has no configuration yet:
    # it would make every binding look varied.
    for record in (r for r in records if r.bindings):
        key = tuple(str(record.settings.get(c)) for c in CELL_COLUMNS) + tuple(
            sorted((k, str(v)) for k, v in record.settings.items() if k.startswith('label:'))
        )
        groups.setdefault(key, []).append(record)
    varying = set()
    for group in groups.values():
        keys = set().union(*(r.bindings for r in group))
        for key in keys:
            if key in NOT_SETTINGS or key.endswith('.seed'):
                continue
            # A key only some runs have is not a variation: a run that has not
            # ended has config.gin but not yet the operative config's defaults.
            values = {repr(r.bindings[key]) for r in group if key in r.bindings}
            if len(values) > 1:
                varying.add(key)
    return sorted(varying)


@dataclasses.dataclass
class RunTables:
    """``load_runs``'s result: one row per run, per iteration, per training episode."""

    runs: pd.DataFrame
    iterations: pd.DataFrame
    episodes: pd.DataFrame

    @property
    def cell_columns(self):
        """Columns that identify a table cell: agent, game, method, then labels and varying bindings."""
        extra = [c for c in self.runs.columns if c.startswith(('label:', 'gin:'))]
        return list(CELL_COLUMNS) + extra


def rate_shares(iterations):
    """A run's share of each iteration's training steps per rate: one column per rate (its
    ``rate_k``, ``share_k`` columns, ``run_description.iteration_rows``), rows in iteration
    order; no column for a fixed-rate run."""
    iterations = iterations.sort_values('iteration')
    shares = {}
    for column in (c for c in iterations.columns if c.startswith('rate_')):
        rates, share = iterations[column].dropna(), f'share_{column[len("rate_"):]}'
        if len(rates) and share in iterations:
            shares[float(rates.iloc[0])] = iterations[share].to_numpy(dtype=float)
    return pd.DataFrame(shares, index=iterations['iteration'].to_numpy())


def second_half_share(iterations, rate):
    """The share of the second half of a run's iterations' training steps on ``rate``; NaN when
    no arm has that rate. Every iteration has the same number of training steps, so the mean of
    the per-iteration shares is the share of the half's steps."""
    shares = rate_shares(iterations)
    second = shares.iloc[len(shares) // 2 :]
    matching = [r for r in second.columns if np.isclose(r, rate, rtol=1e-6)]
    return float(second[matching[0]].mean()) if matching else math.nan


def archived_runs(archive_root, runs_root, sweep):
    """The sweep's archived runs as ``RunRecord``s, each named by the run folder it stands for."""
    records = []
    for key, path in run_archive.find_records(archive_root, sweep).items():
        archived = run_archive.read_record(path)
        settings = {'run_dir': os.path.normpath(os.path.join(runs_root, *key.split('/')))}
        settings.update(run_archive.record_settings(archived))
        table = archived['iterations']
        iterations = pd.DataFrame(table['rows'], columns=table['columns']).apply(pd.to_numeric)
        table = archived.get('rounds')
        rounds = None if table is None else pd.DataFrame(table['rows'], columns=table['columns']).apply(pd.to_numeric)
        records.append(
            RunRecord(settings=settings, bindings={}, iterations=iterations, episodes=pd.DataFrame(), rounds=rounds)
        )
    return records


def load_runs(roots, archived=()):
    """Every run folder under ``roots`` as a ``RunTables``; raises ``NoRunsError`` if there is none.

    ``archived``: ``RunRecord``s from ``archived_runs``; each one whose run folder was
    not found under ``roots`` is added as if it had been.
    """
    if isinstance(roots, str):
        roots = [roots]
    folders = find_run_folders(roots)
    method_files = run_description.shipped_method_files()
    records = [read_run(folder, method_files) for folder in folders]
    found = {os.path.abspath(folder) for folder in folders}
    records += [r for r in archived if os.path.abspath(r.settings['run_dir']) not in found]
    if not records:
        raise NoRunsError(
            f'no run folders under {", ".join(roots)}: a run folder holds '
            f'{run_folder.CONFIG} or logs/ (written by python -m lrrl.train).'
        )
    for key in _varying_bindings(records):
        for record in (r for r in records if r.bindings):
            value = record.bindings.get(key)
            record.settings[f'gin:{key}'] = value if not isinstance(value, (tuple, list)) else str(value)
    runs = pd.DataFrame([r.settings for r in records])
    setting_columns = list(runs.columns)
    iteration_tables, episode_tables = [], []
    for record in records:
        for tables, frame in ((iteration_tables, record.iterations), (episode_tables, record.episodes)):
            if len(frame):
                frame = frame.copy()
                for column in setting_columns:
                    frame[column] = [record.settings.get(column)] * len(frame)
                tables.append(frame)
    iterations = pd.concat(iteration_tables, ignore_index=True) if iteration_tables else pd.DataFrame()
    episodes = pd.concat(episode_tables, ignore_index=True) if episode_tables else pd.DataFrame()
    return RunTables(runs=runs, iterations=iterations, episodes=episodes)
