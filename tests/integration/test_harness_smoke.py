"""Smoke tests proving the integration harness itself (tests/integration/_harness.py).

They establish the baselines later profile tests rely on: the probe is not
restricted when nothing confines it, Docker's built-in default profile really
answers EPERM for the dangerous calls, and an "unconfined + all capabilities"
container lets them through, so a later EPERM can only come from seccomp.

Run as root:  python3 -m pytest -q tests/integration/test_harness_smoke.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness as h  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="integration harness needs root")

PLAIN_WORK = ("fork", "vfork", "thread", "file_io", "chmod", "mkdir")

# Generated with Debian's python3-seccomp, which the pytest venv may lack.
_GEN_BPF = r"""
import errno, sys, seccomp
action = {"errno": seccomp.ERRNO(errno.EPERM), "log": seccomp.LOG}[sys.argv[2]]
f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
for name in sys.argv[3:]:
    f.add_rule(action, name)
with open(sys.argv[1], "wb") as fh:
    f.export_bpf(fh)
"""


def _make_bpf(path: Path, action: str, *syscalls: str) -> str:
    subprocess.run(["/usr/bin/python3", "-c", _GEN_BPF, str(path), action, *syscalls],
                   check=True, timeout=h.TIMEOUT, capture_output=True)
    data = path.read_bytes()
    assert data and len(data) % 8 == 0, f"{path} is not a BPF program ({len(data)} bytes)"
    return str(path)


@pytest.fixture(scope="session", autouse=True)
def environment():
    h.ensure_environment()


@pytest.fixture(scope="session")
def deny_mkdir_bpf(tmp_path_factory) -> str:
    return _make_bpf(tmp_path_factory.mktemp("bpf") / "deny-mkdir.bpf", "errno",
                     "mkdir", "mkdirat")


@pytest.fixture(scope="session")
def deny_mkdir_json(tmp_path_factory) -> str:
    profile = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [
            {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
        ],
    }
    path = tmp_path_factory.mktemp("profiles") / "deny-mkdir.json"
    path.write_text(json.dumps(profile, indent=2), encoding="utf-8")
    return str(path)


def _assert_ok(out: dict, names) -> None:
    bad = {n: out["results"].get(n) for n in names if out["results"].get(n) != "OK"}
    assert not bad, f"expected OK, got {bad}; full output: {out}"


def _assert_eperm(out: dict, names) -> None:
    bad = {n: out["results"].get(n) for n in names if out["results"].get(n) != "EPERM"}
    assert not bad, f"expected EPERM, got {bad}; full output: {out}"


# -- host ------------------------------------------------------------------


def test_host_unconfined_baseline():
    out = h.run_local([])
    assert out["seccomp"] == 0
    _assert_ok(out, PLAIN_WORK)
    # Harmless-argument tests report the kernel's own (non-EPERM) errno.
    r = out["results"]
    assert r["umount2"] == "ENOENT"
    assert r["ptrace"] == "ESRCH"
    assert r["setns"] == "EBADF"
    assert r["reboot"] == "EINVAL"
    assert r["execve"] == "EACCES"
    assert r["add_key"] == "ENODEV"
    assert r["clone3"] in ("EINVAL", "EFAULT")


def test_probe_selects_tests_and_rejects_unknown():
    out = h.run_local(["fork", "chmod"])
    assert list(out["results"]) == ["fork", "chmod"]
    proc = subprocess.run([str(h.PROBE), "no_such_test"], capture_output=True, check=False,
                          text=True, timeout=h.TIMEOUT)
    assert proc.returncode == 2


def test_load_bpf_denies_mkdir(deny_mkdir_bpf):
    out = h.run_local(["mkdir", *PLAIN_WORK[:-1]], bpf_file=deny_mkdir_bpf)
    assert out["seccomp"] == 2
    _assert_eperm(out, ["mkdir"])
    _assert_ok(out, PLAIN_WORK[:-1])


def test_load_bpf_rejects_garbage(tmp_path):
    bad = tmp_path / "bad.bpf"
    bad.write_bytes(b"abc")
    proc = subprocess.run([str(h.PROBE), "--load-bpf", str(bad), "fork"], check=False,
                          capture_output=True, text=True, timeout=h.TIMEOUT)
    assert proc.returncode == 3, proc
    assert proc.stdout == ""


def test_kernel_log_since_sees_seccomp_log_action(tmp_path):
    bpf = _make_bpf(tmp_path / "log-personality.bpf", "log", "personality")
    marker = h.kernel_log_marker()
    out = h.run_local(["personality"], bpf_file=bpf)
    assert out["results"]["personality"] == "OK"
    lines = h.kernel_log_since(marker)
    audit = [ln for ln in lines if "type=1326" in ln and "syscall=135" in ln]
    assert audit, f"no seccomp audit record after the marker: {lines}"


# -- bubblewrap --------------------------------------------------------------


def test_bwrap_baseline_and_caps():
    plain = h.run_bwrap(["mount", *PLAIN_WORK], None)
    assert plain["seccomp"] == 0
    _assert_ok(plain, PLAIN_WORK)
    assert plain["results"]["mount"] == "EPERM"  # capabilities dropped, no seccomp

    allcaps = h.run_bwrap(["mount", "bpf", "unshare_user"], None, cap_all=True)
    assert allcaps["seccomp"] == 0
    _assert_ok(allcaps, ["mount", "bpf", "unshare_user"])


def test_bwrap_seccomp_fd_denies_mkdir(deny_mkdir_bpf):
    out = h.run_bwrap(["mkdir", *PLAIN_WORK[:-1]], deny_mkdir_bpf, cap_all=True)
    assert out["seccomp"] == 2
    _assert_eperm(out, ["mkdir"])
    _assert_ok(out, PLAIN_WORK[:-1])


# -- Docker ----------------------------------------------------------------


def test_docker_builtin_default_profile():
    out = h.run_docker([])
    assert out["seccomp"] == 2
    _assert_eperm(out, ["unshare_user", "mount", "keyctl"])
    _assert_ok(out, ["thread", "fork", "file_io"])


def test_docker_unconfined_all_caps_baseline():
    out = h.run_docker([], seccomp="unconfined", caps_all=True)
    assert out["seccomp"] == 0
    _assert_ok(out, ["mount", "unshare_user", "bpf", *PLAIN_WORK])


def test_docker_custom_profile_file(deny_mkdir_json):
    out = h.run_docker(["mkdir", "fork", "thread", "file_io"], seccomp=deny_mkdir_json)
    assert out["seccomp"] == 2
    _assert_eperm(out, ["mkdir"])
    _assert_ok(out, ["fork", "thread", "file_io"])


# -- containerd / ctr ------------------------------------------------------


def test_ctr_without_seccomp_baseline():
    out = h.run_ctr(["mkdir", "fork", "thread", "file_io"], None)
    assert out["seccomp"] == 0
    _assert_ok(out, ["mkdir", "fork", "thread", "file_io"])


def test_ctr_custom_profile(deny_mkdir_json):
    out = h.run_ctr(["mkdir", "fork", "thread", "file_io"], deny_mkdir_json)
    assert out["seccomp"] == 2
    _assert_eperm(out, ["mkdir"])
    _assert_ok(out, ["fork", "thread", "file_io"])


def test_ctr_privileged_with_profile(deny_mkdir_json):
    # (not "mount": the probe's mount test needs mkdir for its mount point)
    out = h.run_ctr(["mkdir", "bpf", "unshare_user", "fork"], deny_mkdir_json,
                    privileged=True)
    assert out["seccomp"] == 2
    _assert_eperm(out, ["mkdir"])
    _assert_ok(out, ["bpf", "unshare_user", "fork"])
