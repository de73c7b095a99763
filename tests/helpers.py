"""What many tests use: the repository's paths and a command run in a fresh process."""

import os
import subprocess
import sys

import lrrl  # noqa: F401  (compatibility fixes before TensorFlow)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = os.path.join(REPO, 'configs')
FIXTURES = os.path.join(REPO, 'tests', 'fixtures')

# Short CartPole DQN runs: 300 training and 100 evaluation steps per iteration.
SHORT_CARTPOLE = (
    '--gin_files=agents/dqn_cartpole.gin',
    '--gin_bindings=Runner.training_steps=300',
    '--gin_bindings=Runner.evaluation_steps=100',
    '--gin_bindings=DQNAgent.min_replay_history=100',
)


def run_cli(module, *args, timeout=900, env=None):
    """Runs ``python -m module args`` in a fresh process from the repository; returns the result."""
    env = dict(os.environ if env is None else env, PYTHONUNBUFFERED='1')
    return subprocess.run(
        [sys.executable, '-m', module, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=env,
    )


def tensorboard_tags(run_dir):
    """The scalar tags in a run folder's TensorBoard event files."""
    import glob

    import tensorflow as tf

    tags = set()
    for path in glob.glob(os.path.join(run_dir, 'metrics', 'tensorboard', 'events.*')):
        for event in tf.compat.v1.train.summary_iterator(path):
            tags.update(v.tag for v in event.summary.value)
    return tags
