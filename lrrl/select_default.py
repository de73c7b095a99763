r"""Chooses LRRL's default bandit with real agents in the loop (issue 28; docs/bandits.md).

  python -m lrrl.select_default --stage=1     # numpy: eligible signals, lock-in, replay scores,
                                              # finalists; writes the stage-2 sweep files
  python -m lrrl.launch --sweep=selection_stage2_cartpole --archive_root=results/selection/archive
  ...                                         # (and _acrobot, _breakout)
  python -m lrrl.select_default --stage=2     # the rule on the finalists' real runs
  python -m lrrl.select_default --stage=report  # the chosen default on reported seeds

The plan (candidates, tasks, seeds, the rule's constants) is
``configs/selection/default_selection.toml``; the information runs it reads are
the ``information_*`` sweeps' archived records (``--information_archive``).
Results go to ``--out`` (stage1.md/.csv, stage2.md/.csv). The rule was written
before any of its numbers existed (docs/bandits.md, "Choosing the default on
real agents").
"""

import math
import os

from absl import flags
import numpy as np
import pandas as pd

from lrrl import atomic
from lrrl import cli
from lrrl import errors
from lrrl import gin_files
from lrrl import tables
from lrrl.analysis import arm_information
from lrrl.analysis import loading
from lrrl.analysis import normalization
from lrrl.analysis import small_sample
from lrrl.benchmarks import default_selection as selection
from lrrl.sweeps import spec

flags.DEFINE_enum('stage', None, ['1', '2', 'report'], 'Which stage to run (report: the chosen default on reported seeds).')
flags.DEFINE_string('plan', selection.PLAN, 'The selection plan (TOML).')
flags.DEFINE_string('information_archive', os.path.join('results', 'information', 'archive'), 'Information runs.')
flags.DEFINE_string('stage2_archive', os.path.join('results', 'selection', 'archive'), "Stage 2's archived runs.")
flags.DEFINE_string('out', os.path.join('results', 'selection'), 'Folder for the stage tables.')
flags.DEFINE_string(
    'sweep_dir', os.path.join(gin_files.CONFIG_DIR, 'experiments'), 'Where stage 1 writes the stage-2 sweep files.'
)
flags.DEFINE_integer('permutations', 2000, 'Shuffles of the information test.')
FLAGS = flags.FLAGS


def log(line):
    print(f'[select_default] {line}', flush=True)


def _task_runs(plan, task):
    """The information runs of a task: {kappa: [RunRecord]} from the archive."""
    sweep = plan.tasks[task]['sweep']
    records = loading.archived_runs(FLAGS.information_archive, 'runs', sweep)
    by_kappa = {}
    for record in records:
        if record.rounds is None or not record.settings.get('finished'):
            continue
        by_kappa.setdefault(float(record.settings['label:kappa']), []).append(record)
    missing = [k for k in plan.kappas if k not in by_kappa]
    if missing:
        raise errors.ConfigError(
            f'{sweep}: no finished runs with rounds under --information_archive={FLAGS.information_archive} for '
            f'kappa {missing}: launch python -m lrrl.launch --sweep={sweep} --archive_root=... first.'
        )
    return by_kappa


def _signal_frames(records):
    return [arm_information.round_signals(r.rounds).assign(run=r.settings['run_dir']) for r in records]


