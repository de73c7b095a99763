"""Archived run records (lrrl.run_archive) stand in for run folders that are gone."""

import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from helpers import FIXTURES
from helpers import REPO
from lrrl import run_archive
from lrrl import run_folder
from lrrl.analysis import loading
from lrrl.analysis import report

OLD_RUN = os.path.join(FIXTURES, 'run_v0')


@pytest.fixture
def runs_root(tmp_path):
    """A runs root holding one finished LRRL run (the fixture) at sweep/lrrl/seed_3."""
    root = tmp_path / 'runs'
    shutil.copytree(OLD_RUN, root / 'sweep' / 'lrrl' / 'seed_3')
    return root


def test_a_record_reads_back_as_the_run_folder_did(runs_root, tmp_path):
    run_dir = str(runs_root / 'sweep' / 'lrrl' / 'seed_3')
    archive = str(tmp_path / 'archive')
    record = loading.read_run(run_dir)
    assert record.settings['finished'] and record.settings['controller'] == 'BanditLearningRate'
    path = run_archive.write_record(archive, run_archive.record_of(run_dir, str(runs_root)))
    assert path == os.path.join(archive, 'sweep', 'lrrl', 'seed_3.json')
    # One JSON document; the run's config and gin files named under configs/, not this machine's paths.
    data = json.loads(open(path).read())
    assert data['run'] == 'sweep/lrrl/seed_3' and 'BanditLearningRate' in data['config']
    assert all(not f.startswith('/') for f in data['run_settings']['gin_files'])

    from_folder = loading.load_runs([str(runs_root)])
    shutil.rmtree(runs_root / 'sweep')
    from_archive = loading.load_runs([], loading.archived_runs(archive, str(runs_root), 'sweep'))
    pd.testing.assert_frame_equal(from_archive.runs, from_folder.runs)
    columns = list(from_folder.iterations.columns)
    pd.testing.assert_frame_equal(from_archive.iterations[columns], from_folder.iterations)
    assert from_archive.episodes.empty


def test_a_run_folder_wins_over_its_record(runs_root, tmp_path):
    run_dir = str(runs_root / 'sweep' / 'lrrl' / 'seed_3')
    archive = str(tmp_path / 'archive')
    record = run_archive.record_of(run_dir, str(runs_root))
    record['iterations']['rows'] = [[*row[:1], -1.0, *row[2:]] for row in record['iterations']['rows']]
    run_archive.write_record(archive, record)
    archived = loading.archived_runs(archive, str(runs_root), 'sweep')
    tables = loading.load_runs([str(runs_root)], archived)
    assert len(tables.runs) == 1 and (tables.iterations['train_return'] > 0).all()
    report.write_report([str(runs_root)], str(tmp_path / 'report'), reps=10, with_plots=False, archived=archived)
    assert '(1 run folders).' in (tmp_path / 'report' / 'report.md').read_text()


def test_nan_is_written_as_null_and_read_as_nan(tmp_path):
    record = run_archive.make_record(
        'sweep/fixed/seed_0',
        {'sweep': 'sweep', 'labels': {'method': 'fixed'}, 'seed': 0, 'gin_files': [], 'gin_bindings': []},
        {'sweep': 'sweep', 'method': 'fixed', 'seed': 0, 'finished': True, 'num_iterations': 2},
        ['iteration', 'train_return', 'eval_return'],
        [(0, 1.5, float('nan')), (1, 2.5, np.float64(3.0))],
    )
    path = run_archive.write_record(str(tmp_path), record)
    assert '[0, 1.5, null]' in open(path).read()
    (archived,) = loading.archived_runs(str(tmp_path), 'runs', 'sweep')
    assert archived.settings['run_dir'] == os.path.join('runs', 'sweep', 'fixed', 'seed_0')
    assert np.isnan(archived.iterations['eval_return'][0]) and archived.iterations['eval_return'][1] == pytest.approx(
        3.0
    )
    assert run_archive.finished_record(str(tmp_path), 'sweep/fixed/seed_0')['run'] == 'sweep/fixed/seed_0'
    assert run_archive.finished_record(str(tmp_path), 'sweep/fixed/seed_1') is None


@pytest.mark.parametrize(
    'text, message',
    [
        ('{"format": 1}', 'is not an archived run record'),
        ('{"format": 99, "run": "", "run_settings": {}, "settings": {}, "iterations": {}}', 'update lrrl'),
        ('{"format": 1, "run": ', 'truncated or corrupt'),
    ],
)
def test_a_damaged_or_newer_record_is_refused_by_name(tmp_path, text, message):
    path = tmp_path / 'sweep' / 'x' / 'seed_0.json'
    path.parent.mkdir(parents=True)
    path.write_text(text)
    with pytest.raises(run_folder.UnreadableRunError, match=message) as error:
        loading.archived_runs(str(tmp_path), 'runs', 'sweep')
    assert str(path) in str(error.value)


