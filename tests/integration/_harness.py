"""Helpers for the seccomp integration tests (no tests in here).

Every runner executes the static probe (tests/integration/probe/probe.c) in
some confinement and returns its parsed JSON line::

    {"seccomp": 2, "results": {"mount": "EPERM", "fork": "OK", ...}}

Prerequisites (root only): ``scripts/engine-up.sh`` (containerd + dockerd) and
``tests/integration/images.sh`` (build/probe, image confine/probe:latest in
Docker and in containerd namespace ``confine``). :func:`ensure_environment`
runs both; they are idempotent and fast when everything is already up.

Findings on the reference machine (Debian 12, kernel 6.18, cgroup v1, no
AppArmor) that shaped this module:

* ``ctr run`` works with containerd's default ``overlayfs`` snapshotter; the
  ``native`` fallback is only used when ``scripts/engine-up.sh`` detected that
  overlayfs cannot mount (it records the result in
  ``/run/confine/ctr-snapshotter``).
* The host's capability bounding set lacks CAP_SYS_RESOURCE, so a plain
  ``docker run --cap-add ALL`` fails in runc ("unable to apply caps:
  operation not permitted"). :func:`run_docker` therefore drops every
  capability the daemon itself does not hold when ``caps_all`` is set.
* bubblewrap run by real root keeps *all* capabilities unless told otherwise,
  so :func:`run_bwrap` passes ``--cap-drop ALL`` when ``cap_all`` is false.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
import uuid
from pathlib import Path
from typing import Iterable, Sequence

TIMEOUT = 60

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
BUILD_DIR = Path(os.environ.get("CONFINE_BUILD_DIR", REPO_ROOT / "build"))
PROBE = BUILD_DIR / "probe"
ENGINE_UP = REPO_ROOT / "scripts" / "engine-up.sh"
IMAGES_SH = HERE / "images.sh"

DOCKER = "/usr/bin/docker"  # /usr/local/bin/docker is a different, newer CLI
CTR = "ctr"
CTR_ADDRESS = "/run/containerd/containerd.sock"
CTR_NAMESPACE = "confine"
IMAGE = "confine/probe:latest"
DEFAULT_CTR_REF = "docker.io/confine/probe:latest"
STATE_DIR = Path("/run/confine")

# Capability names by bit number (linux/capability.h).
CAP_NAMES = [
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
    "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
    "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME",
    "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL",
    "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
    "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
]
# Docker 20.10's "ALL" covers CHOWN..AUDIT_READ; it rejects names it does not
# know, so only those may be passed to --cap-drop.
_DOCKER_KNOWN_CAPS = 38


class ProbeError(RuntimeError):
    """A probe run failed or did not print the expected JSON line."""

    def __init__(self, cmd: Sequence[str], returncode, stdout: str, stderr: str,
                 why: str):
        self.cmd = list(cmd)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        super().__init__(
            f"{why}\n  command: {shlex.join(self.cmd)}\n  exit status: {returncode}"
            f"\n  stdout: {stdout.strip()!r}\n  stderr: {stderr.strip()!r}"
        )


# --------------------------------------------------------------------------
# plumbing


def _run(cmd: Sequence[str], timeout: float = TIMEOUT, **kwargs) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            [str(c) for c in cmd], capture_output=True, text=True, check=False,
            timeout=timeout, stdin=subprocess.DEVNULL, **kwargs,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise ProbeError(cmd, None, out, err, f"timed out after {timeout}s") from None


def _parse(cmd: Sequence[str], proc: subprocess.CompletedProcess) -> dict:
    if proc.returncode != 0:
        raise ProbeError(cmd, proc.returncode, proc.stdout, proc.stderr,
                         "probe run failed")
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip().startswith("{")]
    if not lines:
        raise ProbeError(cmd, proc.returncode, proc.stdout, proc.stderr,
                         "probe printed no JSON line")
    try:
        data = json.loads(lines[-1])
    except json.JSONDecodeError as exc:
        raise ProbeError(cmd, proc.returncode, proc.stdout, proc.stderr,
                         f"probe output is not JSON: {exc}") from None
    if not isinstance(data, dict) or "seccomp" not in data or "results" not in data:
        raise ProbeError(cmd, proc.returncode, proc.stdout, proc.stderr,
                         "probe JSON lacks 'seccomp'/'results'")
    return data


def _probe_and_parse(cmd: Sequence[str], **kwargs) -> dict:
    return _parse(cmd, _run(cmd, **kwargs))


def _abs(path: str | os.PathLike) -> str:
    return str(Path(path).resolve())


# --------------------------------------------------------------------------
# environment


def ensure_environment(timeout: float = 300) -> None:
    """Start the engines and build/import the probe image (both idempotent)."""
    for script in (ENGINE_UP, IMAGES_SH):
        proc = subprocess.run([str(script)], capture_output=True, text=True, check=False,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise RuntimeError(
                f"{script} failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


def ctr_snapshotter() -> str:
    """Snapshotter ``ctr run`` must use; recorded by scripts/engine-up.sh."""
    try:
        value = (STATE_DIR / "ctr-snapshotter").read_text(encoding="utf-8").strip()
    except OSError:
        value = ""
    return value or "overlayfs"


def ctr_image_ref() -> str:
    """Image reference images.sh registered in containerd."""
    try:
        value = (BUILD_DIR / "ctr-image-ref").read_text(encoding="utf-8").strip()
    except OSError:
        value = ""
    return value or DEFAULT_CTR_REF


def _bounding_set(pid: int | str = "self") -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("CapBnd:"):
                return int(line.split()[1], 16)
    except OSError:
        pass
    return None


def unavailable_caps() -> list[str]:
    """Capabilities Docker knows but the daemon cannot grant (not in its bounding set)."""
    bnd = None
    for pidfile in (STATE_DIR / "dockerd.pid", Path("/var/run/docker.pid")):
        try:
            bnd = _bounding_set(int(pidfile.read_text(encoding="utf-8").strip()))
        except (OSError, ValueError):
            continue
        if bnd is not None:
            break
    if bnd is None:
        bnd = _bounding_set()
    if bnd is None:
        return []
    return [CAP_NAMES[i] for i in range(_DOCKER_KNOWN_CAPS) if not bnd >> i & 1]


# --------------------------------------------------------------------------
# runners


def run_docker(args: Sequence[str], seccomp: str | None = None, caps_all: bool = False,
               extra_security_opts: Iterable[str] = ()) -> dict:
    """``docker run --rm --network none ... confine/probe:latest /probe ARGS``.

    seccomp: None = Docker's built-in default profile, "unconfined" = no
    filter, anything else = path of a Docker/OCI JSON profile.
    caps_all: ``--cap-add ALL`` (minus what this host cannot grant at all).
    """
    cmd: list[str] = [DOCKER, "run", "--rm", "--network", "none"]
    if seccomp is not None:
        value = seccomp if seccomp == "unconfined" else _abs(seccomp)
        cmd += ["--security-opt", f"seccomp={value}"]
    if caps_all:
        cmd += ["--cap-add", "ALL"]
        for cap in unavailable_caps():
            cmd += ["--cap-drop", cap]
    for opt in extra_security_opts:
        cmd += ["--security-opt", opt]
    cmd += [IMAGE, "/probe", *args]
    return _probe_and_parse(cmd)


def _ctr_cleanup(container_id: str) -> None:
    base = [CTR, "--address", CTR_ADDRESS, "-n", CTR_NAMESPACE]
    for sub in (["tasks", "kill", "-s", "SIGKILL", container_id],
                ["tasks", "delete", "-f", container_id],
                ["containers", "delete", container_id]):
        try:
            subprocess.run(base + sub, capture_output=True, timeout=TIMEOUT, check=False,
                           stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            pass


def run_ctr(args: Sequence[str], seccomp_profile: str | None, privileged: bool = False) -> dict:
    """``ctr -n confine run --rm ... IMAGE_REF <unique id> /probe ARGS``.

    seccomp_profile: None = no seccomp at all (ctr's default), "default" =
    containerd's built-in default profile (``--seccomp``), otherwise the path
    of an OCI JSON profile (``--seccomp --seccomp-profile FILE``).
    """
    container_id = f"confine-{os.getpid()}-{uuid.uuid4().hex[:10]}"
    cmd: list[str] = [CTR, "--address", CTR_ADDRESS, "-n", CTR_NAMESPACE, "run", "--rm"]
    snapshotter = ctr_snapshotter()
    if snapshotter != "overlayfs":
        cmd += ["--snapshotter", snapshotter]
    if seccomp_profile is not None:
        cmd.append("--seccomp")
        if seccomp_profile != "default":
            cmd += ["--seccomp-profile", _abs(seccomp_profile)]
    if privileged:
        cmd.append("--privileged")
    cmd += [ctr_image_ref(), container_id, "/probe", *args]
    try:
        proc = _run(cmd)
    except ProbeError:
        _ctr_cleanup(container_id)
        raise
    if proc.returncode != 0:
        _ctr_cleanup(container_id)
    return _parse(cmd, proc)


def run_bwrap(args: Sequence[str], bpf_file: str | None, cap_all: bool = False) -> dict:
    """``bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp ... build/probe ARGS``.

    The BPF file is opened here and handed to bwrap's ``--seccomp FD`` through
    ``pass_fds`` (the descriptor keeps its number in the child; we do not dup2
    onto a fixed number in this process because pytest may own it).
    As root, bwrap keeps every capability by default, so ``cap_all=False``
    means ``--cap-drop ALL`` and ``cap_all=True`` means ``--cap-add ALL``.
    """
    # The probe is bound onto the fresh /tmp explicitly: the checkout itself may
    # live under /tmp, which the tmpfs hides.
    cmd: list[str] = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev",
                      "--proc", "/proc", "--tmpfs", "/tmp", "--ro-bind", str(PROBE), "/tmp/probe"]
    cmd += ["--cap-add", "ALL"] if cap_all else ["--cap-drop", "ALL"]
    fd = None
    try:
        if bpf_file is not None:
            fd = os.open(bpf_file, os.O_RDONLY)
            cmd += ["--seccomp", str(fd)]
        cmd += ["/tmp/probe", *args]
        proc = _run(cmd, pass_fds=(fd,) if fd is not None else ())
    finally:
        if fd is not None:
            os.close(fd)
    return _parse(cmd, proc)


def run_local(args: Sequence[str], bpf_file: str | None = None) -> dict:
    """build/probe directly on the host (optionally ``--load-bpf FILE``)."""
    cmd: list[str] = [str(PROBE)]
    if bpf_file is not None:
        cmd += ["--load-bpf", _abs(bpf_file)]
    cmd += list(args)
    return _probe_and_parse(cmd)


# --------------------------------------------------------------------------
# kernel log


def kernel_log_marker(tag: str = "confine") -> str:
    """Write a unique marker line into the kernel log and return it."""
    marker = f"{tag}-marker-{uuid.uuid4().hex}"
    with open("/dev/kmsg", "w", encoding="utf-8") as kmsg:
        kmsg.write(marker + "\n")
    return marker


def _read_kernel_log() -> list[str]:
    try:
        proc = subprocess.run(["dmesg"], capture_output=True, text=True, check=False,
                              timeout=TIMEOUT, stdin=subprocess.DEVNULL)
        if proc.returncode == 0:
            return proc.stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired):
        pass
    # Fallback: read the records straight from /dev/kmsg without blocking.
    lines: list[str] = []
    fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    try:
        while True:
            try:
                rec = os.read(fd, 8192)
            except BlockingIOError:
                break
            except OSError:  # EPIPE: record overwritten while reading
                continue
            if not rec:
                break
            lines.append(rec.decode(errors="replace").split(";", 1)[-1].rstrip("\n"))
    finally:
        os.close(fd)
    return lines


def kernel_log_since(marker: str, settle: float = 0.2) -> list[str]:
    """Kernel log lines written after the (last) line containing ``marker``.

    Typical use::

        marker = kernel_log_marker()
        ...run something...
        lines = kernel_log_since(marker)

    Audit records (e.g. seccomp's ``audit: type=1326``) reach the log through
    kauditd asynchronously, hence the short ``settle`` delay. Raises
    LookupError if the marker is not in the log (never written, or it
    scrolled out of the ring buffer).
    """
    if settle:
        time.sleep(settle)
    lines = _read_kernel_log()
    for i in range(len(lines) - 1, -1, -1):
        if marker in lines[i]:
            return lines[i + 1:]
    raise LookupError(f"marker {marker!r} not found in the kernel log "
                      "(not written with kernel_log_marker(), or the ring buffer wrapped)")


# --------------------------------------------------------------------------
# installing profiles with the collection


INSTALL_PLAYBOOK = HERE / "playbooks" / "seccomp_install.yml"


def ansible_local(tool: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the venv's ``tool`` (ansible or ansible-playbook) against localhost over the local
    connection, with the project's ansible.cfg and Debian's python3 (the one with the
    libseccomp binding), no colour, from the project root."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_PYTHON_INTERPRETER="/usr/bin/python3")
    cmd = [str(REPO_ROOT / ".venv" / "bin" / tool), "-i", "localhost,", "-c", "local"] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False,
                          stdin=subprocess.DEVNULL, cwd=str(REPO_ROOT))


def playbook_local(playbook: str | os.PathLike, variables: dict, varfile: Path, *args: str,
                   timeout: float = 300) -> subprocess.CompletedProcess:
    """ansible-playbook ``playbook`` on localhost with ``variables`` written to ``varfile``."""
    varfile.write_text(json.dumps(variables), encoding="utf-8")
    return ansible_local("ansible-playbook", "-e", "@" + str(varfile), str(playbook), *args, timeout=timeout)


def install_profiles(root: Path, profiles: dict, check: bool = False) -> tuple[int, dict, str]:
    """Install ``{name: spec}`` under ``root`` (every target) with ansible-playbook and
    confine.hardening.seccomp_profile; return (rc, {name: registered result}, output)."""
    results = root / "results.json"
    if results.exists():
        results.unlink()
    variables = {"confine_root": str(root), "confine_results": str(results),
                 "confine_profiles": [dict(spec, name=name) for name, spec in profiles.items()]}
    proc = playbook_local(INSTALL_PLAYBOOK, variables, root / "vars.json", *(["--check", "--diff"] if check else []))
    data = json.loads(results.read_text(encoding="utf-8")) if results.exists() else {}
    return proc.returncode, data, proc.stdout + proc.stderr
