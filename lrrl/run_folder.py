"""The run folder: every file name, record and lock of one training run, in one place.

``python -m lrrl.train --base_dir=DIR`` (or a launcher) writes a run folder;
the launcher, the report and the run summary read it. No TensorFlow here.

    DIR/
      checkpoints/           Dopamine's checkpoints (agent, replay, controller state)
      logs/log_N             Dopamine's iteration statistics (the newest holds every iteration)
      metrics/               Dopamine's metrics collectors (console, pickle, TensorBoard)
      config.gin             every gin binding the run was launched with (CONFIG)
      operative_config.gin   the values its objects were built with (OPERATIVE_CONFIG)
      run.json               seed, gin files, bindings; a launcher adds sweep and labels; the code
                             version and settings fingerprint of each training session (RUN_FILE)
      status.json            running / finished / failed, iterations checkpointed (STATUS_FILE)
      lr_trace.csv           one row per training episode with its rate (TRACE_FILE)
      rounds.csv             one row per closed bandit round: arm, value, feedback, probe (ROUNDS_FILE)
      .lock                  held by the process training in the folder (LOCK_FILE)

``status.json``, for a person or a launcher:

    {"state": "running" | "finished" | "failed", "iteration": 3, "num_iterations": 50,
     "error": "...", "updated": "2026-11-22T04:30:00+00:00", "host": "node12", "pid": 4242}

``iteration`` counts the iterations that have a checkpoint. It is written when
the run starts, after every checkpoint and when the run ends; ``failed`` carries
the error (an interrupted run, e.g. killed for a SLURM requeue, is ``failed``
until it resumes). A diverged run adds ``diverged_at_step`` and ``learning_rate``.

``lr_trace.csv`` columns: iteration, episode (0-based over the run), agent_step
(the agent's training-step count when the episode ended), arm, learning_rate,
return (raw, unclipped), length, then p_0 .. p_{K-1}, the arm probabilities the
rate was drawn from. Rows are written once per iteration, before that
iteration's checkpoint; on resume the rows of iterations without a checkpoint
are dropped, so the trace and the checkpoint agree.

``rounds.csv`` (bandit controllers; runs made before it existed have none):
iteration, round (0-based over the run), start_step and end_step (agent
steps), arm, learning_rate (the arm's rate at the round's start), episodes
(those whose returns count for it), value (their mean return), before (the
mean return of the episodes that ended just before it began; empty if none),
feedback (what the bandit was told), then, when the agent measured the round
probe (``lrrl.experiment.rate_control.RoundProbe``), loss_start, loss_end,
loss_frozen_start, loss_frozen_end, q_max_start, q_max_end, and p_0 ..
p_{K-1}, the probabilities the round's arm was drawn from. Written and
truncated on resume like ``lr_trace.csv``.

``run_lock`` holds an exclusive ``flock`` on ``.lock`` while a process trains,
so a second launch of the same run stops at once (``RunBusy``) instead of
writing over the first. The kernel releases it however the process dies.

Every write is atomic (``lrrl.atomic``).
"""

import contextlib
import csv
import datetime
import fcntl
import glob
import io
import json
import os
import pickle
import re
import socket

from lrrl import atomic
from lrrl import errors

CONFIG = 'config.gin'
OPERATIVE_CONFIG = 'operative_config.gin'
RUN_FILE = 'run.json'
STATUS_FILE = 'status.json'
LOCK_FILE = '.lock'
TRACE_FILE = 'lr_trace.csv'
ROUNDS_FILE = 'rounds.csv'
# run.json's list of the code versions and settings fingerprints that trained the run.
PROVENANCE = 'provenance'
CHECKPOINTS = 'checkpoints'
LOGS = 'logs'

STATES = ('running', 'finished', 'failed')
TRACE_COLUMNS = ('iteration', 'episode', 'agent_step', 'arm', 'learning_rate', 'return', 'length')
_SENTINEL = re.compile(r'sentinel_checkpoint_complete\.(\d+)$')
_LOG = re.compile(r'log_(\d+)$')
# Key of the controller's state in Dopamine's checkpoint bundle (``ckpt.N``).
CONTROLLER_BUNDLE_KEY = 'lrrl_learning_rate_controller'


class UnreadableRunError(errors.ConfigError):
    """A run folder whose records cannot be read (truncated or corrupt files)."""


def is_run_folder(path):
    """A folder with any of a run's records."""
    return os.path.isdir(path) and any(
        os.path.exists(os.path.join(path, name)) for name in (CONFIG, OPERATIVE_CONFIG, RUN_FILE, LOGS)
    )


