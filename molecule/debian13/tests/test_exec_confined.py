"""The single-binary posture on the lab host (docs/postures.md): the AppArmor profile
`single-binary` (container-default with confine_exec) and the seccomp profile `single-binary`
(hardened with preset_options.deny_processes), both installed by harden.yml from this
scenario's inventory, applied by the runtime to a container whose entrypoint is a small static
server (the probe's --serve mode: a thread per connection, no child process).

- the container starts under the pair and answers requests (each one on a new thread);
- from inside (`docker exec` / `ctr task exec` of the probe), execve and execveat of /bin/sh
  are refused with EACCES by AppArmor (logged apparmor="DENIED" operation="exec"), and fork
  and vfork with EPERM by seccomp, while a thread starts;
- the same image with the same capabilities, without the pair, execs the shell and forks;
- under the observe twins (AppArmor complain, seccomp log) the same workload runs unhindered,
  and profile_events reports what enforce would refuse: the exec (ALLOWED) and the forks (LOG).
- a shell-script entrypoint starts under the AppArmor half, runs its builtins, and every
  external command it tries is refused (exit 126).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(PROJECT / 'molecule' / 'shared'))

# pylint: disable=wrong-import-position
from labtest import CTR_IMAGE, IMAGE, AuditLog, probe_result, run_module  # noqa: E402

SECCOMP = {'docker': '/etc/docker/seccomp/%s.json', 'ctr': '/etc/containerd/seccomp/%s.json'}
GET = ("python3 -c 'import urllib.request as u; "
       "print(u.urlopen(\"http://127.0.0.1:%d/\", timeout=5).read().decode(), end=\"\")'")


class Container:
    """A detached container running ``/probe --serve PORT`` with the host's network, under the
    AppArmor profile and seccomp file named ``profile`` (None: the runtime's defaults)."""

    def __init__(self, host, engine, profile, port):
        self.host, self.engine, self.port = host, engine, port
        self.name = 'confine-%s-%s-%d' % (engine, profile or 'plain', time.time_ns() % 10 ** 9)
        if engine == 'docker':
            opts = '-d --name %s --network host' % self.name
            if profile:
                opts += ' --security-opt apparmor=%s --security-opt seccomp=%s' % (profile, SECCOMP['docker'] % profile)
            cmd = 'docker run %s %s /probe --serve %d' % (opts, IMAGE, port)
        else:
            opts = '-d --net-host'
            if profile:
                opts += ' --apparmor-profile %s --seccomp --seccomp-profile %s' % (profile, SECCOMP['ctr'] % profile)
            cmd = 'ctr -n confine run %s %s %s /probe --serve %d' % (opts, CTR_IMAGE, self.name, port)
        started = host.run(cmd + ' </dev/null')
        assert started.rc == 0, (cmd, started.stdout, started.stderr)

    def serves(self):
        """The answers to three requests, once the server is up."""
        for _attempt in range(40):
            if self.host.run(GET % self.port).rc == 0:
                break
            time.sleep(0.5)
        return [self.host.run(GET % self.port).stdout for _request in range(3)]

    def exec(self, args):
        if self.engine == 'docker':
            return self.host.run('docker exec %s /probe %s </dev/null' % (self.name, args))
        return self.host.run('ctr -n confine task exec --exec-id e%d %s /probe %s </dev/null'
                             % (time.time_ns() % 10 ** 9, self.name, args))

    def stop(self):
        """Stop it the runtime's way (SIGTERM from runc, which the profile must let in); the
        result of the stop. Then remove what is left, by force."""
        if self.engine == 'docker':
            stopped = self.host.run('timeout 60 docker stop -t 10 %s' % self.name)
            self.host.run('timeout 60 docker rm -f %s' % self.name)
        else:
            # (ctr 1.7 has no task wait: the task list says when it has stopped)
            stopped = self.host.run(
                "timeout 60 sh -c 'ctr -n confine task kill -s TERM %s || exit 1; for i in $(seq 60); do "
                "ctr -n confine task ls | grep \"^%s \" | grep -q RUNNING || exit 0; sleep 0.5; done; exit 2'"
                % (self.name, self.name))
            self.host.run('timeout 30 ctr -n confine task rm -f %s; timeout 30 ctr -n confine container rm %s'
                          % (self.name, self.name))
        self.stopped = True
        return stopped


@pytest.fixture()
def container(host):
    made = []

    def make(engine, profile, port):
        made.append(Container(host, engine, profile, port))
        return made[-1]
    yield make
    for c in made:
        if not getattr(c, 'stopped', False):
            c.stop()


def exec_sh(result):
    assert result.rc == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize('engine,port', [('docker', 18090), ('ctr', 18091)])
def test_the_pair_starts_a_server_that_serves_and_can_start_nothing(host, container, engine, port):
    log = AuditLog(host)
    server = container(engine, 'single-binary', port)
    assert server.serves() == ['ok\n'] * 3
    got = exec_sh(server.exec('--exec-sh'))
    # AppArmor refused both (EACCES); seccomp's hardened half allows execve, and says EPERM
    assert got == {'label': 'single-binary (enforce)', 'execve_sh': 'EACCES', 'execveat_sh': 'EACCES'}, got
    assert log.apparmor('DENIED', 'single-binary', 'operation="exec"')
    work = server.exec('thread fork vfork file_io')
    assert [probe_result(work, t) for t in ('thread', 'fork', 'vfork', 'file_io')] == ['OK', 'EPERM', 'EPERM', 'OK']
    assert server.serves() == ['ok\n'] * 3          # and it still serves
    # the runtime stops it (runc signals it: the profile lets signals from runc in)
    stopped = server.stop()
    assert stopped.rc == 0, (stopped.stdout, stopped.stderr)
    assert not log.apparmor('DENIED', 'single-binary', 'operation="signal"')


@pytest.mark.parametrize('engine,port', [('docker', 18092), ('ctr', 18093)])
def test_the_same_image_without_the_pair_execs_a_shell_and_forks(host, container, engine, port):
    server = container(engine, None, port)
    assert server.serves() == ['ok\n'] * 3
    assert exec_sh(server.exec('--exec-sh')) == {'execve_sh': 'OK'}
    work = server.exec('thread fork vfork')
    assert [probe_result(work, t) for t in ('thread', 'fork', 'vfork')] == ['OK', 'OK', 'OK']


@pytest.mark.parametrize('engine,port', [('docker', 18094), ('ctr', 18095)])
def test_the_observe_twins_hinder_nothing_and_report_what_enforce_would_refuse(host, container, engine, port):
    start = host.check_output('date +%s.%N')
    server = container(engine, 'single-binary-observe', port)
    assert server.serves() == ['ok\n'] * 3
    assert exec_sh(server.exec('--exec-sh')) == {'execve_sh': 'OK'}
    work = server.exec('thread fork vfork')
    assert [probe_result(work, t) for t in ('thread', 'fork', 'vfork')] == ['OK', 'OK', 'OK']
    events = run_module(host, 'confine.hardening.profile_events', since=start, kinds=['apparmor', 'seccomp'],
                        max_events=5000)
    assert not events['failed'], events
    execs = [e for e in events['events'] if e['kind'] == 'apparmor' and e['operation'] == 'exec'
             and e['profile'].startswith('single-binary-observe')]
    assert execs and all(e['verdict'] == 'ALLOWED' for e in execs), execs
    logged = {e['syscall'] for e in events['events'] if e['kind'] == 'seccomp' and e['action'] == 'SCMP_ACT_LOG'}
    assert {'clone', 'vfork'} <= logged, logged       # glibc's fork is clone without CLONE_THREAD


def test_a_shell_script_entrypoint_starts_and_only_its_builtins_run(host):
    """The AppArmor half alone (with Docker's own seccomp default): the shell is the
    entrypoint, so it starts; `echo` is a builtin and runs; /probe is refused (126)."""
    got = host.run("docker run --rm --network none --security-opt apparmor=single-binary %s "
                   "sh -c 'echo started; /probe thread; echo rc=$?' </dev/null" % IMAGE)
    assert got.rc == 0, got.stderr
    assert got.stdout.split() == ['started', 'rc=126'], (got.stdout, got.stderr)
