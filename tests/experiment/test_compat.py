"""``import lrrl`` first, then TensorFlow, jax and Dopamine in any order."""

import itertools
import subprocess
import sys

import pytest

MODULES = ('tensorflow', 'jax', 'dopamine.discrete_domains.run_experiment')


@pytest.mark.parametrize('order', list(itertools.permutations(MODULES)), ids='-'.join)
def test_lrrl_then_any_import_order_works(order):
    code = '; '.join(
        ['import importlib', 'import lrrl']
        + [f'importlib.import_module({m!r})' for m in order]
        + [
            'import tensorflow as tf',
            # Legacy Keras: Dopamine's graph-mode agents need it.
            "assert tf.keras.__name__.startswith('tf_keras'), tf.keras.__name__",
            'from dopamine.discrete_domains import atari_lib',
            "print('ok')",
        ]
    )
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith('ok')


def test_missing_baselines_fails_clearly_only_when_used():
    code = (
        'import lrrl\n'
        'from baselines.common import atari_wrappers\n'
        'try:\n'
        '    atari_wrappers.NoopResetEnv\n'
        'except ImportError as e:\n'
        '    print(e)\n'
    )
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'use_ppo_preprocessing' in result.stdout


def test_dopamines_continuous_runner_imports_without_dm_control_and_says_so_when_used():
    code = (
        'import importlib.util\n'
        'import lrrl\n'
        "assert importlib.util.find_spec('dm_control') is None\n"
        'from dopamine.continuous_domains import run_experiment\n'
        'from dopamine.labs.sac_from_pixels import deepmind_control_lib\n'
        'try:\n'
        '    deepmind_control_lib.create_deepmind_control_environment\n'
        'except ImportError as e:\n'
        '    print(run_experiment.ContinuousTrainRunner.__name__, e)\n'
    )
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith('ContinuousTrainRunner') and 'dm-control is not installed' in result.stdout
