"""Bad input across every command line: a message naming the problem, exit code 2, nothing left behind.

Each case runs the command's ``main`` in this process (absl flags parsed as on the
command line, a flag that does not parse mapped to the exit ``lrrl.cli.run`` gives),
with the working folder set to an empty temporary one that must still be empty afterwards.
"""

import importlib
import os

from absl import flags
import gin
import pytest

from helpers import CONFIGS
from lrrl import errors

BAD_TOML = 'name = "x"\nseeds = [0\n'
EMPTY_AXIS = 'name = "x"\n[axes.method]\n'
UNKNOWN_KEY = 'name = "x"\nseed = [0]\n[axes.m]\na = { gin_files = ["agents/dqn_cartpole.gin"] }\n'
BAD_RUN = (
    'name = "x"\ngin_files = ["agents/dqn_cartpole.gin"]\n'
    '[axes.delta]\nbinding = "Exp3Bandit.decay"\nvalues = [0.9, 1.5]\n'
    '[axes.m]\nlrrl = { gin_files = ["methods/lrrl_k5.gin"] }\n'
)
CARTPOLE = ['--gin_files=agents/dqn_cartpole.gin']
LRRL = [*CARTPOLE, '--gin_files=methods/lrrl_k5.gin']
ATARI = ['--gin_files=agents/dqn.gin', '--gin_files=methods/lrrl_k5.gin']

