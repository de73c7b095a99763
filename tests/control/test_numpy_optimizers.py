"""numpy SGD/Adam/RMSProp: a rate that changes between steps, state kept."""

import json

import numpy as np
import pytest

from lrrl.control import numpy_optimizers


def test_adam_keeps_its_moments_when_the_rate_changes():
    # Adam written out by hand: m, v and the step count run on whatever the rate.
    rates = [1e-3, 1e-1, 1e-2, 1e-1, 1e-3]
    grads = [
        np.array([0.5, -2.0]),
        np.array([1.0, 3.0]),
        np.array([-1.0, 0.1]),
        np.array([2.0, 2.0]),
        np.array([0.3, -0.3]),
    ]
    param = np.array([1.0, -1.0])
    optimizer = numpy_optimizers.Adam()
    expected = param.copy()
    m = np.zeros(2)
    v = np.zeros(2)
    for t, (rate, grad) in enumerate(zip(rates, grads), start=1):
        optimizer.learning_rate = rate
        optimizer.apply_gradients([param], [grad])
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        expected -= rate * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    np.testing.assert_allclose(param, expected, rtol=1e-12)


@pytest.mark.parametrize('momentum', [0.0, 0.9])
def test_rmsprop_matches_the_update_written_out(momentum):
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(6, 3))
    rates = [1e-2, 1e-1, 1e-3, 1e-2, 1e-1, 1e-2]
    param = np.array([1.0, -1.0, 0.5])
    optimizer = numpy_optimizers.RMSProp(rho=0.8, momentum=momentum, epsilon=1e-6)
    expected = param.copy()
    v = np.zeros(3)
    velocity = np.zeros(3)
    for rate, grad in zip(rates, grads):
        optimizer.learning_rate = rate
        optimizer.apply_gradients([param], [grad])
        v = 0.8 * v + 0.2 * grad**2
        velocity = momentum * velocity + rate * grad / (np.sqrt(v) + 1e-6)
        expected -= velocity
    np.testing.assert_allclose(param, expected, rtol=1e-12)


@pytest.mark.parametrize('name', list(numpy_optimizers.OPTIMIZERS))
def test_per_row_rates_equal_separate_runs(name):
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(6, 3, 4))
    rates = np.array([1e-3, 1e-2, 1e-1])
    together = np.ones((3, 4))
    optimizer = numpy_optimizers.create(name)
    optimizer.learning_rate = rates[:, None]
    for g in grads:
        optimizer.apply_gradients([together], [g])
    for row, rate in enumerate(rates):
        alone = np.ones(4)
        single = numpy_optimizers.create(name, rate)
        for g in grads:
            single.apply_gradients([alone], [g[row]])
        np.testing.assert_allclose(together[row], alone, rtol=1e-12)


@pytest.mark.parametrize('name', list(numpy_optimizers.OPTIMIZERS))
def test_each_optimizer_descends_a_quadratic(name):
    x = np.array([3.0, -2.0])
    optimizer = numpy_optimizers.create(name, 0.05)
    for _ in range(500):
        optimizer.apply_gradients([x], [2 * x])
    assert np.abs(x).max() < 0.05


def test_state_round_trip_through_json_is_exact():
    a = numpy_optimizers.RMSProp(learning_rate=0.01, momentum=0.5)
    x = np.array([1.0, 2.0])
    for _ in range(3):
        a.apply_gradients([x], [x**3])
    b = numpy_optimizers.RMSProp(learning_rate=0.01, momentum=0.5)
    b.load_state_dict(json.loads(json.dumps(a.state_dict())))
    y = x.copy()
    a.apply_gradients([x], [x**3])
    b.apply_gradients([y], [y**3])
    np.testing.assert_array_equal(x, y)


def test_bad_values_are_refused():
    with pytest.raises(ValueError, match=r"Unknown optimizer 'adagrad'.*sgd, adam, rmsprop"):
        numpy_optimizers.create('adagrad')
    with pytest.raises(ValueError, match=r'Adam.beta1 = 1.0 is not allowed'):
        numpy_optimizers.Adam(beta1=1.0)
    with pytest.raises(ValueError, match='2 parameters and 1 gradients'):
        numpy_optimizers.SGD().apply_gradients([np.ones(1), np.ones(1)], [np.ones(1)])
