"""What a seccomp profile costs each syscall, and a real workload: side by side, in one run.

For each profile - unconfined, an allow-all filter (the floor: any filter sends the kernel
down its slower syscall-entry path), Docker's builtin default, the collection's
``runtime-default``, ``hardened``, ``hardened`` with process denial, and an allowlist learned
for the benchmark program itself (learn.yml-style: it runs under a log-mode profile and the
kernel's SECCOMP records name what it called) - it measures:

  * the time per call of hot syscalls (bench/syscall_cost/cost.c, static, in a container of
    its own: getppid, read from /dev/zero, write to /dev/null, fcntl F_GETFD, a futex wake
    with no waiters, epoll_wait with timeout 0, socket()+close(), a thread's clone; and socket and
    clone made so that the kernel refuses them at once after the filter ran, which leaves the
    cost of the profiles' argument rules for those calls standing alone): each profile in
    turn, REPS rounds, the order of the profiles rotated each round; medians, the spread
    (min-max), and ratios to unconfined, to the floor and to Docker's builtin;
  * a deterministic companion: the classic-BPF instructions the kernel runs for each call
    under each profile (the program libseccomp compiles from the profile as runc builds it, in
    both layouts runc asks for: libseccomp's default list (runc 1.1, crun) and its binary tree
    (runc 1.2 and later, for a profile naming more than 32 calls), run by
    plugins/module_utils/_bpf.py), and whether the kernel's constant-action cache (Linux 5.11+)
    skips the filter for it;
  * one real workload: redis-server from Debian's package in a locally built image, driven by
    redis-benchmark from the host; requests per second as a ratio to unconfined and to the floor.

Writes the tables into docs/benchmarks.md between its markers.

    .venv/bin/python bench/syscall_cost.py [--reps 9] [--calls 3000000] [--reps-redis 11] [--count-only] [--no-workload]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'collections'))

from ansible_collections.confine.hardening.plugins.module_utils import _bpf as bpf  # noqa: E402
from ansible_collections.confine.hardening.plugins.module_utils import _libseccomp as libseccomp  # noqa: E402
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_oci as oci  # noqa: E402
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_presets as presets  # noqa: E402
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_spec as spec_mod  # noqa: E402

DOC = ROOT / 'docs' / 'benchmarks.md'
BEGIN, END = '<!-- syscall_cost:begin -->', '<!-- syscall_cost:end -->'
BUILD = ROOT / 'build' / 'bench' / 'syscall_cost'
SRC = ROOT / 'bench' / 'syscall_cost' / 'cost.c'
IMAGE = 'confine/syscall-cost:latest'
REDIS_IMAGE = 'confine/redis-bench:latest'
DOCKER = '/usr/bin/docker'
CALLS = ('getppid', 'read', 'write', 'fcntl', 'futex', 'epoll_wait', 'socket', 'clone', 'socket_nofamily', 'clone_badflags')
PROFILES = ('unconfined', 'allow-all', 'docker-builtin', 'runtime-default', 'hardened', 'hardened-deny-processes',
            'learned')
LABEL = {'unconfined': 'unconfined', 'allow-all': 'allow-all filter (the floor)', 'docker-builtin': "Docker's builtin",
         'runtime-default': '`runtime-default`', 'hardened': '`hardened`',
         'hardened-deny-processes': '`hardened` + deny_processes', 'learned': 'learned allowlist'}
SPECS = {'runtime-default': {'preset': 'runtime-default'}, 'hardened': {'preset': 'hardened'},
         'hardened-deny-processes': {'preset': 'hardened', 'preset_options': {'deny_processes': True}}}
X86_64 = 0xc000003e
# the arguments each call is made with (cost.c), for the instruction count
CLONE_THREAD_FLAGS = 0x3d0f00   # CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID
CALL_ARGS = {
    'getppid': [('getppid', ())],
    'read': [('read', (3, 0x10000, 64))],
    'write': [('write', (3, 0x10000, 64))],
    'fcntl': [('fcntl', (1, 1))],
    'futex': [('futex', (0x10000, 129, 1, 0, 0, 0))],
    'epoll_wait': [('epoll_wait', (3, 0x10000, 1, 0))],
    'socket': [('socket', (2, 1, 0)), ('close', (3,))],
    'clone': [('clone3', (0x10000, 88)), ('clone', (CLONE_THREAD_FLAGS, 0x10000, 0x10000, 0x10000, 0))],
    'socket_nofamily': [('socket', (4095, 1, 0))],
    'clone_badflags': [('clone', (0x10000, 0, 0, 0, 0))],
}


def host():
    return {'machine': os.uname()[4], 'kernel': os.uname()[2], 'runtime_default': 'docker-20.10',
            'targets': ['docker'], 'runtimes': {}}


def rendered(name: str, learned: list | None = None) -> dict | None:
    """The profile's JSON (None for unconfined and Docker's builtin, which take no file)."""
    if name in ('unconfined', 'docker-builtin'):
        return None
    if name == 'allow-all':
        return {'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
                'syscalls': []}
    if name == 'learned':
        spec = {'preset': 'allowlist', 'syscalls': learned_rules(learned or [])}
    else:
        spec = SPECS[name]
    return spec_mod.build_profile(spec, host())[0]


def learned_rules(learned: list) -> list:
    """The rules learn.yml writes: what was seen, then what the runtime's init may call at random
    (its learn_runtime_names, and clone without namespace flags), seen or not."""
    import yaml
    play = yaml.safe_load((ROOT / 'playbooks' / 'learn.yml').read_text())[0]
    extra = sorted(set(play['vars']['learn_runtime_names']) - set(learned))
    rules = [{'names': sorted(learned), 'action': 'SCMP_ACT_ALLOW'}]
    if extra:
        rules.append({'names': extra, 'action': 'SCMP_ACT_ALLOW'})
    if 'clone' not in learned:
        rules.append({'names': ['clone'], 'action': 'SCMP_ACT_ALLOW',
                      'args': [{'index': 0, 'value': presets.CLONE_NS_MASK, 'value_two': 0, 'op': 'SCMP_CMP_MASKED_EQ'}]})
    return rules


# ---------------------------------------------------------------------------
# The deterministic count
# ---------------------------------------------------------------------------

def written(profile: dict | None, laid_out: bool = True) -> dict | None:
    """The profile as the module writes it: laid out for runc and crun (_seccomp_layout), or as
    built (``laid_out`` false: Docker's builtin, which is Docker's own, and the before figure)."""
    return profile and json.loads(oci.canonical_json(profile, laid_out))


def runc_layout(profile: dict) -> int:
    """The layout runc gives libseccomp's program: from runc 1.2 the binary tree once the profile
    names more than 32 calls (every name of every rule of the file, as runc counts them),
    libseccomp's default list before that and in runc 1.1 and crun always."""
    names = sum(len(entry['names']) for entry in (written(profile) or {}).get('syscalls', []))
    return libseccomp.OPTIMIZE_BINARY_TREE if names > 32 else libseccomp.OPTIMIZE_PRIORITY


