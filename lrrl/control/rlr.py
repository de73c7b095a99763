"""The RLR scheduler: a small DQN that moves the rate on a log grid (docs/benchmarks.md, "RLR").

A learning-rate controller like ``FixedLearningRate`` and ``BanditLearningRate``
(same interface), so it can drive the MaclaurinNet task, the stationary
benchmark or an RL agent. After each step (or episode) it receives the
feedback f, where higher is better, and uses the loss L = -f:

  state   s_t = (L_t, L_t - L_{t-1})    (the difference is 0 on the first call)
  action  a_t in {decrease, keep, increase}: the grid index moves by -1, 0, +1,
          clipped to the grid
  reward  r_t = L_t - L_{t+1}           (the immediate decrease of the loss)

Each call stores the transition (s_{t-1}, a_{t-1}, r_{t-1}, s_t) in a replay
buffer, makes one DQN update on a sampled mini-batch every ``update_period``
transitions (once the buffer holds ``min_replay_size``), moves the target
network softly toward the online one every ``target_update_period``
transitions (θ' ← (1 - τ) θ' + τ θ), then picks the next action ε-greedily
with ε(t) = ε_end + (ε_start - ε_end) exp(-t / ε_decay), t counting actions.
Targets are r + γ max_a Q'(s', a) (a continuing task: no terminal states),
the loss is Huber (δ = 1), the Q-network is trained with Adam, and its
gradients are clipped by value, as in PyTorch's DQN tutorial that the RLR
description follows (docs/benchmarks.md, "RLR"). Everything is numpy.

From the RLR description: the 12-point grid logspace(-5, -2), the state, actions and
reward, replay batch 64, τ = 0.005, Huber loss, Adam 1e-3, ε 0.9 → 0.05 with
time constant 5000. From the PyTorch tutorial (the DQN reference it follows):
two hidden layers of 128, γ = 0.99, replay capacity 10,000, one update and one
soft target update per step, gradient values clipped at 100. Ours
(*assumed*): the first rate is the grid's lowest (the RLR description's run starts low
and raises it), and learning starts once the buffer holds one batch.
"""

import math

import gin
import numpy as np

from lrrl.control import controllers
from lrrl.control import numpy_mlp
from lrrl.control import numpy_optimizers
from lrrl import validation

DEFAULT_GRID = tuple(float(r) for r in np.logspace(-5, -2, 12))
NUM_ACTIONS = 3  # decrease, keep, increase
STATE_SIZE = 2


def _check(condition, binding, value, allowed):
    validation.require(condition, f'RLRLearningRate.{binding}', value, allowed)


class ReplayBuffer:
    """A circular buffer of (state, action, reward, next_state) transitions."""

    def __init__(self, capacity):
        self.capacity = capacity
        self.states = np.zeros((capacity, STATE_SIZE))
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.rewards = np.zeros(capacity)
        self.next_states = np.zeros((capacity, STATE_SIZE))
        self.size = 0
        self.position = 0

    def add(self, state, action, reward, next_state):
        i = self.position
        self.states[i], self.actions[i], self.rewards[i], self.next_states[i] = state, action, reward, next_state
        self.position = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, rng, batch_size):
        index = rng.choice(self.size, size=batch_size, replace=False)
        return self.states[index], self.actions[index], self.rewards[index], self.next_states[index]

    def state_dict(self):
        n = self.size
        return {
            'size': n,
            'position': self.position,
            'states': self.states[:n].tolist(),
            'actions': self.actions[:n].tolist(),
            'rewards': self.rewards[:n].tolist(),
            'next_states': self.next_states[:n].tolist(),
        }

    def load_state_dict(self, state):
        n = int(state['size'])
        if n > self.capacity:
            raise ValueError(f'Saved replay buffer holds {n} transitions, more than the capacity {self.capacity}.')
        self.__init__(self.capacity)
        self.size, self.position = n, int(state['position'])
        if n:
            self.states[:n] = state['states']
            self.actions[:n] = state['actions']
            self.rewards[:n] = state['rewards']
            self.next_states[:n] = state['next_states']