def test_same_run_ignores_where_the_configs_folder_is_and_nothing_else():
    from lrrl import gin_files

    settings = {
        'sweep': 's',
        'labels': {'method': 'lrrl'},
        'seed': 0,
        'gin_files': [os.path.join(gin_files.CONFIG_DIR, 'agents', 'dqn_cartpole.gin')],
        'gin_bindings': ['Runner.num_iterations = 3'],
    }
    record = {'run_settings': run_archive.run_identity(dict(settings, gin_files=['agents/dqn_cartpole.gin']))}
    assert run_archive.same_run(settings, record)
    assert not run_archive.same_run(dict(settings, seed=1), record)
    assert not run_archive.same_run(dict(settings, gin_bindings=['Runner.num_iterations = 4']), record)
    assert not run_archive.same_run(dict(settings, gin_files=['agents/iqn_cartpole.gin']), record)


def test_records_made_before_the_default_changed_name_its_file_as_it_is_called_today():
    """Until format 3, lrrl/bandit.gin bound what lrrl/bandit_v1.gin binds today."""
    settings = {'sweep': 's', 'labels': {}, 'seed': 0, 'gin_files': ['agents/dqn_cartpole.gin', 'lrrl/bandit_v1.gin']}
    older = {'format': 2, 'run_settings': dict(settings, gin_files=['agents/dqn_cartpole.gin', 'lrrl/bandit.gin'])}
    assert run_archive.same_run(settings, older)
    assert run_archive.same_run(settings, dict(older, format=1))
    # A record of today's format that names lrrl/bandit.gin ran today's default, not v1.
    assert not run_archive.same_run(settings, dict(older, format=3))
    assert run_archive.same_run(dict(settings, gin_files=older['run_settings']['gin_files']), dict(older, format=3))


@pytest.mark.parametrize(
    'record, feedback',
    [
        ('claim1_acrobot_dqn_10seeds/lrrl_with_0.02/seed_0.json', 'LossImprovement'),  # today's default
        ('claim1_acrobot_dqn_10seeds/lrrl_paper_literal_with_0.02/seed_0.json', 'round value'),
        ('claim1_cartpole_iqn/lrrl_with_0.1/seed_0.json', 'RoundImprovement'),  # format 1: v1
        ('claim1_acrobot_dqn/lrrl_with_0.02/seed_0.json', None),  # from a report table: no config
        ('claim1_acrobot_dqn_10seeds/fixed_0.02/seed_0.json', None),  # no bandit
    ],
)
def test_records_archived_before_the_feedback_was_described_read_it_from_their_config(record, feedback):
    """Claim 5 keeps LRRL on the TD loss apart from LRRL on returns (docs/claims.md): committed
    records, archived before a run's feedback was one of its settings, say it from their config."""
    archived = run_archive.read_record(os.path.join(REPO, 'results', 'claims', 'archive', record))
    assert 'feedback' not in archived['settings']
    assert run_archive.record_settings(archived)['feedback'] == feedback


def test_a_record_whose_config_is_not_gin_has_an_unknown_feedback():
    record = {'settings': {'controller': 'BanditLearningRate'}, 'config': 'not a gin file'}
    assert run_archive.record_settings(record)['feedback'] is None


def test_every_committed_record_is_of_a_run_its_sweep_file_plans_today():
    """Relaunching a sweep with its archive trains nothing it already has (no record is of other settings)."""
    import glob

    from helpers import REPO
    from lrrl.sweeps import spec

    checked = 0
    for archive in glob.glob(os.path.join(REPO, 'results', '*', 'archive')):
        for sweep_dir in sorted(glob.glob(os.path.join(archive, '*', ''))):
            name = os.path.basename(os.path.dirname(sweep_dir))
            records = glob.glob(os.path.join(sweep_dir, '**', 'seed_*.json'), recursive=True)
            if not records or not os.path.exists(os.path.join(REPO, 'configs', 'experiments', f'{name}.toml')):
                continue
            planned = {
                run_archive.run_key('runs', run.base_dir): run.record()
                for run in spec.expand(spec.load_sweep(name), 'runs')
            }
            for path in records:
                record = run_archive.read_record(path)
                assert record['run'] in planned, path
                assert run_archive.same_run(planned[record['run']], record), path
                checked += 1
    assert checked > 500


def test_the_launcher_writes_records_without_the_analysis(runs_root, tmp_path):
    """lrrl.launch archives through lrrl.run_archive, which imports no lrrl.analysis module."""
    import subprocess
    import sys

    from helpers import REPO

    script = (
        'import sys; import lrrl.launch; from lrrl import run_archive; '
        f'path = run_archive.archive_run({str(runs_root / "sweep" / "lrrl" / "seed_3")!r}, {str(runs_root)!r}, '
        f'{str(tmp_path / "archive")!r}); '
        "print(path, sorted(m for m in sys.modules if m.startswith('lrrl.analysis')))"
    )
    result = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == f'{tmp_path / "archive" / "sweep" / "lrrl" / "seed_3.json"} []'