def count(profile: dict | None, backend, optimize=libseccomp.OPTIMIZE_PRIORITY, laid_out: bool = True) -> dict:
    """{call: (instructions, cached)} of the program runc would load for ``profile`` as written
    (see written()) and laid out by libseccomp as ``optimize`` says.  Instructions of every
    syscall a call makes (socket: socket and close; clone: clone3, which the profiles answer
    ENOSYS, then clone); cached only when every one is."""
    if profile is None:
        return dict((call, (0, True)) for call in CALLS)
    profile = written(profile, laid_out)
    default_errno = profile.get('defaultErrnoRet')
    if profile['defaultAction'] == 'SCMP_ACT_ERRNO' and default_errno is None:
        default_errno = spec_mod.EPERM
    prog = backend.compile_bpf(profile['defaultAction'], default_errno, profile['architectures'],
                               oci.profile_rules(profile), optimize=optimize, keep_native=True)
    out = {}
    for call, made in CALL_ARGS.items():
        total, cached = 0, True
        for name, args in made:
            nr = backend.resolve('SCMP_ARCH_X86_64', name)
            verdict, executed = bpf.run(prog, nr, X86_64, args)
            if name == 'clone3' and verdict == bpf.SECCOMP_RET_ALLOW:
                # clone3 allowed: glibc's thread is clone3 alone
                total, cached = executed, bpf.constant_allow(prog, nr, X86_64)
                break
            total += executed
            cached = cached and bpf.constant_allow(prog, nr, X86_64)
        out[call] = (total, cached)
    return out


