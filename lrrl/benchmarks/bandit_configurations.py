"""LRRL's bandit configurations as the numpy benchmarks build them (numpy, no TensorFlow).

A ``Configuration`` is one way of choosing the rate: a bandit with its
parameters, the feedback the controller computes for it, the burn-in and the
rounds. ``CONFIGURATIONS`` names the ones the benchmarks compare:

- ``lrrl_default``: the project's default, what ``configs/lrrl/bandit.gin``
  binds (``tests/benchmarks/test_bandit_testbed.py`` checks it); chosen on
  real agents (``python -m lrrl.select_default``, ``docs/bandits.md``). Its
  feedback reads a loss: n/a on the testbed's synthetic tasks, which have none;
- ``lrrl_v1``: the default before it, what ``configs/lrrl/bandit_v1.gin``
  binds; chosen on the bandit testbed's selection seeds;
- ``lrrl_paper_literal``: the project's first, paper-literal configuration,
  what ``configs/lrrl/bandit_paper_literal.gin`` binds (checked there too);
- ``uniform``: ``UniformBandit`` (a random arm every round) with
  ``lrrl_v1``'s rounds, feedback and burn-in: the baseline every LRRL result
  must beat;
- ``classic_exp3``, ``exp3_ix``, ``discounted_ucb``: other bandits with
  ``lrrl_v1``'s rounds, feedback and burn-in (ablations).

Each configuration sets every parameter of its bandit and feedback that
differs between them, so a gin binding of the classes (``Exp3Bandit.alpha``)
does not change what a name means.

Used by ``lrrl.benchmarks.stationary`` and ``lrrl.benchmarks.maclaurin``
(``StationaryBenchmark.bandits``, ``MaclaurinBenchmark.bandits``: a mapping
of table labels to names, checked by ``check_bandits``) and by the bandit
testbed (``lrrl.benchmarks.bandit_testbed``).

On the numpy tasks every optimizer step is an "episode" whose return is minus
the objective (or the loss) after it: rounds in steps close after κ steps,
rounds in episodes after κ of these per-step returns, so both are κ steps.
"""

import dataclasses
import functools

from lrrl import validation
from lrrl.control import bandits
from lrrl.control import controllers
from lrrl.control import feedback as feedback_lib


@dataclasses.dataclass(frozen=True)
class Configuration:
    """One way of choosing the arm: a bandit, its feedback and its rounds.

    ``round_size`` is κ in episodes (``round_unit = 'episodes'``) or a multiple
    of the task's ``round_steps`` (``'steps'``). On tasks that are not episodic
    (the numpy benchmarks: one "episode" per step), rounds of episodes are
    ``round_steps`` steps.
    """

    name: str
    bandit: str = 'Exp3Bandit'
    bandit_kwargs: tuple = ()
    # None: the bandit gets the round value itself; else (feedback class, kwargs), a kwarg's value
    # may itself be such a pair (DivergenceGuard's signal).
    feedback: tuple = None
    round_unit: str = 'steps'
    round_size: float = 1.0
    burn_in: float = 0.0

    def controller(self, rates, round_steps, episodic=False, seed=None):
        """A ``BanditLearningRate`` over ``rates`` with this configuration, seeded if ``seed`` is given.

        Args:
          rates: the candidate rates (the arms).
          round_steps: the task's κ in agent (or optimizer) steps.
          episodic: whether the task has episodes of several steps (then
            rounds of episodes are ``round_size`` episodes).
          seed: seeds the bandit (``controller.seed``).
        """
        bandit = functools.partial(getattr(bandits, self.bandit), **dict(self.bandit_kwargs))
        feedback = None if self.feedback is None else build_feedback(self.feedback)
        if self.round_unit == 'episodes' and episodic:
            rounds = {'episodes_per_round': int(self.round_size)}
        elif self.round_unit == 'episodes':
            rounds = {'episodes_per_round': int(round_steps)}
        else:
            rounds = {'steps_per_round': max(1, int(round(self.round_size * round_steps)))}
        controller = controllers.BanditLearningRate(
            rates=rates, bandit=bandit, feedback=feedback, burn_in=self.burn_in, **rounds
        )
        if seed is not None:
            controller.seed(seed)
        return controller

    def describe(self, round_steps):
        """One line for a table's notes: the bandit, its feedback, burn-in and rounds of ``round_steps`` steps."""
        kwargs = ', '.join(f'{k} {v!r}' for k, v in self.bandit_kwargs)
        text = f'{self.bandit}' + (f' ({kwargs})' if kwargs else '')
        if self.feedback is None:
            text += '; fed the round value (the bandit computes the improvement)'
        else:
            text += '; feedback ' + describe_feedback(self.feedback)
        text += f'; burn-in {self.burn_in:g}' if self.burn_in else '; no burn-in'
        if self.round_unit == 'episodes':
            text += f'; rounds of κ = {round_steps} per-step returns'
        else:
            text += f'; rounds of κ = {max(1, int(round(self.round_size * round_steps)))} steps'
        return text


def _kw(**kwargs):
    return tuple(sorted(kwargs.items()))


