"""The claims campaign as data: ``configs/claims/campaign.toml`` and one ``claim<N>.toml`` per claim.

``campaign.toml`` holds the rules every claim shares (the family-wise error, the power of
a "not shown", the margin of "competitive", a random policy's score per game, the score
at which a run succeeds); each ``claim*.toml`` holds one claim of the paper: its
``[claim]`` table (number, title, source, the experiment in words, its ``rule``) and,
by rule:

- ``parts`` (claims 1-4, 8): ``[[setups]]``, each naming the sweeps whose runs it reads
  and its ``[[setups.parts]]``: cell ``x`` *beats* (or is *competitive* with, within
  the margin) the best of ``others``, on every game of the setup;
- ``questions`` (claim 7): ``[[setups]]``, each a question with its cells (shown name =
  method label), one game and a reference cell; no verdict;
- ``drift`` (claim 5): ``[[sources]]``, the claims whose LRRL runs are read, in order;
- ``stationary`` (claim 6): the ``folder`` of the numpy benchmarks' outputs.

A setup names sweeps, not runs: judging a claim on a rerun sweep (a new
``configs/experiments/*.toml``) is a change of its ``sweeps`` here. Everything is
checked when read (``load_campaign``): unknown keys, types, the kinds, and that every
cell a part or question names is a cell of exactly one of its sweep files; an error
names the file, the key and the bad value, and says what is allowed.
"""

import dataclasses
import glob
import itertools
import os
import tomllib

from lrrl import errors
from lrrl import gin_files
from lrrl.analysis import normalization

CLAIMS_DIR = os.path.join(gin_files.CONFIG_DIR, 'claims')
CAMPAIGN_FILE = 'campaign.toml'
BEATS = 'beats'
COMPETITIVE = 'competitive'
KINDS = (BEATS, COMPETITIVE)
RULES = ('parts', 'questions', 'drift', 'stationary')


class ClaimFileError(errors.ConfigError):
    """A claim file that is not allowed (names the file, the key and the value)."""


@dataclasses.dataclass(frozen=True)
class Part:
    """Cell ``x`` against the best of ``others`` (picked per game after the fact), on every game.

    ``kind``: ``BEATS`` (x's mean above the other's) or ``COMPETITIVE`` (x within the
    campaign's margin of it; with ``or_better``, within it or above). ``in_verdict=False``:
    shown beside the claim, not part of it.
    """

    name: str
    kind: str
    x: str
    others: tuple
    in_verdict: bool = True
    or_better: bool = False


@dataclasses.dataclass(frozen=True)
class PartsSetup:
    """One agent and game(s) of a ``parts`` claim: the sweeps it reads and its parts.

    A cell is named by its ``cell_columns`` of the runs table joined with '/'
    (``method``; ``label:optimizer/method`` for claim 4's two label axes).
    ``share_rate``: the rate whose share of the second half the table shows.
    ``games``: read only these games (the analysis's names, e.g. "Seaquest-MinAtar"), so
    that a game rerun under a new sweep and one still read from the old sweep are two
    setups; empty: every game of the sweeps.
    """

    title: str
    sweeps: tuple
    parts: tuple
    cell_columns: tuple = ('method',)
    share_rate: float = None
    note: str = ''
    games: tuple = ()


@dataclasses.dataclass(frozen=True)
class Question:
    """Claim 7: ``cells`` ((name shown, method label), ...) against ``reference`` on one ``game``."""

    question: str
    title: str
    sweeps: tuple
    game: str
    cells: tuple
    reference: str
    share_rate: float = None


@dataclasses.dataclass(frozen=True)
class DriftSource:
    """Claim 5: the LRRL runs of ``claims`` (their setups' sweeps), restricted to ``games`` if given."""

    name: str
    claims: tuple
    games: tuple = ()


@dataclasses.dataclass(frozen=True)
class Claim:
    number: int
    title: str
    source: str
    experiment: str
    rule: str
    path: str
    setups: tuple = ()
    sources: tuple = ()
    default_cells: tuple = ()
    folder: str = None
    # The verdict on the page of 2026-12-06 (old rules) and why it changed, for the page's record.
    previous_verdict: str = ''
    change: str = ''

    @property
    def sweeps(self):
        """Every sweep the claim's setups read, in order."""
        return tuple(dict.fromkeys(s for setup in self.setups for s in setup.sweeps))