@gin.configurable
class RLRLearningRate(controllers.LearningRateController):
    """The RLR scheduler as a learning-rate controller (see the module docstring).

    Args:
      rates: the grid, increasing (default: 12 points logspace(-5, -2)).
      initial_index: grid index of the first rate.
      hidden_sizes: hidden ReLU layers of the Q-network.
      replay_capacity: transitions kept.
      batch_size: transitions per DQN update.
      min_replay_size: transitions needed before the first update (default:
        ``batch_size``).
      gamma: discount of the Q targets.
      tau: soft target update factor.
      q_learning_rate: Adam rate of the Q-network.
      epsilon_start, epsilon_end, epsilon_decay: ε-greedy schedule.
      update_period: transitions between DQN updates.
      target_update_period: transitions between soft target updates.
      gradient_clip_value: Q-network gradients are clipped to ±this.
      seed: seeds the Q-network's initial weights, ε-greedy and the replay
        sampling (``seed()`` restarts them).
    """

    name = 'RLRLearningRate'

    def __init__(
        self,
        rates=DEFAULT_GRID,
        initial_index=0,
        hidden_sizes=(128, 128),
        replay_capacity=10000,
        batch_size=64,
        min_replay_size=None,
        gamma=0.99,
        tau=0.005,
        q_learning_rate=1e-3,
        epsilon_start=0.9,
        epsilon_end=0.05,
        epsilon_decay=5000.0,
        update_period=1,
        target_update_period=1,
        gradient_clip_value=100.0,
        seed=None,
    ):
        _check(
            hasattr(rates, '__len__') and len(rates) >= 2,
            'rates',
            rates,
            'a list of at least 2 learning rates, increasing',
        )
        self._rates = tuple(controllers._check_rate('RLRLearningRate.rates', r) for r in rates)
        _check(
            self._rates[0] > 0 and all(a < b for a, b in zip(self._rates, self._rates[1:])),
            'rates',
            tuple(rates),
            'strictly increasing rates > 0 (the actions move along the grid)',
        )
        _check(
            validation.is_int(initial_index, 0) and initial_index < len(self._rates),
            'initial_index',
            initial_index,
            f'an integer in [0, {len(self._rates) - 1}]',
        )
        _check(
            hasattr(hidden_sizes, '__len__') and all(validation.is_int(h, 1) for h in hidden_sizes),
            'hidden_sizes',
            hidden_sizes,
            'a list of integers >= 1',
        )
        validation.check_int('RLRLearningRate.batch_size', batch_size, 1)
        _check(
            validation.is_int(replay_capacity, batch_size),
            'replay_capacity',
            replay_capacity,
            'an integer >= batch_size',
        )
        if min_replay_size is None:
            min_replay_size = batch_size
        _check(
            validation.is_int(min_replay_size, batch_size) and min_replay_size <= replay_capacity,
            'min_replay_size',
            min_replay_size,
            f'an integer in [batch_size = {batch_size}, replay_capacity = {replay_capacity}]',
        )
        _check(validation.is_real(gamma) and 0 <= gamma <= 1, 'gamma', gamma, 'in [0, 1]')
        _check(validation.is_real(tau) and 0 < tau <= 1, 'tau', tau, 'in (0, 1]')
        _check(
            validation.is_real(q_learning_rate) and q_learning_rate > 0,
            'q_learning_rate',
            q_learning_rate,
            'a number > 0',
        )
        for binding, value in (('epsilon_start', epsilon_start), ('epsilon_end', epsilon_end)):
            _check(validation.is_real(value) and 0 <= value <= 1, binding, value, 'in [0, 1]')
        _check(validation.is_real(epsilon_decay) and epsilon_decay > 0, 'epsilon_decay', epsilon_decay, 'a number > 0')
        validation.check_int('RLRLearningRate.update_period', update_period, 1)
        validation.check_int('RLRLearningRate.target_update_period', target_update_period, 1)
        _check(
            validation.is_real(gradient_clip_value) and gradient_clip_value > 0,
            'gradient_clip_value',
            gradient_clip_value,
            'a number > 0',
        )
        self.initial_index = int(initial_index)
        self.sizes = (STATE_SIZE, *(int(h) for h in hidden_sizes), NUM_ACTIONS)
        self.replay_capacity = int(replay_capacity)
        self.batch_size = int(batch_size)
        self.min_replay_size = int(min_replay_size)
        self.gamma = float(gamma)
        self.tau = float(tau)
        self.q_learning_rate = float(q_learning_rate)
        self.epsilon_start = float(epsilon_start)
        self.epsilon_end = float(epsilon_end)
        self.epsilon_decay = float(epsilon_decay)
        self.update_period = int(update_period)
        self.target_update_period = int(target_update_period)
        self.gradient_clip_value = float(gradient_clip_value)
        self.seed(seed)

    # The controller interface.

    @property
    def rate(self):
        return self._rates[self.index]

    @property
    def candidates(self):
        return self._rates

    @property
    def arm(self):
        return self.index

    def probabilities(self):
        """One-hot on the grid index in use (a deterministic choice, not a draw)."""
        p = np.zeros(len(self._rates))
        p[self.index] = 1.0
        return p

    def seed(self, seed):
        """Restarts everything from ``seed``: Q-networks, replay, ε, grid index."""
        self._rng = np.random.default_rng(seed)
        self.q_params = numpy_mlp.init(self.sizes, self._rng)
        self.target_params = numpy_mlp.copy(self.q_params)
        self.q_optimizer = numpy_optimizers.Adam(learning_rate=self.q_learning_rate)
        self.replay = ReplayBuffer(self.replay_capacity)
        self.index = self.initial_index
        self.num_actions = 0  # the t of ε(t)
        self.num_transitions = 0
        self.num_updates = 0
        self.num_target_updates = 0
        self._last_loss = None
        self._last_state = None
        self._last_action = None

    def epsilon(self):
        return self.epsilon_end + (self.epsilon_start - self.epsilon_end) * math.exp(
            -self.num_actions / self.epsilon_decay
        )

    def end_episode(self, feedback, step):
        """Observes L = -feedback, learns from the last transition, moves the index."""
        del step
        loss = -float(feedback)
        if not math.isfinite(loss):
            raise ValueError(
                f'RLRLearningRate got feedback {feedback}; feedback must be a finite number (a non-finite loss '
                'or return means the model diverged).'
            )
        state = np.array([loss, 0.0 if self._last_loss is None else loss - self._last_loss])
        if self._last_action is not None:
            self.replay.add(self._last_state, self._last_action, self._last_loss - loss, state)
            self.num_transitions += 1
            if self.num_transitions % self.update_period == 0 and self.replay.size >= self.min_replay_size:
                self._train_step()
                self.num_updates += 1
            if self.num_transitions % self.target_update_period == 0:
                for target, online in zip(self.target_params, self.q_params):
                    target *= 1.0 - self.tau
                    target += self.tau * online
                self.num_target_updates += 1
        action = self._select_action(state)
        self.index = int(np.clip(self.index + action - 1, 0, len(self._rates) - 1))
        self._last_loss, self._last_state, self._last_action = loss, state, action
        return self.rate

    # The DQN.

    def q_values(self, states):
        return numpy_mlp.forward(self.q_params, np.atleast_2d(states))[0]

    def _select_action(self, state):
        epsilon = self.epsilon()
        self.num_actions += 1
        if self._rng.random() > epsilon:
            return int(np.argmax(self.q_values(state)[0]))
        return int(self._rng.integers(NUM_ACTIONS))

    def _train_step(self):
        states, actions, rewards, next_states = self.replay.sample(self._rng, self.batch_size)
        q, layer_inputs = numpy_mlp.forward(self.q_params, states)
        next_q = numpy_mlp.forward(self.target_params, next_states)[0].max(axis=1)
        rows = np.arange(len(actions))
        error = q[rows, actions] - (rewards + self.gamma * next_q)
        # Huber (δ = 1) averaged over the batch: its derivative is the clipped error.
        grad_q = np.zeros_like(q)
        grad_q[rows, actions] = np.clip(error, -1.0, 1.0) / len(actions)
        grads = numpy_mlp.backward(self.q_params, layer_inputs, grad_q)
        grads = [np.clip(g, -self.gradient_clip_value, self.gradient_clip_value) for g in grads]
        self.q_optimizer.apply_gradients(self.q_params, grads)
        return float(np.mean(np.where(np.abs(error) <= 1.0, 0.5 * error**2, np.abs(error) - 0.5)))

    # Checkpointing.

    def state_dict(self):
        return {
            'class': type(self).__name__,
            'rates': list(self._rates),
            'index': self.index,
            'num_actions': self.num_actions,
            'num_transitions': self.num_transitions,
            'num_updates': self.num_updates,
            'num_target_updates': self.num_target_updates,
            'last_loss': self._last_loss,
            'last_state': None if self._last_state is None else self._last_state.tolist(),
            'last_action': self._last_action,
            'q_params': [p.tolist() for p in self.q_params],
            'target_params': [p.tolist() for p in self.target_params],
            'q_optimizer': self.q_optimizer.state_dict(),
            'replay': self.replay.state_dict(),
            'rng': self._rng.bit_generator.state,
        }

    def load_state_dict(self, state):
        super().load_state_dict(state)
        if tuple(state['rates']) != self._rates:
            raise ValueError(
                f'The checkpoint was trained with RLRLearningRate.rates = {tuple(state["rates"])}, the configuration '
                f'says {self._rates}; resume with the same grid.'
            )
        shapes = [p.shape for p in self.q_params]
        saved = [np.asarray(p, dtype=np.float64) for p in state['q_params']]
        if [p.shape for p in saved] != shapes:
            raise ValueError(
                f'The checkpoint holds a Q-network of shapes {[p.shape for p in saved]}, the configuration builds '
                f'{shapes} (RLRLearningRate.hidden_sizes); resume with the same configuration.'
            )
        self.q_params = saved
        self.target_params = [np.asarray(p, dtype=np.float64) for p in state['target_params']]
        self.q_optimizer.load_state_dict(state['q_optimizer'])
        self.replay.load_state_dict(state['replay'])
        self._rng.bit_generator.state = state['rng']
        self.index = int(state['index'])
        self.num_actions = int(state['num_actions'])
        self.num_transitions = int(state['num_transitions'])
        self.num_updates = int(state['num_updates'])
        self.num_target_updates = int(state['num_target_updates'])
        self._last_loss = state['last_loss']
        self._last_state = None if state['last_state'] is None else np.asarray(state['last_state'], dtype=np.float64)
        self._last_action = state['last_action']
