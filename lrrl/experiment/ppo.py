"""Dopamine's JAX PPO agent with a controller-set learning rate (docs/ppo.md).

Dopamine's ``PPOAgent`` trains with ``optax.chain(clip_by_global_norm,
<named optimizer>)`` and a constant rate. ``LRRLPPOAgent`` builds the same
chain with the named optimizer wrapped in ``optax.inject_hyperparams``: the
rate is an array in the optimizer state, so the controller changes it by
replacing that array. The jitted update (``ppo_agent.train_minibatch``, whose
optimizer is a static argument) is not traced again, and Adam's moments and
step count are kept (``lrrl.experiment.optax_rates``, shared with the JAX
DQN-family agents). The controller wiring is ``rate_control.ControlledRateAgent``,
the same as for the other agents.

The optimizer is the one the gin files name for every agent,
``lrrl.create_agent.optimizer_class = @tf.train.AdamOptimizer`` (and
``configs/optimizers/*.gin``); ``optax_rates.optax_optimizer`` builds its optax
equivalent with the same hyperparameters (see there for the one difference).

When the controller hears of returns (``feedback``):

- ``'iteration'`` (default): once per PPO iteration. Just before each update
  the agent reports the mean raw return of the training episodes that ended
  since the previous update; the controller's answer is the rate of this
  update. So a bandit round closes only at an iteration of
  ``PPOAgent.update_period`` environment steps (κ agent steps, or κ =
  ``BanditLearningRate.episodes_per_round`` reports, extended until a report
  arrives; docs/ppo.md), and the returns that judge an arm come from the
  policy that arm's update produced. Episodes that end
  before the first update judge no rate and are not reported; an iteration in
  which no episode ended reports nothing.
- ``'episode'``: every training episode as it ends, as the DQN and IQN agents
  do; a round is then κ episodes, and the rate chosen reaches the optimizer at
  the next update.

The controller's clock (schedules, ``advance``) is Dopamine's
``training_steps``, which for PPO counts environment steps in training.

Preprocessing (``normalize_observations``, ``normalize_rewards``): PPO on
MuJoCo normalises observations and scales rewards (Dopamine's
``create_gym_environment.use_ppo_preprocessing``, which needs the legacy gym
package and would hide the raw rewards from the runner). Here the agent does
it, the way gymnasium's ``NormalizeObservation`` and ``NormalizeReward``
wrappers do (``RunningMeanVariance``), clipped to ±``clip``: the environment, the runner, the logs and
the bandit see raw rewards, and the running statistics are saved in the
checkpoint with the agent, so a resumed run sees what it saw before.

Dopamine's own ``PPOAgent.unbundle`` replaces the optimizer by the bare named
optimizer (no gradient clipping), which no longer matches the restored
optimizer state; ``LRRLPPOAgent.unbundle`` keeps its own.
"""

import gin
import gymnasium
import numpy as np
import optax
import tensorflow as tf
from dopamine.jax.agents.ppo import ppo_agent

from lrrl import errors
from lrrl.experiment import agent_factory  # noqa: F401  (registers lrrl.create_agent, which gin files bind)
from lrrl.experiment import optax_rates

FEEDBACK = ('iteration', 'episode')
# Keys of the agent's own state in Dopamine's checkpoint bundle.
_PREPROCESSING_KEY = 'lrrl_ppo_preprocessing'
_FEEDBACK_KEY = 'lrrl_ppo_feedback'


class RunningMeanVariance:
    """Running mean and variance of samples given one at a time.

    The arithmetic of Gymnasium's ``RunningMeanStd.update`` (behind its
    ``NormalizeObservation`` and ``NormalizeReward`` wrappers) for a batch of
    one sample, operation for operation, so the results are the same to the
    bit (``tests/experiment/test_ppo.py``), without its batch statistics, which
    cost a few times more per step. It starts at mean 0, variance 1, count 1e-4.
    """

    def __init__(self, shape=()):
        self.mean = np.zeros(shape)
        self.var = np.ones(shape)
        self.count = 1e-4

    def update(self, sample):
        delta = sample - self.mean
        total = self.count + 1
        self.mean = self.mean + delta / total
        self.var = (self.var * self.count + delta * delta * self.count / total) / total
        self.count = total