def _is_spec(value):
    return isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], tuple)


def build_feedback(spec):
    """A feedback object of ``lrrl.control.feedback`` from ``(class name, kwargs)`` (kwargs may nest specs)."""
    name, kwargs = spec
    return getattr(feedback_lib, name)(**{k: build_feedback(v) if _is_spec(v) else v for k, v in kwargs})


def describe_feedback(spec):
    name, kwargs = spec
    inner = ', '.join(f'{k} {describe_feedback(v) if _is_spec(v) else repr(v)}' for k, v in kwargs)
    return f'{name} ({inner})' if inner else name


# The project's first configuration: every value configs/lrrl/bandit_paper_literal.gin binds
# (they are also Exp3Bandit's class defaults); rounds of κ episodes.
PAPER_LITERAL = Configuration(
    'lrrl_paper_literal',
    bandit_kwargs=_kw(
        alpha=0.2,
        decay=0.9,
        window=5,
        normalize=True,
        decay_all_arms=False,
        denominator='exp_weight',
        mixing=0.0,
        min_exp_weight=1e-4,
        max_abs_weight=50.0,
    ),
    round_unit='episodes',
    round_size=1,
)
# LRRL's default before issue 28, chosen by the testbed's DefaultSelection on its selection seeds
# (results/testbed/selection.md): the min-max scaled return level; configs/lrrl/bandit_v1.gin
# binds the same. Rounds are the task's κ steps (on an RL run, 1% of the run).
V1 = Configuration(
    'lrrl_v1',
    bandit_kwargs=_kw(alpha=1.0, decay=0.99, decay_all_arms=True, denominator='max_one', window=None),
    feedback=('RoundImprovement', _kw(baseline='run_min', window=1, scale='run_range')),
    round_size=1.0,
    burn_in=0.5,
)
# LRRL's default, chosen on real agents (python -m lrrl.select_default, docs/bandits.md): the
# change of the TD (or, on the numpy tasks, the held-out) loss over the round, importance-weighted
# exponential weights. configs/lrrl/bandit.gin binds the same (tests/benchmarks/test_bandit_testbed.py
# checks it). Rounds are the task's κ steps (on an RL run, 0.25% of the run; a numpy benchmark's κ
# is its own steps_per_round). The testbed's synthetic tasks have no loss: there it is n/a.
DEFAULT = Configuration(
    'lrrl_default',
    bandit_kwargs=_kw(alpha=0.3, decay=0.99, decay_all_arms=True, denominator='probability', mixing=0.1, window=None),
    feedback=('LossImprovement', _kw(targets='current', bound=1.0)),
    round_size=1.0,
    burn_in=0.5,
)
# Ablations: another bandit with V1's return feedback and rounds (the feedback every testbed task has).
_ABLATION = dict(feedback=V1.feedback, round_size=V1.round_size, burn_in=V1.burn_in)
CONFIGURATIONS = {
    c.name: c
    for c in (
        Configuration('uniform', bandit='UniformBandit', **_ABLATION),
        PAPER_LITERAL,
        V1,
        DEFAULT,
        Configuration('classic_exp3', bandit='ClassicExp3Bandit', bandit_kwargs=_kw(gamma=0.1), **_ABLATION),
        Configuration('exp3_ix', bandit='Exp3IXBandit', bandit_kwargs=_kw(learning_rate=0.1), **_ABLATION),
        Configuration(
            'discounted_ucb',
            bandit='DiscountedUCBBandit',
            bandit_kwargs=_kw(discount=0.95, exploration=0.6),
            **_ABLATION,
        ),
    )
}

# What the stationary benchmark and MaclaurinNet compare by default: table label -> name.
DEFAULT_BANDITS = {'LRRL': 'lrrl_default', 'LRRL paper-literal': 'lrrl_paper_literal', 'uniform': 'uniform'}


def check_bandits(binding, mapping, reserved=()):
    """``mapping`` (label -> name from ``CONFIGURATIONS``) as {label: Configuration}, in its order.

    Raises ConfigError naming ``binding`` unless it is a non-empty mapping of
    non-empty labels, none of them in ``reserved`` (the benchmark's other
    columns), to names from ``CONFIGURATIONS``.
    """
    allowed = (
        f'a non-empty mapping of table labels to names from {", ".join(CONFIGURATIONS)}, e.g. '
        "{'LRRL': 'lrrl_default', 'uniform': 'uniform'}"
    )
    validation.require(hasattr(mapping, 'items') and len(mapping) > 0, binding, mapping, allowed)
    for label, name in mapping.items():
        validation.require(
            isinstance(label, str) and label.strip() != '',
            binding,
            mapping,
            f'{allowed}; the label {label!r} is not a non-empty string',
        )
        validation.require(
            label not in reserved,
            binding,
            mapping,
            f'{allowed}; the label {label!r} is already a column of the table ({", ".join(map(repr, reserved))})',
        )
        validation.require(
            isinstance(name, str) and name in CONFIGURATIONS,
            binding,
            mapping,
            f'{allowed}; {name!r} is not one of these names',
        )
    return {label: CONFIGURATIONS[name] for label, name in mapping.items()}
