"""Every fix dopamine-rl 4.1.2 needs on today's packages, in one place.

Imported by ``lrrl/__init__.py`` before anything else, so it runs before
TensorFlow is imported. No other module knows about these fixes. The findings
behind each one are in ``docs/dopamine-compat.md`` (numbers below refer to
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
  replaces it with one that writes summary protos through a v1 FileWriter
  (made in a graph context, so it also works beside the JAX PPO agent, which
  leaves TensorFlow in eager mode).
* (2) Dopamine's runner imports its JAX agents; the pinned jax/flax/tfp set
    imports cleanly beside TF 2.18, so nothing is needed beyond the pins.
* ``dopamine.continuous_domains.run_experiment`` (Dopamine's continuous-control runner) imports
    ``dopamine.labs.sac_from_pixels.deepmind_control_lib``, which needs
    ``dm_control`` (and its own MuJoCo build), for the DeepMind Control Suite
    tasks only. Where dm-control is missing a stand-in module takes its place
    and fails with a clear message if it is ever used; lrrl runs MuJoCo through
    Gymnasium (docs/ppo.md, "The runner").
* gin looks for an included file (``include 'agents/ppo_mujoco.gin'``) as a
  package resource first and logs 'Path not found' at ERROR before finding it
  in ``configs/``: that line is dropped (not when ``LRRL_VERBOSE=1``).
* Quiet start-up: TensorFlow's C++ logging (CUDA plug-in registration, MLIR
  notices) is set to fatal-only and Dopamine's tqdm bar is off before either
  is imported, unless ``LRRL_VERBOSE=1``; the commands hide the Python-side
  noise (``lrrl.cli``).
* Module names of lrrl before the package was split into subpackages
  (``lrrl.bandits`` is now ``lrrl.control.bandits``, ...): gin files and run
  folders written before name them in ``import`` lines. ``LEGACY_MODULES`` maps
  each old name to its module, so those files still parse and those runs still
  resume; a gin file that uses an old name gets a one-time warning.
"""

import contextlib
import importlib
import importlib.abc
import importlib.util
import logging
import os
import re
import sys
import threading
import types
import warnings

VERBOSE_ENV = 'LRRL_VERBOSE'


def verbose():
    """``LRRL_VERBOSE`` is set to something other than '' or '0'."""
    return os.environ.get(VERBOSE_ENV, '') not in ('', '0')


# TensorFlow reads these when it is first imported.
os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '0' if verbose() else '3')
# Dopamine's Runner wraps its iterations in a tqdm bar; lrrl's runner prints a
# line per iteration instead. tqdm reads this when it is imported.
if not verbose():
    os.environ.setdefault('TQDM_DISABLE', '1')
    # The frameworks' notices about their own internals (distutils in
    # tensorflow-probability, deprecated Keras and Gym APIs): nothing a user of
    # lrrl can act on. Warnings from lrrl, and every error, stay visible.
    for _category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning, UserWarning):
        warnings.filterwarnings(
            'ignore',
            category=_category,
            module=r'(tensorflow|tensorflow_probability|tf_keras|keras|gym|gymnasium|jax|flax|dopamine|absl|'
            r'google|pkg_resources|distutils|tf_slim|orbax|optax|chex)(\.|$)',
        )

if 'tensorflow' in sys.modules and os.environ.get('TF_USE_LEGACY_KERAS') != '1':
    warnings.warn(
        'TensorFlow was imported before lrrl with TF_USE_LEGACY_KERAS unset; '
        "Dopamine's TF agents need legacy Keras. Import lrrl first, or set "
        'TF_USE_LEGACY_KERAS=1 in the environment.'
    )


# What TensorFlow, XLA and Gym write straight to the stderr file descriptor
# while they start, whatever the log level says: CUDA plug-ins registered twice
# (harmless, also without a GPU), XLA's note that it logs before absl is
# initialised, MLIR's pass notice, and the gym package's "unmaintained" banner
# (Dopamine imports gym; lrrl runs Gymnasium environments).
_STDERR_NOISE = re.compile(
    r'^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR'
    r'|E0000 .*Unable to register (cuDNN|cuFFT|cuBLAS) factory'
    r'|[IW]0000 .*mlir_graph_optimization_pass'
    r'|Gym has been unmaintained since 2022'
    r'|Please upgrade to Gymnasium, the maintained drop-in replacement of Gym'
    r'|See the migration guide at https://gymnasium\.farama\.org)'
)


