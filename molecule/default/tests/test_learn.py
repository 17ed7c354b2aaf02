"""playbooks/learn.yml on the lab host: Python's http.server, run in a container under a
log-mode profile and exercised with requests, is learned into an allowlist spec; the
learned profile, enforced, still serves requests while ptrace, unshare and mount from
inside the container fail with EPERM, and succeed in the same container (same capabilities,
same AppArmor) with seccomp unconfined."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[3]
PLAIN = dict(os.environ, ANSIBLE_FORCE_COLOR='0', ANSIBLE_NOCOLOR='1')
# the lab host's own Python, mounted read-only into the probe image (a busybox rootfs)
MOUNTS = ['-v', '/usr:/usr:ro', '-v', '/lib:/lib:ro', '-v', '/lib64:/lib64:ro']
SAME = ['-v', '/root/confine-check.py:/check.py:ro', '--cap-add', 'SYS_ADMIN', '--security-opt', 'apparmor=unconfined']
SERVE = ['/usr/bin/python3', '-m', 'http.server', '%d', '--bind', '127.0.0.1', '--directory', '/usr/share/doc']
GET = "python3 -c \"import urllib.request as u; print(u.urlopen('http://127.0.0.1:%d%s').status)\""
CHECK = r'''
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
out = {'started': True}
def call(name, *args):
    r = getattr(libc, name)(*args)
    out[name] = 0 if r == 0 else os.strerror(ctypes.get_errno())
call('mount', b'none', b'/tmp', b'tmpfs', 0, None)
call('ptrace', 0, 0, None, None)                       # PTRACE_TRACEME
call('unshare', 0x10000000)                            # CLONE_NEWUSER, last: it drops the others
print(json.dumps(out))
'''


def test_learned_http_server_profile_serves_and_blocks_what_it_never_did(host):
    runner = host.backend.ansible_runner
    out_dir = tempfile.mkdtemp(prefix='confine-learned-')
    extra = {
        'learn_name': 'web-learned', 'learn_image': 'confine/probe:latest',
        'learn_docker_args': ['--network', 'host'] + MOUNTS,
        'learn_command': [a.replace('%d', '18080') for a in SERVE],
        'learn_exercise': [GET % (18080, '/'), GET % (18080, '/python3/'),
                           'docker exec confine-learn-web-learned /usr/bin/python3 -c "import ctypes, json"'],
        'learn_output_dir': out_dir, 'learn_install': True,
        # PID 1 in the container ignores SIGTERM: docker stop waits this long, then kills it
        'learn_stop_seconds': 2,
    }
    assert host.run("cat > /root/confine-check.py <<'EOF'\n%sEOF" % CHECK).rc == 0
    try:
        proc = subprocess.run(['ansible-playbook', '-i', runner.inventory_file, str(PROJECT / 'playbooks/learn.yml'),
                               '-e', json.dumps(extra)], capture_output=True, text=True, check=False, timeout=1200,
                              cwd=str(PROJECT), env=PLAIN)
        out = re.sub(r'\x1b\[[0-9;]*m', '', proc.stdout + proc.stderr)
        assert proc.returncode == 0, out[-4000:]
        spec = yaml.safe_load(open(os.path.join(out_dir, 'web-learned.seccomp.yml')))
        names = spec['syscalls'][0]['names']
        assert spec['preset'] == 'allowlist' and spec['syscalls'][0]['action'] == 'SCMP_ACT_ALLOW'
        # what a TCP server needs, and the runtime's own start-up after the filter is loaded
        assert {'socket', 'bind', 'listen', 'accept4', 'execve'} <= set(names), names
        assert not {'ptrace', 'unshare', 'mount'} & set(names), names
        # the learning profile is gone; the learned one is installed for Docker
        assert not host.file('/etc/docker/seccomp/confine-learn-web-learned.json').exists
        assert host.file('/etc/docker/seccomp/web-learned.json').exists

        # CAP_SYS_ADMIN and no AppArmor, in both runs below: only seccomp differs between them
        run = ['docker', 'run', '-d', '--name', 'confine-learned', '--network', 'host'] + MOUNTS + SAME + [
            '--security-opt', 'seccomp=/etc/docker/seccomp/web-learned.json', 'confine/probe:latest'] + \
            [a.replace('%d', '18081') for a in SERVE]
        assert host.run(' '.join(run)).rc == 0
        served = host.run('for i in $(seq 30); do %s && exit 0; sleep 1; done; exit 1' % (GET % (18081, '/')))
        assert served.rc == 0 and served.stdout.strip().endswith('200'), served.stderr
        assert 'Seccomp:\t2' in host.check_output(
            'cat /proc/$(docker inspect -f "{{.State.Pid}}" confine-learned)/status')
        confined = json.loads(host.check_output('docker exec confine-learned /usr/bin/python3 /check.py'))
        assert confined == {'started': True, 'unshare': 'Operation not permitted',
                            'ptrace': 'Operation not permitted', 'mount': 'Operation not permitted'}
        # the same calls in the same image, unconfined: it is the profile that blocks them
        baseline = json.loads(host.check_output(
            'docker run --rm %s --security-opt seccomp=unconfined confine/probe:latest /usr/bin/python3 /check.py'
            % ' '.join(MOUNTS + SAME)))
        assert baseline == {'started': True, 'unshare': 0, 'ptrace': 0, 'mount': 0}
    finally:
        host.run('docker rm -f confine-learned; rm -f /root/confine-check.py '
                 '/etc/docker/seccomp/web-learned.json /var/lib/confine/seccomp/web-learned.json')
