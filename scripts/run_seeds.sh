#!/usr/bin/env bash
# Runs one configuration for several seeds, one after another, each in its own
# run folder (BASE/seed_N). Re-running resumes unfinished seeds and skips
# finished ones. For many runs in parallel or on SLURM, see the launcher.
#
#   scripts/run_seeds.sh BASE "0 1 2 3 4" --gin_files=configs/agents/dqn.gin \
#       --gin_files=configs/methods/lrrl_k5.gin \
#       --gin_bindings="atari_lib.create_atari_environment.game_name='Breakout'"
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 BASE_DIR \"SEEDS\" --gin_files=... [--gin_bindings=...]" >&2
  exit 2
fi
base=$1; seeds=$2; shift 2
python=${PYTHON:-$(dirname "$0")/../.venv/bin/python}
for seed in $seeds; do
  echo "[run_seeds] seed $seed -> $base/seed_$seed"
  "$python" -m lrrl.train --base_dir="$base/seed_$seed" --seed="$seed" "$@"
done
