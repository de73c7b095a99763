"""Small networks Dopamine's TF agents lack: classic-control IQN and MinAtar DQN/IQN.

Dopamine has dense DQN networks for CartPole and Acrobot but no IQN one; its
Atari IQN network is convolutional. The dense IQN networks follow Dopamine's
Atari IQN network (cosine quantile embedding multiplied into the state
features) with ``gym_lib.BasicDiscreteDomainNetwork``'s input scaling and two
dense layers.

The MinAtar networks (docs/minatar.md) use the MinAtar paper's torso (Young &
Tian 2019, arXiv 1903.03176, section 4 and its ``examples/dqn.py``): one 3x3
convolution with 16 channels, stride 1, no padding, then a dense layer of 128
units. The IQN one puts Dopamine's cosine quantile embedding between the
convolution and the dense layer, where Dopamine's Atari IQN puts it between
its convolutions and its 512-unit layer. Revisiting Rainbow (Obando-Ceron &
Castro 2021) used the same convolution with 'same' padding and no dense layer:
``padding='same'``, ``hidden_units=0``.
"""

import math

import gin
import numpy as np
import tensorflow as tf
from dopamine.discrete_domains import atari_lib
from dopamine.discrete_domains import gym_lib


def _dopamine_initializer():
    """The initializer of Dopamine's TF Atari networks."""
    return tf.keras.initializers.VarianceScaling(scale=1.0 / math.sqrt(3.0), mode='fan_in', distribution='uniform')


def cosine_quantile_embedding(features, quantile_layer, embedding_dim, num_quantiles):
    """IQN's merge (Dabney et al. 2018, Eq. 4; Dopamine's ``ImplicitQuantileNetwork``).

    Tiles the state ``features`` [batch, d] ``num_quantiles`` times, draws one
    quantile per row, embeds it as ``quantile_layer(cos(pi * i * tau))`` for
    i = 1..``embedding_dim`` and multiplies it in. Returns (merged features,
    quantiles), both with ``num_quantiles * batch`` rows.
    """
    batch_size = features.get_shape().as_list()[0]
    tiled = tf.tile(features, [num_quantiles, 1])
    quantiles = tf.random.uniform([num_quantiles * batch_size, 1], minval=0, maxval=1, dtype=tf.float32)
    embedding = tf.cast(tf.range(1, embedding_dim + 1), tf.float32) * math.pi * quantiles
    return tiled * quantile_layer(tf.cos(embedding)), quantiles


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
        x = self.flatten(tf.cast(state, tf.float32))
        x = 2.0 * (x - self.min_vals) / (self.max_vals - self.min_vals) - 1.0
        x = self.state_layer(x)
        x, quantiles = cosine_quantile_embedding(x, self.quantile_layer, self.quantile_embedding_dim, num_quantiles)
        x = self.hidden_layer(x)
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


class MinAtarTorso(tf.keras.layers.Layer):
    """The MinAtar paper's convolution on Dopamine's [batch, 10, 10, channels, stack] state.

    The stack axis (1 in configs/agents/*_minatar.gin: MinAtar's trail channels
    carry the motion) is folded into the channels; the output is flat.
    """

    def __init__(self, padding='valid', name=None):
        super().__init__(name=name)
        self.conv = tf.keras.layers.Conv2D(
            16,
            3,
            strides=1,
            padding=padding,
            activation=tf.keras.activations.relu,
            kernel_initializer=_dopamine_initializer(),
            name='conv',
        )
        self.flatten = tf.keras.layers.Flatten()

    def call(self, state):
        x = tf.cast(state, tf.float32)
        if x.shape.rank == 5:
            _, height, width, channels, stack = x.shape.as_list()
            x = tf.reshape(x, [-1, height, width, channels * stack])
        return self.flatten(self.conv(x))


def _dense(units, name, activation=None):
    return tf.keras.layers.Dense(units, activation=activation, kernel_initializer=_dopamine_initializer(), name=name)


@gin.configurable
class MinAtarDQNNetwork(tf.keras.Model):
    """Q-values from the MinAtar torso and a ``hidden_units`` dense layer (0: none)."""

    def __init__(self, num_actions, hidden_units=128, padding='valid', name=None):
        super().__init__(name=name)
        self.num_actions = num_actions
        self.torso = MinAtarTorso(padding, name='torso')
        relu = tf.keras.activations.relu
        self.hidden_layer = _dense(hidden_units, 'hidden', relu) if hidden_units else None
        self.output_layer = _dense(num_actions, 'q_values')

    def call(self, state):
        x = self.torso(state)
        if self.hidden_layer is not None:
            x = self.hidden_layer(x)
        return atari_lib.DQNNetworkType(self.output_layer(x))


@gin.configurable
class MinAtarImplicitQuantileNetwork(tf.keras.Model):
    """IQN on the MinAtar torso: quantile embedding, then a ``hidden_units`` dense layer (0: none)."""

    def __init__(self, num_actions, quantile_embedding_dim, hidden_units=128, padding='valid', name=None):
        super().__init__(name=name)
        self.num_actions = num_actions
        self.quantile_embedding_dim = quantile_embedding_dim
        self.torso = MinAtarTorso(padding, name='torso')
        relu = tf.keras.activations.relu
        self.hidden_layer = _dense(hidden_units, 'hidden', relu) if hidden_units else None
        self.output_layer = _dense(num_actions, 'quantile_values')
        self.quantile_layer = None  # its width is the torso's, known at the first call

    def call(self, state, num_quantiles):
        x = self.torso(state)
        if self.quantile_layer is None:
            self.quantile_layer = _dense(x.shape[-1], 'quantile', tf.keras.activations.relu)
        x, quantiles = cosine_quantile_embedding(x, self.quantile_layer, self.quantile_embedding_dim, num_quantiles)
        if self.hidden_layer is not None:
            x = self.hidden_layer(x)
        return atari_lib.ImplicitQuantileNetworkType(self.output_layer(x), quantiles)
