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
``lrrl.analysis.gin_text``): no TensorFlow, so reading hundreds of runs takes
seconds, and run folders written by every version of lrrl read the same way.

A finished run whose folder is gone can stand in as its archived record
(``lrrl.run_archive``): ``archive_record`` makes one from a run read here,
``archived_runs`` reads a sweep's records back (runs and iterations as the
folder gave them; no episodes, no gin bindings), and ``load_runs(...,
archived=...)`` adds those whose run folder is not found.
"""

import dataclasses
import glob
import math
import os
import re

import numpy as np
import pandas as pd

from lrrl import errors
from lrrl import gin_files
from lrrl import provenance
from lrrl import run_archive
from lrrl import run_folder
from lrrl.analysis import gin_text
from lrrl.analysis import normalization

METHOD_DIR = os.path.join(gin_files.CONFIG_DIR, 'methods')

# The columns that say which cell of a table a run belongs to; launcher labels
# and varying bindings are added after them.
CELL_COLUMNS = ('agent', 'game', 'method')
# Bindings that differ between runs of one cell without making them different
# experiments (a raised iteration count, the seed).
NOT_SETTINGS = ('Runner.num_iterations', 'Exp3Bandit.seed', 'ClassicExp3Bandit.seed')


class NoRunsError(errors.ConfigError):
    """No run folder was found where runs were expected."""


def _method_files():
    """``{method name: bindings}`` of the shipped ``configs/methods/*.gin``."""
    methods = {}
    for path in sorted(glob.glob(os.path.join(METHOD_DIR, '*.gin'))):
        try:
            methods[os.path.splitext(os.path.basename(path))[0]] = gin_text.read_gin_bindings(path)
        except (SyntaxError, ValueError, OSError):
            continue
    return methods


def _same_value(a, b):
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)
    return a == b


def infer_method(bindings, method_files=None):
    """A method name for a run launched by hand, from its gin bindings.

    The shipped method file (``configs/methods/NAME.gin``) whose every binding
    the run has, with the most bindings, names it (e.g. ``lrrl_k5``).
    Otherwise the name says the controller and its rates:
    ``fixed{0.001}``, ``lrrl{0.0001,0.001,0.01}``, or the controller's class.
    A non-Adam optimizer is appended (``+RMSPropOptimizer``).
    """
    method_files = _method_files() if method_files is None else method_files
    best, best_size = None, 0
    for name, file_bindings in method_files.items():
        if not file_bindings or len(file_bindings) <= best_size:
            continue
        if all(key in bindings and _same_value(bindings[key], value) for key, value in file_bindings.items()):
            best, best_size = name, len(file_bindings)
    if best is not None:
        return best
    controller = (
        gin_text.reference_name(gin_text.binding_value(bindings, 'create_agent.learning_rate_controller'))
        or 'FixedLearningRate'
    )
    if controller == 'FixedLearningRate':
        rate = gin_text.binding_value(bindings, 'FixedLearningRate.rate')
        method = f'fixed{{{float(rate):g}}}' if isinstance(rate, (int, float)) else 'fixed'
    elif controller == 'BanditLearningRate':
        rates = gin_text.binding_value(bindings, 'BanditLearningRate.rates')
        method = f'lrrl{{{gin_text.rates_text(rates)}}}' if isinstance(rates, (tuple, list)) else 'lrrl'
        bandit = gin_text.reference_name(gin_text.binding_value(bindings, 'BanditLearningRate.bandit'))
        if bandit and bandit != 'Exp3Bandit':
            method += f'+{bandit}'
    else:
        method = controller
    optimizer = gin_text.reference_name(gin_text.binding_value(bindings, 'create_agent.optimizer_class'))
    if optimizer and optimizer != 'AdamOptimizer':
        method += f'+{optimizer}'
    return method


def _seed_from_path(run_dir):
    match = re.search(r'(?:^|[_\-/])(?:seed|s)[_=\-]?(\d+)$', os.path.basename(os.path.normpath(run_dir)))
    return int(match.group(1)) if match else None


@dataclasses.dataclass
class RunRecord:
    """One run folder: its settings, its per-iteration statistics, its episodes and bandit rounds."""

    settings: dict
    bindings: dict
    iterations: pd.DataFrame
    episodes: pd.DataFrame
    # rounds.csv (lrrl.run_folder), or None: no bandit, or made before rounds were recorded.
    rounds: pd.DataFrame = None


def find_run_folders(roots):
    """Every run folder at or below each root (a run folder's own subfolders are not searched)."""
    if isinstance(roots, str):
        roots = [roots]
    # Paths stay as given (relative roots give relative run folders), so tables
    # made from runs/... name runs/..., not the machine's absolute path.
    found = {}
    for root in roots:
        if not os.path.isdir(root):
            raise NoRunsError(f'--runs={root}: no such folder.')
        for folder, subfolders, _ in os.walk(root):
            if run_folder.is_run_folder(folder):
                found.setdefault(os.path.abspath(folder), os.path.normpath(folder))
                subfolders[:] = []
            else:
                subfolders.sort()
    return sorted(found.values())


def _first(values, default=np.nan):
    return values[0] if isinstance(values, (list, tuple)) and values else default


def _iteration_rows(logs):
    rows = []
    for iteration in sorted(logs):
        stats = logs[iteration]
        rates = stats.get('train_episode_learning_rates') or []
        row = {
            'iteration': iteration,
            'train_return': float(_first(stats.get('train_average_return'))),
            'train_episodes': len(stats.get('train_episode_returns') or []),
            'eval_return': float(_first(stats.get('eval_average_return'))),
            # Geometric mean: the rates of one set span orders of magnitude.
            'learning_rate': float(np.exp(np.mean(np.log(rates)))) if rates else np.nan,
        }
        probabilities = _first(stats.get('learning_rate_probabilities'), [])
        # Shares of the iteration's training steps when the logs count them (rounds
        # in agent steps switch rates mid-episode), else of its training episodes.
        counts = _first(stats.get('learning_rate_arm_steps'), []) or _first(stats.get('learning_rate_arm_counts'), [])
        for k, p in enumerate(probabilities):
            row[f'p_{k}'] = float(p)
        total = float(sum(counts))
        for k, count in enumerate(counts):
            row[f'share_{k}'] = count / total if total else np.nan
        for k, rate in enumerate(_first(stats.get('learning_rate_candidates'), [])):
            row[f'rate_{k}'] = float(rate)
        rows.append(row)
    return rows


def _game_label(game, minatar):
    return normalization.minatar_game_label(game) if minatar and game is not None else game


def read_run(run_dir, method_files=None):
    """Reads one run folder into a ``RunRecord`` (no TensorFlow)."""
    run_dir = os.path.normpath(run_dir)
    launch = run_folder.read_run_settings(run_dir)
    status = run_folder.read_json(os.path.join(run_dir, run_folder.STATUS_FILE)) or {}
    # config.gin is written when a launch starts; operative_config.gin when it
    # ends, so the former is the current intent of an unfinished run.
    bindings = {}
    for name in (run_folder.OPERATIVE_CONFIG, run_folder.CONFIG):
        path = os.path.join(run_dir, name)
        if os.path.exists(path):
            bindings.update(gin_text.read_gin_bindings(path))
    labels = dict(launch.get('labels') or {})
    game = gin_text.binding_value(bindings, 'create_atari_environment.game_name') or gin_text.binding_value(
        bindings, 'create_gym_environment.environment_name'
    )
    # MinAtar games get their own names ('Breakout-MinAtar'), never read against Atari's.
    minatar_game = gin_text.binding_value(bindings, 'create_minatar_environment.game_name')
    controller = (
        gin_text.reference_name(gin_text.binding_value(bindings, 'create_agent.learning_rate_controller'))
        or 'FixedLearningRate'
    )
    candidates = (
        gin_text.binding_value(bindings, 'BanditLearningRate.rates') if controller == 'BanditLearningRate' else None
    )
    if controller == 'FixedLearningRate':
        rate = gin_text.binding_value(bindings, 'FixedLearningRate.rate')
        # None: a folder the launcher made for a run that has not started (run.json only).
        candidates = (rate,) if rate is not None else None
    # run.json is written by lrrl.train (and by the sweep launcher); a folder
    # named seed_N is the fallback for runs made before it was.
    seed = launch.get('seed', _seed_from_path(run_dir))
    num_iterations = gin_text.binding_value(bindings, 'Runner.num_iterations')
    settings = {
        'run_dir': run_dir,
        'sweep': launch.get('sweep'),
        'agent': labels.pop('agent', None) or gin_text.binding_value(bindings, 'create_agent.agent_name'),
        'game': _game_label(labels.pop('game', None) or minatar_game or game, minatar_game is not None),
        'method': labels.pop('method', None) or infer_method(bindings, method_files),
        'seed': labels.pop('seed', seed),
        'controller': controller,
        'candidates': gin_text.rates_text(candidates) if isinstance(candidates, (tuple, list)) else None,
        'optimizer': gin_text.reference_name(gin_text.binding_value(bindings, 'create_agent.optimizer_class')),
        'bandit': (
            gin_text.reference_name(gin_text.binding_value(bindings, 'BanditLearningRate.bandit')) or 'Exp3Bandit'
            if controller == 'BanditLearningRate'
            else None
        ),
        'training_steps': gin_text.binding_value(bindings, 'Runner.training_steps'),
        'num_iterations': num_iterations,
        'state': status.get('state'),
        # Which code and settings trained it (lrrl.provenance): None for runs made before it was recorded.
        **provenance.summary(launch.get(run_folder.PROVENANCE)),
    }
    for key, value in labels.items():
        settings[f'label:{key}'] = value
    logs = run_folder.read_dopamine_log(run_dir)
    iterations = pd.DataFrame(_iteration_rows(logs))
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
    logged = int(iterations['iteration'].max()) + 1 if len(iterations) else 0
    settings['iterations_logged'] = logged
    # Finished: the last logged iteration is the last one configured.
    settings['finished'] = bool(isinstance(num_iterations, int) and logged == num_iterations)
    if settings['state'] == 'failed':
        settings['finished'] = False
    return RunRecord(settings=settings, bindings=bindings, iterations=iterations, episodes=episodes, rounds=rounds)


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


def archive_record(record, runs_root):
    """The archived record (``lrrl.run_archive``) of a run read by ``read_run`` from under ``runs_root``."""
    run_dir = record.settings['run_dir']
    config_path = os.path.join(run_dir, run_folder.CONFIG)
    config = None
    if os.path.exists(config_path):
        with open(config_path) as f:
            config = f.read()
    return run_archive.make_record(
        run_archive.run_key(runs_root, run_dir),
        run_folder.read_run_settings(run_dir),
        {k: v for k, v in record.settings.items() if k != 'run_dir'},
        record.iterations.columns,
        record.iterations.itertuples(index=False, name=None),
        config=config,
        rounds=None
        if record.rounds is None
        else (record.rounds.columns, record.rounds.astype(object).where(record.rounds.notna(), None).itertuples(index=False, name=None)),
    )


def archive_run(run_dir, runs_root, archive_root):
    """Archives the run folder ``run_dir`` (under ``runs_root``) if it has finished.

    Returns the record's path, or None for a run that has not finished (nothing written).
    """
    record = read_run(run_dir)
    if not record.settings['finished']:
        return None
    return run_archive.write_record(archive_root, archive_record(record, runs_root))


def archive_finished(folders, runs_root, archive_root):
    """Archives every finished run folder under ``folders``; returns how many records were written."""
    return sum(archive_run(run_dir, runs_root, archive_root) is not None for run_dir in find_run_folders(folders))


def unarchived_finished(folder, runs_root, archive_root):
    """The finished run folders under ``folder`` whose archive holds no finished record (status only: fast)."""
    if not os.path.isdir(folder):
        return []
    return [
        run_dir
        for run_dir in find_run_folders(folder)
        if (run_folder.read_status(run_dir) or {}).get('state') == 'finished'
        and run_archive.finished_record(archive_root, run_archive.run_key(runs_root, run_dir)) is None
    ]


def archived_runs(archive_root, runs_root, sweep):
    """The sweep's archived runs as ``RunRecord``s, each named by the run folder it stands for."""
    records = []
    for key, path in run_archive.find_records(archive_root, sweep).items():
        archived = run_archive.read_record(path)
        settings = {'run_dir': os.path.normpath(os.path.join(runs_root, *key.split('/')))}
        settings.update(archived['settings'])
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
    method_files = _method_files()
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
