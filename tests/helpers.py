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
# The session's CartPole runs (tests/conftest.py, cartpole_runs): 3 such iterations; LRRL over three rates.
CARTPOLE_RUN_BINDINGS = (*SHORT_CARTPOLE, '--gin_bindings=Runner.num_iterations=3')
CARTPOLE_LRRL = ('--gin_files=methods/lrrl_k5.gin', '--gin_bindings=BanditLearningRate.rates=(1e-4, 1e-3, 1e-2)')


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


class StepRoundRecorder:
    """Makes a step-round BanditLearningRate record where its rounds close and when learning started."""

    @staticmethod
    def build(kappa):
        from lrrl.control import bandits
        from lrrl.control import controllers

        class Recording(controllers.BanditLearningRate):
            def __init__(self):
                super().__init__(rates=(1e-4, 1e-3, 1e-2), bandit=bandits.UniformBandit, steps_per_round=kappa)
                self.closed_at = []
                self.started_at = None

            def learning_started(self, step):
                if self.awaiting_learning:
                    self.started_at = int(step)
                super().learning_started(step)

            def _close_round(self):
                self.closed_at.append(self._step)
                super()._close_round()

        return Recording()


def run_training(agent, environment, steps):
    """Dopamine's runner loop, reduced: episodes until ``steps`` training steps, returns reported.

    Returns the training steps at which the episodes ended.
    """
    episode_ends = []
    while agent.training_steps < steps:
        action = agent.begin_episode(environment.reset())
        episode_return, terminal = 0.0, False
        while not terminal and agent.training_steps < steps:
            observation, reward, terminal, _ = environment.step(action)
            episode_return += reward
            if not terminal:
                action = agent.step(reward, observation)
        agent.end_episode(reward)
        agent.end_training_episode(episode_return)
        episode_ends.append(agent.training_steps)
    return episode_ends


def extended_rounds(controller, kappa):
    """For each closed round of a ``StepRoundRecorder``: whether it ran past its κ steps."""
    boundaries = [controller.started_at] + controller.closed_at
    return [end > begin + kappa for begin, end in zip(boundaries, boundaries[1:])]


def check_rounds(controller, episode_ends, kappa, updates, total_steps, warmup, update_period):
    """Rounds close κ steps apart (later only at an episode end), never before the first gradient update.

    ``updates``: the gradient updates the agent made in ``total_steps`` training steps (counted by its optimizer).
    """
    start = controller.started_at
    # Learning started exactly at Dopamine's first update: every update_period-th step from there.
    assert start is not None and start >= warmup and start % update_period == 0
    assert updates == len(range(start, total_steps, update_period))
    assert controller.closed_at, 'no round closed'
    assert controller.closed_at[0] >= start + kappa
    boundaries = [start] + controller.closed_at
    for begin, end in zip(boundaries, boundaries[1:]):
        assert end >= begin + kappa
        if end > begin + kappa:
            # An extended round: no episode ended in its κ steps, so it closed at the next episode's end.
            assert end in episode_ends
            assert not any(begin < e <= begin + kappa for e in episode_ends)
        else:
            assert any(begin < e <= end for e in episode_ends)
    # The steps the trace counts per arm add up to all training steps.
    assert controller.arm_steps(total_steps).sum() == total_steps
