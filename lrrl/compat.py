"""Every fix dopamine-rl 4.1.2 needs on today's packages, in one place.

Imported by ``lrrl/__init__.py`` before anything else, so it runs before
TensorFlow is imported. No other module knows about these fixes. The findings
behind each one are in ``shared/spec/dopamine-notes.md`` (numbers below refer to
it).

* (3) Keras 3, TF's default ``tf.keras`` since 2.16, breaks Dopamine's TF agents
    in graph mode. ``TF_USE_LEGACY_KERAS=1`` (with the pinned ``tf-keras``) must be
    set before TensorFlow is imported.
* (1) ``dopamine.discrete_domains.atari_lib`` imports OpenAI ``baselines`` at
    module level but only uses it for ``use_ppo_preprocessing=True``; the PyPI
    release cannot be installed with its dependencies. Where it is missing we put
    a stand-in module that fails with a clear message if it is ever used.
* (4) ``gin.tf`` touches ``tf.estimator`` (removed in TF 2.16), so its import of
    the optimizers for gin fails. ``apply_tensorflow_fixes`` registers the
    ``tf.compat.v1.train`` optimizers under Dopamine's names (``tf.train.X``).
* Dopamine's TensorBoard metrics collector writes with TF2 summary ops, which
  in the TF agents' graph mode (v2 behaviour disabled) are only added to the
  graph and never run: its folder stays empty. ``apply_tensorflow_fixes``
  replaces it with one that writes summary protos through a v1 FileWriter.
* (2) Dopamine's runner imports its JAX agents; the pinned jax/flax/tfp set
    imports cleanly beside TF 2.18, so nothing is needed beyond the pins.
"""

import importlib.util
import os
import sys
import types
import warnings

# TensorFlow reads these when it is first imported.
os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

if 'tensorflow' in sys.modules and os.environ.get('TF_USE_LEGACY_KERAS') != '1':
    warnings.warn(
        'TensorFlow was imported before lrrl with TF_USE_LEGACY_KERAS unset; '
        "Dopamine's TF agents need legacy Keras. Import lrrl first, or set "
        'TF_USE_LEGACY_KERAS=1 in the environment.'
    )


class _MissingBaselines(types.ModuleType):
    """Stands in for ``baselines.common.atari_wrappers`` (used only by PPO)."""

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        raise ImportError(
            f'baselines.common.atari_wrappers.{name} is not available: OpenAI '
            "baselines is not installed (it is only needed for Dopamine's "
            'use_ppo_preprocessing=True, which lrrl does not use). Install it '
            "with 'pip install --no-deps baselines==0.1.5' if you need it."
        )


def _install_baselines_stand_in():
    if importlib.util.find_spec('baselines') is not None:
        return
    root = types.ModuleType('baselines')
    common = types.ModuleType('baselines.common')
    wrappers = _MissingBaselines('baselines.common.atari_wrappers')
    root.common = common
    common.atari_wrappers = wrappers
    sys.modules.setdefault('baselines', root)
    sys.modules.setdefault('baselines.common', common)
    sys.modules.setdefault('baselines.common.atari_wrappers', wrappers)


_install_baselines_stand_in()

_OPTIMIZERS = (
    'AdamOptimizer',
    'RMSPropOptimizer',
    'GradientDescentOptimizer',
    'MomentumOptimizer',
)


def apply_tensorflow_fixes():
    """The fixes that need TensorFlow and Dopamine imported (idempotent)."""
    import gin  # pylint: disable=g-import-not-at-top
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    from dopamine.metrics import collector  # pylint: disable=g-import-not-at-top
    from dopamine.metrics import collector_dispatcher  # pylint: disable=g-import-not-at-top

    for name in _OPTIMIZERS:
        try:
            gin.external_configurable(getattr(tf.compat.v1.train, name), name=name, module='tf.train')
        except ValueError:  # Already registered by an earlier call.
            pass

    class GraphModeTensorboardCollector(collector.Collector):
        """Dopamine's 'tensorboard' collector, working in TF1 graph mode."""

        def __init__(self, base_dir):
            super().__init__(base_dir)
            self.summary_writer = tf.compat.v1.summary.FileWriter(self._base_dir)

        def get_name(self):
            return 'tensorboard'

        def write(self, statistics):
            for s in statistics:
                if self.check_type(s.type):
                    value = tf.compat.v1.Summary.Value(tag=s.name, simple_value=float(s.value))
                    self.summary_writer.add_summary(tf.compat.v1.Summary(value=[value]), s.step)

        def flush(self):
            self.summary_writer.flush()

        def close(self):
            self.summary_writer.close()

    collector_dispatcher.add_collector('tensorboard', GraphModeTensorboardCollector)
