"""Run folders back as pandas tables, and the per-game scores the paper reports.

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

Everything is read from files (Dopamine's pickled logs, ``lr_trace.csv``, the
gin config as text): no TensorFlow, so reading hundreds of runs takes seconds.

Dopamine's ``Logger`` writes ``logs/log_N`` after iteration N holding *all*
iterations so far (it is restored from the checkpoint on resume) and deletes
the file four iterations older, so the newest file is the whole record.
"""

import dataclasses
import glob
import json
import math
import os
import pickle
import re

import numpy as np
import pandas as pd
from gin import config_parser

from lrrl import gin_files
from lrrl import status as status_lib
from lrrl import sweeps
from lrrl import trace

CONFIG = 'config.gin'
OPERATIVE_CONFIG = 'operative_config.gin'
METHOD_DIR = os.path.join(gin_files.CONFIG_DIR, 'methods')

# The columns that say which cell of a table a run belongs to; launcher labels
# and varying bindings are added after them.
CELL_COLUMNS = ('agent', 'game', 'method')
# Bindings that differ between runs of one cell without making them different
# experiments (a raised iteration count, the seed).
NOT_SETTINGS = ('Runner.num_iterations', 'Exp3Bandit.seed', 'ClassicExp3Bandit.seed')


class UnreadableRunError(ValueError):
    """A run folder whose records cannot be read (truncated or corrupt files)."""


class NoRunsError(ValueError):
    """No run folder was found where runs were expected."""


# ---------------------------------------------------------------------------
# Gin configs as text.


class _Reference(str):
    """A gin ``@name`` or ``@name()`` kept as its text."""


class _TextDelegate(config_parser.ParserDelegate):
    def configurable_reference(self, scoped_configurable_name, evaluate):
        return _Reference('@' + scoped_configurable_name + ('()' if evaluate else ''))

    def macro(self, macro_name):
        return _Reference('%' + macro_name)


def read_gin_bindings(path, _seen=None):
    """``{'Scope/Name.param': value}`` of a gin file, includes followed, macros resolved.

    Values are Python literals where gin has them; references stay text
    (``'@Exp3Bandit'``). Uses gin's own parser, not gin's registry, so nothing
    is imported or built.
    """
    seen = _seen if _seen is not None else set()
    path = os.path.abspath(path)
    if path in seen:
        return {}
    seen.add(path)
    bindings = {}
    with open(path) as f:
        for statement in config_parser.ConfigParser(f, _TextDelegate()):
            if isinstance(statement, config_parser.IncludeStatement):
                included = statement.filename
                for candidate in (
                    os.path.join(os.path.dirname(path), included),
                    os.path.join(gin_files.CONFIG_DIR, included),
                ):
                    if os.path.isfile(candidate):
                        bindings.update(read_gin_bindings(candidate, seen))
                        break
            elif isinstance(statement, config_parser.BindingStatement):
                key = statement.selector if not statement.arg_name else f'{statement.selector}.{statement.arg_name}'
                if statement.scope:
                    key = f'{statement.scope}/{key}'
                bindings[key] = statement.value
    return _resolve_macros(bindings)


def _resolve_macros(bindings):
    def resolve(value, depth=0):
        if isinstance(value, _Reference) and value.startswith('%') and value[1:] in bindings and depth < 10:
            return resolve(bindings[value[1:]], depth + 1)
        if isinstance(value, (tuple, list)):
            return type(value)(resolve(v, depth) for v in value)
        return value

    return {key: resolve(value) for key, value in bindings.items()}


def _binding(bindings, name, default=None):
    """The value bound to ``name`` (e.g. ``'create_agent.agent_name'``), any module prefix."""
    for key, value in bindings.items():
        unscoped = key.split('/')[-1]
        if unscoped == name or unscoped.endswith('.' + name):
            return value
    return default


def _reference_name(value):
    """``'@tf.train.AdamOptimizer'`` -> ``'AdamOptimizer'``; ``'@Exp3Bandit()'`` -> ``'Exp3Bandit'``."""
    if not isinstance(value, str):
        return None
    return value.lstrip('@').rstrip('()').split('.')[-1].split('/')[-1]


def _rates_text(rates):
    return ','.join(f'{float(r):g}' for r in rates)


# ---------------------------------------------------------------------------
# What a run is: agent, game, method, seed.


