"""Standard non-convex test functions for the stationary benchmark (numpy only).

Each function works on a batch of points: ``x`` has shape (..., d) and
``value(x)`` has shape (...,); ``gradient(x)`` is the analytic gradient, of the
same shape as ``x``. Each knows its global minimiser and minimum in dimension
d and the box its random starts are drawn from (the usual search domain of the
literature, e.g. Surjanovic & Bingham's Virtual Library of Simulation
Experiments).

``get(name)`` returns one of ``FUNCTIONS`` by name, with a clear error for an
unknown name.
"""

import math

import numpy as np


class TestFunction:
    """A differentiable objective with a known global minimum."""

    __test__ = False  # Not a pytest test class, whatever its name.

    name = 'TestFunction'
    # The box [low, high]^d random starts are drawn from.
    domain = (-1.0, 1.0)
    min_dimension = 1

    def value(self, x):
        raise NotImplementedError

    def gradient(self, x):
        raise NotImplementedError

    def minimiser(self, dimension):
        raise NotImplementedError

    def minimum(self, dimension):
        return float(self.value(self.minimiser(dimension)))

    def check_dimension(self, dimension):
        if (
            isinstance(dimension, bool)
            or not isinstance(dimension, (int, np.integer))
            or dimension < self.min_dimension
        ):
            raise ValueError(
                f'dimension = {dimension!r} is not allowed for {self.name}: it must be an integer >= '
                f'{self.min_dimension}.'
            )

    def random_starts(self, rng, num_points, dimension):
        """``num_points`` starts drawn uniformly from the domain box."""
        low, high = self.domain
        return rng.uniform(low, high, size=(num_points, dimension))


class Rosenbrock(TestFunction):
    """sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2; minimum 0 at (1, ..., 1)."""

    name = 'rosenbrock'
    domain = (-2.0, 2.0)
    min_dimension = 2

    def value(self, x):
        x = np.asarray(x, dtype=np.float64)
        head, tail = x[..., :-1], x[..., 1:]
        return np.sum(100.0 * (tail - head**2) ** 2 + (1.0 - head) ** 2, axis=-1)

    def gradient(self, x):
        x = np.asarray(x, dtype=np.float64)
        head, tail = x[..., :-1], x[..., 1:]
        inner = tail - head**2
        grad = np.zeros_like(x)
        grad[..., :-1] = -400.0 * head * inner - 2.0 * (1.0 - head)
        grad[..., 1:] += 200.0 * inner
        return grad

    def minimiser(self, dimension):
        return np.ones(dimension)


class Rastrigin(TestFunction):
    """10 d + sum_i x_i^2 - 10 cos(2 pi x_i); minimum 0 at 0."""

    name = 'rastrigin'
    domain = (-5.12, 5.12)

    def value(self, x):
        x = np.asarray(x, dtype=np.float64)
        return np.sum(x**2 - 10.0 * np.cos(2.0 * np.pi * x) + 10.0, axis=-1)

    def gradient(self, x):
        x = np.asarray(x, dtype=np.float64)
        return 2.0 * x + 20.0 * np.pi * np.sin(2.0 * np.pi * x)

    def minimiser(self, dimension):
        return np.zeros(dimension)


class Ackley(TestFunction):
    """-20 exp(-0.2 rms(x)) - exp(mean cos(2 pi x)) + 20 + e; minimum 0 at 0.

    The first term is not differentiable at 0; its gradient is taken as 0 there
    (the minimiser).
    """

    name = 'ackley'
    domain = (-32.768, 32.768)

    def value(self, x):
        x = np.asarray(x, dtype=np.float64)
        rms = np.sqrt(np.mean(x**2, axis=-1))
        return -20.0 * np.exp(-0.2 * rms) - np.exp(np.mean(np.cos(2.0 * np.pi * x), axis=-1)) + 20.0 + math.e

    def gradient(self, x):
        x = np.asarray(x, dtype=np.float64)
        d = x.shape[-1]
        rms = np.sqrt(np.mean(x**2, axis=-1, keepdims=True))
        safe_rms = np.where(rms > 0, rms, 1.0)
        radial = np.where(rms > 0, 4.0 * np.exp(-0.2 * rms) * x / (d * safe_rms), 0.0)
        periodic = (2.0 * np.pi / d) * np.exp(np.mean(np.cos(2.0 * np.pi * x), axis=-1, keepdims=True))
        return radial + periodic * np.sin(2.0 * np.pi * x)

    def minimiser(self, dimension):
        return np.zeros(dimension)