def stage1(plan):
    """Stage 1 (docs/bandits.md): eligibility, replay scores, lock-in, finalists, the stage-2 sweeps."""
    columns = {name: s['replay'] for name, s in plan.signals.items()}
    p_values, replay, noise_values, num_arms = {}, {}, {}, {}
    information_rows = []
    for task in plan.tasks:
        by_kappa = _task_runs(plan, task)
        p_values[task] = {}
        for kappa in plan.kappas:
            records = by_kappa[kappa]
            arms = len(str(records[0].settings['candidates']).split(','))
            num_arms[task] = arms
            frames = _signal_frames(records)
            pooled = pd.concat(frames, ignore_index=True)
            for name, column in columns.items():
                info = arm_information.information(pooled, column, arms, FLAGS.permutations, reps=200)
                p_values[task][(name, kappa)] = info.get('p_value', 1.0)
                information_rows.append({'task': task, 'kappa': kappa, 'signal': name, **info})
                z = [arm_information.standardised(f, column) for f in frames]
                replay[(task, name, kappa)] = selection.replay_task(
                    [(f['arm'], f['phase'], f[column], f['z']) for f in z], arms
                )
                if kappa == min(plan.kappas, key=lambda k: abs(k - 0.01)):
                    noise_values[(task, name)] = [f[column].to_numpy(dtype=float) for f in frames]
        log(f'{task}: information measured ({len(by_kappa)} round lengths)')
    stage = plan.stage1
    eligible = selection.eligible(p_values, stage['alpha'], stage['informative_tasks'])
    log(f'eligible (signal, kappa): {eligible or "none"}')
    candidates = plan.candidates()
    scores = {}
    for index, candidate in enumerate(candidates):
        per_task = [
            selection.replay_score(candidate, replay[(task, candidate.signal, candidate.kappa)], stage['replay_runs'])
            for task in plan.tasks
        ]
        scores[candidate.name] = float(np.mean(per_task))
        if index % 50 == 49:
            log(f'replay scores: {index + 1}/{len(candidates)}')
    by_name = {c.name: c for c in candidates}
    canonical = selection.same_signals(list(plan.signals), replay)
    merged = {s: c for s, c in canonical.items() if s != c}
    if merged:
        log(f'signals equal to an earlier one on every task (counted once): {merged}')
    lock_ins = {}
    chosen = {}
    # The noise test runs lazily: per eligible signal, the best-scoring candidates first, until one passes.
    for signal in sorted({s for s, _ in eligible if canonical[s] == s}):
        ranked = sorted(
            (n for n in scores if n.split('+')[1] == signal and (signal, by_name[n].kappa) in eligible),
            key=lambda n: -scores[n],
        )
        for name in ranked:
            candidate = by_name[name]
            worst = max(
                max(
                    selection.lock_in(
                        candidate,
                        noise_values[(task, signal)],
                        num_arms[task],
                        stage['noise_rounds'],
                        stage['noise_runs'],
                        stage['noise_max_share'],
                    )
                )
                for task in plan.tasks
            )
            lock_ins[name] = worst
            log(f'{name}: replay score {scores[name]:.3f}, worst P(lock-in on noise) {worst:.2f}')
            if worst <= stage['noise_max_lock_in']:
                chosen[signal] = name
                break
    finalists = selection.finalists(
        {n: scores[n] for n in chosen.values()},
        lock_ins,
        eligible,
        stage['noise_max_lock_in'],
        stage['finalists'],
        canonical,
    )
    log(f'finalists: {[name for name, _ in finalists] or "none"}')
    written = _write_stage1(plan, information_rows, eligible, scores, lock_ins, finalists, by_name)
    if finalists:
        written += _write_stage2_sweeps(plan, [by_name[name] for name, _ in finalists])
    return written


def _write_stage1(plan, information_rows, eligible, scores, lock_ins, finalists, by_name):
    os.makedirs(FLAGS.out, exist_ok=True)
    information = pd.DataFrame(information_rows)
    ranked = pd.DataFrame(
        [
            {
                'candidate': name,
                'setting': by_name[name].setting,
                'signal': by_name[name].signal,
                'kappa': by_name[name].kappa,
                'replay_score': score,
                'lock_in': lock_ins.get(name, math.nan),
            }
            for name, score in scores.items()
        ]
    ).sort_values('replay_score', ascending=False)
    best = ranked.groupby(['signal', 'kappa'], sort=True).head(3)
    lines = [
        '# Choosing the default: stage 1 (no agent)\n',
        f'Produced by `python -m lrrl.select_default --stage=1` from the information runs (seeds 100-105; '
        f'`{FLAGS.information_archive}`) and the plan `{os.path.relpath(plan.source, os.path.dirname(gin_files.CONFIG_DIR))}`; the '
        'rule: docs/bandits.md, "Choosing the default on real agents". Scale: the information sweeps (DQN, CartPole '
        'and Acrobot 40 x 1k agent steps, MinAtar Breakout 15 x 10k).\n',
        '## Which signals carry the arm\'s effect\n',
        'p of the randomisation test of arm ⟂ signal (Holm-corrected within a task in the rule); a (signal, κ) is '
        f'eligible when it rejects on at least {plan.stage1["informative_tasks"]} tasks at {plan.stage1["alpha"]}.\n',
    ]
    pivot = information.pivot_table(index=['signal', 'kappa'], columns='task', values='p_value')
    header = ['signal', 'κ'] + list(pivot.columns) + ['eligible']
    rows = [
        [signal, f'{kappa:g}'] + [f'{pivot.loc[(signal, kappa), t]:.3g}' for t in pivot.columns]
        + ['yes' if (signal, kappa) in eligible else '']
        for signal, kappa in pivot.index
    ]
    lines.append(tables.markdown_table(header, rows))
    lines.append('\n## The best three candidates of each signal and round length (replay score)\n')
    lines.append(
        'Replay score: the share of the signal\'s arm effect captured on replayed rounds (1 = always the arm the '
        'signal favours, 0 = a uniform choice), mean over the three tasks. Lock-in: the worst P(largest p > '
        f'{plan.stage1["noise_max_share"]}) after {plan.stage1["noise_rounds"]:,} rounds of the signal with its arm '
        'effect removed, over tasks and noise kinds (tested only where the rule needs it).\n'
    )
    lines.append(
        tables.markdown_table(
            ['signal', 'κ', 'candidate', 'replay score', 'lock-in'],
            [
                [r.signal, f'{r.kappa:g}', r.setting, f'{r.replay_score:.3f}', '' if math.isnan(r.lock_in) else f'{r.lock_in:.2f}']
                for r in best.itertuples()
            ],
        )
    )
    lines.append('\n## Finalists (stage 2)\n')
    if finalists:
        lines.append(
            tables.markdown_table(
                ['candidate', 'replay score', 'lock-in'],
                [[name, f'{score:.3f}', f'{lock_ins[name]:.2f}'] for name, score in finalists],
            )
        )
    else:
        lines.append('None: no signal carries the arm\'s effect on enough tasks, or every candidate locks in on noise.\n')
    written = [
        atomic.write_text(os.path.join(FLAGS.out, 'stage1.md'), '\n'.join(lines)),
        atomic.write_text(os.path.join(FLAGS.out, 'stage1_candidates.csv'), ranked.to_csv(index=False)),
        atomic.write_text(os.path.join(FLAGS.out, 'stage1_information.csv'), information.to_csv(index=False)),
    ]
    return written


