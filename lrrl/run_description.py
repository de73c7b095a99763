"""What a run folder says about its run, in plain Python: its settings and its iterations.

The one reading of a run folder's settings (agent, game, method, seed, controller,
candidates, ...: from its ``run.json`` and ``status.json`` and its gin configs read as
text, ``lrrl.gin_text``) and of its per-iteration statistics (Dopamine's logs). The
analysis's tables (``lrrl.analysis.loading``) and the archived records
(``lrrl.run_archive``, which the launcher writes) are both made from it, so a record
reads back as its run folder did. No TensorFlow, no pandas.
"""

import dataclasses
import glob
import math
import os
import re

import numpy as np

from lrrl import errors
from lrrl import gin_files
from lrrl import gin_text
from lrrl import provenance
from lrrl import run_folder

METHOD_DIR = os.path.join(gin_files.CONFIG_DIR, 'methods')
MINATAR_SUFFIX = '-MinAtar'


class NoRunsError(errors.ConfigError):
    """No run folder was found where runs were expected."""


@dataclasses.dataclass
class RunDescription:
    """A run folder's settings and gin bindings, Dopamine's logs and one row (a dict) per logged iteration."""

    settings: dict
    bindings: dict
    logs: dict
    iteration_rows: list


def minatar_game_label(game_name):
    """The analysis's name of a MinAtar game: ``'space_invaders'`` -> ``'SpaceInvaders-MinAtar'``."""
    name = str(game_name)
    if name.endswith(MINATAR_SUFFIX):
        return name
    return ''.join(part.capitalize() for part in name.split('_')) + MINATAR_SUFFIX


def shipped_method_files():
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
    method_files = shipped_method_files() if method_files is None else method_files
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


def iteration_rows(logs):
    """One dict per logged iteration: returns, episodes, the rate used, the arm probabilities and shares."""
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
    return minatar_game_label(game) if minatar and game is not None else game


def bandit_feedback(bindings):
    """What a bandit run's rounds were scored on: the class bound to ``BanditLearningRate.feedback``
    (``'LossImprovement'``, ``'RoundImprovement'``, ...), or ``'round value'`` when it is None or
    unbound (the round's value itself: paper-literal LRRL, and every run made before
    ``lrrl/control/feedback.py`` existed)."""
    return gin_text.reference_name(gin_text.binding_value(bindings, 'BanditLearningRate.feedback')) or 'round value'


def describe(run_dir, method_files=None):
    """A run folder's ``RunDescription`` (what ``lrrl.analysis.loading.read_run`` and the archive read)."""
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
        'feedback': bandit_feedback(bindings) if controller == 'BanditLearningRate' else None,
        'training_steps': gin_text.binding_value(bindings, 'Runner.training_steps'),
        'num_iterations': num_iterations,
        'state': status.get('state'),
        # Which code and settings trained it (lrrl.provenance): None for runs made before it was recorded.
        **provenance.summary(launch.get(run_folder.PROVENANCE)),
    }
    for key, value in labels.items():
        settings[f'label:{key}'] = value
    logs = run_folder.read_dopamine_log(run_dir)
    rows = iteration_rows(logs)
    logged = max(row['iteration'] for row in rows) + 1 if rows else 0
    settings['iterations_logged'] = logged
    # Finished: the last logged iteration is the last one configured.
    settings['finished'] = bool(isinstance(num_iterations, int) and logged == num_iterations)
    if settings['state'] == 'failed':
        settings['finished'] = False
    return RunDescription(settings=settings, bindings=bindings, logs=logs, iteration_rows=rows)
