"""Which code and settings made a run (lrrl.provenance), as run.json and the analysis record them."""

import json

from lrrl import provenance
from lrrl import run_folder

CONFIG = """
import lrrl.control.controllers
# A comment.
FixedLearningRate.rate = 0.001
Runner.num_iterations = 40
Runner.training_steps = 1000
DQNAgent.tf_device = '/gpu:0'
Exp3Bandit.seed = 3
CollectorDispatcher.collectors = ('console',)
"""


def test_fingerprint_ignores_length_output_and_seed_but_not_what_trains():
    base = provenance.fingerprint(CONFIG)
    assert len(base) == 16
    for same in (
        CONFIG.replace('num_iterations = 40', 'num_iterations = 80'),
        CONFIG.replace("'/gpu:0'", "'/cpu:*'"),
        CONFIG.replace('Exp3Bandit.seed = 3', 'Exp3Bandit.seed = 4'),
        CONFIG.replace("('console',)", "('console', 'pickle')"),
        CONFIG.replace('# A comment.', '# Another.'),
        '\n'.join(reversed(CONFIG.splitlines())),  # order does not matter
        CONFIG.replace('rate = 0.001', 'rate  =  0.001'),
    ):
        assert provenance.fingerprint(same) == base
    for other in (
        CONFIG.replace('rate = 0.001', 'rate = 0.01'),
        CONFIG.replace('training_steps = 1000', 'training_steps = 500'),
        CONFIG + 'DQNAgent.gamma = 0.9\n',
    ):
        assert provenance.fingerprint(other) != base


def test_code_version_names_this_checkout():
    version = provenance.code_version()
    assert version['behaviour'] == provenance.BEHAVIOUR_VERSION
    # The tests run from a git checkout (CI clones the repository).
    assert len(version['commit']) == 40 and isinstance(version['dirty'], bool)


def test_summary_of_sessions():
    a = {'commit': 'a' * 40, 'dirty': False, 'behaviour': 1, 'fingerprint': 'f1', 'from_iteration': 0}
    b = dict(a, commit='b' * 40, dirty=True, from_iteration=5)
    assert provenance.summary(None) == {'commit': None, 'behaviour': None, 'fingerprint': None}
    assert provenance.summary([a]) == {'commit': 'a' * 40, 'behaviour': 1, 'fingerprint': 'f1'}
    # Another commit with the same behaviour still pools; the last commit is named, dirty marked.
    assert provenance.summary([a, b]) == {'commit': 'b' * 40 + '+dirty', 'behaviour': 1, 'fingerprint': 'f1'}
    assert provenance.summary([a, dict(b, behaviour=2)])['behaviour'] == 'mixed'
    assert provenance.summary([a, dict(b, fingerprint='f2')])['fingerprint'] == 'mixed'


def test_run_json_keeps_provenance_across_relaunches(tmp_path):
    run_dir = str(tmp_path)
    run_folder.write_run_settings(run_dir, {'sweep': 's', 'seed': 0})
    entry = {'commit': 'a' * 40, 'dirty': False, 'behaviour': 1, 'fingerprint': 'f1', 'from_iteration': 0}
    run_folder.add_provenance(run_dir, entry)
    run_folder.add_provenance(run_dir, dict(entry, from_iteration=3))  # same code and settings: nothing added
    run_folder.add_provenance(run_dir, dict(entry, commit='b' * 40, from_iteration=6))
    # The launcher rewrites run.json on every launch: the entries stay.
    run_folder.write_run_settings(run_dir, {'sweep': 's', 'seed': 0, 'labels': {'method': 'x'}})
    settings = json.loads((tmp_path / 'run.json').read_text())
    assert settings['labels'] == {'method': 'x'}
    assert [(e['commit'][0], e['from_iteration']) for e in settings['provenance']] == [('a', 0), ('b', 6)]