def _toml_list(values):
    return '[' + ', '.join('"' + v.replace('\\', '\\\\').replace('"', '\\"') + '"' for v in values) + ']'


def _write_stage2_sweeps(plan, finalists):
    """One sweep file per task: the information sweep's settings, the finalists as a method axis."""
    written = []
    for task, spec_ in plan.tasks.items():
        information = spec.load_sweep(spec_['sweep'])
        common = [
            b
            for b in information.gin_bindings
            if not b.replace(' ', '').startswith(('BanditLearningRate.bandit=', 'BanditLearningRate.round_fraction='))
        ]
        name = f'selection_stage2_{task}'
        lines = [
            f'# Stage 2 of the default selection (docs/bandits.md): the finalists of stage 1 on {task}, at the',
            f'# information sweep {spec_["sweep"]}\'s scale and candidate set, selection seeds. Written by',
            '# python -m lrrl.select_default --stage=1 (do not edit by hand: rerun it).',
            f'#   python -m lrrl.launch --sweep={name} --archive_root=results/selection/archive',
            f'name = "{name}"',
            f'description = "Default selection, stage 2, {task}: {len(finalists)} finalists, seeds '
            f'{plan.stage2["seeds"][0]}-{plan.stage2["seeds"][-1]}"',
            f'seeds = {list(plan.stage2["seeds"])}',
            f'gin_files = {_toml_list(information.gin_files)}',
            f'gin_bindings = {_toml_list(common)}',
            '',
            '[axes.method]',
        ]
        for candidate in finalists:
            bindings = candidate.gin_bindings(plan.signals[candidate.signal]['bindings'], plan.burn_in)
            lines.append(f'"{candidate.name}" = {{ gin_bindings = {_toml_list(bindings)} }}')
        os.makedirs(FLAGS.sweep_dir, exist_ok=True)
        path = os.path.join(FLAGS.sweep_dir, f'{name}.toml')
        written.append(atomic.write_text(path, '\n'.join(lines) + '\n'))
        spec.load_sweep(path)  # the file parses as a sweep
    return written


def _final_return(record, share):
    iterations = record.iterations.sort_values('iteration')['train_return'].to_numpy(dtype=float)
    count = max(1, math.ceil(share * len(iterations)))
    return float(np.mean(iterations[-count:]))


def _random_return(spec_):
    random = spec_['random']
    if 'gym' in random:
        return selection.random_policy_return(random['gym'], int(random['max_steps']))
    return normalization.minatar_random_scores()[normalization.minatar_game_label(random['minatar'])]


