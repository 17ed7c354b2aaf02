"""A converge that fails on the lab host still destroys the VM: no qemu process, no
overlay or run dir, no forwarded port is left behind."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCENARIO = 'converge-failure'
RUN_DIR = Path('/run/confine-lab/molecule-' + SCENARIO)


def qemu_of(run_dir: Path) -> list[str]:
    out = subprocess.run(['pgrep', '-af', 'qemu-system'], capture_output=True, text=True, check=False).stdout
    return [line for line in out.splitlines() if str(run_dir) in line]


def test_failed_converge_still_destroys_the_vm():
    env = dict(os.environ, PATH='%s:%s' % (REPO / '.venv' / 'bin', os.environ['PATH']), NO_COLOR='1')
    proc = subprocess.run(['molecule', 'test', '-s', SCENARIO], cwd=str(REPO), env=env, capture_output=True,
                          text=True, timeout=1800, check=False, stdin=subprocess.DEVNULL)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    # it failed where it should, with the module's one-line reason naming the field
    assert "syscalls[0].names[0]: 'no_such_syscall_here' is not a syscall on any declared architecture" in out
    assert any('destroy' in line and 'Executed: Successful' in line for line in out.splitlines()), out[-3000:]
    port = re.search(r'ssh on 127\.0\.0\.1:(\d+)', out)
    assert port, out[-3000:]
    # nothing left behind
    assert qemu_of(RUN_DIR) == []
    assert not RUN_DIR.exists()
    with socket.socket() as sock:
        sock.settimeout(2)
        assert sock.connect_ex(('127.0.0.1', int(port.group(1)))) != 0
