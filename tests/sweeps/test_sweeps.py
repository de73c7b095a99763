"""Sweep files and command-line axes expand into runs; bad sweeps are refused before anything runs."""

import os
import re

import pytest

from helpers import run_cli
from lrrl import run_archive
from lrrl.sweeps import spec

SWEEP = """
name = "demo"
seeds = [0, 1]
gin_files = ["agents/dqn_cartpole.gin"]
gin_bindings = ["Runner.num_iterations = 2"]

[axes.method]
fixed = { gin_bindings = ["FixedLearningRate.rate = 1e-3"] }
lrrl = { gin_files = ["lrrl/bandit.gin"], gin_bindings = ["BanditLearningRate.rates = (1e-4, 1e-3)"] }

[axes.steps]
binding = "Runner.training_steps"
values = [300, 500]
"""


def write(tmp_path, text, name='sweep.toml'):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_axes_cross_in_file_order_with_seeds_innermost(tmp_path):
    sweep = spec.load_sweep(write(tmp_path, SWEEP))
    runs = spec.expand(sweep, str(tmp_path / 'runs'), ['Runner.evaluation_steps=100'])
    assert [(r.labels['method'], r.labels['steps'], r.seed) for r in runs] == [
        (m, s, seed) for m in ('fixed', 'lrrl') for s in ('300', '500') for seed in (0, 1)
    ]
    run = runs[6]  # lrrl, 500 steps, seed 0
    assert run.base_dir == str(tmp_path / 'runs' / 'demo' / 'lrrl' / '500' / 'seed_0')
    # Common files, then the axes' files; common bindings, the axes' bindings, the command line's.
    assert run.gin_files == ('agents/dqn_cartpole.gin', 'lrrl/bandit.gin')
    assert run.gin_bindings == (
        'Runner.num_iterations = 2',
        'BanditLearningRate.rates = (1e-4, 1e-3)',
        'Runner.training_steps = 500',
        'Runner.evaluation_steps=100',
    )
    assert run.record() == {
        'sweep': 'demo',
        'labels': {'method': 'lrrl', 'steps': '500'},
        'seed': 0,
        'gin_files': list(run.gin_files),
        'gin_bindings': list(run.gin_bindings),
    }


def test_value_axis_quotes_strings_for_gin():
    axis = spec.value_axis('x', 'game', 'atari_lib.create_atari_environment.game_name', ['Pong', 2, 0.5, True])
    assert [c.label for c in axis.choices] == ['Pong', '2', '0.5', 'True']
    assert [c.gin_bindings[0].split(' = ')[1] for c in axis.choices] == ["'Pong'", '2', '0.5', 'True']


def test_command_line_axis_seeds_and_name():
    axis = spec.parse_axis_flag("game:atari_lib.create_atari_environment.game_name=Pong,'Breakout'")
    assert axis.name == 'game'
    assert [c.gin_bindings for c in axis.choices] == [
        ("atari_lib.create_atari_environment.game_name = 'Pong'",),
        ("atari_lib.create_atari_environment.game_name = 'Breakout'",),
    ]
    rates = spec.parse_axis_flag('rate:FixedLearningRate.rate=1e-4,0.001')
    assert [c.label for c in rates.choices] == ['0.0001', '0.001']
    assert spec.parse_seeds_flag('0-2,7') == (0, 1, 2, 7)
    base = spec.Sweep(name='a', axes=(spec.value_axis('f', 'game', 'g.x', ['A', 'B']),))
    narrowed = spec.combine(base, name='b', seeds=(3,), axes=[spec.parse_axis_flag('game:g.x=A'), rates])
    assert narrowed.name == 'b' and narrowed.seeds == (3,)
    assert [a.name for a in narrowed.axes] == ['game', 'rate']  # same name replaces, new name appends
    assert [c.label for c in narrowed.axes[0].choices] == ['A']


def test_sweep_names_resolve_in_configs_sweeps():
    sweep = spec.load_sweep('cartpole_tiny')
    assert sweep.name == 'cartpole_tiny'
    assert sweep.source.endswith(os.path.join('configs', 'sweeps', 'cartpole_tiny.toml'))


@pytest.mark.parametrize(
    'text, message',
    [
        ('[axes.method]\n', 'axes.method is empty'),
        ('[axes.game]\nbinding = "X.y"\nvalues = []\n', 'axes.game is empty'),
        ('[axes.game]\nbinding = "X.y"\nvalues = ["Pong", "Pong"]\n', "repeats the label(s) ['Pong']"),
        ('[axes.game]\nbinding = "X.y"\nvalues = [1, "1"]\n', "repeats the label(s) ['1']"),
        ('[axes.rate]\nbinding = "X.y"\nvalues = ["1/2"]\n', "label '1/2' is not allowed"),
        ('seeds = [0, 0]\n', 'repeats a seed'),
        ('seeds = []\n', 'non-empty list'),
        ('gin_file = ["a.gin"]\n', "unknown key(s) ['gin_file']"),
        ('[axes.m]\na = { gin_binding = ["x"] }\n', "unknown key(s) ['gin_binding']"),
        ('gin_bindings = "X.y = 1"\n', 'must be a list of strings'),
    ],
)
def test_bad_sweep_files_are_refused(tmp_path, text, message):
    with pytest.raises(spec.SweepError) as error:
        spec.load_sweep(write(tmp_path, 'name = "bad"\n' + text))
    assert message in str(error.value)


