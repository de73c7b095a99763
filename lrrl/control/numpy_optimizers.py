"""SGD, Adam and RMSProp in numpy, with a learning rate that may change between steps.

Same semantics as the TensorFlow agents' optimizers under LRRL: the learning
rate is a plain attribute (``optimizer.learning_rate = 1e-3``) read at every
step, and the optimizer's state (moments, step counter) is kept whatever the
rate was, so a switch of rate never resets it.

``learning_rate`` may be a float or an array that broadcasts against the
parameters: the stationary benchmark optimises many starting points at once,
each row with its own rate.

``apply_gradients(params, grads)`` updates the parameter arrays in place. The
state is kept per position in the list, so pass the parameters in the same
order every step.
"""

import numpy as np


def _check_unit(name, value):
    if not 0.0 <= value < 1.0:
        raise ValueError(f'{name} = {value!r} is not allowed: it must be in [0, 1).')
    return float(value)


def _moving_average(average, decay, value):
    """average <- decay * average + (1 - decay) * value, in place."""
    average *= decay
    average += (1.0 - decay) * value
    return average


class Optimizer:
    name = 'Optimizer'

    def __init__(self, learning_rate=1e-3):
        self.learning_rate = learning_rate
        self.iterations = 0
        self._slots = {}

    def _slot(self, kind, index, like):
        key = (kind, index)
        if key not in self._slots:
            self._slots[key] = np.zeros_like(like, dtype=np.float64)
        return self._slots[key]

    def apply_gradients(self, params, grads):
        """One step on every parameter array (updated in place)."""
        if len(params) != len(grads):
            raise ValueError(f'{self.name}.apply_gradients got {len(params)} parameters and {len(grads)} gradients.')
        self.iterations += 1
        for index, (param, grad) in enumerate(zip(params, grads)):
            self._update(index, param, grad)

    def _update(self, index, param, grad):
        raise NotImplementedError

    def state_dict(self):
        """The moments and the step counter as plain Python data (JSON-safe)."""
        return {
            'class': type(self).__name__,
            'iterations': self.iterations,
            'slots': [[kind, index, value.tolist()] for (kind, index), value in sorted(self._slots.items())],
        }

    def load_state_dict(self, state):
        if state.get('class') != type(self).__name__:
            raise ValueError(f'Saved optimizer state is for {state.get("class")!r}, not {type(self).__name__!r}.')
        self.iterations = int(state['iterations'])
        self._slots = {(kind, int(index)): np.asarray(value, dtype=np.float64) for kind, index, value in state['slots']}


class SGD(Optimizer):
    """p <- p - lr * (momentum buffer); plain gradient descent when momentum = 0."""

    name = 'sgd'

    def __init__(self, learning_rate=1e-3, momentum=0.0):
        super().__init__(learning_rate)
        self.momentum = _check_unit('SGD.momentum', momentum)

    def _update(self, index, param, grad):
        if self.momentum:
            velocity = self._slot('velocity', index, param)
            velocity *= self.momentum
            velocity += grad
            grad = velocity
        param -= self.learning_rate * grad


class Adam(Optimizer):
    """Kingma & Ba's Adam with bias correction (PyTorch's form of epsilon)."""

    name = 'adam'

    def __init__(self, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8):
        super().__init__(learning_rate)
        self.beta1 = _check_unit('Adam.beta1', beta1)
        self.beta2 = _check_unit('Adam.beta2', beta2)
        self.epsilon = float(epsilon)

    def _update(self, index, param, grad):
        m = _moving_average(self._slot('m', index, param), self.beta1, grad)
        v = _moving_average(self._slot('v', index, param), self.beta2, grad * grad)
        m_hat = m / (1.0 - self.beta1**self.iterations)
        v_hat = v / (1.0 - self.beta2**self.iterations)
        param -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)


class RMSProp(Optimizer):
    """v <- rho v + (1 - rho) g^2; p <- p - lr g / (sqrt(v) + eps) (optionally with momentum)."""

    name = 'rmsprop'

    def __init__(self, learning_rate=1e-3, rho=0.9, momentum=0.0, epsilon=1e-8):
        super().__init__(learning_rate)
        self.rho = _check_unit('RMSProp.rho', rho)
        self.momentum = _check_unit('RMSProp.momentum', momentum)
        self.epsilon = float(epsilon)

    def _update(self, index, param, grad):
        v = _moving_average(self._slot('v', index, param), self.rho, grad * grad)
        step = grad / (np.sqrt(v) + self.epsilon)
        if self.momentum:
            velocity = self._slot('velocity', index, param)
            velocity *= self.momentum
            velocity += self.learning_rate * step
            param -= velocity
        else:
            param -= self.learning_rate * step


OPTIMIZERS = {cls.name: cls for cls in (SGD, Adam, RMSProp)}


def create(name, learning_rate=1e-3):
    """A fresh optimizer by name ('sgd', 'adam', 'rmsprop')."""
    if name not in OPTIMIZERS:
        raise ValueError(f'Unknown optimizer {name!r}; the optimizers are: {", ".join(OPTIMIZERS)}.')
    return OPTIMIZERS[name](learning_rate=learning_rate)
