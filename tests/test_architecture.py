"""The package's layering (docs/architecture.md), read from the source: no cycles, no arrow back up.

Every ``import`` of an lrrl module, at any depth of a function, is an arrow.
"""

import ast
import os

from helpers import REPO

PACKAGE = os.path.join(REPO, 'lrrl')


def modules():
    found = {}
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith('.py'):
                path = os.path.join(folder, name)
                module = os.path.relpath(path, REPO)[:-3].replace(os.sep, '.')
                found[module[: -len('.__init__')] if module.endswith('.__init__') else module] = path
    return found


def import_graph():
    found = modules()
    graph = {}
    for module, path in found.items():
        with open(path) as f:
            tree = ast.parse(f.read())
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split('.')[0] == 'lrrl':
                for alias in node.names:
                    full = f'{node.module}.{alias.name}'
                    targets.add(full if full in found else node.module)
            elif isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name.split('.')[0] == 'lrrl')
        graph[module] = {t for t in targets if t in found and t != module}
    return graph


def commands():
    """The ``python -m lrrl.X`` commands: top-level modules that end in ``cli.run(main)``."""
    found = set()
    for module, path in modules().items():
        if module.count('.') == 1:
            with open(path) as f:
                lines = f.read().splitlines()
            if any(line.strip() == 'cli.run(main)' for line in lines):
                found.add(module)
    return found


def test_no_module_imports_a_command():
    graph = import_graph()
    found = commands()
    assert {'lrrl.train', 'lrrl.launch', 'lrrl.feedback_information', 'lrrl.select_default'} <= found
    offenders = sorted((m, t) for m, targets in graph.items() for t in targets if t in found)
    assert not offenders


def test_there_is_no_import_cycle():
    graph = import_graph()
    state = {}

    def visit(module, stack):
        state[module] = 'open'
        stack.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 'open':
                raise AssertionError('import cycle: ' + ' -> '.join(stack[stack.index(target) :] + [target]))
            if target not in state:
                visit(target, stack)
        stack.pop()
        state[module] = 'done'

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


# What each layer may import of the others (besides itself and the core modules at lrrl/*.py).
LAYERS = {
    'lrrl.control': set(),
    'lrrl.experiment': {'lrrl.control'},
    'lrrl.analysis': set(),
    'lrrl.sweeps': {'lrrl.experiment'},  # to check each run's configuration before launching it
    'lrrl.benchmarks': {'lrrl.control', 'lrrl.experiment', 'lrrl.analysis'},
}


def test_no_arrow_runs_back_up_between_layers():
    graph = import_graph()
    offenders = []
    for module, targets in graph.items():
        layer = next((name for name in LAYERS if module.startswith(name + '.')), None)
        if layer is None:
            continue
        for target in targets:
            other = next((name for name in LAYERS if target.startswith(name + '.') or target == name), None)
            if other is not None and other != layer and other not in LAYERS[layer]:
                offenders.append((module, target))
    assert not sorted(offenders)