@dataclasses.dataclass(frozen=True)
class Campaign:
    """The shared rules and the claims, in claim order."""

    alpha: float
    power: float
    margin_share: float
    planned_seeds: int
    random_scores: dict
    success_scores: dict
    claims: tuple
    path: str

    def claim(self, number):
        for claim in self.claims:
            if claim.number == number:
                return claim
        raise KeyError(number)

    @property
    def sweeps(self):
        """Every sweep any claim reads, in claim order."""
        return tuple(dict.fromkeys(s for claim in self.claims for s in claim.sweeps))

    def random_score(self, game):
        """A random policy's final return on ``game`` (MinAtar's from lrrl/data); raises if unknown."""
        if game in self.random_scores:
            return self.random_scores[game]
        minatar = {normalization.minatar_game_label(g): v for g, v in normalization.minatar_random_scores().items()}
        if game in minatar:
            return minatar[game]
        raise ClaimFileError(
            f'{self.path}: [random_scores] has no score for the game {game!r}, which a "competitive" part needs '
            f"for its margin: add {game} = <a random policy's final return> (known: "
            f'{", ".join(sorted(self.random_scores) + sorted(minatar))}).'
        )


# ---------------------------------------------------------------------------
# Checks of one value: each names the file and key.


def _fail(where, key, value, allowed):
    raise ClaimFileError(f'{where}: {key} = {value!r} is not allowed: {allowed}.')


def _keys(where, table, required, optional=()):
    if not isinstance(table, dict):
        _fail(where, 'table', table, 'it must be a TOML table')
    unknown = set(table) - set(required) - set(optional)
    if unknown:
        raise ClaimFileError(
            f'{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(set(required) | set(optional))}.'
        )
    missing = [k for k in required if k not in table]
    if missing:
        raise ClaimFileError(f'{where}: missing key(s) {missing}.')


def _text(where, key, value, empty=False):
    if not isinstance(value, str) or not (empty or value.strip()):
        _fail(where, key, value, 'it must be a non-empty string')
    return value


def _texts(where, key, value, empty=False):
    if isinstance(value, str) or not isinstance(value, list) or not (empty or value):
        _fail(where, key, value, 'it must be a non-empty list of strings')
    return tuple(_text(where, key, v) for v in value)


def _number(where, key, value, low=None, high=None):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(where, key, value, 'it must be a number')
    if (low is not None and value <= low) or (high is not None and value >= high):
        _fail(where, key, value, f'it must lie in ({low}, {high})')
    return float(value)


def _flag(where, key, value):
    if not isinstance(value, bool):
        _fail(where, key, value, 'it must be true or false')
    return value


def _scores(where, key, table):
    if not isinstance(table, dict):
        _fail(where, key, table, 'it must be a table of game = score')
    return {game: _number(where, f'{key}.{game}', value) for game, value in table.items()}


# ---------------------------------------------------------------------------
# Sweep files: which cells each offers.


def sweep_cells(sweep, cell_columns, where, key, sweep_axes):
    """The cell names a sweep file offers for ``cell_columns`` (``method``, ``label:<axis>``).

    ``sweep_axes(name)``: the sweep file's ``{axis: [label, ...]}`` (``lrrl.sweeps.spec.axis_labels``;
    passed in, as the analysis does not import the launcher).
    """
    try:
        axes = sweep_axes(sweep)
    except errors.ConfigError as e:
        raise ClaimFileError(f'{where}: {key} names the sweep {sweep!r}, which cannot be read: {e}') from e
    labels = []
    for column in cell_columns:
        axis = column.removeprefix('label:')
        if axis not in axes:
            allowed = f'the sweep {sweep} has no axis {axis!r} (its axes: {sorted(axes)})'
            _fail(where, 'cell_columns', list(cell_columns), allowed)
        labels.append(axes[axis])
    return {'/'.join(combination) for combination in itertools.product(*labels)}


def _cells_in_sweeps(where, key, cells, sweeps, cell_columns, sweep_axes):
    """Checks that every cell is offered by exactly one of ``sweeps``."""
    offered = {sweep: sweep_cells(sweep, cell_columns, where, 'sweeps', sweep_axes) for sweep in sweeps}
    for cell in cells:
        found = [sweep for sweep, names in offered.items() if cell in names]
        if not found:
            every = sorted(set().union(*offered.values()))
            _fail(where, key, cell, f'it is no cell of the sweeps {list(sweeps)} (their cells: {", ".join(every)})')
        if len(found) > 1:
            _fail(
                where,
                key,
                cell,
                f'it is a cell of more than one of the sweeps {found}: list only the sweep whose runs it should read',
            )


# ---------------------------------------------------------------------------
# The tables of a claim file.


