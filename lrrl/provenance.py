"""Which code and which settings made a run: the commit, the behaviour version, a fingerprint.

A verdict pools the runs of a cell over seeds. That is only sound when every run
was made by code that trains the same way from the same settings: a fix that
changes what a seed does (e.g. seeding the TF graph) splits a cell in two. So
each training session of a run records, in ``run.json`` (``lrrl.run_folder``):

- ``commit``: the git commit of the lrrl checkout that ran it, and ``dirty``:
  whether the package or its configs had uncommitted changes (None outside git);
- ``behaviour``: ``BEHAVIOUR_VERSION``, raised by every change that makes the
  same configuration and seed train differently (docs/experiments.md, "Code
  versions", lists them). Refactors, new options and new records leave it as
  it is, so runs of many commits still pool;
- ``fingerprint``: a hash of the run's gin bindings that can change what it
  trains (``fingerprint``), the same for every seed of a cell.

Runs made before this was recorded have none of them; the analysis reads them as
"unknown" and never pools them with versioned runs. Pure Python (git is asked
once per process).
"""

import functools
import hashlib
import os
import subprocess

# The behaviour of training. 1: the code of 2026-12-07 (TF graph seeded, rounds in
# agent steps, the controller's feedback options); raise it when a change makes
# the same configuration and seed train differently, and say why in docs/experiments.md.
BEHAVIOUR_VERSION = 1

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# What decides how lrrl trains: a change here without a commit makes a run "dirty".
CODE_PATHS = ('lrrl', 'configs', 'setup.py', 'constraints.txt')
# Bindings that cannot change what a run trains: output, devices, the length
# (runs are compared at equal lengths anyway; a run extended later keeps its
# fingerprint) and the seed (a cell pools seeds).
NOT_BEHAVIOUR = (
    'Runner.num_iterations',
    'Runner.fine_grained_print_to_console',
    'Runner.log_every_n',
    'Runner.log_frequency',
    'CollectorDispatcher.',
    '.tf_device',
    '.seed',
    'create_agent.debug_mode',
)


def _git(*args):
    try:
        result = subprocess.run(['git', '-C', REPO, *args], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.returncode == 0 else None


@functools.lru_cache(maxsize=1)
def code_version():
    """``{'commit', 'dirty', 'behaviour'}`` of the code running now (commit and dirty None outside git)."""
    commit = _git('rev-parse', 'HEAD')
    status = _git('status', '--porcelain', '--untracked-files=no', '--', *CODE_PATHS) if commit else None
    return {
        'commit': commit.strip() if commit else None,
        'dirty': None if status is None else bool(status.strip()),
        'behaviour': BEHAVIOUR_VERSION,
    }


def _behaviour_lines(config_text):
    """The binding lines of a gin config that can change what a run trains, sorted, whitespace-normalised."""
    lines = []
    for line in config_text.splitlines():
        line = ' '.join(line.split())
        if not line or line.startswith('#') or line.startswith('import '):
            continue
        if not _skipped(line.split('=', 1)[0].strip()):
            lines.append(line)
    return sorted(lines)


def _skipped(name):
    """Whether binding ``name`` is in ``NOT_BEHAVIOUR`` (an exact name, a '.suffix' or a 'Prefix.')."""
    for skip in NOT_BEHAVIOUR:
        if name == skip or (skip.startswith('.') and name.endswith(skip)) or (skip.endswith('.') and name.startswith(skip)):
            return True
    return False


def fingerprint(config_text):
    """A short hash of a run's configuration (gin's ``config_str``) as far as it decides training.

    Two runs of one cell (same bindings, other seeds) share it; runs that differ
    in any binding outside ``NOT_BEHAVIOUR`` do not.
    """
    digest = hashlib.sha256('\n'.join(_behaviour_lines(config_text)).encode()).hexdigest()
    return digest[:16]


def session_entry(config_text, start_iteration):
    """What one training session of a run records in ``run.json``'s ``provenance`` list."""
    return {**code_version(), 'fingerprint': fingerprint(config_text), 'from_iteration': int(start_iteration)}


def summary(entries):
    """``{'commit', 'behaviour', 'fingerprint'}`` of a run from its ``provenance`` entries.

    ``commit`` is the last session's (with ``+dirty`` when its tree was dirty);
    ``behaviour`` and ``fingerprint`` are the sessions' common value, ``'mixed'``
    when the sessions differ (the run spans a behaviour change), None when the
    run recorded none (made before this existed).
    """
    entries = [e for e in entries or [] if isinstance(e, dict)]
    if not entries:
        return {'commit': None, 'behaviour': None, 'fingerprint': None}
    last = entries[-1]
    commit = last.get('commit')
    if commit and last.get('dirty'):
        commit += '+dirty'

    def common(key):
        values = {e.get(key) for e in entries}
        return values.pop() if len(values) == 1 else 'mixed'

    return {'commit': commit, 'behaviour': common('behaviour'), 'fingerprint': common('fingerprint')}
