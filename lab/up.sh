#!/usr/bin/env bash
# Boot a lab VM from the cached image (built first if needed) on a fresh qcow2
# overlay, and wait until root can ssh in and systemd has finished starting up
# (so docker, containerd and auditd are active when this returns).
#
# Run dir (LAB_RUN, default /run/confine-lab/$LAB_NAME, LAB_NAME default lab):
#   pid port ssh_config known_hosts console.log disk.qcow2 image platform
# Env: LAB_PLATFORM (platforms.sh: debian12, the default, debian13 or debian12-arm64; it
#      picks the image, the QEMU binary, machine and console), LAB_BOOT_TIMEOUT (s, default 300),
#      LAB_ACCEL (tcg | kvm, default tcg),
#      LAB_CPU (-cpu model, default the platform's P_CPU with tcg, host with kvm), LAB_MEM (MiB,
#      default 2048), LAB_SMP (default 1), LAB_MITIGATIONS (the guest kernel's
#      mitigations=, default off; auto is the kernel's own default), LAB_APPEND (extra kernel command line),
#      LAB_CACHE (see build-image.sh).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

lab_platform "$LAB_PLATFORM"
BOOT_TIMEOUT=${LAB_BOOT_TIMEOUT:-300}
ACCEL=${LAB_ACCEL:-tcg}
# One vCPU and no speculative-execution mitigations in the guest kernel: under software
# emulation that runs the lab's work (module runs, fork and exec) about 30% faster than two
# vCPUs with them (docs/testing.md, bench/lab_guest_options.sh). Neither changes what seccomp
# or AppArmor enforce.
MITIGATIONS=${LAB_MITIGATIONS:-off}
[[ $MITIGATIONS =~ ^(off|auto|auto,nosmt)$ ]] || die "LAB_MITIGATIONS must be off, auto or auto,nosmt"
APPEND="root=/dev/vda rw console=$P_CONSOLE apparmor=1 security=apparmor net.ifnames=0 mitigations=$MITIGATIONS${LAB_APPEND:+ $LAB_APPEND}"
run=$LAB_RUN

need "$P_QEMU:$P_QEMU_PKG" qemu-img:qemu-utils ssh:openssh-client \
  python3:python3 timeout:coreutils
[[ $run == /* && $run != */ && $run != *,* ]] ||
  die "LAB_RUN must be an absolute path without a trailing / or a comma: $run"
[[ $BOOT_TIMEOUT =~ ^[0-9]+$ ]] || die "LAB_BOOT_TIMEOUT must be a number of seconds"
case $ACCEL in
  tcg) accel=(-accel tcg -cpu "${LAB_CPU:-$P_CPU}") ;;
  kvm)
    [[ -w /dev/kvm ]] || die "LAB_ACCEL=kvm but /dev/kvm is not usable"
    accel=(-accel kvm -cpu "${LAB_CPU:-host}")
    ;;
  *) die "LAB_ACCEL must be tcg or kvm, not $ACCEL" ;;
esac

if [[ -e $run ]]; then
  if pid_is_vm "$(cat "$run/pid" 2>/dev/null || true)" "$run"; then
    die "a lab VM already runs in $run (pid $(cat "$run/pid")); stop it with lab/down.sh"
  fi
  [[ -f $run/.confine-lab || -z $(ls -A "$run") ]] ||
    die "$run exists and is not a lab run dir; remove it or choose another LAB_RUN"
  log "removing the stale run dir $run"
  rm -rf --one-file-system "$run"
fi

img=$("$LAB_DIR/build-image.sh")
mkdir -p "$run"
chmod 0700 "$run"
: >"$run/.confine-lab"
echo "$img" >"$run/image"
echo "$P_NAME" >"$run/platform"