@gin.configurable
class LRRLPPOAgent(optax_rates.OptaxControlledRateAgent, ppo_agent.PPOAgent):
    """Dopamine's JAX PPO agent whose learning rate a controller sets (see the module doc).

    Args:
      action_shape, observation_shape, action_limits: as ``PPOAgent``.
      optimizer_class: a ``tf.compat.v1.train`` optimizer class (see
        ``optax_rates.optax_optimizer``); default Adam.
      feedback: 'iteration' or 'episode' (see the module doc).
      normalize_observations: normalise observations by running statistics.
      normalize_rewards: scale rewards by the running spread of the discounted return.
      clip: normalised observations and scaled rewards are clipped to ±clip.
      **kwargs: ``learning_rate_controller``, ``stop_on_divergence``,
        ``divergence_check_period``, ``probe_batch_size`` (see ``rate_control.ControlledRateAgent``; PPO has no
        replay of transitions or TD loss, so it refuses a controller that needs the round
        probe, ``rate_control.RoundProbe``); the rest is for ``PPOAgent`` (gin bindings on
        ``PPOAgent`` apply as usual).
    """

    trained_params = 'network_params'

    def __init__(
        self,
        action_shape,
        observation_shape,
        action_limits,
        optimizer_class=None,
        feedback='iteration',
        normalize_observations=False,
        normalize_rewards=False,
        clip=10.0,
        **kwargs,
    ):
        if feedback not in FEEDBACK:
            raise errors.ConfigError(
                f'LRRLPPOAgent.feedback = {feedback!r} is not allowed: it must be one of {FEEDBACK}.'
            )
        self._optimizer_class = optimizer_class or tf.compat.v1.train.AdamOptimizer
        self.feedback = feedback
        self._clip = float(clip)
        self._observation_statistics = RunningMeanVariance(tuple(observation_shape)) if normalize_observations else None
        self._return_statistics = RunningMeanVariance() if normalize_rewards else None
        self._discounted_return = 0.0
        self._updates_done = 0
        self._iteration_returns = []
        # The controller's settings go on to rate_control.ControlledRateAgent, the rest to PPOAgent.
        super().__init__(action_shape, observation_shape, action_limits, **kwargs)

    # --- the optimizer and its rate -----------------------------------------

    def _build_networks_and_optimizer(self):
        # Dopamine's networks (same initial weights as the stock agent for the
        # same seed), then its optimizer chain rebuilt with the rate injected.
        super()._build_networks_and_optimizer()
        self.network_optimizer = optax.chain(
            optax.clip_by_global_norm(self._max_gradient_norm),
            optax_rates.optax_optimizer(self._optimizer_class, self.learning_rate_controller.rate, 'ppo'),
        )
        self._injected_optimizer = self.network_optimizer
        self.optimizer_state = self.network_optimizer.init(self.network_params)

    # --- training -------------------------------------------------------------

    def _train_step(self):
        self.advance_learning_rate_if_due()
        if not self.eval_mode and self._gradient_update_due():
            self._before_update()
        super()._train_step()

    def _gradient_update_due(self):
        """Dopamine's PPO updates once its rollout buffer holds ``update_period`` steps."""
        return self._replay.add_count >= self.update_period

    def _earliest_gradient_update(self):
        return self.controller_step + max(self.update_period - self._replay.add_count, 0)

    def _before_update(self):
        self.note_gradient_update()
        if self.feedback == 'iteration' and self._updates_done > 0 and self._iteration_returns:
            self._report_return(float(np.mean(self._iteration_returns)))
        self._iteration_returns = []
        self._updates_done += 1
        self.write_pending_rate()

    def end_training_episode(self, episode_return):
        if self.feedback == 'episode':
            return super().end_training_episode(episode_return)
        self.check_weights_if_due()
        if self._updates_done > 0:
            self._iteration_returns.append(float(episode_return))
        return self.learning_rate_controller.rate

    # --- preprocessing ----------------------------------------------------------

    def _preprocess_observation(self, observation):
        statistics = self._observation_statistics
        if statistics is None:
            return observation
        observation = np.asarray(observation, dtype=np.float64)
        if not self.eval_mode:
            statistics.update(observation)
        normalized = (observation - statistics.mean) / np.sqrt(statistics.var + 1e-8)
        return np.clip(normalized, -self._clip, self._clip)

    def _preprocess_reward(self, reward):
        statistics = self._return_statistics
        if statistics is None:
            return reward
        if not self.eval_mode:
            self._discounted_return = self._discounted_return * self.gamma + float(reward)
            statistics.update(self._discounted_return)
        return float(np.clip(reward / np.sqrt(statistics.var + 1e-8), -self._clip, self._clip))

    def begin_episode(self, observation):
        self._discounted_return = 0.0
        return super().begin_episode(self._preprocess_observation(observation))

    def step(self, reward, observation):
        return super().step(self._preprocess_reward(reward), self._preprocess_observation(observation))

    def end_episode(self, reward, terminal=True):
        super().end_episode(self._preprocess_reward(reward), terminal)

    # --- checkpoints ------------------------------------------------------------

    def bundle_and_checkpoint(self, checkpoint_dir, iteration_number):
        bundle = super().bundle_and_checkpoint(checkpoint_dir, iteration_number)
        if bundle is not None:
            bundle[_PREPROCESSING_KEY] = {
                name: None if s is None else {'mean': s.mean, 'var': s.var, 'count': s.count}
                for name, s in (('observations', self._observation_statistics), ('returns', self._return_statistics))
            }
            bundle[_FEEDBACK_KEY] = {'updates_done': self._updates_done, 'returns': list(self._iteration_returns)}
        return bundle

    def unbundle(self, checkpoint_dir, iteration_number, bundle_dictionary):
        restored = super().unbundle(checkpoint_dir, iteration_number, bundle_dictionary)
        # Dopamine's PPOAgent.unbundle sets the bare named optimizer; the
        # restored state belongs to the injected chain.
        self.network_optimizer = self._injected_optimizer
        if restored and bundle_dictionary:
            saved = bundle_dictionary.get(_PREPROCESSING_KEY, {})
            for name, statistics in (
                ('observations', self._observation_statistics),
                ('returns', self._return_statistics),
            ):
                if statistics is not None and saved.get(name) is not None:
                    statistics.mean, statistics.var, statistics.count = (
                        saved[name]['mean'],
                        saved[name]['var'],
                        saved[name]['count'],
                    )
            feedback = bundle_dictionary.get(_FEEDBACK_KEY)
            if feedback is not None:
                self._updates_done = int(feedback['updates_done'])
                self._iteration_returns = [float(r) for r in feedback['returns']]
        return restored