def _part(where, table):
    _keys(where, table, ('name', 'kind', 'x', 'others'), ('in_verdict', 'or_better'))
    kind = table['kind']
    if kind not in KINDS:
        _fail(where, 'kind', kind, f'it must be one of {list(KINDS)}')
    if 'or_better' in table and kind != COMPETITIVE:
        _fail(where, 'or_better', table['or_better'], f'it is only for kind = "{COMPETITIVE}"')
    x = _text(where, 'x', table['x'])
    others = _texts(where, 'others', table['others'])
    if x in others:
        _fail(where, 'others', list(others), f'it must not hold x ({x!r})')
    return Part(
        name=_text(where, 'name', table['name']),
        kind=kind,
        x=x,
        others=others,
        in_verdict=_flag(where, 'in_verdict', table.get('in_verdict', True)),
        or_better=_flag(where, 'or_better', table.get('or_better', False)),
    )


def _parts_setup(where, table, sweep_axes):
    _keys(where, table, ('title', 'sweeps', 'parts'), ('cell_columns', 'share_rate', 'note', 'games'))
    sweeps = _texts(where, 'sweeps', table['sweeps'])
    games = _texts(where, 'games', table.get('games', []), empty=True)
    if len(set(games)) != len(games):
        _fail(where, 'games', list(games), 'a game is listed twice')
    columns = _texts(where, 'cell_columns', table.get('cell_columns', ['method']))
    for column in columns:
        if column != 'method' and not column.startswith('label:'):
            _fail(where, 'cell_columns', list(columns), "each must be 'method' or 'label:<axis of the sweep>'")
    if not isinstance(table['parts'], list) or not table['parts']:
        _fail(where, 'parts', table['parts'], 'a setup needs at least one [[setups.parts]]')
    parts = tuple(_part(f'{where}.parts[{i}]', p) for i, p in enumerate(table['parts']))
    names = [p.name for p in parts]
    if len(set(names)) != len(names):
        _fail(where, 'parts', names, 'two parts share a name')
    if not any(p.in_verdict for p in parts):
        _fail(where, 'parts', names, 'at least one part must be in the verdict (in_verdict = true)')
    for i, part in enumerate(parts):
        _cells_in_sweeps(f'{where}.parts[{i}]', 'x', [part.x], sweeps, columns, sweep_axes)
        _cells_in_sweeps(f'{where}.parts[{i}]', 'others', part.others, sweeps, columns, sweep_axes)
    share = table.get('share_rate')
    return PartsSetup(
        title=_text(where, 'title', table['title']),
        sweeps=sweeps,
        parts=parts,
        cell_columns=columns,
        share_rate=None if share is None else _number(where, 'share_rate', share, low=0),
        note=_text(where, 'note', table.get('note', ''), empty=True),
        games=games,
    )


def _question(where, table, sweep_axes):
    _keys(where, table, ('question', 'title', 'sweeps', 'game', 'cells', 'reference'), ('share_rate',))
    sweeps = _texts(where, 'sweeps', table['sweeps'])
    cells = table['cells']
    if not isinstance(cells, dict) or len(cells) < 2:
        _fail(where, 'cells', cells, 'it must be a table of at least two "name shown" = "method label"')
    pairs = tuple((_text(where, 'cells', name), _text(where, f'cells.{name}', label)) for name, label in cells.items())
    reference = _text(where, 'reference', table['reference'])
    if reference not in cells:
        _fail(where, 'reference', reference, f'it must be one of the cells shown ({", ".join(cells)})')
    _cells_in_sweeps(where, 'cells', [label for _, label in pairs], sweeps, ('method',), sweep_axes)
    share = table.get('share_rate')
    return Question(
        question=_text(where, 'question', table['question']),
        title=_text(where, 'title', table['title']),
        sweeps=sweeps,
        game=_text(where, 'game', table['game']),
        cells=pairs,
        reference=reference,
        share_rate=None if share is None else _number(where, 'share_rate', share, low=0),
    )


def _source(where, table, sweep_axes):
    del sweep_axes  # a source names claims, not sweeps
    _keys(where, table, ('name', 'claims'), ('games',))
    claims = table['claims']
    if (
        not isinstance(claims, list)
        or not claims
        or not all(isinstance(c, int) and not isinstance(c, bool) for c in claims)
    ):
        _fail(where, 'claims', claims, 'it must be a non-empty list of claim numbers')
    return DriftSource(
        name=_text(where, 'name', table['name']),
        claims=tuple(claims),
        games=_texts(where, 'games', table.get('games', []), empty=True),
    )


