"""A sweep: gin files and bindings crossed over labelled axes and seeds, as runs.

A sweep file is TOML (``configs/sweeps/*.toml``, ``configs/experiments/*.toml``):

    name = "pong_sets"                 # the sweep's folder under the runs root
    description = "..."
    seeds = [0, 1, 2]
    gin_files = ["agents/dqn.gin"]     # in every run, first
    gin_bindings = []                  # in every run, after the files

    [axes.method]                      # labelled choices, each with gin_files and/or gin_bindings
    fixed = {}
    lrrl_k5 = { gin_files = ["methods/lrrl_k5.gin"] }

    [axes.game]                        # shorthand: one binding over values (label = value)
    binding = "atari_lib.create_atari_environment.game_name"
    values = ["Pong", "Breakout"]

Axes cross in file order, seeds innermost. A run's gin files are the common
files, then each axis choice's files (axis order); its bindings the common
bindings, then each choice's bindings, then the command line's. A run writes
to ``<runs_root>/<name>/<label of each axis>/seed_<n>``.

This module is pure Python (no TensorFlow): ``validate_runs`` imports the
configuration checks only when asked to check each run.
"""

import ast
import dataclasses
import itertools
import os
import re
import tomllib

from lrrl import errors
from lrrl import gin_files
from lrrl import run_folder
from lrrl import validation

SWEEP_FOLDERS = ('sweeps', 'experiments')
# A label is one path component that a shell and a file system take as it is.
LABEL_PATTERN = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.+=-]*$')
NAME_PATTERN = LABEL_PATTERN
TOP_LEVEL_KEYS = {'name', 'description', 'seeds', 'gin_files', 'gin_bindings', 'axes'}
CHOICE_KEYS = {'gin_files', 'gin_bindings'}


class SweepError(errors.ConfigError):
    """A sweep that is not allowed (names the file, the key and the value)."""


@dataclasses.dataclass(frozen=True)
class Choice:
    """One labelled value of an axis."""

    label: str
    gin_files: tuple = ()
    gin_bindings: tuple = ()


@dataclasses.dataclass(frozen=True)
class Axis:
    name: str
    choices: tuple  # of Choice


@dataclasses.dataclass
class Sweep:
    name: str
    description: str = ''
    seeds: tuple = (0,)
    gin_files: tuple = ()
    gin_bindings: tuple = ()
    axes: tuple = ()  # of Axis
    source: str = '<command line>'


@dataclasses.dataclass(frozen=True)
class Run:
    """One training run of a sweep: what ``lrrl.experiment.training.run`` gets, and where."""

    sweep: str
    labels: dict
    seed: int
    gin_files: tuple
    gin_bindings: tuple
    base_dir: str

    def record(self):
        """The content of ``run.json`` (read by the analysis to group runs)."""
        return {
            'sweep': self.sweep,
            'labels': dict(self.labels),
            'seed': self.seed,
            'gin_files': list(self.gin_files),
            'gin_bindings': list(self.gin_bindings),
        }

    def write_record(self):
        os.makedirs(self.base_dir, exist_ok=True)
        run_folder.write_run_settings(self.base_dir, self.record())


def gin_literal(value):
    """An axis value as gin source: strings quoted, booleans as True/False, None."""
    if value is None:
        return 'None'
    if isinstance(value, bool):
        return 'True' if value else 'False'
    if isinstance(value, (int, float, str)):
        return repr(value)
    raise SweepError(f'{value!r} is not allowed as an axis value: it must be a string, a number, a boolean or None.')


def _check_label(where, label):
    if not isinstance(label, str) or not LABEL_PATTERN.match(label):
        raise SweepError(
            f'{where}: label {label!r} is not allowed: a run folder name must start with a letter or digit '
            'and contain only letters, digits and _ . + = -'
        )


def _string_list(where, value):
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise SweepError(f'{where} = {value!r} is not allowed: it must be a list of strings.')
    return tuple(value)


def _seeds(where, value):
    if isinstance(value, str):
        return _seed_ranges(f'{where} = {value!r}', value)
    if not isinstance(value, (list, tuple)) or not value:
        raise SweepError(
            f'{where} = {value!r} is not allowed: it must be a non-empty list of integers >= 0, '
            "or ranges as in '0-4' or '0-2,7' (inclusive)."
        )
    for seed in value:
        if not validation.is_int(seed, 0):
            raise SweepError(f'{where}: seed {seed!r} is not allowed: seeds are integers >= 0.')
    if len(set(value)) != len(value):
        raise SweepError(f'{where} = {list(value)} repeats a seed: two runs would share a folder.')
    return tuple(value)