def create(
    agent_name,
    sess,
    environment,
    *,
    learning_rate_controller,
    optimizer_class,
    stop_on_divergence,
    divergence_check_period,
    probe_batch_size,
    summary_writer,
    seed,
):
    """``LRRLPPOAgent`` for a Gymnasium environment with a Box action space.

    Dopamine's factory cannot build it (it misses ``action_limits``).

    ``lrrl.experiment.agent_factory`` says what the settings are; ``sess`` is unused.
    """
    del agent_name, sess
    action_space = environment.action_space
    if not isinstance(action_space, gymnasium.spaces.Box):
        raise errors.ConfigError(
            f"lrrl.create_agent.agent_name = 'ppo' is not allowed with this environment: its action space is "
            f'{action_space}, and PPO here needs continuous actions (a Box space), e.g. a MuJoCo task (docs/ppo.md).'
        )
    return LRRLPPOAgent(
        action_shape=action_space.shape,
        observation_shape=environment.observation_space.shape,
        action_limits=(action_space.low, action_space.high),
        learning_rate_controller=learning_rate_controller,
        optimizer_class=optimizer_class,
        stop_on_divergence=stop_on_divergence,
        divergence_check_period=divergence_check_period,
        probe_batch_size=probe_batch_size,
        seed=seed,
        summary_writer=summary_writer,
    )