def stage2(plan):
    """Stage 2: the rule on the finalists' runs against UniformBandit's at the same κ and seeds."""
    seeds = set(plan.stage2['seeds'])
    share = plan.stage2['final_share']
    relative, rows = {}, []
    for task, spec_ in plan.tasks.items():
        random = _random_return(spec_)
        uniform = {}
        for kappa, records in _task_runs(plan, task).items():
            uniform[kappa] = [_final_return(r, share) for r in records if r.settings['seed'] in seeds]
        finalists = loading.archived_runs(FLAGS.stage2_archive, 'runs', f'selection_stage2_{task}')
        if not finalists:
            raise errors.ConfigError(
                f'no stage-2 runs of {task} under --stage2_archive={FLAGS.stage2_archive}: launch '
                f'python -m lrrl.launch --sweep=selection_stage2_{task} --archive_root={FLAGS.stage2_archive}.'
            )
        by_candidate = {}
        for record in finalists:
            if record.settings.get('finished') and record.settings['seed'] in seeds:
                by_candidate.setdefault(record.settings['method'], []).append(_final_return(record, share))
        for name, returns in sorted(by_candidate.items()):
            kappa = float(name.rsplit('+k', 1)[1])
            value = selection.relative_final_return(returns, uniform[kappa], random)
            relative.setdefault(name, {})[task] = value
            rows.append(
                {
                    'task': task,
                    'candidate': name,
                    'seeds': len(returns),
                    'final_return': float(np.mean(returns)),
                    'uniform_final_return': float(np.mean(uniform[kappa])),
                    'uniform_seeds': len(uniform[kappa]),
                    'random_policy': random,
                    'relative': value,
                }
            )
        log(f'{task}: {len(by_candidate)} finalists read; random policy {random:.2f}')
    complete = {n: v for n, v in relative.items() if len(v) == len(plan.tasks)}
    if not complete:
        raise errors.ConfigError('no finalist has runs on every task yet: stage 2 cannot judge.')
    name, mean = selection.choose(complete)
    table = pd.DataFrame(rows)
    os.makedirs(FLAGS.out, exist_ok=True)
    header = ['candidate'] + list(plan.tasks) + ['geometric mean']
    body = [
        [n] + [f'{complete[n][t]:.3f}' for t in plan.tasks] + [f'{selection.geometric_mean(list(complete[n].values())):.3f}']
        for n in sorted(complete, key=lambda n: -np.nan_to_num(selection.geometric_mean(list(complete[n].values())), nan=-1))
    ]
    verdict = (
        f'**Chosen: `{name}`** (geometric mean {mean:.3f}).'
        + ('' if mean > 1 else ' No finalist beat a uniform choice of rate on the selection seeds.')
    )
    text = '\n'.join(
        [
            '# Choosing the default: stage 2 (real agents)\n',
            'Produced by `python -m lrrl.select_default --stage=2` from the finalists\' runs '
            f'(`{FLAGS.stage2_archive}`, seeds {sorted(seeds)}) and UniformBandit\'s runs at the same round length and '
            f'seeds (`{FLAGS.information_archive}`). Relative final return = (mean final return - random policy) / '
            f'(UniformBandit\'s - random policy); final return = mean training return over the last {share:.0%} of '
            'the iterations. Rule (docs/bandits.md): the highest geometric mean over the tasks.\n',
            tables.markdown_table(header, body),
            '',
            verdict,
            '',
            '## Per task\n',
            tables.markdown_table(
                ['task', 'candidate', 'seeds', 'final return', 'uniform', 'random policy', 'relative'],
                [
                    [r.task, r.candidate, r.seeds, f'{r.final_return:.4g}', f'{r.uniform_final_return:.4g} (n={r.uniform_seeds})',
                     f'{r.random_policy:.4g}', f'{r.relative:.3f}']
                    for r in table.itertuples()
                ],
            ),
        ]
    )
    written = [
        atomic.write_text(os.path.join(FLAGS.out, 'stage2.md'), text),
        atomic.write_text(os.path.join(FLAGS.out, 'stage2.csv'), table.to_csv(index=False)),
    ]
    log(verdict.replace('**', '').replace('`', ''))
    return written


def _by_quarter(record):
    """A run's mean training return and step share per rate, per quarter of its iterations:
    (returns [4], {rate: shares [4]}); rates without a share column (fixed runs) are left out."""
    iterations = record.iterations.sort_values('iteration')
    quarters = np.array_split(np.arange(len(iterations)), 4)
    returns = [float(iterations['train_return'].iloc[q].mean()) for q in quarters]
    shares = loading.rate_shares(iterations)
    return returns, {rate: [float(shares[rate].iloc[q].mean()) for q in quarters] for rate in shares.columns}