def value_axis(where, name, binding, values):
    """The shorthand axis: ``binding`` over ``values``, each labelled by its value."""
    if not isinstance(binding, str) or not binding or '=' in binding:
        raise SweepError(f'{where}.binding = {binding!r} is not allowed: it must be a gin parameter name.')
    if not isinstance(values, (list, tuple)):
        raise SweepError(f'{where}.values = {values!r} is not allowed: it must be a list.')
    choices = []
    for value in values:
        label = str(value)
        _check_label(where, label)
        choices.append(Choice(label, gin_bindings=(f'{binding} = {gin_literal(value)}',)))
    return _axis(where, name, choices)


def _axis(where, name, choices):
    _check_label(where, name)
    if not choices:
        raise SweepError(f'{where} is empty: an axis needs at least one choice (or remove the axis).')
    labels = [c.label for c in choices]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise SweepError(f'{where} repeats the label(s) {repeated}: two runs would share a folder.')
    return Axis(name, tuple(choices))


def _parse_axis(where, name, table):
    if not isinstance(table, dict):
        raise SweepError(f'{where} = {table!r} is not allowed: an axis is a table of choices.')
    if 'binding' in table or 'values' in table:
        unknown = set(table) - {'binding', 'values'}
        if unknown:
            raise SweepError(f'{where}: unknown key(s) {sorted(unknown)} beside binding/values.')
        return value_axis(where, name, table.get('binding'), table.get('values'))
    choices = []
    for label, choice in table.items():
        at = f'{where}.{label}'
        _check_label(at, label)
        if not isinstance(choice, dict):
            raise SweepError(
                f'{at} = {choice!r} is not allowed: a choice is a table with gin_files and/or gin_bindings.'
            )
        unknown = set(choice) - CHOICE_KEYS
        if unknown:
            raise SweepError(f'{at}: unknown key(s) {sorted(unknown)}; a choice has {sorted(CHOICE_KEYS)}.')
        choices.append(
            Choice(
                label,
                _string_list(f'{at}.gin_files', choice.get('gin_files', [])),
                _string_list(f'{at}.gin_bindings', choice.get('gin_bindings', [])),
            )
        )
    return _axis(where, name, choices)


def find_sweep_file(sweep):
    """A path, or a name looked up in configs/sweeps/ then configs/experiments/."""
    candidates = [sweep]
    for folder in SWEEP_FOLDERS:
        candidates.append(os.path.join(gin_files.CONFIG_DIR, folder, sweep))
        candidates.append(os.path.join(gin_files.CONFIG_DIR, folder, f'{sweep}.toml'))
    for path in candidates:
        if os.path.isfile(path):
            return os.path.abspath(path)
    looked = ', '.join(os.path.join(gin_files.CONFIG_DIR, folder) for folder in SWEEP_FOLDERS)
    raise SweepError(f'--sweep={sweep}: no such file (looked in the current folder, {looked}).')


def load_sweep(sweep):
    """Reads and checks a sweep file (path or name)."""
    path = find_sweep_file(sweep)
    try:
        with open(path, 'rb') as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise SweepError(f'{path}: not valid TOML: {e}') from e
    return sweep_from_dict(data, source=path)


def axis_labels(sweep):
    """``{axis name: [label, ...]}`` of a sweep file (path or name), in file order (what its runs are named by)."""
    return {axis.name: [choice.label for choice in axis.choices] for axis in load_sweep(sweep).axes}


def sweep_from_dict(data, source='<sweep>'):
    unknown = set(data) - TOP_LEVEL_KEYS
    if unknown:
        raise SweepError(f'{source}: unknown key(s) {sorted(unknown)}; allowed: {sorted(TOP_LEVEL_KEYS)}.')
    name = data.get('name', os.path.splitext(os.path.basename(source))[0])
    _check_label(f'{source}: name', name)
    axes_table = data.get('axes', {})
    if not isinstance(axes_table, dict):
        raise SweepError(f'{source}: axes must be a table of axes ([axes.NAME]).')
    axes = tuple(_parse_axis(f'{source}: axes.{n}', n, t) for n, t in axes_table.items())
    return Sweep(
        name=name,
        description=str(data.get('description', '')),
        seeds=_seeds(f'{source}: seeds', data.get('seeds', [0])),
        gin_files=_string_list(f'{source}: gin_files', data.get('gin_files', [])),
        gin_bindings=_string_list(f'{source}: gin_bindings', data.get('gin_bindings', [])),
        axes=axes,
        source=source,
    )


def _split_top_level(text):
    """Splits on commas outside quotes and brackets: "'a,b',(1, 2),3" -> 3 parts."""
    parts, depth, quote, current = [], 0, None, ''
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in '\'"':
            quote = char
        elif char in '([{':
            depth += 1
        elif char in ')]}':
            depth -= 1
        elif char == ',' and depth == 0:
            parts.append(current)
            current = ''
            continue
        current += char
    parts.append(current)
    return [p.strip() for p in parts]