@contextlib.contextmanager
def quiet_stderr():
    """Drops the frameworks' start-up lines (``_STDERR_NOISE``) from stderr while it is open.

    Works on file descriptor 2, where C++ code writes too: a pipe takes its
    place and a thread passes every other line through as it comes, so real
    errors and warnings still appear (in order, at once). Does nothing when
    ``LRRL_VERBOSE`` is set. Commands open it around the imports and the
    graph construction, the only moments the noise is written.
    """
    if verbose():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def forward():
        with os.fdopen(read_end, 'rb') as lines:
            for line in lines:
                if not _STDERR_NOISE.match(line.decode(errors='replace')):
                    os.write(saved, line)

    thread = threading.Thread(target=forward, daemon=True)
    thread.start()
    try:
        # Imported packages change the warning filters (gymnasium shows every
        # DeprecationWarning once), so the frameworks' notices are dropped where
        # they are shown; every other warning is shown as usual.
        with warnings.catch_warnings():
            show = warnings.showwarning

            def show_unless_notice(message, category, *args, **kwargs):
                if not issubclass(category, (DeprecationWarning, PendingDeprecationWarning, FutureWarning)):
                    show(message, category, *args, **kwargs)

            warnings.showwarning = show_unless_notice
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # Closes the pipe's last write end: the thread reads to the end.
        thread.join(timeout=10)
        os.close(saved)


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


class _MissingDeepMindControl(types.ModuleType):
    """Stands in for ``dopamine.labs.sac_from_pixels.deepmind_control_lib`` without ``dm_control``."""

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        raise ImportError(
            f'dopamine.labs.sac_from_pixels.deepmind_control_lib.{name} is not available: dm-control is not '
            "installed (Dopamine's continuous runner imports it only for its DeepMind Control Suite tasks; lrrl "
            "runs MuJoCo through Gymnasium). Install it with 'pip install dm-control' if you need those tasks."
        )


def _install_deepmind_control_stand_in():
    """Lets ``dopamine.continuous_domains.run_experiment`` import without dm-control (docs/ppo.md)."""
    if importlib.util.find_spec('dm_control') is not None:
        return
    name = 'dopamine.labs.sac_from_pixels.deepmind_control_lib'
    sys.modules.setdefault(name, _MissingDeepMindControl(name))


_install_deepmind_control_stand_in()


class _GinPackageLookupNotice(logging.Filter):
    """Drops gin's error line for an ``include 'agents/x.gin'`` it first tries as a Python package.

    gin looks for an included file as a resource of a package named by its
    folder ('agents'), logs 'Path not found' when there is no such package, then
    finds the file on the search path (``configs/``): the include works, the line
    is noise.
    """

    def filter(self, record):
        return not (record.module == 'resource_reader' and record.getMessage().startswith('Path not found'))


if not verbose():
    logging.getLogger().addFilter(_GinPackageLookupNotice())

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
            # A v1 FileWriter refuses to be made in eager mode (the JAX agents
            # leave TensorFlow eager); made in a graph context it writes the
            # same summary protos in both modes.
            with tf.Graph().as_default():
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


# Old module name -> module (see the module doc).
LEGACY_MODULES = {
    'lrrl.agents': 'lrrl.experiment.agents',
    'lrrl.runner': 'lrrl.experiment.runner',
    'lrrl.networks': 'lrrl.experiment.networks',
    'lrrl.optimizers': 'lrrl.experiment.optimizers',
    'lrrl.seeding': 'lrrl.experiment.seeding',
    'lrrl.config_checks': 'lrrl.experiment.checks',
    'lrrl.bandits': 'lrrl.control.bandits',
    'lrrl.controllers': 'lrrl.control.controllers',
    'lrrl.schedules': 'lrrl.control.schedules',
    'lrrl.rlr': 'lrrl.control.rlr',
    'lrrl.numpy_mlp': 'lrrl.control.numpy_mlp',
    'lrrl.numpy_optimizers': 'lrrl.control.numpy_optimizers',
    'lrrl.test_functions': 'lrrl.benchmarks.test_functions',
    'lrrl.maclaurin': 'lrrl.benchmarks.maclaurin_task',
}


class _LegacyModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves an old lrrl module name to the module that now holds its code."""

    warned = set()

    def find_spec(self, fullname, path=None, target=None):
        del path, target
        if fullname not in LEGACY_MODULES:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        if spec.name not in self.warned:
            self.warned.add(spec.name)
            warnings.warn(
                f'{spec.name} is now {LEGACY_MODULES[spec.name]}: update the import line of your gin file '
                '(run folders written before keep working as they are).',
                UserWarning,
                stacklevel=2,
            )
        return importlib.import_module(LEGACY_MODULES[spec.name])

    def exec_module(self, module):
        del module  # Already executed under its own name.


if not any(isinstance(finder, _LegacyModuleFinder) for finder in sys.meta_path):
    sys.meta_path.append(_LegacyModuleFinder())
