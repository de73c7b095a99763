"""The JAX side of the controller wiring: the rate inside an optax optimizer's state.

Dopamine's JAX agents (DQN, IQN, Rainbow: ``lrrl.experiment.jax_agents``; PPO:
``lrrl.experiment.ppo``) build their optimizer with optax and a constant rate,
and pass it to a jitted update as a static argument. Here the named optimizer
is wrapped in ``optax.inject_hyperparams``: the rate becomes a float32 array
in the optimizer state, so a controller changes it by replacing that array.
The optimizer object stays the same, the jitted update is not traced again
(``tests/experiment/test_jax_agents.py`` and ``test_ppo.py`` count the
compilations), and Adam's moments and step count are kept across rates.

``OptaxControlledRateAgent`` supplies what ``rate_control.ControlledRateAgent``
asks of a framework: set the rate, read it back, are the weights finite.
"""

import jax
import jax.numpy as jnp
import optax
import tensorflow as tf

from lrrl import errors
from lrrl.experiment import optimizers
from lrrl.experiment import rate_control

_INJECTED_STATES = (optax.InjectStatefulHyperparamsState, optax.InjectHyperparamsState)


def _injected(factory, learning_rate, **fixed):
    """``factory(learning_rate, **fixed)`` with only the learning rate in the optimizer state."""

    def optimizer(learning_rate):
        return factory(learning_rate, **fixed)

    return optax.inject_hyperparams(optimizer, hyperparam_dtype=jnp.float32)(learning_rate=learning_rate)


def optax_optimizer(optimizer_class, learning_rate, agent_name):
    """The optax optimizer that updates as ``optimizer_class`` does, its rate injected.

    ``optimizer_class`` is a ``tf.compat.v1.train`` class as the gin files bind
    it; one instance is made (no graph) to read the hyperparameters gin gives it.

    - ``AdamOptimizer(beta1, beta2, epsilon)`` -> ``optax.adam(b1, b2, eps)``.
      TensorFlow adds ε to sqrt(v) before its bias correction, optax after it:
      the same update once 1 − β₂ᵗ ≈ 1 (a few thousand updates), slightly
      larger steps before. Dopamine's JAX agents use ``optax.adam`` too
      (``create_optimizer``), so a JAX agent here updates as Dopamine's does.
    - ``AdamRelOptimizer`` -> the same Adam; the agent restarts its step
      counter at every target-network sync (``restart_adam_count``). Refused
      for an agent without a target network (PPO).
    - ``RMSPropOptimizer(decay, momentum, epsilon, centered)`` ->
      ``optax.rmsprop`` with ε inside the square root and the mean square
      starting at 1, as TensorFlow's.
    - ``MomentumOptimizer(momentum, use_nesterov)`` -> ``optax.sgd(momentum, nesterov)``.
    - ``GradientDescentOptimizer`` -> ``optax.sgd``.
    """
    train = tf.compat.v1.train
    if isinstance(optimizer_class, train.Optimizer):
        raise errors.ConfigError(
            f'lrrl.create_agent.optimizer_class = {optimizer_class!r} is not allowed: it must be an optimizer '
            'class, bound without parentheses, e.g. @tf.train.AdamOptimizer.'
        )
    probe = optimizer_class(learning_rate=learning_rate)
    if optimizers.restarts_at_target_sync(probe) and agent_name == 'ppo':
        raise errors.ConfigError(
            'lrrl.create_agent.optimizer_class = @AdamRelOptimizer is not allowed with '
            "lrrl.create_agent.agent_name = 'ppo': AdamRel restarts Adam's step counter at every "
            'target-network sync, and PPO has no target network. Use @tf.train.AdamOptimizer.'
        )
    # pylint: disable=protected-access
    if isinstance(probe, train.AdamOptimizer):
        return _injected(optax.adam, learning_rate, b1=probe._beta1, b2=probe._beta2, eps=probe._epsilon)
    if isinstance(probe, train.RMSPropOptimizer):
        return _injected(
            optax.rmsprop,
            learning_rate,
            decay=probe._decay,
            eps=probe._epsilon,
            eps_in_sqrt=True,
            centered=probe._centered,
            momentum=probe._momentum or None,
            initial_scale=1.0,
        )
    if isinstance(probe, train.MomentumOptimizer):
        return _injected(optax.sgd, learning_rate, momentum=probe._momentum, nesterov=probe._use_nesterov)
    if isinstance(probe, train.GradientDescentOptimizer):
        return _injected(optax.sgd, learning_rate)
    # pylint: enable=protected-access
    raise errors.ConfigError(
        f'lrrl.create_agent.optimizer_class = {optimizer_class!r} is not allowed with the JAX agents: it must be '
        'one of @tf.train.AdamOptimizer, @AdamRelOptimizer (not PPO), @tf.train.RMSPropOptimizer, '
        '@tf.train.MomentumOptimizer, @tf.train.GradientDescentOptimizer.'
    )


def _is_injected(node):
    return isinstance(node, _INJECTED_STATES)


def with_rate(state, rate):
    """``state`` with the injected rate replaced (same shape and dtype: no new trace of a jitted update)."""
    value = jnp.asarray(rate, dtype=jnp.float32)

    def replace(node):
        if not _is_injected(node):
            return node
        return node._replace(hyperparams=dict(node.hyperparams, learning_rate=value))

    return jax.tree_util.tree_map(replace, state, is_leaf=_is_injected)


def rate_of(state):
    """The injected rate in ``state``."""
    injected = [node for node in jax.tree_util.tree_leaves(state, is_leaf=_is_injected) if _is_injected(node)]
    return float(injected[0].hyperparams['learning_rate'])


def restart_adam_count(state):
    """``state`` with Adam's step counter back at 0, its moments kept (AdamRel: the next update is t = 1)."""

    def restart(node):
        if isinstance(node, optax.ScaleByAdamState):
            return node._replace(count=jnp.zeros_like(node.count))
        return node

    return jax.tree_util.tree_map(restart, state, is_leaf=lambda node: isinstance(node, optax.ScaleByAdamState))


@jax.jit
def _all_finite(tree):
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree_util.tree_leaves(tree)]))


class OptaxControlledRateAgent(rate_control.ControlledRateAgent):
    """Mixin for a Dopamine JAX agent whose optax state (``optimizer_state``) holds an injected rate.

    The agent builds its optimizer with ``optax_optimizer`` and keeps its state
    in ``optimizer_state``, as Dopamine's JAX agents do; ``trained_params``
    names the attribute with the trained network's parameters.
    """

    trained_params = 'online_params'

    def _set_optimizer_rate(self, rate):
        """Replaces the rate array in the optimizer state."""
        self.optimizer_state = with_rate(self.optimizer_state, rate)

    def _read_optimizer_rate(self):
        return rate_of(self.optimizer_state)

    def weights_are_finite(self):
        """One jitted reduction over the trained parameters."""
        return bool(_all_finite(getattr(self, self.trained_params)))
