"""The benchmark command runs and writes its report (no timing is asserted)."""

import json
import os

from conftest import run_cli


def test_bench_writes_a_report_with_the_machine_and_command(tmp_path):
    out = tmp_path / 'bench' / 'README.md'
    result = run_cli('lrrl.bench', '--skip=throughput,memory,scaling', '--bandit_arms=2,7', f'--out={out}', timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    text = out.read_text()
    assert 'Machine:' in text and 'python -m lrrl.bench' in text
    assert '| 2 |' in text and '| 7 |' in text
    measured = json.loads((tmp_path / 'bench' / 'README.json').read_text())
    assert set(measured['bandit']) == {'2', '7'} and all(v > 0 for v in measured['bandit'].values())
    assert not os.path.exists(tmp_path / 'bench' / 'README.md.tmp')


def test_bench_refuses_an_unknown_part():
    result = run_cli('lrrl.bench', '--skip=throughput,warp', timeout=300)
    assert result.returncode != 0
    assert 'warp' in result.stderr