def _method_files():
    """``{method name: bindings}`` of the shipped ``configs/methods/*.gin``."""
    methods = {}
    for path in sorted(glob.glob(os.path.join(METHOD_DIR, '*.gin'))):
        try:
            methods[os.path.splitext(os.path.basename(path))[0]] = read_gin_bindings(path)
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
    controller = _reference_name(_binding(bindings, 'create_agent.learning_rate_controller')) or 'FixedLearningRate'
    if controller == 'FixedLearningRate':
        rate = _binding(bindings, 'FixedLearningRate.rate')
        method = f'fixed{{{float(rate):g}}}' if isinstance(rate, (int, float)) else 'fixed'
    elif controller == 'BanditLearningRate':
        rates = _binding(bindings, 'BanditLearningRate.rates')
        method = f'lrrl{{{_rates_text(rates)}}}' if isinstance(rates, (tuple, list)) else 'lrrl'
        bandit = _reference_name(_binding(bindings, 'BanditLearningRate.bandit'))
        if bandit and bandit != 'Exp3Bandit':
            method += f'+{bandit}'
    else:
        method = controller
    optimizer = _reference_name(_binding(bindings, 'create_agent.optimizer_class'))
    if optimizer and optimizer != 'AdamOptimizer':
        method += f'+{optimizer}'
    return method


def _seed_from_path(run_dir):
    match = re.search(r'(?:^|[_\-/])(?:seed|s)[_=\-]?(\d+)$', os.path.basename(os.path.normpath(run_dir)))
    return int(match.group(1)) if match else None


