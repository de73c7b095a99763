"""A finished run's record in git: what a campaign keeps when its run folders are gone.

Run folders (checkpoints, replay, logs) stay out of git and live as long as the
machine does. A campaign that spans several machines or working sessions keeps,
for every finished run, one small JSON file in an *archive* that is committed:

    ARCHIVE_ROOT/<sweep>/<label of each axis>/seed_<n>.json

mirroring the run folder ``RUNS_ROOT/<sweep>/<labels>/seed_<n>`` (its *key* is
that path relative to the runs root). The file holds:

    {"format": 1,
     "run": "claim2_minatar_dqn/breakout/fixed_1e-3/seed_0",      # the key
     "run_settings": {...},    # its run.json (sweep, labels, seed, gin files, bindings) as run_identity
     "settings": {...},        # what the analysis reads of the run (lrrl.analysis.loading)
     "config": "...",          # the run's config.gin (None for records made from a report table)
     "source": "...",          # how the record was made
     "iterations": {"columns": [...], "rows": [[...], ...]},   # one row per iteration
     "rounds": {"columns": [...], "rows": [[...], ...]}}       # rounds.csv (format 2; bandit runs)

Format 2 added ``rounds``, the run's closed bandit rounds (``lrrl.run_folder``,
rounds.csv), floats kept to 7 significant digits; format-1 records read as
records without rounds. Format 3 (2026-12-07, issue 28) has format 2's fields;
it marks the change of LRRL's default bandit: until then ``lrrl/bandit.gin``
bound what ``lrrl/bandit_v1.gin`` binds today, so an older record that names
``lrrl/bandit.gin`` is a run of ``lrrl/bandit_v1.gin`` (``record_identity``), and
the sweeps those records came from name ``lrrl/bandit_v1.gin`` today.

This module writes the records (``archive_run``, ``archive_finished``): their
settings and iterations are the run folder's as ``lrrl.run_description`` reads
them, the reading the analysis's tables are made from, so a record reads back
(``lrrl.analysis.loading.archived_runs``) as its run folder did.

Who uses it: ``python -m lrrl.claims`` archives every finished run of the
campaign's sweeps and reads the archive beside the run folders (a run folder,
when present, wins); ``python -m lrrl.launch --archive_root=...`` archives each
run as it finishes and skips a run
whose folder is missing or empty but whose archived record is finished with the
same settings (``same_run``), so relaunching a sweep on a new machine trains only
what is missing. The launcher imports no analysis for it; pandas is imported only
to write a record (the same tables the analysis reads).
"""

import json
import math
import os

from lrrl import atomic
from lrrl import gin_files
from lrrl import gin_text
from lrrl import run_description
from lrrl import run_folder

FORMAT = 3
# Gin files renamed since older formats: {format it holds before: {name then: name today}}.
RENAMED_BEFORE = {3: {'lrrl/bandit.gin': 'lrrl/bandit_v1.gin'}}
SUFFIX = '.json'
KEYS = ('format', 'run', 'run_settings', 'settings', 'iterations')


def run_key(runs_root, run_dir):
    """A run folder's key: its path relative to the runs root, with '/' separators."""
    relative = os.path.relpath(os.path.abspath(run_dir), os.path.abspath(runs_root))
    if relative.startswith('..'):
        raise ValueError(f'run folder {run_dir} is not under the runs root {runs_root}.')
    return relative.replace(os.sep, '/')


def record_path(archive_root, key):
    return os.path.join(archive_root, *key.split('/')) + SUFFIX


def _config_relative(path):
    """A gin file as the same name on any machine: relative to configs/ when it lies there."""
    relative = os.path.relpath(os.path.abspath(path), gin_files.CONFIG_DIR)
    return path if relative.startswith('..') else relative.replace(os.sep, '/')


def run_identity(run_settings):
    """What makes two runs the same experiment: sweep, labels, seed, gin files (by their name under
    configs/, so another checkout's paths match) and bindings, in order."""
    return {
        'sweep': run_settings.get('sweep'),
        'labels': dict(run_settings.get('labels') or {}),
        'seed': run_settings.get('seed'),
        'gin_files': [_config_relative(f) for f in run_settings.get('gin_files') or []],
        'gin_bindings': list(run_settings.get('gin_bindings') or []),
    }


def record_identity(record):
    """``run_identity`` of an archived record, its gin files by today's names (``RENAMED_BEFORE``)."""
    identity = run_identity(record.get('run_settings') or {})
    for before, renamed in RENAMED_BEFORE.items():
        if record.get('format', FORMAT) < before:
            identity['gin_files'] = [renamed.get(name, name) for name in identity['gin_files']]
    return identity


def same_run(run_settings, record):
    """Whether an archived record is of the run described by ``run_settings`` (a run.json)."""
    return run_identity(run_settings) == record_identity(record)


