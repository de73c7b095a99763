"""Flax networks Dopamine's JAX agents lack: classic-control IQN and MinAtar DQN/IQN/Rainbow.

The JAX twins of ``lrrl.experiment.networks`` (the TF agents' ones), layer for
layer, so a JAX and a TF agent on the same task train the same architecture.

- ``JaxClassicControlImplicitQuantileNetwork``: Dopamine's JAX agents have a
  classic-control DQN and Rainbow network (``dopamine.jax.networks``) but no
  IQN one; this follows their input scaling (to [-1, 1] from known bounds) and
  Xavier initialisation, with Dopamine's IQN head (cosine quantile embedding
  multiplied into the state features; Dabney et al. 2018, Eq. 4) between two
  dense layers, as ``networks.DenseImplicitQuantileNetwork`` does.
- ``JaxMinAtar*Network``: the MinAtar paper's torso (Young & Tian 2019, arXiv
  1903.03176: one 3x3 convolution, 16 channels, stride 1, no padding) and a
  dense layer of 128 units, with Dopamine's Atari initialisation, as
  ``networks.MinAtarDQNNetwork``. The stack axis of Dopamine's state
  ([10, 10, channels, stack]) is folded into the channels. Dopamine's own
  ``dopamine/labs/environments/minatar`` networks do not fold it: given that
  state, flax's ``Conv`` takes the first axis for a batch axis and convolves
  over (columns, channels) with one input feature (docs/jax_agents.md); they
  also import the GPL ``minatar`` package at module level.

Each network takes one state (Dopamine's JAX agents ``vmap`` it over a batch).
"""

import math

from dopamine.discrete_domains import atari_lib
from flax import linen as nn
import gin
import jax
import jax.numpy as jnp


def _dopamine_initializer():
    """The initializer of Dopamine's Atari networks (TF and JAX)."""
    return nn.initializers.variance_scaling(scale=1.0 / math.sqrt(3.0), mode='fan_in', distribution='uniform')


def cosine_quantile_embedding(features, num_quantiles, embedding_dim, rng, kernel_init):
    """IQN's merge for one state (Dopamine's ``ImplicitQuantileNetwork``).

    Tiles the state ``features`` [d] ``num_quantiles`` times, draws one quantile
    per row with ``rng`` and multiplies ``relu(dense(cos(pi * i * tau)))`` for
    i = 1..``embedding_dim`` in. Returns (merged [num_quantiles, d], quantiles [num_quantiles, 1]).
    """
    tiled = jnp.tile(features, [num_quantiles, 1])
    quantiles = jax.random.uniform(rng, shape=[num_quantiles, 1])
    embedding = jnp.arange(1, embedding_dim + 1, 1).astype(jnp.float32) * math.pi * quantiles
    embedding = nn.relu(nn.Dense(features=features.shape[-1], kernel_init=kernel_init)(jnp.cos(embedding)))
    return tiled * embedding, quantiles


@gin.configurable
class JaxClassicControlImplicitQuantileNetwork(nn.Module):
    """IQN for low-dimensional observations scaled to [-1, 1] from known bounds."""

    num_actions: int
    quantile_embedding_dim: int
    hidden_units: int = 512
    min_vals: tuple = None
    max_vals: tuple = None
    inputs_preprocessed: bool = False

    @nn.compact
    def __call__(self, x, num_quantiles, rng):
        initializer = nn.initializers.xavier_uniform()
        x = x.astype(jnp.float32).reshape((-1))
        if self.min_vals is not None:
            low, high = jnp.array(self.min_vals), jnp.array(self.max_vals)
            x = 2.0 * (x - low) / (high - low) - 1.0
        x = nn.relu(nn.Dense(features=self.hidden_units, kernel_init=initializer)(x))
        x, quantiles = cosine_quantile_embedding(x, num_quantiles, self.quantile_embedding_dim, rng, initializer)
        x = nn.relu(nn.Dense(features=self.hidden_units, kernel_init=initializer)(x))
        quantile_values = nn.Dense(features=self.num_actions, kernel_init=initializer)(x)
        return atari_lib.ImplicitQuantileNetworkType(quantile_values, quantiles)


class JaxMinAtarTorso(nn.Module):
    """The MinAtar paper's convolution on one [10, 10, channels, stack] state; the output is flat."""

    padding: str = 'VALID'

    @nn.compact
    def __call__(self, x):
        x = x.astype(jnp.float32)
        if x.ndim == 4:
            height, width, channels, stack = x.shape
            x = x.reshape((height, width, channels * stack))
        x = nn.Conv(
            features=16, kernel_size=(3, 3), strides=(1, 1), padding=self.padding, kernel_init=_dopamine_initializer()
        )(x)
        return nn.relu(x).reshape((-1))


def _hidden(x, units):
    if not units:
        return x
    return nn.relu(nn.Dense(features=units, kernel_init=_dopamine_initializer())(x))


@gin.configurable
class JaxMinAtarDQNNetwork(nn.Module):
    """Q-values from the MinAtar torso and a ``hidden_units`` dense layer (0: none)."""

    num_actions: int
    hidden_units: int = 128
    padding: str = 'VALID'
    inputs_preprocessed: bool = False

    @nn.compact
    def __call__(self, x):
        x = _hidden(JaxMinAtarTorso(self.padding)(x), self.hidden_units)
        q_values = nn.Dense(features=self.num_actions, kernel_init=_dopamine_initializer())(x)
        return atari_lib.DQNNetworkType(q_values)


@gin.configurable
class JaxMinAtarRainbowNetwork(nn.Module):
    """Return distributions (``num_atoms`` on ``support``) from the MinAtar torso and a dense layer."""

    num_actions: int
    num_atoms: int
    hidden_units: int = 128
    padding: str = 'VALID'
    inputs_preprocessed: bool = False

    @nn.compact
    def __call__(self, x, support):
        x = _hidden(JaxMinAtarTorso(self.padding)(x), self.hidden_units)
        x = nn.Dense(features=self.num_actions * self.num_atoms, kernel_init=_dopamine_initializer())(x)
        logits = x.reshape((self.num_actions, self.num_atoms))
        probabilities = nn.softmax(logits)
        q_values = jnp.sum(support * probabilities, axis=1)
        return atari_lib.RainbowNetworkType(q_values, logits, probabilities)


@gin.configurable
class JaxMinAtarImplicitQuantileNetwork(nn.Module):
    """IQN on the MinAtar torso: quantile embedding, then a ``hidden_units`` dense layer (0: none)."""

    num_actions: int
    quantile_embedding_dim: int
    hidden_units: int = 128
    padding: str = 'VALID'
    inputs_preprocessed: bool = False

    @nn.compact
    def __call__(self, x, num_quantiles, rng):
        initializer = _dopamine_initializer()
        x = JaxMinAtarTorso(self.padding)(x)
        x, quantiles = cosine_quantile_embedding(x, num_quantiles, self.quantile_embedding_dim, rng, initializer)
        x = _hidden(x, self.hidden_units)
        quantile_values = nn.Dense(features=self.num_actions, kernel_init=initializer)(x)
        return atari_lib.ImplicitQuantileNetworkType(quantile_values, quantiles)
