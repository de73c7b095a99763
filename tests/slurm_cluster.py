"""A real one-node SLURM cluster on localhost, for the tests that submit to SLURM.

``SlurmCluster.start()`` installs Debian's ``slurm-wlm`` and ``munge`` with
apt-get when ``slurmctld`` is missing, then starts its own munged, slurmctld and
slurmd with everything (config, sockets, state, spool, logs) in one temporary
folder and on free ports, so it neither needs nor disturbs a system SLURM or
another test session's cluster. Clients find it through ``SLURM_CONF``, which
``start()`` sets in ``os.environ`` (and so in every subprocess, including the
``sbatch`` and ``squeue`` calls of submitit and the launcher). ``stop()`` stops
the daemons it started.

    python tests/slurm_cluster.py   # starts a cluster, prints sinfo, stops it
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

PACKAGES = ('slurm-wlm', 'munge')
DAEMONS = ('munged', 'slurmctld', 'slurmd')
PARTITION = 'debug'


class SlurmUnavailable(RuntimeError):
    """SLURM is not installed and cannot be installed here."""


def _run(command, timeout=600, check=True):
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f'{" ".join(command)} exited {result.returncode}: {result.stderr.strip()[-2000:]}')
    return result


def install_slurm():
    """apt-get installs slurm-wlm and munge if slurmctld is missing.

    Raises:
      SlurmUnavailable: where installing packages is impossible (not root, no
        apt-get, no network), with the reason.
    """
    if all(shutil.which(daemon) for daemon in DAEMONS):
        return
    if shutil.which('apt-get') is None:
        raise SlurmUnavailable('slurmctld is missing and apt-get is not available to install slurm-wlm and munge')
    if os.geteuid() != 0:
        raise SlurmUnavailable('slurmctld is missing and installing slurm-wlm and munge needs root')
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    # Wait for another apt-get (e.g. a parallel session's) instead of failing.
    lock = ['-o', 'DPkg::Lock::Timeout=600']
    install = ['apt-get', *lock, 'install', '-y', *PACKAGES]
    for command in (['apt-get', *lock, 'update'], install):
        result = subprocess.run(command, capture_output=True, text=True, timeout=1200, env=env)
        if result.returncode != 0:
            raise SlurmUnavailable(f'{" ".join(command)} failed: {result.stderr.strip()[-1000:]}')
    missing = [daemon for daemon in DAEMONS if shutil.which(daemon) is None]
    if missing:
        raise SlurmUnavailable(f'after installing {PACKAGES}, still missing: {missing}')


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _memory_mb():
    with open('/proc/meminfo') as f:
        for line in f:
            if line.startswith('MemTotal:'):
                return int(line.split()[1]) // 1024
    raise RuntimeError('no MemTotal in /proc/meminfo')


class SlurmCluster:
    """munged + slurmctld + slurmd for one node (this machine) in a temp folder."""

    def __init__(self, root=None):
        self.root = root or tempfile.mkdtemp(prefix='lrrl-slurm-')
        self.node = socket.gethostname().split('.')[0]
        self.cpus = os.cpu_count()
        # Leave some memory to the OS so slurmd does not drain the node.
        self.memory_mb = max(_memory_mb() - 1024, 512)
        self.conf = os.path.join(self.root, 'slurm.conf')
        self.munge_socket = os.path.join(self.root, 'munge', 'munge.socket')
        self._pids = {}
        self._saved_env = None

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def _write_config(self):
        for folder in ('munge', 'state', 'spool', 'log'):
            os.makedirs(self.path(folder), exist_ok=True)
        os.chmod(self.path('munge'), 0o700)
        key = self.path('munge', 'munge.key')
        with open(key, 'wb') as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o400)
        controller_port, node_port = _free_port(), _free_port()
        lines = [
            'ClusterName=lrrltest',
            f'SlurmctldHost={self.node}(127.0.0.1)',
            f'SlurmctldPort={controller_port}',
            f'SlurmdPort={node_port}',
            'SlurmUser=root',
            'SlurmdUser=root',
            'AuthType=auth/munge',
            'CredType=cred/munge',
            f'AuthInfo=socket={self.munge_socket}',
            f'StateSaveLocation={self.path("state")}',
            f'SlurmdSpoolDir={self.path("spool")}',
            f'SlurmctldPidFile={self.path("slurmctld.pid")}',
            f'SlurmdPidFile={self.path("slurmd.pid")}',
            f'SlurmctldLogFile={self.path("log", "slurmctld.log")}',
            f'SlurmdLogFile={self.path("log", "slurmd.log")}',
            'SelectType=select/cons_tres',
            'SelectTypeParameters=CR_Core',
            'ProctrackType=proctrack/linuxproc',
            'TaskPlugin=task/none',
            'JobAcctGatherType=jobacct_gather/none',
            'AccountingStorageType=accounting_storage/none',
            'MpiDefault=none',
            'SwitchType=switch/none',
            'ReturnToService=2',
            'JobRequeue=1',
            # A requeued or cancelled job gets SIGTERM, then SIGKILL this many seconds later.
            'KillWait=2',
            'MinJobAge=300',
            'SchedulerParameters=defer_batch',
            f'NodeName={self.node} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={self.memory_mb} State=UNKNOWN',
            f'PartitionName={PARTITION} Nodes={self.node} Default=YES MaxTime=INFINITE State=UP',
        ]
        with open(self.conf, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        # slurmd refuses to start without a cgroup.conf on some builds; none of it is used here.
        with open(self.path('cgroup.conf'), 'w') as f:
            f.write('CgroupPlugin=autodetect\n')

    def _start_daemon(self, name, command):
        _run(command, timeout=60)
        pid_file = {
            'munged': self.path('munge', 'munged.pid'),
            'slurmctld': self.path('slurmctld.pid'),
            'slurmd': self.path('slurmd.pid'),
        }[name]
        for _ in range(100):
            if os.path.exists(pid_file):
                with open(pid_file) as f:
                    text = f.read().strip()
                if text:
                    self._pids[name] = int(text)
                    return
            time.sleep(0.1)
        raise RuntimeError(f'{name} did not start: {self.logs()}')

    def start(self, timeout=120):
        install_slurm()
        self._write_config()
        self._saved_env = os.environ.get('SLURM_CONF')
        os.environ['SLURM_CONF'] = self.conf
        self._start_daemon(
            'munged',
            [
                'munged',
                '--force',
                f'--socket={self.munge_socket}',
                f'--key-file={self.path("munge", "munge.key")}',
                f'--pid-file={self.path("munge", "munged.pid")}',
                f'--seed-file={self.path("munge", "munged.seed")}',
                f'--log-file={self.path("log", "munged.log")}',
            ],
        )
        # -i: ignore any saved state (the state folder is new anyway).
        self._start_daemon('slurmctld', ['slurmctld', '-i', '-f', self.conf])
        self._start_daemon('slurmd', ['slurmd', '-f', self.conf])
        deadline = time.time() + timeout
        state = ''
        while time.time() < deadline:
            result = _run(['sinfo', '-h', '-N', '-o', '%t'], check=False)
            state = result.stdout.strip()
            if state == 'idle':
                return self
            time.sleep(1)
        raise RuntimeError(f'the node did not become idle within {timeout} s (sinfo: {state!r}); {self.logs()}')

    def logs(self):
        text = []
        for name in ('munged.log', 'slurmctld.log', 'slurmd.log'):
            path = self.path('log', name)
            if os.path.exists(path):
                with open(path) as f:
                    text.append(f'--- {name}\n' + f.read()[-3000:])
        return '\n'.join(text)

    def stop(self):
        # Jobs first, so slurmd does not leave their processes behind.
        if 'slurmctld' in self._pids:
            _run(['scancel', '--full', '--user=root'], check=False)
            time.sleep(1)
        for name in reversed(DAEMONS):
            pid = self._pids.pop(name, None)
            if pid is None:
                continue
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
        if self._saved_env is None:
            os.environ.pop('SLURM_CONF', None)
        else:
            os.environ['SLURM_CONF'] = self._saved_env


if __name__ == '__main__':
    cluster = SlurmCluster()
    try:
        cluster.start()
        print(_run(['sinfo']).stdout)
        print(f'cluster in {cluster.root}')
    finally:
        cluster.stop()