CASES = [
    # (command, argv (with {tmp} for the temporary folder), files to create first, what the message says)
    ('lrrl.train', [*CARTPOLE], {}, '--base_dir is required'),
    ('lrrl.train', ['--base_dir={tmp}/run'], {}, '--gin_files is empty'),
    ('lrrl.train', ['--base_dir={tmp}/run', '--gin_files=agents/nope.gin'], {}, 'agents/nope.gin: no such file'),
    ('lrrl.train', ['--base_dir={tmp}/run', *CARTPOLE, '--seed=-1'], {}, '--seed=-1 is not allowed'),
    ('lrrl.train', ['--base_dir={tmp}/run', *CARTPOLE, '--seed=abc'], {}, "'abc'"),
    ('lrrl.train', ['--base_dir={tmp}/run', *CARTPOLE, '--gin_bindings=NoSuch.param = 1'], {}, 'NoSuch'),
    ('lrrl.train', ['--base_dir={tmp}/run', *CARTPOLE, '--gin_bindings=Runner.num_iterations = '], {}, 'gin'),
    ('lrrl.train', ['--base_dir={tmp}/run', *LRRL, '--gin_bindings=BanditLearningRate.rates = ()'], {}, 'rates'),
    (
        'lrrl.train',
        ['--base_dir={tmp}/run', *LRRL, '--gin_bindings=BanditLearningRate.rates = (1e-3, -1e-3)'],
        {},
        'BanditLearningRate.rates = -0.001',
    ),
    (
        'lrrl.train',
        ['--base_dir={tmp}/run', *LRRL, "--gin_bindings=BanditLearningRate.rates = ('fast',)"],
        {},
        "BanditLearningRate.rates = 'fast'",
    ),
    ('lrrl.train', ['--base_dir={tmp}/run', *LRRL, '--gin_bindings=Exp3Bandit.decay = 1.5'], {}, 'Exp3Bandit.decay'),
    ('lrrl.train', ['--base_dir={tmp}/run', *LRRL, '--gin_bindings=Exp3Bandit.alpha = 0'], {}, 'Exp3Bandit.alpha'),
    ('lrrl.train', ['--base_dir={tmp}/run', *LRRL, '--gin_bindings=Exp3Bandit.window = 0'], {}, 'Exp3Bandit.window'),
    (
        'lrrl.train',
        ['--base_dir={tmp}/run', *LRRL, '--gin_bindings=BanditLearningRate.episodes_per_round = 0'],
        {},
        'episodes_per_round',
    ),
    (
        'lrrl.train',
        ['--base_dir={tmp}/run', *ATARI, "--gin_bindings=atari_lib.create_atari_environment.game_name='Breakoutt'"],
        {},
        "Did you mean 'Breakout'",
    ),
    ('lrrl.train', ['--base_dir={tmp}/run', *ATARI], {}, 'game_name is not bound'),
    (
        'lrrl.train',
        ['--base_dir={tmp}/run', *CARTPOLE, '--gin_bindings=Runner.num_iterations = 0'],
        {},
        'Runner.num_iterations = 0',
    ),
    (
        'lrrl.train',
        ['--base_dir={tmp}/run', *CARTPOLE, "--gin_bindings=lrrl.create_agent.agent_name = 'ppo'"],
        {},
        "agent_name = 'ppo'",
    ),
    (
        'lrrl.train',
        [
            '--base_dir={tmp}/run',
            *CARTPOLE,
            '--gin_files=methods/exp_decay_1e-7.gin',
            '--gin_bindings=ExponentialDecay.decay_rate = -1.0',
        ],
        {},
        'ExponentialDecay.decay_rate = -1.0',
    ),
    (
        'lrrl.train',
        [
            '--base_dir={tmp}/run',
            *CARTPOLE,
            '--gin_files=methods/cyclical_triangular.gin',
            "--gin_bindings=CyclicalRate.mode = 'cosine'",
        ],
        {},
        "CyclicalRate.mode = 'cosine'",
    ),
    (
        'lrrl.train',
        [
            '--base_dir={tmp}/run',
            *CARTPOLE,
            '--gin_bindings=lrrl.create_agent.optimizer_class = @tf.train.AdamOptimizer()',
        ],
        {},
        'without parentheses',
    ),
    ('lrrl.train', ['--base_dir={tmp}/a_file', *CARTPOLE], {'a_file': 'x'}, 'is not a folder'),
    ('lrrl.train', ['--base_dir=/sys/lrrl_bad_input', *CARTPOLE], {}, 'cannot be created'),
    ('lrrl.train', ['--base_dir={tmp}/run', *CARTPOLE, 'extra_argument'], {}, 'Unexpected arguments'),
    ('lrrl.launch', ['--sweep=no_such_sweep'], {}, '--sweep=no_such_sweep: no such file'),
    ('lrrl.launch', ['--sweep={tmp}/bad.toml'], {'bad.toml': BAD_TOML}, 'not valid TOML'),
    ('lrrl.launch', ['--sweep={tmp}/empty.toml'], {'empty.toml': EMPTY_AXIS}, 'is empty'),
    ('lrrl.launch', ['--sweep={tmp}/key.toml'], {'key.toml': UNKNOWN_KEY}, "unknown key(s) ['seed']"),
    ('lrrl.launch', ['--sweep={tmp}/run.toml', '--runs_root={tmp}/runs'], {'run.toml': BAD_RUN}, 'Exp3Bandit.decay'),
    ('lrrl.launch', ['--sweep=cartpole_tiny', '--seeds=a-b'], {}, '--seeds=a-b'),
    ('lrrl.launch', ['--sweep=cartpole_tiny', '--seeds=0,0'], {}, 'repeats a seed'),
    ('lrrl.launch', ['--sweep=cartpole_tiny', '--axis=nocolon'], {}, 'nocolon'),
    ('lrrl.launch', ['--sweep=cartpole_tiny', '--seed=0'], {}, '--seed is a flag of lrrl.train'),
    ('lrrl.launch', ['--sweep=cartpole_tiny', '--executor=cloud'], {}, 'cloud'),
    ('lrrl.report', ['--out={tmp}/report'], {}, '--runs is empty'),
    ('lrrl.report', ['--runs={tmp}/nothing_here', '--out={tmp}/report'], {}, 'nothing_here'),
    ('lrrl.report', ['--runs={tmp}/empty_folder', '--out={tmp}/report'], {'empty_folder/readme.txt': 'x'}, 'no run'),
    ('lrrl.report', ['--runs={tmp}/empty_folder'], {'empty_folder/readme.txt': 'x'}, '--out is required'),
    (
        'lrrl.report',
        ['--runs={tmp}/empty_folder', '--out={tmp}/report', '--bootstrap_reps=0'],
        {'empty_folder/readme.txt': 'x'},
        '--bootstrap_reps=0',
    ),
    (
        'lrrl.report',
        ['--runs={tmp}/empty_folder', '--out={tmp}/report', '--final_iterations=0'],
        {'empty_folder/readme.txt': 'x'},
        '--final_iterations=0',
    ),
    (
        'lrrl.report',
        ['--runs={tmp}/empty_folder', '--out={tmp}/report', '--aggregate_scores=median'],
        {'empty_folder/readme.txt': 'x'},
        '--aggregate_scores=median',
    ),
    ('lrrl.demo', ['--base_dir={tmp}/demo', '--gin_bindings=BanditLearningRate.rates = ()'], {}, 'rates'),
    ('lrrl.demo', ['--base_dir={tmp}/demo', 'extra_argument'], {}, 'Unexpected arguments'),
    ('lrrl.run_summary', [], {}, '--run_dir is required'),
    ('lrrl.run_summary', ['--run_dir={tmp}/no_such_run'], {}, 'no_such_run'),
    (
        'lrrl.stationary',
        ['--output_dir={tmp}/out', '--gin_bindings=StationaryBenchmark.steps = 0'],
        {},
        'StationaryBenchmark.steps = 0',
    ),
    (
        'lrrl.maclaurin_benchmark',
        ['--output_dir={tmp}/out', '--gin_bindings=MaclaurinBenchmark.num_seeds = -1'],
        {},
        'MaclaurinBenchmark.num_seeds = -1',
    ),
]