# --- run.json ---------------------------------------------------------------


def read_json(path):
    """A JSON file as data; None if it does not exist; UnreadableRunError if it is not JSON."""
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UnreadableRunError(f'{path} is not valid JSON ({e}): the file is truncated or corrupt.') from e


def read_run_settings(run_dir):
    """``run.json`` as a dict ({} if the folder has none)."""
    return read_json(os.path.join(run_dir, RUN_FILE)) or {}


def write_run_settings(run_dir, settings, keep_existing=False):
    """Writes ``run.json``; with ``keep_existing``, an existing one is left as it is.

    The provenance entries of an existing file are kept (a relaunch rewrites the
    launcher's settings, not the record of who trained the run).
    """
    path = os.path.join(run_dir, RUN_FILE)
    if keep_existing and os.path.exists(path):
        return path
    existing = read_run_settings(run_dir) if os.path.exists(path) else {}
    if existing.get(PROVENANCE) and PROVENANCE not in settings:
        settings = {**settings, PROVENANCE: existing[PROVENANCE]}
    return atomic.write_json(path, settings)


def add_provenance(run_dir, entry):
    """Appends a training session's code version and fingerprint (``lrrl.provenance``) to ``run.json``.

    Nothing is added when the last entry says the same (a resume by the same
    code with the same settings), so the list names each change of code or
    settings once, with the iteration it started at.
    """
    settings = read_run_settings(run_dir)
    entries = list(settings.get(PROVENANCE) or [])
    same = ('commit', 'dirty', 'behaviour', 'fingerprint')
    if entries and all(entries[-1].get(k) == entry.get(k) for k in same):
        return
    settings[PROVENANCE] = entries + [dict(entry)]
    atomic.write_json(os.path.join(run_dir, RUN_FILE), settings)


# --- status.json ------------------------------------------------------------


def read_status(run_dir):
    """The run's status.json as a dict, or None if it has none (or half of one)."""
    try:
        with open(os.path.join(run_dir, STATUS_FILE)) as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def write_status(run_dir, state, iteration=None, num_iterations=None, error=None, **details):
    """Writes status.json atomically; ``details`` (plain data) are added as fields."""
    if state not in STATES:
        raise ValueError(f'state {state!r} is not allowed: it must be one of {STATES}.')
    status = {
        'state': state,
        'iteration': iteration,
        'num_iterations': num_iterations,
        'error': error,
        'updated': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        'host': socket.gethostname(),
        'pid': os.getpid(),
        **details,
    }
    atomic.write_json(os.path.join(run_dir, STATUS_FILE), status)
    return status


# --- checkpoints ------------------------------------------------------------


def completed_iterations(run_dir):
    """How many iterations have a complete Dopamine checkpoint (0 if none).

    Dopamine writes ``sentinel_checkpoint_complete.N`` after checkpoint N and
    resumes from the highest such N, at iteration N + 1.
    """
    numbers = [
        int(m.group(1))
        for m in (_SENTINEL.search(p) for p in glob.glob(os.path.join(run_dir, CHECKPOINTS, 'sentinel_*')))
        if m
    ]
    return max(numbers) + 1 if numbers else 0


def saved_controller_state(run_dir):
    """The controller state in the newest complete checkpoint, or None.

    Read from Dopamine's pickled bundle ``checkpoints/ckpt.N`` without building
    anything, so a resume can be checked against the configuration first.
    """
    done = completed_iterations(run_dir)
    if not done:
        return None
    path = os.path.join(run_dir, CHECKPOINTS, f'ckpt.{done - 1}')
    try:
        with open(path, 'rb') as f:
            bundle = pickle.load(f)
    except FileNotFoundError:
        return None
    except (pickle.UnpicklingError, EOFError, ValueError, AttributeError, ImportError) as e:
        raise UnreadableRunError(f'{path} cannot be read ({type(e).__name__}: {e}).') from e
    return bundle.get(CONTROLLER_BUNDLE_KEY) if isinstance(bundle, dict) else None


# --- the lock ---------------------------------------------------------------


@contextlib.contextmanager
def run_lock(run_dir):
    """Holds ``<run_dir>/.lock`` exclusively; ``errors.RunBusy`` if another process has it."""
    path = os.path.join(run_dir, LOCK_FILE)
    with open(path, 'a+') as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or 'another process'
            raise errors.RunBusy(
                f'{run_dir} is being trained by {holder}; not starting a second process on it.'
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f'pid {os.getpid()} on {socket.gethostname()}\n')
        f.flush()
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def is_locked(run_dir):
    """Whether a process holds the run's lock right now."""
    path = os.path.join(run_dir, LOCK_FILE)
    if not os.path.exists(path):
        return False
    with open(path) as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
    return False