def _read_json(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


@dataclasses.dataclass
class RunRecord:
    """One run folder: its settings and its per-iteration statistics."""

    settings: dict
    bindings: dict
    iterations: pd.DataFrame
    episodes: pd.DataFrame


def is_run_folder(path):
    return os.path.isdir(path) and any(
        os.path.exists(os.path.join(path, name)) for name in (CONFIG, OPERATIVE_CONFIG, sweeps.RUN_FILE, 'logs')
    )


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
            if is_run_folder(folder):
                found.setdefault(os.path.abspath(folder), os.path.normpath(folder))
                subfolders[:] = []
            else:
                subfolders.sort()
    return sorted(found.values())


def read_dopamine_log(run_dir):
    """Dopamine's statistics ``{iteration: {name: [values]}}`` from the newest ``logs/log_N``."""
    numbered = []
    for path in glob.glob(os.path.join(run_dir, 'logs', 'log_*')):
        match = re.search(r'log_(\d+)$', path)
        if match:
            numbered.append((int(match.group(1)), path))
    if not numbered:
        return {}
    path = max(numbered)[1]
    try:
        with open(path, 'rb') as f:
            data = pickle.load(f)
    except (pickle.UnpicklingError, EOFError, ValueError, OSError, AttributeError) as e:
        raise UnreadableRunError(
            f'{path} cannot be read ({type(e).__name__}: {e}): the log is truncated or corrupt. '
            'Move the run folder out of --runs, or delete this file to fall back on the previous log.'
        ) from e
    return {int(key.split('_')[1]): value for key, value in data.items() if key.startswith('iteration_')}


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
        counts = _first(stats.get('learning_rate_arm_counts'), [])
        for k, p in enumerate(probabilities):
            row[f'p_{k}'] = float(p)
        total = float(sum(counts))
        for k, count in enumerate(counts):
            row[f'share_{k}'] = count / total if total else np.nan
        rows.append(row)
    return rows


def read_run(run_dir, method_files=None):
    """Reads one run folder into a ``RunRecord`` (no TensorFlow)."""
    run_dir = os.path.normpath(run_dir)
    launch = _read_json(os.path.join(run_dir, sweeps.RUN_FILE)) or {}
    status = _read_json(os.path.join(run_dir, status_lib.STATUS_FILE)) or {}
    # config.gin is written when a launch starts; operative_config.gin when it
    # ends, so the former is the current intent of an unfinished run.
    bindings = {}
    for name in (OPERATIVE_CONFIG, CONFIG):
        path = os.path.join(run_dir, name)
        if os.path.exists(path):
            bindings.update(read_gin_bindings(path))
    labels = dict(launch.get('labels') or {})
    game = _binding(bindings, 'create_atari_environment.game_name') or _binding(
        bindings, 'create_gym_environment.environment_name'
    )
    controller = _reference_name(_binding(bindings, 'create_agent.learning_rate_controller')) or 'FixedLearningRate'
    candidates = _binding(bindings, 'BanditLearningRate.rates') if controller == 'BanditLearningRate' else None
    if controller == 'FixedLearningRate':
        candidates = (_binding(bindings, 'FixedLearningRate.rate'),)
    # run.json is written by lrrl.train (and by the sweep launcher); a folder
    # named seed_N is the fallback for runs made before it was.
    seed = launch.get('seed', _seed_from_path(run_dir))
    num_iterations = _binding(bindings, 'Runner.num_iterations')
    settings = {
        'run_dir': run_dir,
        'sweep': launch.get('sweep'),
        'agent': labels.pop('agent', None) or _binding(bindings, 'create_agent.agent_name'),
        'game': labels.pop('game', None) or game,
        'method': labels.pop('method', None) or infer_method(bindings, method_files),
        'seed': labels.pop('seed', seed),
        'controller': controller,
        'candidates': _rates_text(candidates) if isinstance(candidates, (tuple, list)) else None,
        'optimizer': _reference_name(_binding(bindings, 'create_agent.optimizer_class')),
        'training_steps': _binding(bindings, 'Runner.training_steps'),
        'num_iterations': num_iterations,
        'state': status.get('state'),
    }
    for key, value in labels.items():
        settings[f'label:{key}'] = value
    logs = read_dopamine_log(run_dir)
    iterations = pd.DataFrame(_iteration_rows(logs))
    if iterations.empty:
        iterations = pd.DataFrame(columns=['iteration', 'train_return', 'train_episodes', 'eval_return'])
    trace_path = os.path.join(run_dir, trace.FILENAME)
    try:
        episodes = pd.read_csv(trace_path) if os.path.exists(trace_path) else pd.DataFrame()
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as e:
        raise UnreadableRunError(
            f'{trace_path} cannot be read ({type(e).__name__}): it is truncated or corrupt.'
        ) from e
    required = ('iteration', 'episode', 'return')
    # The trace is written whole (atomically); a missing value anywhere means damage.
    if len(episodes) and (any(c not in episodes.columns for c in required) or episodes.isna().any().any()):
        raise UnreadableRunError(f'{trace_path} has missing values or columns: it is truncated or corrupt.')
    _check_trace_matches_log(trace_path, episodes, logs)
    logged = int(iterations['iteration'].max()) + 1 if len(iterations) else 0
    settings['iterations_logged'] = logged
    # Finished: the last logged iteration is the last one configured.
    settings['finished'] = bool(isinstance(num_iterations, int) and logged == num_iterations)
    if settings['state'] == 'failed':
        settings['finished'] = False
    return RunRecord(settings=settings, bindings=bindings, iterations=iterations, episodes=episodes)


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
            raise UnreadableRunError(
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
    for record in records:
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
            values = {repr(r.bindings.get(key)) for r in group}
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


def load_runs(roots):
    """Every run folder under ``roots`` as a ``RunTables``; raises ``NoRunsError`` if there is none."""
    folders = find_run_folders(roots)
    if not folders:
        raise NoRunsError(
            f'no run folders under {", ".join(roots) if not isinstance(roots, str) else roots}: a run folder holds '
            f'{CONFIG} or logs/ (written by python -m lrrl.train).'
        )
    method_files = _method_files()
    records = [read_run(folder, method_files) for folder in folders]
    for key in _varying_bindings(records):
        for record in records:
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


# ---------------------------------------------------------------------------
# Scores per run and per cell.

SCORES = ('max_average_return', 'final_return', 'auc')
SCORE_DEFINITIONS = {
    'max_average_return': "max over iterations of the mean training return of the iteration (the paper's metric)",
    'final_return': 'mean training return of the last logged iteration',
    'auc': 'area under the training curve, as the mean over logged iterations of the mean training return',
}


def run_scores(tables):
    """One row per run: its settings and the three scores, from its logged iterations."""
    runs = tables.runs.set_index('run_dir')
    if tables.iterations.empty:
        scores = pd.DataFrame(index=runs.index, columns=list(SCORES), dtype=float)
    else:
        by_run = tables.iterations.sort_values('iteration').groupby('run_dir')['train_return']
        scores = pd.DataFrame({'max_average_return': by_run.max(), 'final_return': by_run.last(), 'auc': by_run.mean()})
    return runs.join(scores).reset_index()


def cell_table(tables, scores=None):
    """Per cell (agent, game, method, ...): mean and std over seeds of each score.

    Also: ``n_seeds``, ``n_iterations`` (the range over its runs, e.g. ``3`` or
    ``2-3``), ``n_unfinished``, ``missing_seeds`` (seeds other cells of the same
    game have and this one lacks) and ``best`` (see ``best_in_game``). Runs with
    no logged iteration count in ``n_runs_without_data`` but not in the scores.
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
    return table


def best_in_game(table, game_keys, score='max_average_return'):
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