# ---------------------------------------------------------------------------
# Images, profiles on disk, containers
# ---------------------------------------------------------------------------

def sh(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True, text=True, **kw).stdout


def build_image():
    BUILD.mkdir(parents=True, exist_ok=True)
    binary = BUILD / 'cost'
    sh('gcc', '-O2', '-static', '-pthread', '-o', str(binary), str(SRC))
    with tempfile.TemporaryDirectory() as tmp:
        tar = Path(tmp) / 'rootfs.tar'
        with tarfile.open(tar, 'w') as out:
            out.add(str(binary), arcname='cost')
        sh(DOCKER, 'import', '--change', 'ENTRYPOINT ["/cost"]', str(tar), IMAGE)


def write_profiles(learned: list | None) -> dict:
    paths = {}
    for name in PROFILES:
        profile = rendered(name, learned)
        if profile is None:
            continue
        path = BUILD / ('%s.json' % name)
        path.write_text(oci.canonical_json(profile))     # what the module writes
        paths[name] = path
    return paths


def security(name: str, paths: dict) -> list:
    if name == 'unconfined':
        return ['--security-opt', 'seccomp=unconfined']
    if name == 'docker-builtin':
        return []
    return ['--security-opt', 'seccomp=%s' % paths[name]]


def measure(name: str, paths: dict, calls: int) -> dict:
    out = sh(DOCKER, 'run', '--rm', '--network', 'none', *security(name, paths), IMAGE, str(calls))
    return json.loads(out.strip().splitlines()[-1])


def filter_loaded(name: str, paths: dict) -> bool:
    out = sh(DOCKER, 'run', '--rm', '--network', 'none', *security(name, paths), IMAGE, 'status')
    return 'Seccomp:\t2' in out


# ---------------------------------------------------------------------------
# Learning the allowlist (learn.yml-style, incrementally: the printk rate limit drops records)
# ---------------------------------------------------------------------------

def kernel_records(since: float) -> set:
    from ansible_collections.confine.hardening.plugins.module_utils import _audit_sources as sources
    got = sources.collect('auto', since=since, run_command=None)
    return set(e['syscall'] for e in got['events'] if e['kind'] == 'seccomp' and e.get('syscall')
               and e['action'] == 'SCMP_ACT_LOG')


def learn(run_under, rounds: int = 12) -> list:
    """The names a workload calls: it runs under a profile that allows what is learned so far and
    logs (SCMP_ACT_LOG) everything else; each round's records add names, until a round adds none
    and the workload runs under the allowlist alone."""
    learned: set = set()
    for _round in range(rounds):
        profile = spec_mod.build_profile({'preset': 'allowlist', 'mode': 'enforce', 'default_action': 'SCMP_ACT_LOG',
                                          'syscalls': [{'names': sorted(learned) or ['exit_group'],
                                                        'action': 'SCMP_ACT_ALLOW'}]}, host())[0]
        path = BUILD / 'learning.json'
        path.write_text(json.dumps(profile))
        since = time.time() - 1
        run_under(path)
        time.sleep(6)       # the kernel's printk rate limit: 10 records, then a pause of 5 s
        new = kernel_records(since) - learned
        if not new:
            break
        learned |= new
    return sorted(learned)


def run_cost_under(path):
    subprocess.run([DOCKER, 'run', '--rm', '--network', 'none', '--security-opt', 'seccomp=%s' % path, IMAGE, '100'],
                   check=False, capture_output=True)


# ---------------------------------------------------------------------------
# The real workload: redis-server, redis-benchmark from the host
# ---------------------------------------------------------------------------

REDIS_PORT = 16379