# --- Dopamine's logs --------------------------------------------------------


def read_dopamine_log(run_dir):
    """Dopamine's statistics ``{iteration: {name: [values]}}`` from the newest ``logs/log_N``.

    Dopamine's ``Logger`` writes ``logs/log_N`` after iteration N holding every
    iteration so far and deletes older files, so the newest file is the whole
    record. {} if there is none; ``UnreadableRunError`` naming the file if it is
    truncated or corrupt.
    """
    numbered = []
    for path in glob.glob(os.path.join(run_dir, LOGS, 'log_*')):
        match = _LOG.search(path)
        if match:
            numbered.append((int(match.group(1)), path))
    if not numbered:
        return {}
    path = max(numbered)[1]
    try:
        with open(path, 'rb') as f:
            data = pickle.load(f)
    except (pickle.UnpicklingError, EOFError, ValueError, OSError, AttributeError, ImportError) as e:
        raise UnreadableRunError(
            f'{path} cannot be read ({type(e).__name__}: {e}): the log is truncated or corrupt. '
            'Move the run folder out of --runs, or delete this file to fall back on the previous log.'
        ) from e
    return {int(key.split('_')[1]): value for key, value in data.items() if key.startswith('iteration_')}


# --- lr_trace.csv -----------------------------------------------------------


def trace_columns(num_arms):
    return TRACE_COLUMNS + tuple(f'p_{k}' for k in range(num_arms))


class _IterationRows:
    """A CSV file of rows tagged with their iteration, appended once per iteration (atomically)."""

    def __init__(self, path, columns=None):
        self.path = path
        self.columns = columns  # None: the file's header, or the first rows' keys

    def _read_text(self):
        if not os.path.exists(self.path):
            return ''
        with open(self.path, newline='') as f:
            return f.read()

    def read_rows(self):
        text = self._read_text()
        if not text:
            return []
        return list(csv.DictReader(io.StringIO(text)))

    def _header(self, text, rows):
        if self.columns is not None:
            return list(self.columns)
        if text:
            return next(csv.reader(io.StringIO(text)))
        return list(dict.fromkeys(key for row in rows for key in row))

    def append(self, rows):
        """Adds rows (dicts keyed by the columns) in one atomic replace."""
        if not rows and self.columns is None:
            return
        text = self._read_text()
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=self._header(text, rows), lineterminator='\n')
        if not text:
            writer.writeheader()
        writer.writerows(rows)
        atomic.write_text(self.path, text + out.getvalue())

    def truncate(self, first_iteration):
        """Drops rows of iterations >= ``first_iteration``; returns rows kept."""
        text = self._read_text()
        rows = [r for r in self.read_rows() if int(r['iteration']) < first_iteration]
        if text:
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=self._header(text, rows), lineterminator='\n')
            writer.writeheader()
            writer.writerows(rows)
            atomic.write_text(self.path, out.getvalue())
        return len(rows)


class LearningRateTrace(_IterationRows):
    """Appends per-episode rows to ``<run>/lr_trace.csv`` (see the module doc)."""

    def __init__(self, run_dir, num_arms):
        super().__init__(os.path.join(run_dir, TRACE_FILE), trace_columns(num_arms))


class RoundTrace(_IterationRows):
    """Appends the closed bandit rounds to ``<run>/rounds.csv`` (see the module doc); no file without rounds."""

    def __init__(self, run_dir):
        super().__init__(os.path.join(run_dir, ROUNDS_FILE))


def read_trace(run_dir, name=TRACE_FILE):
    """``lr_trace.csv`` (or ``rounds.csv``) as a pandas DataFrame; ``UnreadableRunError`` if missing or corrupt."""
    import pandas as pd  # pylint: disable=g-import-not-at-top

    path = os.path.join(run_dir, name)
    if not os.path.exists(path):
        raise UnreadableRunError(f'{path} does not exist: is {run_dir} a run folder of lrrl.train?')
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise UnreadableRunError(f'{path} cannot be read ({e}): the file is truncated or corrupt.') from e


def read_rounds(run_dir):
    """``rounds.csv`` as a DataFrame, or None for a run without one (fixed rates, runs made before it existed)."""
    if not os.path.exists(os.path.join(run_dir, ROUNDS_FILE)):
        return None
    return read_trace(run_dir, ROUNDS_FILE)
