"""The documented Node.js allowlist (docs/examples/node-http-allowlist.yml), installed by
confine.hardening.seccomp_profile for bwrap, runs a real Node.js HTTP server under
`bwrap --seccomp`; without accept4 the same server cannot answer."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h  # noqa: E402  pylint: disable=wrong-import-position

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / 'docs' / 'examples' / 'node-http-allowlist.yml'
SERVER = REPO / 'docs' / 'examples' / 'node-http-server.js'
NODE = shutil.which('node') or shutil.which('nodejs')

pytestmark = pytest.mark.skipif(NODE is None, reason='node is not installed (scripts/install-deps.sh installs it)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def serve(bpf: str, tries: int = 3) -> tuple[list[str], int | None]:
    """Run the server under bwrap with the program; return (answers, exit code)."""
    port = free_port()
    fd = os.open(bpf, os.O_RDONLY)
    try:
        proc = subprocess.Popen(['bwrap', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc',
                                 '--tmpfs', '/tmp', '--ro-bind', str(SERVER), '/tmp/server.js',
                                 '--die-with-parent', '--seccomp', str(fd),
                                 NODE, '/tmp/server.js', str(port)], pass_fds=(fd,),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    finally:
        os.close(fd)
    answers = []
    try:
        deadline = time.time() + 15
        while time.time() < deadline and len(answers) < tries and proc.poll() is None:
            try:
                with urllib.request.urlopen('http://127.0.0.1:%d/' % port, timeout=2) as resp:
                    answers.append(resp.read().decode())
            except OSError:
                time.sleep(0.2)
        # bwrap waits for node and returns its exit code: stop node, not bwrap.
        if proc.poll() is not None:
            return answers, proc.returncode
        children = Path('/proc/%d/task/%d/children' % (proc.pid, proc.pid)).read_text().split()
        for pid in children:
            os.kill(int(pid), signal.SIGTERM)
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            code = None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    return answers, code


def test_documented_list_has_41_names_and_serves(tmp_path):
    spec = yaml.safe_load(SPEC.read_text())
    assert len(spec['syscalls'][0]['names']) == 41
    rc, results, out = h.install_profiles(tmp_path, {spec['name']: spec})
    assert rc == 0, out
    result = results[spec['name']]
    (bpf,) = [f['path'] for f in result['files'] if f['target'] == 'bwrap']
    answers, code = serve(bpf)
    assert answers == ['ok\n'] * 3, code
    assert code == 0


def test_without_accept4_the_server_cannot_answer(tmp_path):
    spec = yaml.safe_load(SPEC.read_text())
    spec['name'] = 'node-http-no-accept'
    spec['syscalls'][0]['names'].remove('accept4')
    rc, results, out = h.install_profiles(tmp_path, {spec['name']: spec})
    assert rc == 0, out
    result = results[spec['name']]
    (bpf,) = [f['path'] for f in result['files'] if f['target'] == 'bwrap']
    answers, _code = serve(bpf)
    assert answers == []