def ensure_redis():
    if not shutil.which('redis-server') or not shutil.which('redis-benchmark'):
        print('installing redis-server and redis-tools (Debian packages) for the workload', flush=True)
        subprocess.run(['apt-get', 'install', '-y', '-q', 'redis-server', 'redis-tools'], check=True,
                       capture_output=True, env=dict(os.environ, DEBIAN_FRONTEND='noninteractive'))
        subprocess.run(['systemctl', 'stop', 'redis-server'], check=False, capture_output=True)
        subprocess.run(['pkill', '-x', 'redis-server'], check=False, capture_output=True)


def build_redis_image():
    """redis-server and the libraries it links, from the host's Debian package, as an image."""
    server = shutil.which('redis-server')
    libs = [line.split('=>')[-1].split('(')[0].strip() for line in sh('ldd', server).splitlines()]
    libs = [lib for lib in libs if lib.startswith('/')]
    with tempfile.TemporaryDirectory() as tmp:
        tar = Path(tmp) / 'rootfs.tar'
        with tarfile.open(tar, 'w') as out:
            out.add(os.path.realpath(server), arcname='usr/bin/redis-server')
            for lib in libs:
                out.add(os.path.realpath(lib), arcname=lib.lstrip('/'))
        sh(DOCKER, 'import', '--change', 'ENTRYPOINT ["/usr/bin/redis-server"]', str(tar), REDIS_IMAGE)


def redis_under(security_opts: list, requests: int) -> float:
    """Requests per second of redis-benchmark (GET and SET, 50 clients) against redis-server in a
    container under the given profile."""
    name = 'confine-redis-bench'
    subprocess.run([DOCKER, 'rm', '-f', name], check=False, capture_output=True)
    sh(DOCKER, 'run', '-d', '--name', name, '--network', 'host', *security_opts, REDIS_IMAGE, '--port',
       str(REDIS_PORT), '--save', '', '--appendonly', 'no', '--protected-mode', 'no')
    try:
        for _i in range(100):
            if subprocess.run(['redis-cli', '-p', str(REDIS_PORT), 'ping'], capture_output=True, text=True,
                              check=False).stdout.strip() == 'PONG':
                break
            time.sleep(0.1)
        out = sh('redis-benchmark', '-p', str(REDIS_PORT), '-q', '-n', str(requests), '-t', 'get,set', '--csv')
    finally:
        subprocess.run([DOCKER, 'rm', '-f', name], check=False, capture_output=True)
    rates = [float(line.split(',')[1].strip('"')) for line in out.splitlines()
             if line.startswith('"GET"') or line.startswith('"SET"')]
    return sum(rates) / len(rates)


def run_redis_learning(path):
    name = 'confine-redis-learn'
    subprocess.run([DOCKER, 'rm', '-f', name], check=False, capture_output=True)
    subprocess.run([DOCKER, 'run', '-d', '--name', name, '--network', 'host', '--security-opt', 'seccomp=%s' % path,
                    REDIS_IMAGE, '--port', str(REDIS_PORT), '--save', '', '--appendonly', 'no'],
                   check=False, capture_output=True)
    time.sleep(1)
    subprocess.run(['redis-benchmark', '-p', str(REDIS_PORT), '-q', '-n', '2000', '-t', 'get,set'], check=False,
                   capture_output=True, timeout=60)
    subprocess.run([DOCKER, 'stop', '-t', '2', name], check=False, capture_output=True)
    subprocess.run([DOCKER, 'rm', '-f', name], check=False, capture_output=True)


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------

def rotate(seq, k):
    k %= len(seq)
    return list(seq[k:]) + list(seq[:k])


def timed_calls(paths: dict, reps: int, calls: int) -> dict:
    runs = dict((name, []) for name in PROFILES)
    for rep in range(reps):
        for name in rotate(PROFILES, rep):
            runs[name].append(measure(name, paths, calls))
        print('  round %d/%d done' % (rep + 1, reps), flush=True)
    return runs


def timed_redis(paths: dict, reps: int, requests: int, learned_redis: list) -> dict:
    opts = dict((name, security(name, paths)) for name in PROFILES if name != 'learned')
    path = BUILD / 'learned-redis.json'
    path.write_text(json.dumps(rendered('learned', learned_redis)))
    opts['learned'] = ['--security-opt', 'seccomp=%s' % path]
    runs = dict((name, []) for name in opts)
    for rep in range(reps):
        for name in rotate(list(opts), rep):
            runs[name].append(redis_under(opts[name], requests))
        print('  redis round %d/%d done' % (rep + 1, reps), flush=True)
    return runs