ok=
on_exit() {
  local rc=$?
  if [[ -z $ok ]]; then
    stop_vm "$run" || true
    rm -f "$run/disk.qcow2"
    log "the VM was stopped; its console log stays in $run/console.log until lab/down.sh"
    ((rc)) || rc=1
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# fail MSG: show the end of the serial console, then stop (on_exit kills the VM).
fail() {
  printf '%s\n' "----- last 40 lines of $run/console.log:" >&2
  tail -n 40 "$run/console.log" >&2 || true
  printf '%s\n' "-----" >&2
  die "$*"
}

qemu-img create -q -f qcow2 -b "$img/disk.raw" -F raw "$run/disk.qcow2"

# A free loopback port; should another process take it before QEMU binds it,
# QEMU fails to start and we try another one.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
t0=$SECONDS
for try in 1 2 3 4 5; do
  port=$(free_port)
  rm -f "$run/pid"
  : >"$run/console.log"
  if "$P_QEMU" -name "confine-lab-$(basename "$run")" "${P_MACHINE[@]}" "${accel[@]}" \
    -m "${LAB_MEM:-2048}" -smp "${LAB_SMP:-1}" \
    -nodefaults -display none -monitor none -serial "file:$run/console.log" \
    -kernel "$img/vmlinuz" -initrd "$img/initrd.img" -append "$APPEND" \
    -drive "file=$run/disk.qcow2,format=qcow2,if=virtio" \
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:22" \
    -device virtio-net-pci,netdev=n0,romfile= \
    -device virtio-rng-pci \
    -daemonize -pidfile "$run/pid" 2>"$run/qemu.err"; then
    break
  fi
  grep -qi 'forward' "$run/qemu.err" && ((try < 5)) && continue
  cat "$run/qemu.err" >&2
  die "QEMU did not start (see above)"
done
pid=$(cat "$run/pid")
echo "$port" >"$run/port"
log "VM started ($P_NAME, pid $pid, accel $ACCEL, ssh port $port); waiting for ssh (at most ${BOOT_TIMEOUT}s)"

# The host key baked into the image is the only one this lab accepts.
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$img/ssh_host_ed25519_key.pub")" \
  >"$run/known_hosts"
cat >"$run/ssh_config" <<EOF
Host lab
  HostName 127.0.0.1
  Port $port
  User root
  IdentityFile $LAB_KEY
  IdentitiesOnly yes
  UserKnownHostsFile $run/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  UpdateHostKeys no
  BatchMode yes
  ConnectTimeout 10
  ServerAliveInterval 15
  ServerAliveCountMax 4
  LogLevel ERROR
EOF

next=15
while :; do
  pid_is_vm "$pid" "$run" || fail "the VM exited while booting"
  if timeout 30 ssh -F "$run/ssh_config" -o ConnectTimeout=3 lab true 2>"$run/ssh.err" </dev/null; then
    break
  fi
  ((SECONDS - t0 < BOOT_TIMEOUT)) ||
    fail "no ssh login after ${BOOT_TIMEOUT}s (last ssh error: $(tail -n1 "$run/ssh.err"))"
  if ((SECONDS - t0 >= next)); then
    log "waiting for ssh, $((SECONDS - t0))s; console: $(tail -n1 "$run/console.log" | tr -d '\r' | cut -c1-80)"
    next=$((next + 15))
  fi
  sleep 1
done
rm -f "$run/ssh.err"
t_ssh=$((SECONDS - t0))
log "ssh answers after ${t_ssh}s; waiting for the boot to finish (docker, containerd, auditd)"
left=$((BOOT_TIMEOUT - (SECONDS - t0)))
((left > 10)) || left=10
if [[ $P_BUILD == unpack ]]; then
  # lab/unpack/init touches one of these once docker answers, or once it gave up
  state=$(timeout "$((left + 5))" ssh -F "$run/ssh_config" lab \
    "for i in \$(seq $((left * 2))); do [ -e /run/confine-lab-ready ] && { echo running; exit; };
       [ -e /run/confine-lab-failed ] && { echo failed; exit; }; sleep 0.5; done; echo starting" \
    </dev/null 2>&1) || true
  [[ $state == running ]] ||
    fail "the boot did not finish within ${BOOT_TIMEOUT}s (lab/unpack/init: ${state:-unknown}; the daemons' logs are /var/log/*.log in the guest)"
else
  # Startup is over when systemd says running (or degraded: some unit failed).
  state=$(timeout "$((left + 5))" ssh -F "$run/ssh_config" lab \
    "timeout $left systemctl is-system-running --wait" </dev/null 2>&1) || true
  case $state in
    running) ;;
    degraded)
      log "WARNING: the lab booted degraded; failed units:"
      ssh -F "$run/ssh_config" lab systemctl --failed --no-legend </dev/null >&2 || true
      ;;
    *) fail "the boot did not finish within ${BOOT_TIMEOUT}s (systemd state: ${state:-unknown})" ;;
  esac
fi
ok=1
log "lab up: ssh after ${t_ssh}s, boot finished after $((SECONDS - t0))s"
echo "$((SECONDS - t0))" >"$run/boot-seconds"
echo "ssh -F $run/ssh_config lab    # or: LAB_RUN=$run lab/ssh.sh"
