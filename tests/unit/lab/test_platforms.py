"""lab/platforms.sh: the platform table the lab scripts read (LAB_PLATFORM)."""
import json
import pathlib
import subprocess

import pytest

LAB = pathlib.Path(__file__).resolve().parents[3] / "lab"

# What the debian12 image held before platforms existed: its row must not drift.
DEBIAN12_PACKAGES = {
    "linux-image-amd64", "systemd-sysv", "udev", "dbus", "kmod",
    "openssh-server", "ca-certificates", "python3", "python3-seccomp",
    "apparmor", "apparmor-utils", "auditd", "iproute2", "ifupdown", "isc-dhcp-client",
    "docker.io", "containerd", "runc", "busybox-static", "strace", "e2fsprogs", "procps",
}
UNITS = ["ssh.service", "networking.service", "apparmor.service", "auditd.service",
         "containerd.service", "docker.service", "docker.socket"]


def row(name):
    """The platform's fields as lab_platform sets them, or (rc, stderr) on failure."""
    script = (
        'source "$1/lib.sh"; lab_platform "$2"; python3 -c '
        '"import json, sys; a = sys.argv[1:]; i = a.index(\'--\'); j = a.index(\'---\'); '
        'print(json.dumps(dict(zip(a[:6], a[6:i]), packages=a[i + 1:j], enable=a[j + 1:])))" '
        'name suite arch kernel qemu console '
        '"$P_NAME" "$P_SUITE" "$P_ARCH" "$P_KERNEL" "$P_QEMU" "$P_CONSOLE" '
        '-- "${P_PACKAGES[@]}" --- "${P_ENABLE[@]}"'
    )
    proc = subprocess.run(["bash", "-c", script, "bash", str(LAB), name],
                          capture_output=True, text=True, check=False)
    if proc.returncode:
        return proc.returncode, proc.stderr
    return json.loads(proc.stdout)


def test_debian12_is_the_image_it_always_was_and_prometheus_node_exporter():
    got = row("debian12")
    assert got["suite"] == "bookworm" and got["arch"] == "amd64"
    # the node exporter serves the role's metrics (issue 15); nothing else was added
    assert set(got["packages"]) == DEBIAN12_PACKAGES | {"prometheus-node-exporter"}
    assert len(got["packages"]) == len(DEBIAN12_PACKAGES) + 1
    assert got["enable"] == UNITS + ["prometheus-node-exporter.service"]
    assert (got["qemu"], got["console"]) == ("qemu-system-x86_64", "ttyS0")


def test_debian13_has_trixie_docker_cli_and_rootful_podman():
    got = row("debian13")
    assert got["suite"] == "trixie"
    assert {"docker.io", "docker-cli", "containerd", "runc", "podman", "crun", "conmon",
            "netavark", "aardvark-dns", "catatonit", "python3-seccomp", "apparmor",
            "auditd", got["kernel"]} <= set(got["packages"])
    assert set(got["packages"]) - DEBIAN12_PACKAGES == {
        "docker-cli", "podman", "crun", "conmon", "netavark", "aardvark-dns", "catatonit",
        "nftables"}
    assert got["enable"] == UNITS


@pytest.mark.parametrize("name", ["debian14", "debian12;id", "../debian12", "Debian12"])
def test_an_unknown_platform_fails_in_one_sentence(name):
    rc, err = row(name)
    assert rc != 0
    assert err.strip().splitlines() == [
        "[lab] ERROR: unknown lab platform '%s' (LAB_PLATFORM); known: debian12 debian13 debian12-arm64" % name]


@pytest.mark.parametrize("env", [{}, {"LAB_PLATFORM": ""}, {"LAB_PLATFORM": "debian13"}])
def test_lab_platform_defaults_to_debian12(env):
    proc = subprocess.run(["bash", "-c", 'source "$1/lib.sh"; echo "$LAB_PLATFORM"', "bash",
                           str(LAB)], capture_output=True, text=True, check=True,
                          env=dict({"PATH": "/usr/bin:/bin"}, **env))
    assert proc.stdout.strip() == (env.get("LAB_PLATFORM") or "debian12")


def test_every_platform_has_a_row_and_the_name_is_in_the_key():
    known = subprocess.run(["bash", "-c", 'source "$1/lib.sh"; echo "${LAB_PLATFORMS[@]}"',
                            "bash", str(LAB)], capture_output=True, text=True, check=True)
    names = known.stdout.split()
    assert names[0] == "debian12"
    assert {row(n)["name"] for n in names} == set(names)
    # the manifest (hashed into the key) starts with the platform's name and arch
    assert "printf 'platform %s\\narch %s\\n' \"$P_NAME\" \"$P_ARCH\"" in (
        LAB / "build-image.sh").read_text()