def med(values):
    return statistics.median(values)


def report(counts: dict, runs: dict | None, redis: dict | None, args, learned: list, learned_redis: list) -> str:
    lines = []
    if runs:
        lines += ['Nanoseconds per call, medians of %d rounds (min-max), each round every profile in turn, the order '
                  'rotated; in brackets the difference to the floor (the allow-all filter):' % args.reps, '',
                  '| call | ' + ' | '.join(LABEL[p] for p in PROFILES) + ' |',
                  '|---|' + '---|' * len(PROFILES)]
        for call in CALLS:
            floor = med([r[call] for r in runs['allow-all']])
            cells = []
            for name in PROFILES:
                values = [r[call] for r in runs[name]]
                cell = '%.0f (%.0f-%.0f)' % (med(values), min(values), max(values))
                if name != 'allow-all':
                    cell += ' [%+.0f]' % (med(values) - floor)
                cells.append(cell)
            lines.append('| %s | %s |' % (call, ' | '.join(cells)))
        lines += ['', 'Ratios of the medians: to unconfined / to the floor / to Docker\'s builtin:', '',
                  '| call | ' + ' | '.join(LABEL[p] for p in PROFILES[2:]) + ' |', '|---|' + '---|' * (len(PROFILES) - 2)]
        for call in CALLS:
            base = dict((name, med([r[call] for r in runs[name]])) for name in PROFILES)
            lines.append('| %s | %s |' % (call, ' | '.join(
                '%.2f / %.2f / %.2f' % (base[p] / base['unconfined'], base[p] / base['allow-all'],
                                        base[p] / base['docker-builtin']) for p in PROFILES[2:])))
    lines += ['', 'BPF instructions the kernel runs for each call, as runc 1.1 and crun lay the program out '
              '(libseccomp\'s default list; "a → b": the profile as built, then as the collection writes it, its '
              'unconditional denials after its argument rules, see plugins/module_utils/_seccomp_layout.py) / as '
              'runc 1.2 and later do (a binary tree once a profile names more than 32 calls): one filter for x86_64, '
              'x86 and x32, as runc builds it from the profile; runc\'s own -ENOSYS '
              'stub in front of it, the same few instructions for every profile but the allow-all one, is not '
              'counted. "cached": the kernel\'s constant-action cache (5.11+) allows the call without running the '
              'filter at all; socket counts socket and close, clone counts clone3 (answered ENOSYS) and then clone; '
              'socket_nofamily and clone_badflags are the one call each:',
              '', '| call | ' + ' | '.join(LABEL[p] for p in PROFILES[1:]) + ' |', '|---|' + '---|' * (len(PROFILES) - 1)]
    for call in CALLS:
        lines.append('| %s | %s |' % (call, ' | '.join(count_cell(counts[p], call) for p in PROFILES[1:])))
    if redis:
        unconfined = med(redis['unconfined'])
        floor = med(redis['allow-all'])
        lines += ['', 'redis-server (Debian\'s package, in a container of its own) under redis-benchmark (GET and SET, '
                  '50 clients, %d requests each), requests per second, medians of %d rounds:' % (args.requests, args.reps_redis),
                  '', '| profile | requests/s (min-max) | to unconfined | to the floor |', '|---|---|---|---|']
        for name in PROFILES:
            values = redis[name]
            cells = (LABEL[name], med(values), min(values), max(values), med(values) / unconfined, med(values) / floor)
            lines.append('| %s | %.0f (%.0f-%.0f) | %.3f | %.3f |' % cells)
    lines += ['', 'The learned allowlist of the benchmark program: %d names (%s); of redis-server: %d names. Learned '
              'as learn.yml learns: under a log-mode profile, from the kernel\'s SECCOMP records, a round at a time '
              '(what a round learned is allowed in the next, so the printk rate limit cannot hide a name).'
              % (len(learned), ', '.join(learned), len(learned_redis)), '',
              'Measured %s on %d cores (%s), kernel %s, Docker %s. Reproduce with `make bench-syscalls`.'
              % (time.strftime('%Y-%m-%d'), len(os.sched_getaffinity(0)), cpu_model(), platform.release(),
                 sh(DOCKER, 'version', '--format', '{{.Server.Version}}').strip() if runs else '-')]
    return '\n'.join(lines) + '\n'