def _plain(value):
    """A JSON value; NaN and infinities as null (JSON has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, 'item'):  # numpy scalars
        return _plain(value.item())
    return value


TABLES = ('iterations', 'rounds')


def record_text(record):
    """The record as JSON, one table row per line (so a diff shows the iterations that changed)."""
    head = {k: v for k, v in record.items() if k not in TABLES}
    lines = ['{']
    for name, value in head.items():
        lines.append(f'  {json.dumps(name)}: {json.dumps(value)},')
    tables = [name for name in TABLES if record.get(name) is not None]
    for index, name in enumerate(tables):
        table = record[name]
        lines.append(f'  {json.dumps(name)}: {{"columns": {json.dumps(table["columns"])}, "rows": [')
        rows = [json.dumps([_plain(v) for v in row]) for row in table['rows']]
        lines.append(',\n'.join(f'    {row}' for row in rows))
        lines.append('  ]}' + (',' if index < len(tables) - 1 else ''))
    lines.append('}')
    return '\n'.join(lines) + '\n'


def _significant(value, digits=7):
    """A float kept to ``digits`` significant digits (rounds.csv's many rows stay small in git)."""
    if isinstance(value, float) and math.isfinite(value) and value != 0.0:
        return float(f'{value:.{digits}g}')
    return value


def make_record(key, run_settings, settings, columns, rows, config=None, source='run folder', rounds=None):
    """A record (a dict) from the run folder's run.json, the analysis' settings and iteration rows.

    ``rounds``: None, or ``(columns, rows)`` of the run's rounds.csv.
    """
    record = {
        'format': FORMAT,
        'run': key,
        'run_settings': run_identity(run_settings),
        'settings': {name: _plain(value) for name, value in settings.items()},
        'config': config,
        'source': source,
        'iterations': {'columns': list(columns), 'rows': [list(row) for row in rows]},
    }
    if rounds is not None:
        round_columns, round_rows = rounds
        record['rounds'] = {
            'columns': list(round_columns),
            'rows': [[_significant(_plain(v)) for v in row] for row in round_rows],
        }
    return record


def write_record(archive_root, record):
    """Writes (atomically) the record's file under ``archive_root``; returns its path."""
    path = record_path(archive_root, record['run'])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return atomic.write_text(path, record_text(record))


def read_record(path):
    """An archived record; UnreadableRunError if the file is not one (or of a newer format)."""
    record = run_folder.read_json(path)
    if not isinstance(record, dict) or any(k not in record for k in KEYS):
        raise run_folder.UnreadableRunError(f'{path} is not an archived run record: it needs the keys {KEYS}.')
    if record['format'] > FORMAT:
        raise run_folder.UnreadableRunError(
            f'{path} has format {record["format"]}; this lrrl reads up to {FORMAT}: update lrrl.'
        )
    return record


def record_settings(record):
    """An archived record's ``settings`` as ``run_description.describe`` gives them today: a bandit
    run's ``feedback``, which records archived before it was described, is read from the
    record's config (None for a record with no config: one made from a report table)."""
    settings = dict(record['settings'])
    if 'feedback' not in settings:
        config = record.get('config') if settings.get('controller') == 'BanditLearningRate' else None
        settings['feedback'] = None
        if config:
            try:
                settings['feedback'] = run_description.bandit_feedback(gin_text.read_gin_text(config))
            except (SyntaxError, ValueError):  # not a gin config: what the run was scored on is unknown
                pass
    return settings


def find_records(archive_root, sweep):
    """``{key: path}`` of the sweep's archived records (empty if there are none)."""
    folder = os.path.join(archive_root, sweep)
    found = {}
    for directory, _, files in os.walk(folder):
        for name in files:
            if name.endswith(SUFFIX):
                path = os.path.join(directory, name)
                found[run_key(archive_root, path)[: -len(SUFFIX)]] = path
    return dict(sorted(found.items()))


def finished_record(archive_root, key):
    """The archived record of a finished run under ``key``, or None."""
    path = record_path(archive_root, key)
    if not os.path.exists(path):
        return None
    record = read_record(path)
    return record if record['settings'].get('finished') else None


def record_of(run_dir, runs_root):
    """The record of the run folder ``run_dir`` (under ``runs_root``), finished or not."""
    import pandas as pd  # pylint: disable=g-import-not-at-top  (only to write a record)

    described = run_description.describe(run_dir)
    # The tables as the analysis holds them (lrrl.analysis.loading.read_run), so the record's
    # columns and numbers are those a run folder gives.
    iterations = pd.DataFrame(described.iteration_rows)
    rounds = run_folder.read_rounds(run_dir)
    config_path = os.path.join(run_dir, run_folder.CONFIG)
    config = None
    if os.path.exists(config_path):
        with open(config_path) as f:
            config = f.read()
    return make_record(
        run_key(runs_root, run_dir),
        run_folder.read_run_settings(run_dir),
        {k: v for k, v in described.settings.items() if k != 'run_dir'},
        iterations.columns,
        iterations.itertuples(index=False, name=None),
        config=config,
        rounds=None
        if rounds is None
        else (rounds.columns, rounds.astype(object).where(rounds.notna(), None).itertuples(index=False, name=None)),
    )


def archive_run(run_dir, runs_root, archive_root):
    """Archives the run folder ``run_dir`` (under ``runs_root``) if it has finished.

    Returns the record's path, or None for a run that has not finished (nothing written).
    """
    record = record_of(run_dir, runs_root)
    if not record['settings']['finished']:
        return None
    return write_record(archive_root, record)


def archive_finished(folders, runs_root, archive_root):
    """Archives every finished run folder under ``folders``; returns how many records were written."""
    return sum(
        archive_run(run_dir, runs_root, archive_root) is not None
        for run_dir in run_description.find_run_folders(folders)
    )


def unarchived_finished(folder, runs_root, archive_root):
    """The finished run folders under ``folder`` whose archive holds no finished record (status only: fast)."""
    if not os.path.isdir(folder):
        return []
    return [
        run_dir
        for run_dir in run_description.find_run_folders(folder)
        if (run_folder.read_status(run_dir) or {}).get('state') == 'finished'
        and finished_record(archive_root, run_key(runs_root, run_dir)) is None
    ]