def load_claim(path, sweep_axes):
    """One claim file as a ``Claim`` (its cells checked against its sweep files, read by ``sweep_axes``)."""
    try:
        with open(path, 'rb') as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ClaimFileError(f'{path}: not valid TOML: {e}') from e
    _keys(path, data, ('claim',), ('setups', 'sources'))
    where = f'{path}: [claim]'
    head = data['claim']
    _keys(
        where,
        head,
        ('number', 'title', 'source', 'experiment', 'rule'),
        ('default_cells', 'folder', 'previous_verdict', 'change'),
    )
    number = head['number']
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        _fail(where, 'number', number, 'it must be an integer >= 1')
    rule = head['rule']
    if rule not in RULES:
        _fail(where, 'rule', rule, f'it must be one of {list(RULES)}')
    expected = {'parts': 'setups', 'questions': 'setups', 'drift': 'sources', 'stationary': None}[rule]
    for key in ('setups', 'sources'):
        if key in data and key != expected:
            _fail(
                path, key, '...', f'a claim with rule = "{rule}" has ' + (f'[[{expected}]]' if expected else 'neither')
            )
    if expected and not (isinstance(data.get(expected), list) and data[expected]):
        raise ClaimFileError(f'{path}: a claim with rule = "{rule}" needs at least one [[{expected}]] table.')
    if ('default_cells' in head) != (rule == 'drift'):
        _fail(where, 'default_cells', head.get('default_cells'), 'it is required by, and only for, rule = "drift"')
    if ('folder' in head) != (rule == 'stationary'):
        _fail(where, 'folder', head.get('folder'), 'it is required by, and only for, rule = "stationary"')
    read = {'parts': _parts_setup, 'questions': _question, 'drift': _source}.get(rule)
    items = (
        tuple(read(f'{path}: {expected}[{i}]', t, sweep_axes) for i, t in enumerate(data.get(expected) or []))
        if read
        else ()
    )
    return Claim(
        number=number,
        title=_text(where, 'title', head['title']),
        source=_text(where, 'source', head['source']),
        experiment=_text(where, 'experiment', head['experiment']),
        rule=rule,
        path=path,
        setups=items if rule in ('parts', 'questions') else (),
        sources=items if rule == 'drift' else (),
        default_cells=_texts(where, 'default_cells', head['default_cells']) if rule == 'drift' else (),
        folder=_text(where, 'folder', head['folder']) if rule == 'stationary' else None,
        previous_verdict=_text(where, 'previous_verdict', head.get('previous_verdict', ''), empty=True),
        change=_text(where, 'change', head.get('change', ''), empty=True),
    )


def load_campaign(sweep_axes, folder=CLAIMS_DIR):
    """``folder/campaign.toml`` and every ``folder/claim*.toml``, checked, as a ``Campaign``.

    ``sweep_axes(name)``: a sweep file's ``{axis: [label, ...]}``, raising ``errors.ConfigError`` for
    a sweep that cannot be read (``lrrl.sweeps.spec.axis_labels``).
    """
    path = os.path.join(folder, CAMPAIGN_FILE)
    if not os.path.isfile(path):
        raise ClaimFileError(f'{path}: no such file: the claims campaign needs its shared rules there.')
    try:
        with open(path, 'rb') as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ClaimFileError(f'{path}: not valid TOML: {e}') from e
    _keys(path, data, ('alpha', 'power', 'margin_share', 'planned_seeds', 'random_scores'), ('success_scores',))
    seeds = data['planned_seeds']
    if not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 2:
        _fail(path, 'planned_seeds', seeds, 'it must be an integer >= 2')
    claims = [load_claim(p, sweep_axes) for p in sorted(glob.glob(os.path.join(folder, 'claim*.toml')))]
    if not claims:
        raise ClaimFileError(f'{folder}: no claim*.toml file: a campaign needs at least one claim.')
    numbers = [c.number for c in claims]
    for number in sorted({n for n in numbers if numbers.count(n) > 1}):
        paths = [c.path for c in claims if c.number == number]
        raise ClaimFileError(f'{", ".join(paths)}: [claim] number = {number} is used by more than one file.')
    claims.sort(key=lambda c: c.number)
    for claim in claims:
        for i, source in enumerate(claim.sources):
            unknown = [n for n in source.claims if n not in numbers or n == claim.number]
            if unknown:
                _fail(
                    f'{claim.path}: sources[{i}]',
                    'claims',
                    list(source.claims),
                    f'{unknown} name no other claim (claims: {numbers})',
                )
            if any(c.rule != 'parts' and c.rule != 'questions' for c in claims if c.number in source.claims):
                _fail(
                    f'{claim.path}: sources[{i}]',
                    'claims',
                    list(source.claims),
                    'each must be a claim with runs (rule "parts" or "questions")',
                )
    return Campaign(
        alpha=_number(path, 'alpha', data['alpha'], low=0, high=0.5),
        power=_number(path, 'power', data['power'], low=0, high=1),
        margin_share=_number(path, 'margin_share', data['margin_share'], low=0, high=1),
        planned_seeds=seeds,
        random_scores=_scores(path, 'random_scores', data['random_scores']),
        success_scores=_scores(path, 'success_scores', data.get('success_scores', {})),
        claims=tuple(claims),
        path=path,
    )
