"""The MaclaurinNet task of the RLR scheduler (docs/benchmarks.md, "RLR"): coefficients from samples.

N random polynomials of degree 4, w = (w_0 .. w_4), each observed at 20
equidistant points on [-2, 2]; a small MLP ("MaclaurinNet") maps the 20 values
to the 5 coefficients; the loss is the mean squared error on the coefficients,
minimised with mini-batches of 32.

Not given by the RLR description, so ours (*assumed*, gin-configurable): coefficients
drawn uniformly in [-1, 1]; two hidden ReLU layers of 64; a held-out test set
of 256 more polynomials for the test error; mini-batches drawn without
replacement, independently at each step.
"""

import gin
import numpy as np

from lrrl.control import numpy_mlp
from lrrl import validation


@gin.configurable
class MaclaurinTask:
    """Data and network of one MaclaurinNet problem (numpy).

    Args:
      num_polynomials: N, training polynomials.
      num_test_polynomials: held-out polynomials for the test error.
      num_points: sample points per polynomial (the network's input size).
      degree: polynomial degree (degree + 1 outputs).
      x_max: samples are equidistant on [-x_max, x_max].
      coefficient_scale: coefficients uniform in [-scale, scale].
      hidden_sizes: widths of the hidden ReLU layers.
      batch_size: mini-batch size of a training step.
      seed: draws the polynomials.
    """

    def __init__(
        self,
        num_polynomials=256,
        num_test_polynomials=256,
        num_points=20,
        degree=4,
        x_max=2.0,
        coefficient_scale=1.0,
        hidden_sizes=(64, 64),
        batch_size=32,
        seed=0,
    ):
        validation.check_int('MaclaurinTask.num_polynomials', num_polynomials, 1)
        validation.check_int('MaclaurinTask.num_test_polynomials', num_test_polynomials, 1)
        validation.check_int('MaclaurinTask.num_points', num_points, 1)
        validation.check_int('MaclaurinTask.degree', degree, 0)
        validation.check_int('MaclaurinTask.batch_size', batch_size, 1)
        validation.require(
            batch_size <= num_polynomials,
            'MaclaurinTask.batch_size',
            batch_size,
            f'<= num_polynomials = {num_polynomials}',
        )
        validation.require(
            all(validation.is_int(h, 1) for h in hidden_sizes),
            'MaclaurinTask.hidden_sizes',
            hidden_sizes,
            'a list of integers >= 1',
        )
        self.points = np.linspace(-x_max, x_max, num_points)
        # vandermonde[i, k] = x_i^k, so values = coefficients @ vandermonde.T.
        self.vandermonde = self.points[:, None] ** np.arange(degree + 1)
        rng = np.random.default_rng(seed)
        self.train_targets = rng.uniform(-coefficient_scale, coefficient_scale, size=(num_polynomials, degree + 1))
        self.test_targets = rng.uniform(-coefficient_scale, coefficient_scale, size=(num_test_polynomials, degree + 1))
        self.train_inputs = self.train_targets @ self.vandermonde.T
        self.test_inputs = self.test_targets @ self.vandermonde.T
        self.sizes = (num_points, *hidden_sizes, degree + 1)
        self.batch_size = int(batch_size)

    def init_params(self, rng):
        return numpy_mlp.init(self.sizes, rng)

    @staticmethod
    def loss(params, inputs, targets):
        outputs, _ = numpy_mlp.forward(params, inputs)
        return float(np.mean((outputs - targets) ** 2))

    @staticmethod
    def loss_and_gradients(params, inputs, targets):
        outputs, layer_inputs = numpy_mlp.forward(params, inputs)
        diff = outputs - targets
        grads = numpy_mlp.backward(params, layer_inputs, 2.0 * diff / diff.size)
        return float(np.mean(diff**2)), grads

    def sample_batch(self, rng):
        index = rng.choice(len(self.train_inputs), size=self.batch_size, replace=False)
        return self.train_inputs[index], self.train_targets[index]

    def train_loss(self, params):
        """The loss on the whole training set (L_t of the RLR scheduler)."""
        return self.loss(params, self.train_inputs, self.train_targets)

    def test_loss(self, params):
        return self.loss(params, self.test_inputs, self.test_targets)
