"""Small dense Implicit Quantile networks for the classic-control tasks.

Dopamine has dense DQN networks for CartPole and Acrobot but no IQN one; its
Atari IQN network is convolutional. These follow Dopamine's Atari IQN network
(cosine quantile embedding multiplied into the state features) with
``gym_lib.BasicDiscreteDomainNetwork``'s input scaling and two dense layers.
"""

import math

import gin
import numpy as np
import tensorflow as tf
from dopamine.discrete_domains import atari_lib
from dopamine.discrete_domains import gym_lib


@gin.configurable
class DenseImplicitQuantileNetwork(tf.keras.Model):
    """IQN for low-dimensional observations scaled to [-1, 1] from known bounds."""

    def __init__(self, num_actions, quantile_embedding_dim, min_vals, max_vals, hidden_units=512, name=None):
        super().__init__(name=name)
        self.num_actions = num_actions
        self.quantile_embedding_dim = quantile_embedding_dim
        self.min_vals = np.asarray(min_vals, dtype=np.float32)
        self.max_vals = np.asarray(max_vals, dtype=np.float32)
        relu = tf.keras.activations.relu
        self.flatten = tf.keras.layers.Flatten()
        self.state_layer = tf.keras.layers.Dense(hidden_units, activation=relu, name='state')
        self.quantile_layer = tf.keras.layers.Dense(hidden_units, activation=relu, name='quantile')
        self.hidden_layer = tf.keras.layers.Dense(hidden_units, activation=relu, name='hidden')
        self.output_layer = tf.keras.layers.Dense(num_actions, name='quantile_values')

    def call(self, state, num_quantiles):
        batch_size = state.get_shape().as_list()[0]
        x = self.flatten(tf.cast(state, tf.float32))
        x = 2.0 * (x - self.min_vals) / (self.max_vals - self.min_vals) - 1.0
        x = self.state_layer(x)
        x = tf.tile(x, [num_quantiles, 1])
        quantiles = tf.random.uniform([num_quantiles * batch_size, 1], minval=0, maxval=1, dtype=tf.float32)
        embedding = tf.cast(tf.range(1, self.quantile_embedding_dim + 1), tf.float32) * math.pi * quantiles
        embedding = self.quantile_layer(tf.cos(embedding))
        x = self.hidden_layer(x * embedding)
        return atari_lib.ImplicitQuantileNetworkType(self.output_layer(x), quantiles)


@gin.configurable
class CartpoleImplicitQuantileNetwork(DenseImplicitQuantileNetwork):
    def __init__(self, num_actions, quantile_embedding_dim, name=None):
        super().__init__(
            num_actions, quantile_embedding_dim, gym_lib.CARTPOLE_MIN_VALS, gym_lib.CARTPOLE_MAX_VALS, name=name
        )


@gin.configurable
class AcrobotImplicitQuantileNetwork(DenseImplicitQuantileNetwork):
    def __init__(self, num_actions, quantile_embedding_dim, name=None):
        super().__init__(
            num_actions, quantile_embedding_dim, gym_lib.ACROBOT_MIN_VALS, gym_lib.ACROBOT_MAX_VALS, name=name
        )