def run_main(module_name, argv):
    """(exit code, message) as ``python -m module_name argv`` would give them."""
    module = importlib.import_module(module_name)
    flags.FLAGS.unparse_flags()
    try:
        argv = flags.FLAGS([module_name, *argv])
    except flags.Error as e:
        return errors.ConfigError.exit_code, str(e)  # what lrrl.cli.run exits with
    try:
        module.main(argv)
    except SystemExit as e:
        return e.code, ''
    finally:
        flags.FLAGS.unparse_flags()
        gin.clear_config()  # the parsed (bad) bindings must not reach later tests
    return 0, ''


def test_there_are_at_least_thirty_cases_over_every_command():
    assert len(CASES) >= 30
    # lrrl.bench defines its own --out (a file, where lrrl.report's is a folder), so it
    # cannot share this process with lrrl.report: its bad input is tested in tests/benchmarks.
    assert {case[0] for case in CASES} == {
        'lrrl.train',
        'lrrl.launch',
        'lrrl.report',
        'lrrl.demo',
        'lrrl.run_summary',
        'lrrl.stationary',
        'lrrl.maclaurin_benchmark',
    }


@pytest.mark.parametrize('command, argv, files, message', CASES, ids=[f'{c[0]}-{i}' for i, c in enumerate(CASES)])
def test_bad_input_is_refused_by_name_and_leaves_nothing(tmp_path, monkeypatch, capsys, command, argv, files, message):
    work = tmp_path / 'work'
    work.mkdir()
    for name, text in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    before = sorted(p.relative_to(work) for p in work.rglob('*'))
    monkeypatch.chdir(work)
    code, text = run_main(command, [a.replace('{tmp}', str(work)) for a in argv])
    captured = capsys.readouterr()
    said = text + captured.err + captured.out
    assert code == 2, said
    assert message in said, said
    assert sorted(p.relative_to(work) for p in work.rglob('*')) == before  # nothing created
    assert os.path.isdir(CONFIGS)


@pytest.fixture(scope='module')
def finished_run(tmp_path_factory):
    """One real, tiny CartPole run folder."""
    from helpers import run_cli

    run_dir = tmp_path_factory.mktemp('finished') / 'run'
    result = run_cli(
        'lrrl.train',
        f'--base_dir={run_dir}',
        '--gin_files=agents/dqn_cartpole.gin',
        '--gin_bindings=Runner.num_iterations=2',
        '--gin_bindings=Runner.training_steps=200',
        '--gin_bindings=Runner.evaluation_steps=50',
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return run_dir


def truncate(path):
    """Cuts the file in the middle of a line, as a write interrupted mid-way would."""
    data = path.read_bytes()
    cut = len(data) // 2
    while data[cut - 1 : cut] == b'\n':
        cut -= 1
    path.write_bytes(data[:cut])


@pytest.mark.slow
@pytest.mark.parametrize(
    'damage, message',
    [
        (lambda run: truncate(sorted((run / 'logs').glob('log_*'))[-1]), 'the log is truncated or corrupt'),
        (lambda run: truncate(run / 'lr_trace.csv'), 'lr_trace.csv'),
        (lambda run: (run / 'lr_trace.csv').write_bytes(b'\xff\xfe\x00garbage'), 'lr_trace.csv'),
    ],
    ids=['truncated-log', 'truncated-trace', 'garbage-trace'],
)
def test_a_truncated_or_corrupt_run_folder_is_named_by_the_report(
    tmp_path, monkeypatch, capsys, finished_run, damage, message
):
    import shutil

    runs = tmp_path / 'runs'
    shutil.copytree(finished_run, runs / 'run')
    damage(runs / 'run')
    monkeypatch.chdir(tmp_path)
    code, text = run_main('lrrl.report', [f'--runs={runs}', f'--out={tmp_path}/report'])
    said = text + capsys.readouterr().err
    assert code == 2, said
    assert message in said and str(runs / 'run') in said
    assert not (tmp_path / 'report').exists()
