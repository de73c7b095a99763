"""The optimizers the gin files name for every agent: TensorFlow's (registered here) and AdamRel.

The JAX agents read the same classes and build their optax equivalent
(``lrrl.experiment.optax_rates``).

``AdamRelOptimizer`` is AdamRel (Ellis et al., "Adam on Local Time: Addressing
Nonstationarity in RL with Relative Adam Timesteps", NeurIPS 2024): Adam whose
step counter — the t in the bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ — restarts at
0 each time the target network is synced, while the moment estimates are
kept. Each target update starts a new optimisation problem, and the restart
gives its first updates Adam's usual bias-corrected magnitude.

The TF agents (``lrrl.experiment.agents``) run ``restart_ops()`` together with
the target-network sync, and the JAX DQN-family agents restart their optax
Adam's counter there (``lrrl.experiment.jax_agents``), so AdamRel combines
with any learning-rate controller, LRRL included. The gin files name it (and
every optimizer) as a TF class for every agent family. Select it in gin:

  lrrl.create_agent.optimizer_class = @AdamRelOptimizer
  AdamRelOptimizer.epsilon = %ADAM_EPSILON
"""

import gin
import tensorflow as tf

from lrrl import compat

# Registers TensorFlow's optimizers under the names the gin files use (@tf.train.AdamOptimizer)
# for every agent family, and the TensorBoard collector fix (lrrl/compat.py).
compat.apply_tensorflow_fixes()


def restarts_at_target_sync(optimizer):
    """Whether ``optimizer`` (a class or an instance) restarts Adam's step counter at every target sync (AdamRel)."""
    return hasattr(optimizer, 'restart_ops')


@gin.configurable
class AdamRelOptimizer(tf.compat.v1.train.AdamOptimizer):
    """Adam with a step counter that restarts at every target-network sync.

    Arguments as ``tf.compat.v1.train.AdamOptimizer``.
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, use_locking=False, name='AdamRel'):
        super().__init__(learning_rate, beta1, beta2, epsilon, use_locking, name)

    def restart_ops(self):
        """Ops that set the step counter back to 0 (the next update is t = 1).

        TensorFlow's Adam keeps β₁ᵗ and β₂ᵗ (not t) as variables, starting at
        β₁ and β₂ for the first update: restarting the counter is resetting
        them to those values. Call after ``minimize`` has created them.
        """
        beta1_power, beta2_power = self._get_beta_accumulators()
        return [beta1_power.assign(self._beta1), beta2_power.assign(self._beta2)]