def count_cell(layouts: tuple, call: str) -> str:
    """'as built -> laid out / tree': the list before and after _seccomp_layout, and runc 1.2's tree."""
    before, linear, tree = layouts
    if linear[call][0] is None:
        return '-'
    first = '%d' % linear[call][0] if before[call][0] == linear[call][0] else '%d → %d' % (before[call][0], linear[call][0])
    return '%s / %d%s' % (first, tree[call][0], ' (cached)' if linear[call][1] else '')


def cpu_model() -> str:
    for line in Path('/proc/cpuinfo').read_text().splitlines():
        if line.startswith('model name'):
            return line.split(':', 1)[1].strip()
    return platform.processor() or 'unknown'


def write_doc(text: str) -> None:
    doc = DOC.read_text()
    if BEGIN not in doc:
        doc = doc.rstrip('\n') + '\n\n## What a profile costs each syscall\n\n%s\n%s\n' % (BEGIN, END)
    head, rest = doc.split(BEGIN, 1)
    DOC.write_text(head + BEGIN + '\n' + text + END + rest.split(END, 1)[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--reps', type=int, default=9, help='rounds of the call timings (default 9)')
    parser.add_argument('--calls', type=int, default=3000000, help='calls per call kind and run (default 3,000,000)')
    parser.add_argument('--reps-redis', type=int, default=11, help='rounds of the redis workload (default 11)')
    parser.add_argument('--requests', type=int, default=100000, help='redis-benchmark requests per test (default 100,000)')
    parser.add_argument('--count-only', action='store_true', help='only the instruction counts (no Docker)')
    parser.add_argument('--no-workload', action='store_true', help='leave out the redis workload')
    parser.add_argument('--no-doc', action='store_true', help='print only; leave docs/benchmarks.md')
    args = parser.parse_args()
    backend = libseccomp.load()
    BUILD.mkdir(parents=True, exist_ok=True)
    runs = redis = None
    learned, learned_redis = [], []
    if not args.count_only:
        build_image()
        print('learning the benchmark program\'s allowlist', flush=True)
        learned = learn(run_cost_under)
        paths = write_profiles(learned)
        for name in PROFILES:
            loaded = filter_loaded(name, paths)
            if loaded != (name != 'unconfined'):
                sys.exit('%s: the container %s a seccomp filter' % (name, 'has' if loaded else 'has no'))
        for _start in range(5):     # a learned profile that misses a runtime's random path fails now and then
            check = measure('learned', paths, 1000)
            if any(v < 0 for v in check.values()):
                sys.exit('the learned allowlist does not run the benchmark program: %s' % check)
        runs = timed_calls(paths, args.reps, args.calls)
        if not args.no_workload:
            ensure_redis()
            build_redis_image()
            print('learning redis-server\'s allowlist', flush=True)
            learned_redis = learn(run_redis_learning)
            redis = timed_redis(paths, args.reps_redis, args.requests, learned_redis)
    saved = BUILD / 'learned-names.json'
    if learned:
        saved.write_text(json.dumps({'cost': learned, 'redis': learned_redis}))
    elif saved.exists():        # --count-only: the allowlist the last full run learned
        learned = json.loads(saved.read_text())['cost']
    counts = {}
    for name in PROFILES:
        if name == 'learned' and not learned:
            none = dict((call, (None, False)) for call in CALLS)
            counts[name] = (none, none, none)
            continue
        profile = rendered(name, learned) if name != 'docker-builtin' else rendered('runtime-default')
        ours = name != 'docker-builtin'
        counts[name] = (count(profile, backend, laid_out=False), count(profile, backend, laid_out=ours),
                        count(profile, backend, runc_layout(profile), laid_out=ours))
    text = report(counts, runs, redis, args, learned, learned_redis)
    print(text)
    if not args.no_doc:
        write_doc(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