def _styblinski_tang_root():
    # The minimiser of x^4 - 16 x^2 + 5 x: the smallest real root of its
    # derivative 4 x^3 - 32 x + 5 (about -2.903534), refined by Newton steps.
    x = float(min(r.real for r in np.roots([4.0, 0.0, -32.0, 5.0]) if abs(r.imag) < 1e-12))
    for _ in range(3):
        x -= (4 * x**3 - 32 * x + 5) / (12 * x**2 - 32)
    return x


class StyblinskiTang(TestFunction):
    """0.5 sum_i x_i^4 - 16 x_i^2 + 5 x_i; minimum about -39.166 d at x_i = -2.9035."""

    name = 'styblinski_tang'
    domain = (-5.0, 5.0)
    ROOT = _styblinski_tang_root()

    def value(self, x):
        x = np.asarray(x, dtype=np.float64)
        return 0.5 * np.sum(x**4 - 16.0 * x**2 + 5.0 * x, axis=-1)

    def gradient(self, x):
        x = np.asarray(x, dtype=np.float64)
        return 0.5 * (4.0 * x**3 - 32.0 * x + 5.0)

    def minimiser(self, dimension):
        return np.full(dimension, self.ROOT)


class Griewank(TestFunction):
    """1 + sum_i x_i^2 / 4000 - prod_i cos(x_i / sqrt(i)); minimum 0 at 0."""

    name = 'griewank'
    domain = (-600.0, 600.0)

    def value(self, x):
        x = np.asarray(x, dtype=np.float64)
        scale = np.sqrt(np.arange(1, x.shape[-1] + 1))
        return 1.0 + np.sum(x**2, axis=-1) / 4000.0 - np.prod(np.cos(x / scale), axis=-1)

    def gradient(self, x):
        x = np.asarray(x, dtype=np.float64)
        scale = np.sqrt(np.arange(1, x.shape[-1] + 1))
        cosines = np.cos(x / scale)
        # prod_{j != i} cos_j from prefix and suffix products (no division, so
        # a zero cosine is fine).
        ones = np.ones(x.shape[:-1] + (1,))
        prefix = np.cumprod(np.concatenate([ones, cosines[..., :-1]], axis=-1), axis=-1)
        suffix = np.flip(np.cumprod(np.flip(np.concatenate([cosines[..., 1:], ones], axis=-1), -1), axis=-1), -1)
        return x / 2000.0 + np.sin(x / scale) / scale * prefix * suffix

    def minimiser(self, dimension):
        return np.zeros(dimension)


class Levy(TestFunction):
    """Levy's function with w = 1 + (x - 1) / 4; minimum 0 at (1, ..., 1).

    sin^2(pi w_1) + sum_{i<d} (w_i - 1)^2 (1 + 10 sin^2(pi w_i + 1))
    + (w_d - 1)^2 (1 + sin^2(2 pi w_d)).
    """

    name = 'levy'
    domain = (-10.0, 10.0)

    def value(self, x):
        w = 1.0 + (np.asarray(x, dtype=np.float64) - 1.0) / 4.0
        head, last = w[..., :-1], w[..., -1]
        middle = np.sum((head - 1.0) ** 2 * (1.0 + 10.0 * np.sin(np.pi * head + 1.0) ** 2), axis=-1)
        return np.sin(np.pi * w[..., 0]) ** 2 + middle + (last - 1.0) ** 2 * (1.0 + np.sin(2.0 * np.pi * last) ** 2)

    def gradient(self, x):
        w = 1.0 + (np.asarray(x, dtype=np.float64) - 1.0) / 4.0
        grad_w = np.zeros_like(w)
        grad_w[..., 0] = np.pi * np.sin(2.0 * np.pi * w[..., 0])
        head = w[..., :-1]
        grad_w[..., :-1] += 2.0 * (head - 1.0) * (1.0 + 10.0 * np.sin(np.pi * head + 1.0) ** 2) + (
            head - 1.0
        ) ** 2 * 10.0 * np.pi * np.sin(2.0 * (np.pi * head + 1.0))
        last = w[..., -1]
        grad_w[..., -1] += 2.0 * (last - 1.0) * (1.0 + np.sin(2.0 * np.pi * last) ** 2) + (
            last - 1.0
        ) ** 2 * 2.0 * np.pi * np.sin(4.0 * np.pi * last)
        return grad_w / 4.0

    def minimiser(self, dimension):
        return np.ones(dimension)


FUNCTIONS = {f.name: f for f in (Rosenbrock(), Rastrigin(), Ackley(), StyblinskiTang(), Griewank(), Levy())}


def get(name):
    """The test function called ``name`` (one of ``FUNCTIONS``)."""
    if name not in FUNCTIONS:
        raise ValueError(f'Unknown test function {name!r}; the functions are: {", ".join(FUNCTIONS)}.')
    return FUNCTIONS[name]
