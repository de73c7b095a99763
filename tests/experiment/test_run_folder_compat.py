"""Run folders written by earlier versions of lrrl still resume and still read.

``tests/fixtures/run_v0`` was written before the package was split into
subpackages (its gin configs import ``lrrl.bandits``, ``lrrl.runner``, …); see
tests/fixtures/README.md.
"""

import hashlib
import json
import os
import shutil

import pytest

from helpers import FIXTURES
from helpers import run_cli

OLD_RUN = os.path.join(FIXTURES, 'run_v0')


def snapshot(folder):
    """Every file's bytes (by hash) and modification time."""
    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, 'rb') as f:
                found[os.path.relpath(path, folder)] = (hashlib.sha256(f.read()).hexdigest(), os.stat(path).st_mtime_ns)
    return found


@pytest.fixture
def old_run(tmp_path):
    run = tmp_path / 'run_v0'
    shutil.copytree(OLD_RUN, run)
    return run


def old_settings(run):
    return json.loads((run / 'run.json').read_text())


def test_the_fixture_names_the_old_modules():
    text = open(os.path.join(OLD_RUN, 'config.gin')).read()
    assert 'import lrrl.bandits' in text and 'import lrrl.runner' in text


def test_a_configuration_that_does_not_match_the_run_is_refused_and_nothing_changes(old_run):
    settings = old_settings(old_run)
    before = snapshot(old_run)
    files = [f'--gin_files={f}' for f in settings['gin_files']]
    bindings = [f'--gin_bindings={b}' for b in settings['gin_bindings']]
    result = run_cli(
        'lrrl.train',
        f'--base_dir={old_run}',
        f'--seed={settings["seed"]}',
        *files,
        *bindings,
        '--gin_bindings=BanditLearningRate.rates=(1e-4, 1e-3, 0.3)',
    )
    assert result.returncode == 2, result.stderr
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith('lrrl.train: error:'), result.stderr
    assert 'BanditLearningRate.rates' in message and '0.01' in message and '0.3' in message
    assert 'another --base_dir' in message and 'config.gin' in message
    assert 'Traceback' not in result.stderr
    assert snapshot(old_run) == before  # status.json included: nothing rewritten


@pytest.mark.slow
def test_an_old_run_resumes_from_its_own_config_and_reads_in_the_report(old_run, tmp_path):
    before = json.loads((old_run / 'status.json').read_text())
    assert before['iteration'] == 2
    result = run_cli(
        'lrrl.train',
        f'--base_dir={old_run}',
        f'--seed={old_settings(old_run)["seed"]}',
        f'--gin_files={old_run / "config.gin"}',
        '--gin_bindings=Runner.num_iterations=3',
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'resuming' in result.stdout and 'iteration 3/3' in result.stdout
    assert 'iteration 1/3' not in result.stdout  # the two old iterations are not redone
    status = json.loads((old_run / 'status.json').read_text())
    assert (status['state'], status['iteration']) == ('finished', 3)
    import pandas as pd

    trace = pd.read_csv(old_run / 'lr_trace.csv')
    assert sorted(trace['iteration'].unique()) == [0, 1, 2]
    assert set(trace['learning_rate']) <= {1e-4, 1e-3, 1e-2}
    # The earlier config.gin (with more iterations now) is kept beside the new one.
    assert any(name.startswith('config.') and name != 'config.gin' for name in os.listdir(old_run))

    summary = run_cli('lrrl.run_summary', f'--run_dir={old_run}')
    assert summary.returncode == 0, summary.stderr
    assert (old_run / 'lr_plot.png').exists()
    out = tmp_path / 'report'
    report = run_cli('lrrl.report', f'--runs={old_run.parent}', f'--out={out}', '--bootstrap_reps=50')
    assert report.returncode == 0, report.stderr
    per_game = pd.read_csv(out / 'per_game.csv')
    assert per_game.loc[0, 'game'] == 'CartPole' and per_game.loc[0, 'agent'] == 'implicit_quantile'


def test_an_old_run_reads_in_the_report_and_the_summary_as_it_is(old_run, tmp_path):
    from lrrl.analysis import loading
    from lrrl.analysis import summary

    tables = loading.load_runs([str(old_run.parent)])
    row = tables.runs.iloc[0]
    assert (row['agent'], row['game'], row['controller'], row['seed']) == (
        'implicit_quantile',
        'CartPole',
        'BanditLearningRate',
        3,
    )
    assert row['candidates'] == '0.0001,0.001,0.01' and bool(row['finished'])
    table = summary.iteration_table(str(old_run))
    assert list(table.index) == [0, 1]


def test_an_old_run_relaunched_with_its_first_command_is_refused_saying_how_to_continue(old_run):
    """Its methods/lrrl_k5.gin now brings the default bandit (rounds in agent steps), which cannot take
    over a state without a format version; the message points to the run's config.gin."""
    settings = old_settings(old_run)
    before = snapshot(old_run)
    result = run_cli(
        'lrrl.train',
        f'--base_dir={old_run}',
        f'--seed={settings["seed"]}',
        *[f'--gin_files={f}' for f in settings['gin_files']],
        *[f'--gin_bindings={b}' for b in settings['gin_bindings']],
    )
    assert result.returncode == 2, result.stderr
    message = result.stderr.strip().splitlines()[-1]
    assert 'no format version' in message and 'BanditLearningRate.round_fraction' in message
    assert 'config.gin' in message and 'another --base_dir' in message
    assert snapshot(old_run) == before
