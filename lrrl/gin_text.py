"""Gin configs read as text: bindings, with includes and macros resolved (no imports, no TensorFlow).

A run folder's ``config.gin`` names the modules of the lrrl version that wrote it;
reading it as text, with gin's own parser but without importing anything, works
for run folders of every version.
"""

import io
import os

from gin import config_parser

from lrrl import gin_files


class _Reference(str):
    """A gin ``@name`` or ``@name()`` kept as its text."""


class _TextDelegate(config_parser.ParserDelegate):
    def configurable_reference(self, scoped_configurable_name, evaluate):
        return _Reference('@' + scoped_configurable_name + ('()' if evaluate else ''))

    def macro(self, macro_name):
        return _Reference('%' + macro_name)


def read_gin_bindings(path, _seen=None):
    """``{'Scope/Name.param': value}`` of a gin file, includes followed, macros resolved.

    Values are Python literals where gin has them; references stay text
    (``'@Exp3Bandit'``). Uses gin's own parser, not gin's registry, so nothing
    is imported or built.
    """
    seen = _seen if _seen is not None else set()
    path = os.path.abspath(path)
    if path in seen:
        return {}
    seen.add(path)
    with open(path) as f:
        return resolve_macros(_parse(f, os.path.dirname(path), seen))


def read_gin_text(text):
    """``read_gin_bindings`` of a config held as text (e.g. an archived record's ``config``);
    includes are looked up under configs/."""
    return resolve_macros(_parse(io.StringIO(text), gin_files.CONFIG_DIR, set()))


def _parse(lines, directory, seen):
    bindings = {}
    for statement in config_parser.ConfigParser(lines, _TextDelegate()):
        if isinstance(statement, config_parser.IncludeStatement):
            included = statement.filename
            for candidate in (os.path.join(directory, included), os.path.join(gin_files.CONFIG_DIR, included)):
                if os.path.isfile(candidate):
                    bindings.update(read_gin_bindings(candidate, seen))
                    break
        elif isinstance(statement, config_parser.BindingStatement):
            key = statement.selector if not statement.arg_name else f'{statement.selector}.{statement.arg_name}'
            if statement.scope:
                key = f'{statement.scope}/{key}'
            bindings[key] = statement.value
    return bindings


def resolve_macros(bindings):
    def resolve(value, depth=0):
        if isinstance(value, _Reference) and value.startswith('%') and value[1:] in bindings and depth < 10:
            return resolve(bindings[value[1:]], depth + 1)
        if isinstance(value, (tuple, list)):
            return type(value)(resolve(v, depth) for v in value)
        return value

    return {key: resolve(value) for key, value in bindings.items()}


def binding_value(bindings, name, default=None):
    """The value bound to ``name`` (e.g. ``'create_agent.agent_name'``), any module prefix."""
    for key, value in bindings.items():
        unscoped = key.split('/')[-1]
        if unscoped == name or unscoped.endswith('.' + name):
            return value
    return default


def reference_name(value):
    """``'@tf.train.AdamOptimizer'`` -> ``'AdamOptimizer'``; ``'@Exp3Bandit()'`` -> ``'Exp3Bandit'``."""
    if not isinstance(value, str):
        return None
    return value.lstrip('@').rstrip('()').split('.')[-1].split('/')[-1]


def rates_text(rates):
    return ','.join(f'{float(r):g}' for r in rates)