def _interval_text(estimate, low, high, digits=3):
    if not np.isfinite(estimate):
        return 'n/a'
    ends = ', '.join('∞' if not np.isfinite(v) else f'{v:.{digits}g}' for v in (low, high))
    return f'{estimate:.{digits}g} [{ends}]'


def report(plan):
    """The report on reported seeds (docs/bandits.md, "Report"): the issue's targets, per task."""
    seeds = set(plan.report['seeds'])
    final_share = plan.stage2['final_share']
    rows, targets, quarter_rows = [], [], []
    for task, spec_ in plan.report['tasks'].items():
        random = _random_return(plan.tasks[task])
        records = loading.archived_runs(spec_['archive'], 'runs', spec_['sweep'])
        finals, shares = {}, {}
        for role, label in spec_['cells'].items():
            chosen = [
                r
                for r in records
                if r.settings.get('method') == label and r.settings.get('finished') and r.settings['seed'] in seeds
            ]
            finals[role] = [_final_return(r, final_share) for r in chosen]
            # How the bandit moved over the run (docs/bandits.md reads the default's miss from it).
            quarters = [_by_quarter(r) for r in chosen]
            rates = sorted({rate for _, shares in quarters for rate in shares})
            for q in range(4 if quarters and rates else 0):
                quarter_rows.append(
                    [task, role, q + 1, f'{np.mean([returns[q] for returns, _ in quarters]):.4g}']
                    + [', '.join(f'{rate:g}: {np.nanmean([s[rate][q] for _, s in quarters if rate in s]):.2f}' for rate in rates)]
                )
            if 'share_rate' in spec_:
                shares[role] = [loading.second_half_share(r.iterations, spec_['share_rate']) for r in chosen]
        uniform = finals['uniform']
        for role in selection.REPORT_ROLES:
            values = finals[role]
            if not values:
                rows.append({'task': task, 'role': role, 'cell': spec_['cells'][role], 'seeds': 0})
                continue
            mean, low, high = small_sample.t_interval(values)
            row = {'task': task, 'role': role, 'cell': spec_['cells'][role], 'seeds': len(values), 'final_return': mean,
                   'final_low': low, 'final_high': high}
            if role != 'uniform' and len(uniform) >= 2:
                row['relative'], row['relative_low'], row['relative_high'] = small_sample.ratio(values, uniform, random)
            if shares.get(role):
                row['share'], row['share_low'], row['share_high'] = small_sample.t_interval(shares[role])
            rows.append(row)
        if finals['default'] and len(uniform) >= 2:
            estimate, low, high = small_sample.ratio(finals['default'], uniform, random)
            # A miss says how large a gain these seeds could have shown (80% power, two-sided 5%).
            detectable = small_sample.detectable_difference(
                np.std(finals['default'], ddof=1), len(finals['default']), np.std(uniform, ddof=1), len(uniform)
            ) / (np.mean(uniform) - random)
            targets.append(
                f'{task}: final return relative to uniform {_interval_text(estimate, low, high)}: '
                + ('above 1 (met)' if low > 1 else 'not above 1 (missed; ' + (
                    f'the smallest relative return these seeds detect above 1 with 80% power: {1 + detectable:.3g})'
                    if np.isfinite(detectable) else 'these seeds are too few to detect any gain)'))
            )
        if shares.get('default') and shares.get('uniform'):
            difference = small_sample.welch(shares['default'], shares['uniform'])
            mean = float(np.nanmean(shares['default']))
            met = difference.high < 0 and mean <= 0.2
            targets.append(
                f'{task}: share of the second half on {spec_["share_rate"]:g}: default {mean:.2f}, uniform '
                f'{np.nanmean(shares["uniform"]):.2f}, difference {_interval_text(difference.estimate, difference.low, difference.high, 2)}: '
                + ('below uniform\'s and at most 0.2 (met)' if met else 'target (below uniform\'s, at most 0.2) missed')
            )
    table = pd.DataFrame(rows)
    lock_in_lines = []
    # The report's noise runs: other bandit seeds than stage 1's (report.noise_seed), and more of them.
    runs = plan.report.get('noise_runs', plan.stage1['noise_runs'])
    noise_seed = plan.report.get('noise_seed', 1)
    for role, name in (('default', plan.report.get('default_candidate')), ('v1', plan.report.get('v1_candidate'))):
        if not name:
            continue
        candidate = next((c for c in plan.candidates() if c.name == name), None)
        if candidate is None:
            raise errors.ConfigError(f'{plan.source}: report.{role}_candidate = {name!r} is not a candidate of the plan.')
        column = plan.signals[candidate.signal]['replay']
        worst = (0.0, '')
        for task in plan.tasks:
            records = _task_runs(plan, task)[min(plan.kappas, key=lambda k: abs(k - 0.01))]
            values = [f[column].to_numpy(dtype=float) for f in _signal_frames(records)]
            arms = len(str(records[0].settings['candidates']).split(','))
            stage = plan.stage1
            lock_in_shares = selection.lock_in(candidate, values, arms, stage['noise_rounds'], runs, stage['noise_max_share'], seed=noise_seed)
            for kind, locked_share in zip(('in recorded order', 'drawn i.i.d.'), lock_in_shares):
                worst = max(worst, (locked_share, f'{task}, {kind}'))
        locked = int(round(worst[0] * runs))
        upper = small_sample.binomial_upper(locked, runs)
        target = plan.stage1['noise_max_lock_in']
        met = 'met' if upper <= target else 'not shown at this many runs' if worst[0] <= target else 'missed'
        lock_in_lines.append(
            f'{role} (`{name}`): P(largest p > {plan.stage1["noise_max_share"]}) after {plan.stage1["noise_rounds"]:,} rounds '
            f'of its signal with the arm effect removed, worst over tasks and noise kinds ({worst[1]}): {locked}/{runs} = '
            f'{worst[0]:.3f}, exact 95% upper bound {upper:.3f}; target <= {target}: {met}'
        )
    body = [
        [
            r['task'], r['role'], r['cell'], r['seeds'],
            _interval_text(r.get('final_return', np.nan), r.get('final_low', np.nan), r.get('final_high', np.nan), 4),
            _interval_text(r.get('relative', np.nan), r.get('relative_low', np.nan), r.get('relative_high', np.nan)),
            _interval_text(r.get('share', np.nan), r.get('share_low', np.nan), r.get('share_high', np.nan), 2),
        ]
        for r in rows
    ]
    text = '\n'.join(
        [
            '# The default chosen on real agents, on reported seeds\n',
            f'Produced by `python -m lrrl.select_default --stage=report` from the report sweeps named in '
            f'`{os.path.relpath(plan.source, os.path.dirname(gin_files.CONFIG_DIR))}` ([report]), seeds '
            f'{sorted(seeds)} (never used to choose). Final return: mean training return over the last {final_share:.0%} of '
            'the iterations, with its 95% t interval over seeds; relative to uniform: (final return - random policy) / '
            "(UniformBandit's - random policy), Fieller's 95% interval (lrrl.analysis.small_sample.ratio); share: of "
            'the second half\'s agent steps on the rate that fails alone, 95% t interval.\n',
            '## Targets (issue 28)\n',
            *[f'- {line}' for line in targets + lock_in_lines],
            '',
            '## Per task and cell\n',
            tables.markdown_table(['task', 'role', 'cell', 'seeds', 'final return', 'relative to uniform', 'share'], body),
            '',
            '## Per quarter of the run\n',
            'Mean over seeds of the training return and of the share of agent steps on each rate, per quarter of '
            'the iterations.\n',
            tables.markdown_table(['task', 'role', 'quarter', 'training return', 'share of steps per rate'], quarter_rows),
        ]
    )
    os.makedirs(FLAGS.out, exist_ok=True)
    written = [
        atomic.write_text(os.path.join(FLAGS.out, 'report.md'), text),
        atomic.write_text(os.path.join(FLAGS.out, 'report.csv'), table.to_csv(index=False)),
    ]
    for line in targets + lock_in_lines:
        log(line.replace('`', ''))
    return written


@cli.command
def main(argv):
    del argv
    if FLAGS.stage is None:
        raise errors.ConfigError(
            "--stage is required: 1 (no agent), 2 (the finalists' real runs) or report (the chosen default, reported seeds)."
        )
    plan = selection.read_plan(FLAGS.plan)
    if not os.path.isdir(FLAGS.information_archive):
        raise errors.ConfigError(f'--information_archive={FLAGS.information_archive} is not a folder.')
    written = {'1': stage1, '2': stage2, 'report': report}[FLAGS.stage](plan)
    log('wrote ' + ', '.join(written))


if __name__ == '__main__':
    cli.run(main)