@pytest.mark.parametrize(
    'text, message',
    [
        ('game:X.y', 'write NAME:BINDING=VALUE1,VALUE2'),
        ('game:X.y=Pong,,Breakout', 'empty value'),
        ('game:X.y=Pong,Pong', "repeats the label(s) ['Pong']"),
    ],
)
def test_bad_command_line_axes_are_refused(text, message):
    with pytest.raises(spec.SweepError) as error:
        spec.parse_axis_flag(text)
    assert message in str(error.value)


def test_runs_sharing_a_folder_are_refused(tmp_path):
    with pytest.raises(spec.SweepError, match='repeats a seed'):
        spec.parse_seeds_flag('0-2,1')
    # A sweep built in code, past the axis checks: expand still refuses shared folders.
    sweep = spec.Sweep(name='s', axes=(spec.Axis('m', (spec.Choice('a'), spec.Choice('a'))),))
    with pytest.raises(spec.SweepError, match='would be shared by several runs'):
        spec.expand(sweep, str(tmp_path))
    # Two TOML choices with one label are a TOML error, named as such.
    with pytest.raises(spec.SweepError, match='not valid TOML'):
        spec.load_sweep(write(tmp_path, '[axes.m]\na = {}\na = {}\n'))


@pytest.mark.slow
@pytest.mark.parametrize(
    'extra, message',
    [
        (['--gin_bindings=Runner.not_a_parameter=3'], 'not_a_parameter'),
        (['--axis=game:atari_lib.create_atari_environment.game_name=Pong,Pongg'], "Did you mean 'Pong'"),
        (['--axis=game:atari_lib.create_atari_environment.game_name=Pong,Pong'], 'two runs would share a folder'),
    ],
)
def test_launch_refuses_a_bad_sweep_before_anything_runs(tmp_path, extra, message):
    runs_root = tmp_path / 'runs'
    result = run_cli(
        'lrrl.launch',
        '--name=bad',
        '--gin_files=agents/dqn.gin',
        '--seeds=0,1',
        f'--runs_root={runs_root}',
        *extra,
        timeout=300,
    )
    assert result.returncode == 2, result.stdout + result.stderr[-3000:]
    assert message in result.stderr
    assert not runs_root.exists()


@pytest.mark.slow
def test_launch_refuses_an_empty_axis_in_a_file(tmp_path):
    runs_root = tmp_path / 'runs'
    path = write(tmp_path, 'name = "bad"\ngin_files = ["agents/dqn_cartpole.gin"]\n[axes.method]\n')
    result = run_cli('lrrl.launch', f'--sweep={path}', f'--runs_root={runs_root}', timeout=300)
    assert result.returncode == 2
    assert 'axes.method is empty' in result.stderr
    assert not runs_root.exists()


@pytest.mark.slow
def test_launch_skips_a_run_finished_in_the_archive_only_with_the_same_settings(tmp_path):
    runs_root, archive = tmp_path / 'runs', tmp_path / 'archive'
    sweep = write(
        tmp_path,
        'name = "arch"\nseeds = [0, 1]\ngin_files = ["agents/dqn_cartpole.gin"]\n'
        'gin_bindings = ["Runner.num_iterations = 2"]\n[axes.method]\nfixed = {}\n',
    )
    run_settings = {
        'sweep': 'arch',
        'labels': {'method': 'fixed'},
        'seed': 0,
        'gin_files': ['agents/dqn_cartpole.gin'],
        'gin_bindings': ['Runner.num_iterations = 2'],
    }
    settings = {'sweep': 'arch', 'method': 'fixed', 'seed': 0, 'num_iterations': 2, 'finished': True}
    record = run_archive.make_record('arch/fixed/seed_0', run_settings, settings, ['iteration'], [(0,), (1,)])
    run_archive.write_record(str(archive), record)
    args = ['lrrl.launch', f'--sweep={sweep}', f'--runs_root={runs_root}', f'--archive_root={archive}', '--dry_run']
    same = run_cli(*args, timeout=300)
    assert same.returncode == 0, same.stderr[-3000:]
    assert '1 new, 0 resumable, 0 finished (skipped), 1 finished in the archive' in same.stdout
    assert re.search(r'archived +\S+arch/fixed/seed_0 +\(2/2 iterations in its archived record\)', same.stdout)
    other = run_cli(*args, '--gin_bindings=Runner.evaluation_steps=50', timeout=300)
    assert other.returncode == 0, other.stderr[-3000:]
    assert '2 new, 0 resumable, 0 finished (skipped), 0 finished in the archive' in other.stdout
    assert 'the archive holds this folder with other settings' in other.stdout
    missing = run_cli(*args[:-2], f'--archive_root={tmp_path / "nope"}', '--dry_run', timeout=300)
    assert missing.returncode == 2 and '--archive_root=' in missing.stderr and not runs_root.exists()


def test_a_sweep_file_writes_seeds_as_a_list_or_as_ranges(tmp_path):
    ranged = spec.load_sweep(write(tmp_path, SWEEP.replace('seeds = [0, 1]', 'seeds = "0-2,7"')))
    assert ranged.seeds == (0, 1, 2, 7)
    for bad, message in (('"3-1"', "'3-1' is not allowed"), ('"0,0"', 'repeats a seed'), ('[]', 'non-empty list')):
        with pytest.raises(spec.SweepError, match=message) as raised:
            spec.load_sweep(write(tmp_path, SWEEP.replace('seeds = [0, 1]', f'seeds = {bad}'), name='bad.toml'))
        assert 'bad.toml' in str(raised.value)
