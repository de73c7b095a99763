"""A small fully connected ReLU network in numpy: init, forward, backward.

Parameters are a flat list ``[W_0, b_0, W_1, b_1, ...]`` (what
``lrrl.control.numpy_optimizers`` updates in place); a copy of the list is a target
network. Used by the MaclaurinNet task and by the RLR scheduler's Q-network.

Several networks train at once when their parameters are stacked on a leading
axis: W (n, fan_in, fan_out), b (n, 1, fan_out), inputs (n, batch, fan_in)
(the bandit testbed trains one MaclaurinNet per seed in one array).
"""

import numpy as np


def init(sizes, rng):
    """Layers ``sizes[0] -> ... -> sizes[-1]``, initialised as PyTorch's nn.Linear.

    Weights and biases uniform in ±1/sqrt(fan_in) (what the RLR description's PyTorch
    models start from).
    """
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, size=(fan_in, fan_out)))
        params.append(rng.uniform(-bound, bound, size=fan_out))
    return params


def forward(params, inputs):
    """Returns the output (linear last layer) and the inputs of each layer."""
    layer_inputs = []
    h = inputs
    num_layers = len(params) // 2
    for layer in range(num_layers):
        layer_inputs.append(h)
        h = h @ params[2 * layer] + params[2 * layer + 1]
        if layer < num_layers - 1:
            h = np.maximum(h, 0.0)
    return h, layer_inputs


def backward(params, layer_inputs, grad_output):
    """Gradients of the loss w.r.t. ``params`` given d loss / d output."""
    grads = [None] * len(params)
    g = grad_output
    for layer in reversed(range(len(params) // 2)):
        h = layer_inputs[layer]
        grads[2 * layer] = np.swapaxes(h, -1, -2) @ g
        grads[2 * layer + 1] = g.sum(axis=-2, keepdims=params[2 * layer + 1].ndim > 1)
        if layer > 0:
            # h is the previous layer's ReLU output: its derivative is h > 0.
            g = (g @ np.swapaxes(params[2 * layer], -1, -2)) * (h > 0)
    return grads


def copy(params):
    return [p.copy() for p in params]
