"""The stationary benchmark's test functions: gradients, minima, domains."""

import numpy as np
import pytest

from lrrl.benchmarks import test_functions

NAMES = list(test_functions.FUNCTIONS)

# Published global minima (e.g. Surjanovic & Bingham's library): f* per
# dimension d, and the minimiser's coordinate.
KNOWN = {
    'rosenbrock': (lambda d: 0.0, 1.0),
    'rastrigin': (lambda d: 0.0, 0.0),
    'ackley': (lambda d: 0.0, 0.0),
    'styblinski_tang': (lambda d: -39.16617 * d, -2.903534),
    'griewank': (lambda d: 0.0, 0.0),
    'levy': (lambda d: 0.0, 1.0),
}


def test_the_six_functions_are_there():
    assert set(NAMES) == set(KNOWN)


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('dimension', [1, 2, 7])
def test_gradient_matches_finite_differences(name, dimension):
    function = test_functions.get(name)
    dimension = max(dimension, function.min_dimension)  # Rosenbrock needs d >= 2
    rng = np.random.default_rng(dimension)
    x = function.random_starts(rng, 5, dimension)
    analytic = function.gradient(x)
    assert analytic.shape == x.shape
    h = 1e-6 * max(1.0, abs(function.domain[1]))
    numeric = np.zeros_like(x)
    for i in range(dimension):
        e = np.zeros(dimension)
        e[i] = h
        numeric[:, i] = (function.value(x + e) - function.value(x - e)) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-5 * (1 + np.abs(numeric).max()))


@pytest.mark.parametrize('name', NAMES)
def test_known_minimum_and_minimiser(name):
    function = test_functions.get(name)
    minimum, coordinate = KNOWN[name]
    for d in (2, 10):
        x_star = function.minimiser(d)
        np.testing.assert_allclose(x_star, np.full(d, coordinate), atol=1e-6)
        assert function.minimum(d) == pytest.approx(minimum(d), abs=1e-4 * d)
        # A stationary point, and no lower value nearby or anywhere we sample.
        assert np.abs(function.gradient(x_star)).max() < 1e-10
        rng = np.random.default_rng(0)
        near = x_star + rng.normal(scale=1e-3, size=(200, d))
        far = function.random_starts(rng, 2000, d)
        assert np.all(function.value(near) >= function.minimum(d) - 1e-12)
        assert np.all(function.value(far) >= function.minimum(d) - 1e-12)


@pytest.mark.parametrize('name', NAMES)
def test_values_work_on_batches(name):
    function = test_functions.get(name)
    x = function.random_starts(np.random.default_rng(1), 6, 4).reshape(2, 3, 4)
    values = function.value(x)
    assert values.shape == (2, 3)
    np.testing.assert_allclose(values[1, 2], function.value(x[1, 2]))
    np.testing.assert_allclose(function.gradient(x)[0, 1], function.gradient(x[0, 1]))


@pytest.mark.parametrize('name', NAMES)
def test_random_starts_lie_in_the_domain(name):
    function = test_functions.get(name)
    starts = function.random_starts(np.random.default_rng(2), 500, 3)
    low, high = function.domain
    assert starts.shape == (500, 3)
    assert starts.min() >= low and starts.max() <= high
    # Spread over the box, not a corner of it.
    assert starts.min() < low + 0.1 * (high - low) and starts.max() > high - 0.1 * (high - low)


def test_unknown_function_and_bad_dimension_are_refused():
    with pytest.raises(ValueError, match=r"Unknown test function 'sphere'.*rosenbrock"):
        test_functions.get('sphere')
    with pytest.raises(ValueError, match=r'dimension = 1 is not allowed for rosenbrock: .*>= 2'):
        test_functions.get('rosenbrock').check_dimension(1)