def _command_line_value(text):
    """A number, boolean, None or quoted string as Python reads it; anything else as a bare string."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return value if value is None or isinstance(value, (int, float, str, bool)) else text


def parse_axis_flag(text):
    """``NAME:BINDING=V1,V2,...`` (from ``--axis``) as an Axis.

    Values are numbers, booleans, None or strings (quotes optional); each value is
    its run folder's label, e.g.
    ``game:atari_lib.create_atari_environment.game_name=Pong,Breakout``.
    """
    where = f'--axis={text}'
    name, sep, rest = text.partition(':')
    binding, sep2, values = rest.partition('=')
    if not sep or not sep2 or not name or not binding.strip() or not values.strip():
        raise SweepError(
            f'{where} is not allowed: write NAME:BINDING=VALUE1,VALUE2,... '
            '(e.g. game:atari_lib.create_atari_environment.game_name=Pong,Breakout).'
        )
    raw = [v for v in _split_top_level(values)]
    if any(not v for v in raw):
        raise SweepError(f'{where} has an empty value.')
    return value_axis(where, name.strip(), binding.strip(), [_command_line_value(v) for v in raw])


def parse_seeds_flag(text):
    """``0,1,2`` or ``0-4`` (inclusive) or a mix: ``0-2,7``."""
    return _seed_ranges(f'--seeds={text}', text)


def _seed_ranges(where, text):
    """Seeds written as ``0,1,2`` or ``0-4`` (inclusive) or a mix (``0-2,7``): the flag's and a sweep file's."""
    seeds = []
    for part in text.split(','):
        part = part.strip()
        match = re.fullmatch(r'(\d+)(?:-(\d+))?', part)
        if not match or (match.group(2) and int(match.group(2)) < int(match.group(1))):
            raise SweepError(f'{where}: {part!r} is not allowed: write seeds as 0,1,2 or 0-4 (inclusive).')
        first = int(match.group(1))
        last = int(match.group(2) or first)
        seeds.extend(range(first, last + 1))
    return _seeds(where, seeds)


def combine(sweep, name=None, seeds=None, axes=(), gin_files=()):
    """The sweep with command-line additions.

    An ``--axis`` with the name of a file axis replaces it (to narrow a sweep,
    e.g. to one game); other ``--axis`` values are added after the file's axes.
    """
    sweep = dataclasses.replace(sweep)
    if name is not None:
        _check_label('--name', name)
        sweep.name = name
    if seeds is not None:
        sweep.seeds = tuple(seeds)
    merged = list(sweep.axes)
    for axis in axes:
        same = [i for i, a in enumerate(merged) if a.name == axis.name]
        if same:
            merged[same[0]] = axis
        else:
            merged.append(axis)
    sweep.axes = tuple(merged)
    sweep.gin_files = tuple(sweep.gin_files) + tuple(gin_files)
    return sweep


def expand(sweep, runs_root, extra_bindings=()):
    """The sweep's runs, in order (axes in order, seeds innermost)."""
    runs = []
    for combination in itertools.product(*(axis.choices for axis in sweep.axes)):
        labels = {axis.name: choice.label for axis, choice in zip(sweep.axes, combination)}
        files = list(sweep.gin_files) + [f for choice in combination for f in choice.gin_files]
        bindings = list(sweep.gin_bindings) + [b for choice in combination for b in choice.gin_bindings]
        bindings += list(extra_bindings)
        for seed in sweep.seeds:
            base_dir = os.path.join(runs_root, sweep.name, *labels.values(), f'seed_{seed}')
            runs.append(Run(sweep.name, labels, seed, tuple(files), tuple(bindings), os.path.abspath(base_dir)))
    folders = [run.base_dir for run in runs]
    repeated = sorted({f for f in folders if folders.count(f) > 1})
    if repeated:
        raise SweepError(
            f'{sweep.source}: {len(repeated)} run folder(s) would be shared by several runs, e.g. {repeated[0]}.'
        )
    return runs


def validate_runs(runs):
    """Parses and checks every run's gin configuration; resolves its gin files.

    Returns the runs with absolute gin file paths, and each run's number of
    iterations. Raises SweepError naming the run and its bad binding.
    """
    from lrrl import compat  # pylint: disable=g-import-not-at-top

    with compat.quiet_stderr():
        from lrrl.experiment import checks  # pylint: disable=g-import-not-at-top  (TensorFlow)

    checked, iterations = [], []
    for run in runs:
        try:
            files = tuple(gin_files.resolve(f) for f in run.gin_files)
            controller = checks.parse_config(list(files), list(run.gin_bindings))
            if os.path.isdir(run.base_dir):
                checks.check_resume(run.base_dir, controller)
        except errors.ConfigError as e:
            raise SweepError(f'run {run.base_dir}: {e}') from e
        checked.append(dataclasses.replace(run, gin_files=files))
        iterations.append(checks.configured_num_iterations())
    return checked, iterations
