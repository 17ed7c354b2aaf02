#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: seccomp_profile
short_description: Render, validate and install a seccomp profile for Docker, containerd, the kubelet, podman and bwrap
version_added: 0.1.0
description:
  - Builds a seccomp profile from a O(preset) or a O(base) spec plus the user's rules, renders it with a
    Jinja template on the controller, and installs it where each runtime in O(targets) looks for it.
  - The output is plain OCI C(LinuxSeccomp) JSON for every runtime. Docker-only keys (C(archMap),
    C(includes), C(excludes)) are resolved at render time, because containerd and the kubelet ignore them
    silently.
  - Before anything is written, every syscall name is resolved with the target's own libseccomp on the
    declared architectures, and the whole filter is compiled with libseccomp. A name that exists on no
    architecture at all fails the task; a name you wrote that is missing on only some of the declared ones, or
    that is a call only on architectures the profile does not declare (C(arch_prctl) on arm64), is a warning,
    and so is a deny whose work another allowed call does there (C(fork) while C(clone) is allowed on arm64).
  - For O(targets=bwrap) a classic-BPF program is written per native architecture, compiled by libseccomp
    with the binary-tree optimisation, ready for C(bwrap --seccomp FD).
  - Files are written only when their content or mode differs, atomically, root-owned C(0644). A failure
    while writing puts every file of the profile back as it was.
  - The target half needs only the Python standard library and libseccomp (the official C(seccomp)
    binding when it imports, else ctypes on C(libseccomp.so.2)).
author:
  - confine.hardening contributors (@confine)
options:
  name:
    description:
      - Profile name. Files are named after it (C(NAME.json), C(NAME.<arch>.bpf)).
      - Letters, digits, C(.), C(_) and C(-); it must start with a letter or digit.
      - Required unless O(profiles) is given.
    type: str
  profiles:
    description:
      - Many profiles in one task, each a mapping with the options of one profile (O(name), O(preset),
        O(syscalls), O(mode), O(targets), O(state), ...). Task-level options other than O(name) (for example
        O(docker_dir), O(targets), O(backup), O(mode)) are the default for every item.
      - Every profile is resolved and checked with libseccomp first; if any is invalid the task fails before
        anything changes. Then only the profiles that need a change are written.
      - The result lists one result per profile in RV(profiles).
    type: list
    elements: dict
  preset:
    description:
      - Start from a shipped preset. See C(docs/seccomp-presets.md) for what each blocks and what breaks.
      - V(runtime-default) is the default profile of the runtime that loads it, at its version (see
        O(runtime_default)), for a container with that runtime's default capabilities, resolved for the target's
        architecture and kernel.
      - V(hardened) allows by default and denies container-escape and kernel-exploitation surfaces
        (ptrace, keyrings, bpf, mount, namespaces, clone with namespace flags, modules, kexec, io_uring, ...).
      - V(no-exec) is V(hardened) plus C(execve) and C(execveat) denied.
      - V(allowlist) denies everything (EPERM) and allows exactly the rules in O(syscalls).
      - Mutually exclusive with O(base).
    type: str
    choices: [runtime-default, hardened, no-exec, allowlist]
  preset_options:
    description: Options of the V(hardened) and V(no-exec) presets.
    type: dict
    suboptions:
      deny_processes:
        description:
          - V(hardened) and V(no-exec). No new processes, threads kept - C(fork) and C(vfork) are denied (EPERM),
            and C(clone) unless its flags carry C(CLONE_THREAD); C(clone3) answers ENOSYS, so libc falls back to
            C(clone). Programs that start workers or children (C(multiprocessing), nginx, a shell) break; thread
            pools keep working.
        type: bool
        default: false
      deny_fork:
        description:
          - V(no-exec) only. Deny C(fork), C(vfork), C(clone) and C(clone3) whole - B(threads break too), and with
            them most runtimes (Go, the JVM, Node.js). For single-threaded, single-process programs; prefer
            O(preset_options.deny_processes).
        type: bool
        default: false
      deny_personality:
        description: Also deny C(uselib) and C(personality).
        type: bool
        default: false
  base:
    description:
      - A spec to extend, with the same keys as this module's spec options (O(preset), O(syscalls), O(remove),
        O(default_action), ...). Its rules come first; this task's O(remove) and O(syscalls) apply on top.
      - Mutually exclusive with O(preset).
    type: dict
  syscalls:
    description:
      - Rules added after the preset or base. A rule without O(syscalls[].args) replaces every earlier rule for
        its names, so the user's word wins.
    type: list
    elements: dict
    default: []
    suboptions:
      names:
        description: Syscall names.
        type: list
        elements: str
        required: true
      action:
        description:
          - What the kernel does on a match. An action the running kernel does not list in
            C(/proc/sys/kernel/seccomp/actions_avail) fails the task.
          - V(SCMP_ACT_NOTIFY) needs a listener (C(listenerPath)), which only a O(template) can render; in a spec it
            fails the task unless O(mode=log), which turns it into V(SCMP_ACT_LOG).
          - A rule with O(syscalls[].args) whose action equals the default action fails the task (it has no effect).
        type: str
        default: SCMP_ACT_ERRNO
        choices: [SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD,
                  SCMP_ACT_LOG, SCMP_ACT_NOTIFY, SCMP_ACT_TRACE, SCMP_ACT_TRAP]
      errno:
        description:
          - Errno returned for V(SCMP_ACT_ERRNO) (and the trace value for V(SCMP_ACT_TRACE)), as a number
            (1-4094; libseccomp, which runc and crun use, refuses 4095 and more) or a name such as V(EPERM) or
            V(ENOSYS). Defaults to O(default_errno), else V(EPERM).
        type: raw
      args:
        description: Argument conditions, all of which must hold (ANDed).
        type: list
        elements: dict
        suboptions:
          index:
            description: Argument index, 0-5.
            type: int
            required: true
          value:
            description: Value to compare with (for V(SCMP_CMP_MASKED_EQ), the mask). Integer or C(0x) string.
            type: raw
            default: 0
          value_two:
            description: Second value (for V(SCMP_CMP_MASKED_EQ), what the masked argument must equal).
            type: raw
            default: 0
          op:
            description: Comparison.
            type: str
            required: true
            choices: [SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ]
  remove:
    description: Syscall names dropped from every rule of the preset or base (a name no rule has is an error).
    type: list
    elements: str
    default: []
  default_action:
    description: Action for syscalls no rule matches. Defaults to the preset's.
    type: str
    choices: [SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD,
              SCMP_ACT_LOG, SCMP_ACT_TRACE, SCMP_ACT_TRAP]
  default_errno:
    description: Errno for O(default_action=SCMP_ACT_ERRNO) (number or name). Defaults to V(EPERM).
    type: raw
  architectures:
    description:
      - SCMP architecture names (V(SCMP_ARCH_X86_64)) or machine names (V(x86_64)).
      - Default, the target's native architecture plus its compat architectures (x86_64 with x86 and x32,
        aarch64 with arm, s390x with s390).
      - The list is put in canonical order (each native architecture, then its compat ones) and duplicates are
        dropped, so V([x86, x86_64]) and V([x86_64, x86]) give the same profile and the same programs.
    type: list
    elements: str
  mode:
    description:
      - V(enforce) loads the rules as written.
      - V(log) turns every denying action, the default action included, into V(SCMP_ACT_LOG), so the workload
        runs unhindered and the kernel logs (audit type 1326) each call V(enforce) would block.
    type: str
    choices: [enforce, log]
    default: enforce
  targets:
    description: Runtimes to install for.
    type: list
    elements: str
    choices: [docker, kubelet, containerd, bwrap, podman]
    default: [docker]
  runtime_default:
    description:
      - Which runtime's default V(runtime-default) follows (only read when the profile starts from that preset,
        directly or through O(base)). C(docs/seccomp-presets.md) lists what differs between them.
      - V(auto) follows the runtime of the first of O(targets) that a runtime loads (V(docker) -> Docker,
        V(containerd) and V(kubelet) -> containerd, V(podman) -> podman; V(bwrap) is skipped), at the version the
        target runs (C(confine.hardening.hardening_facts) facts when gathered, else read on the target). A version
        is compared at patch level (major, minor, patch) and follows the name whose first release is the nearest
        at or before it (containerd 1.7.24 -> V(containerd-1.7.13), 1.7.33 -> V(containerd-1.7.32), Docker 26.1.5 ->
        V(docker-26)); a version past the last release read for that name, or older than all (the oldest), is
        said in the C(note) of RV(runtime_default_source). With no such target, or that runtime not installed, it
        follows V(docker-20.10) (the behaviour before runtime defaults were versioned).
      - A name without a patch level stands for the first release of its series up to the next name; a name with
        one for the patch release where a backport changed the default. V(docker-20.10) keeps its name (the
        fallback, Debian 12's docker.io) for 20.10.23-20.10.25, read at moby v20.10.24; V(docker-20.10.0)
        (20.10.0-20.10.3, v20.10.3), V(docker-20.10.4) (20.10.4-20.10.9, v20.10.9), V(docker-20.10.10)
        (20.10.10-20.10.17, v20.10.17), V(docker-20.10.18) (20.10.18-20.10.21, v20.10.21), V(docker-20.10.22)
        (20.10.22), V(docker-20.10.26) (20.10.26-27, v20.10.27), V(docker-23) (23.0.0-23.0.6, v23.0.6),
        V(docker-23.0.7) (23.0.7-23.0.9, v23.0.9), V(docker-23.0.10) (23.0.10-23.0.18, v23.0.18), V(docker-24)
        (24.0.0-24.0.2, v24.0.2), V(docker-24.0.3) (24.0.3-24.0.9, v24.0.9), V(docker-25) (25.0.0-25.0.2,
        v25.0.2), V(docker-25.0.3) (25.0.3-25.0.17, v25.0.17), V(docker-26) (26.0.0-26.1.5, v26.1.5),
        V(docker-27) (27.0.0-27.5.1, v27.5.1), V(docker-28) (28.0.0-28.1.1, v28.1.1), V(docker-28.2)
        (28.2.0-28.5.2, v28.5.2), V(docker-29) (29.0.0-29.4.1, docker-v29.4.1), V(docker-29.4.2) (docker-v29.4.2),
        V(docker-29.4.3) (29.4.3-29.7.2, docker-v29.7.2); V(containerd-1.6) (1.6.0-1.6.6, v1.6.6),
        V(containerd-1.6.7) (1.6.7-1.6.8, v1.6.8), V(containerd-1.6.9) (1.6.9-1.6.15, v1.6.15),
        V(containerd-1.6.16) (1.6.16-1.6.21, v1.6.20), V(containerd-1.6.22) (1.6.22-1.6.27, v1.6.27),
        V(containerd-1.6.28) (1.6.28-1.6.39, v1.6.39), V(containerd-1.7) (1.7.0-1.7.2, v1.7.2),
        V(containerd-1.7.3) (1.7.3-1.7.12, v1.7.12), V(containerd-1.7.13) (1.7.13-1.7.31, v1.7.24),
        V(containerd-1.7.32) (1.7.32-1.7.34, v1.7.34), V(containerd-2.0) (2.0.0-2.0.8, v2.0.8), V(containerd-2.0.9)
        (2.0.9-2.0.11, v2.0.11), V(containerd-2.1) (v2.1.9), V(containerd-2.2) (2.2.0-2.2.3, v2.2.3),
        V(containerd-2.2.4) (2.2.4-2.2.7, v2.2.7), V(containerd-2.3) (2.3.0), V(containerd-2.3.1) (2.3.1-2.3.4,
        v2.3.4); V(podman-5) (containers/common v0.62.3, podman 5.4). Each is the runtime's default at that
        upstream tag.
    type: str
    choices: [auto, docker-20.10, docker-20.10.0, docker-20.10.4, docker-20.10.10, docker-20.10.18, docker-20.10.22,
              docker-20.10.26, docker-23, docker-23.0.7, docker-23.0.10, docker-24, docker-24.0.3, docker-25,
              docker-25.0.3, docker-26, docker-27, docker-28, docker-28.2, docker-29, docker-29.4.2, docker-29.4.3,
              containerd-1.6, containerd-1.6.7, containerd-1.6.9, containerd-1.6.16, containerd-1.6.22,
              containerd-1.6.28, containerd-1.7, containerd-1.7.3, containerd-1.7.13, containerd-1.7.32,
              containerd-2.0, containerd-2.0.9, containerd-2.1, containerd-2.2, containerd-2.2.4, containerd-2.3,
              containerd-2.3.1, podman-5]
    default: auto
  docker_dir:
    description: Directory for Docker profiles (C(--security-opt seccomp=DIR/NAME.json)).
    type: path
    default: /etc/docker/seccomp
  kubelet_root:
    description: The kubelet's root directory; the profile goes to C(KUBELET_ROOT/seccomp/profiles/NAME.json).
    type: path
    default: /var/lib/kubelet
  containerd_dir:
    description: Directory for containerd profiles (C(ctr run --seccomp-profile DIR/NAME.json)).
    type: path
    default: /etc/containerd/seccomp
  bwrap_dir:
    description: Directory for the compiled BPF programs (C(DIR/NAME.<arch>.bpf)).
    type: path
    default: /etc/confine/seccomp
  podman_dir:
    description: Directory for podman profiles (C(podman run --security-opt seccomp=DIR/NAME.json)).
    type: path
    default: /etc/containers/seccomp
  state_dir:
    description:
      - Where the module records which files each profile installed, so O(state=absent) and a change of
        O(targets) remove exactly those files.
      - The record is untrusted input. Only the paths this module installs for the profile, in the directories
        of this task (O(docker_dir), O(kubelet_root), O(containerd_dir), O(bwrap_dir), O(podman_dir)), are ever removed, and only
        while they hold what the record's sha256 says; anything else the record lists is left alone with a warning.
      - Must not be, lie inside or contain a directory where a runtime reads profiles.
    type: path
    default: /var/lib/confine/seccomp
  state:
    description:
      - V(absent) removes every file the profile installed, whatever the current O(targets).
      - A file changed since it was installed (edited by hand) is kept, with a warning, and listed in RV(kept);
        so is a file at a target's path when there is no record of the profile.
    type: str
    choices: [present, absent]
    default: present
  backup:
    description: Keep a time-stamped copy (C(FILE.<time>~)) of every file replaced or removed.
    type: bool
    default: false
  owner:
    description: Who owns the profile (team or person); recorded and returned. One line, at most 1024 characters.
    type: str
  source:
    description: Where the profile comes from (repository, ticket); recorded and returned. One line, at most 1024
      characters.
    type: str
  template:
    description:
      - A Jinja template on the controller (searched like M(ansible.builtin.template) sources) that renders the
        profile JSON. It sees the task's variables plus C(profile) (the resolved OCI mapping), C(spec) (the
        merged spec) and C(seccomp) (preset, mode). The result must be plain OCI JSON; it is canonicalised.
      - Default, the collection's C(templates/seccomp/oci.json.j2).
    type: path
  content:
    description:
      - The rendered profile JSON. Set by the action plugin from the template; not meant to be set by hand.
        When it is missing, the module builds the profile from the spec itself.
    type: str
extends_documentation_fragment:
  - confine.hardening.attributes
  - confine.hardening.attributes.action
notes:
  - Docker reads C(--security-opt seccomp=FILE) when a container is created; containerd's CRI reads the
    kubelet path when a pod's container is created. Running containers keep the filter they started with.
  - A V(no-exec) profile blocks the C(execve) with which runc and bwrap start the workload itself. Load its
    compiled program from inside the workload after start (see C(docs/seccomp-presets.md)).
requirements:
  - libseccomp 2.5 or later on the target (C(libseccomp2)); optionally its Python binding (C(python3-seccomp)).
seealso:
  - name: OCI runtime spec, seccomp
    description: The LinuxSeccomp format the profiles are written in.
    link: https://github.com/opencontainers/runtime-spec/blob/main/config-linux.md#seccomp
"""

EXAMPLES = r"""
- name: No new processes, threads kept (the seccomp half of the single-binary posture)
  confine.hardening.seccomp_profile:
    name: single-binary
    preset: hardened
    preset_options: {deny_processes: true}
    targets: [docker, containerd, kubelet]

- name: Hardened profile for Docker and the kubelet
  confine.hardening.seccomp_profile:
    name: web
    preset: hardened
    targets: [docker, kubelet]
    owner: platform-team
    source: https://git.example.com/platform/profiles

- name: Observe first - log what the profile would block
  confine.hardening.seccomp_profile:
    name: web
    preset: hardened
    mode: log
    targets: [docker]

- name: Allow ptrace again for a debugging image, deny chmod with EACCES
  confine.hardening.seccomp_profile:
    name: debug
    preset: hardened
    remove: [ptrace]
    syscalls:
      - names: [chmod, fchmod, fchmodat]
        action: SCMP_ACT_ERRNO
        errno: EACCES

- name: Deny-by-default allowlist, compiled for bwrap too
  confine.hardening.seccomp_profile:
    name: tiny
    preset: allowlist
    targets: [bwrap, containerd]
    syscalls:
      - names: [read, write, exit_group, rt_sigreturn, brk, mmap, munmap, execve, arch_prctl]
        action: SCMP_ACT_ALLOW

- name: Only AF_UNIX sockets
  confine.hardening.seccomp_profile:
    name: unix-only
    preset: hardened
    syscalls:
      - names: [socket]
        action: SCMP_ACT_ERRNO
        args:
          - {index: 0, value: 1, op: SCMP_CMP_NE}

- name: Remove the profile everywhere it was installed
  confine.hardening.seccomp_profile:
    name: web
    state: absent

- name: Many profiles in one call (all are checked before any file is written)
  confine.hardening.seccomp_profile:
    targets: [docker, kubelet]
    profiles:
      - {name: web, preset: hardened}
      - {name: web-observe, preset: hardened, mode: log}
"""

RETURN = r"""
profiles:
  description: With O(profiles), one result per profile, each with the keys below.
  returned: when O(profiles) is given
  type: list
  elements: dict
  sample: [{name: web, mode: enforce, changed: false, paths: [/etc/docker/seccomp/web.json]}]
name:
  description: The profile name.
  returned: always
  type: str
  sample: web
state:
  description: The requested state.
  returned: always
  type: str
  sample: present
mode:
  description: The profile mode.
  returned: when O(state=present)
  type: str
  sample: enforce
preset:
  description: The preset the profile starts from, if any.
  returned: when O(state=present)
  type: str
  sample: hardened
files:
  description: Every file the profile has installed, with its target and sha256.
  returned: always
  type: list
  elements: dict
  sample:
    - {path: /etc/docker/seccomp/web.json, target: docker, sha256: 3f1c...}
    - {path: /etc/confine/seccomp/web.x86_64.bpf, target: bwrap, sha256: 9ab0..., architectures: [SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32]}
paths:
  description: The installed paths (or, for O(state=absent), the removed ones).
  returned: always
  type: list
  elements: str
  sample: [/etc/docker/seccomp/web.json]
sha256:
  description: sha256 of each installed file, by path.
  returned: when O(state=present)
  type: dict
  sample: {/etc/docker/seccomp/web.json: 3f1c...}
architectures:
  description: The architectures the profile covers.
  returned: when O(state=present)
  type: list
  elements: str
  sample: [SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32]
syscall_count:
  description: Number of distinct syscall names the profile's rules name.
  returned: when O(state=present)
  type: int
  sample: 68
missing_on_arch:
  description: Names the profile's rules use that do not exist on some declared architectures (skipped there).
  returned: when O(state=present)
  type: dict
  sample: {SCMP_ARCH_X86_64: [vm86, vm86old]}
kept:
  description:
    - Files the profile installed that were left in place because they changed since (edited by hand), are not
      regular files, or (O(state=absent) without a record) are not known to be this module's. Each has a warning.
  returned: always
  type: list
  elements: str
  sample: [/etc/docker/seccomp/web.json]
backup_files:
  description: Backups made by O(backup=true) (unique names; an existing file is never overwritten).
  returned: always
  type: list
  elements: str
  sample: [/etc/docker/seccomp/web.json.2026-11-23@12:00:00~]
created:
  description: Files this task made that did not exist before (an undo removes them).
  returned: always
  type: list
  elements: str
  sample: [/etc/docker/seccomp/web.json]
replaced:
  description: Files this task replaced or removed (an undo puts their O(backup) copies back).
  returned: always
  type: list
  elements: str
  sample: [/var/lib/confine/seccomp/web.json]
runtime_default:
  description: The runtime default V(runtime-default) followed (see O(runtime_default)); null for other presets.
  returned: when O(state=present)
  type: str
  sample: docker-26
runtime_default_source:
  description:
    - How RV(runtime_default) was chosen, as read on the target; also in the record in O(state_dir).
    - C(runtime) and C(version) (detected, null when not installed), C(how) (V(auto), V(pinned) or V(fallback)),
      C(note) (an unlisted version mapped to the nearest earlier one, or why the fallback; else null).
  returned: when O(state=present) and the profile starts from V(runtime-default)
  type: dict
  sample: {runtime: docker, version: 26.1.5+dfsg1, how: auto, note: null}
libseccomp:
  description: The libseccomp backend used on the target.
  returned: when O(state=present)
  type: dict
  sample: {backend: binding, version: 2.5.4}
owner:
  description: O(owner) as given.
  returned: always
  type: str
source:
  description: O(source) as given.
  returned: always
  type: str
profile:
  description:
    - The installed profile (plain OCI JSON) as a mapping, each rule as the spec or template wrote it.
    - The file for runc and crun writes each unconditional denial of a profile with argument rules as rules for
      the values of the first argument that between them match every call, so that libseccomp lays the argument
      rules out first (the same decisions; see docs/seccomp.md); bwrap's programs are compiled from this mapping.
  returned: when O(state=present)
  type: dict
"""

import json
import os
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.confine.hardening.plugins.module_utils import _batch as batch
from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils import _jsonio as jsonio
from ansible_collections.confine.hardening.plugins.module_utils import _libseccomp as libseccomp
from ansible_collections.confine.hardening.plugins.module_utils import _runtime_versions as runtime_versions
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_args as seccomp_args
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_oci as oci
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_presets as presets
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_spec as spec_mod
from ansible_collections.confine.hardening.plugins.module_utils._common import ModuleError, diff_entry, json_bytes, run_module


def argument_spec():
    """The module's options: the one spec in _seccomp_args, shared with the action plugin."""
    return seccomp_args.argument_spec()


def user_name_fields(spec, prefix=''):
    """{syscall name: first spec field naming it} for every name the user wrote."""
    fields = {}
    if isinstance(spec.get('base'), dict):
        fields.update(user_name_fields(spec['base'], prefix + 'base.'))
    for i, rule in enumerate(spec.get('syscalls') or []):
        names = rule.get('names') or []
        for j, name in enumerate(names if isinstance(names, list) else [names]):
            fields.setdefault(name, '%ssyscalls[%d].names[%d]' % (prefix, i, j))
    return fields


def target_paths(params, name):
    """{target: path} for the JSON targets."""
    return {
        'docker': os.path.join(params['docker_dir'], name + '.json'),
        'kubelet': os.path.join(kubelet_dir(params), name + '.json'),
        'containerd': os.path.join(params['containerd_dir'], name + '.json'),
        'podman': os.path.join(params['podman_dir'], name + '.json'),
    }


def kubelet_dir(params):
    return os.path.join(params['kubelet_root'], 'seccomp', 'profiles')


def managed_dirs(params):
    """(option, directory) of every directory this module installs profiles into."""
    return [('docker_dir', params['docker_dir']), ('kubelet_root', kubelet_dir(params)),
            ('containerd_dir', params['containerd_dir']), ('bwrap_dir', params['bwrap_dir']),
            ('podman_dir', params['podman_dir'])]


def manifest_path(params, name):
    return os.path.join(params['state_dir'], name + '.json')


ProfileError = ModuleError      # the collection's one module error (the name the tests know)


def _overlap(a, b):
    a, b = os.path.realpath(a), os.path.realpath(b)
    return a == b or a.startswith(b.rstrip('/') + '/') or b.startswith(a.rstrip('/') + '/')


def check_state_dir(params):
    """issue 11 item 9: the record must never land where a runtime reads profiles."""
    state_dir = params['state_dir']
    for option, directory in managed_dirs(params) + [('kubelet_root', os.path.join(params['kubelet_root'], 'seccomp'))]:
        if _overlap(state_dir, directory):
            raise ProfileError('state_dir: %r overlaps %s (%r), where a runtime reads profiles, so the record '
                               'state_dir/NAME.json would replace or sit beside an installed profile; give state_dir '
                               'a directory of its own' % (state_dir, option, directory))


def owned_paths(params, name):
    """Every path this module could have installed for profile ``name`` (the record may list no other)."""
    paths = set(target_paths(params, name).values())
    for arch in spec_mod.ARCHES:
        paths.add(os.path.join(params['bwrap_dir'], '%s.%s.bpf' % (name, libseccomp.lib_arch_name(arch))))
    return paths


SHA256_RE = re.compile(r'^[0-9a-f]{64}\Z')


def read_record(params, name, warn):
    """{path: sha256} of the files the record in state_dir says the profile installed.

    The record is untrusted input (issue 11 item 7): a record that is not the shape this
    module writes is ignored with a warning, and so is each entry whose path is not one
    this module installs for this profile in the directories of this task, or whose hash
    is not a sha256.  Nothing a record lists outside those is ever removed."""
    mpath = manifest_path(params, name)
    try:
        record = jsonio.read_object(mpath)
    except fileio.NotRegularFile as exc:
        raise ProfileError('state_dir: the record %s; remove it' % exc.strerror)
    except ValueError as exc:
        warn('state_dir: the record %s; it is ignored (no file it lists is removed) and will be rewritten' % exc)
        return {}
    if record is None:
        return None
    if 'name' in record and record['name'] != name:
        warn('state_dir: the record %s names the profile %r, not %r; it is ignored (no file it lists is removed) '
             'and will be rewritten' % (mpath, record['name'], name))
        return {}
    files = record.get('files') or {}
    if not isinstance(files, dict):
        warn('state_dir: the record %s has files as a %s, not a mapping of path to sha256; it is ignored (no file '
             'it lists is removed) and will be rewritten' % (mpath, type(files).__name__))
        return {}
    roots = [d for _o, d in managed_dirs(params)]
    allowed = owned_paths(params, name)
    out = {}
    for path, digest in sorted(files.items()):
        field = 'state_dir: record %s, files[%r]' % (mpath, path)
        try:
            fileio.guard(path, roots, field)
        except fileio.UnsafePath as exc:
            warn('%s; it is not touched' % exc)
            continue
        if path not in allowed:
            warn('%s: is not a file this module installs for profile %r; it is not touched' % (field, name))
            continue
        if not isinstance(digest, str) or not SHA256_RE.match(digest):
            warn('%s: %r is not a sha256; the file is not touched' % (field, digest))
            continue
        out[path] = digest
    return out


def removable(path, roots, digest, field):
    """(True, None) when ``path`` may go: inside ``roots``, a regular file, still holding what
    was written (``digest``); else (False, why it is kept).  The checks of
    _fileio.remove_owned, without the unlink: the FileSet removes it, undoably."""
    try:
        fileio.guard(path, roots, field)
    except fileio.UnsafePath as exc:
        return False, '%s; it was kept' % exc
    if not os.path.lexists(path):
        return False, None
    if os.path.islink(path):
        return False, '%s is a symlink, which this module never writes; it was kept' % path
    try:
        data = fileio.read_bytes(path)
    except fileio.NotRegularFile as exc:
        return False, '%s; it was kept' % exc.strerror
    if data is None:
        return False, '%s cannot be read; it was kept' % path
    if digest is None or fileio.sha256(data) != digest:
        return False, ('%s was changed since this module wrote it (its sha256 is not the recorded one); it was kept '
                       '(remove it by hand if it should go)' % path)
    return True, None


# SCMP_ACT_* -> the kernel's name in /proc/sys/kernel/seccomp/actions_avail
KERNEL_ACTION = {
    'SCMP_ACT_KILL': 'kill_thread', 'SCMP_ACT_KILL_THREAD': 'kill_thread', 'SCMP_ACT_KILL_PROCESS': 'kill_process',
    'SCMP_ACT_TRAP': 'trap', 'SCMP_ACT_ERRNO': 'errno', 'SCMP_ACT_NOTIFY': 'user_notif',
    'SCMP_ACT_TRACE': 'trace', 'SCMP_ACT_LOG': 'log', 'SCMP_ACT_ALLOW': 'allow',
}
ACTIONS_AVAIL = '/proc/sys/kernel/seccomp/actions_avail'


def check_kernel_actions(profile, warn):
    """Refuse an action the running kernel does not offer (the module runs on the target)."""
    try:
        text = fileio.read_text(ACTIONS_AVAIL)
    except fileio.NotRegularFile:
        text = None
    if text is None:
        warn('%s cannot be read, so the actions were not checked against this kernel' % ACTIONS_AVAIL)
        return
    avail = set(text.split())
    used = [('default_action', profile['defaultAction'])]
    used += [('profile.syscalls[%d].action' % i, e['action']) for i, e in enumerate(profile.get('syscalls', []))]
    for field, action in used:
        if KERNEL_ACTION[action] not in avail:
            raise ProfileError('%s: %s is not supported by this host\'s kernel (%s lists: %s)'
                               % (field, action, ACTIONS_AVAIL, ' '.join(sorted(avail))))


def check_with_libseccomp(backend, profile, user_fields, preset_names, targets=('bwrap',)):
    """Resolve every name on every declared arch; compile each BPF program.

    Preset names that exist on none of the declared arches (Docker's list spans
    every architecture) are dropped from the profile; so are the user's names that are
    calls only on other architectures (with a warning); a name that is a call on no
    architecture libseccomp knows fails.
    Returns (profile, missing_on_arch, warnings, programs) where programs is a list
    of (family arches, bytes).  Raises ProfileError naming the field.
    """
    arches = profile['architectures']
    for i, arch in enumerate(arches):
        if not backend.arch_known(arch):
            raise ProfileError('architectures[%d]: %s is not supported by this host\'s libseccomp' % (i, arch))
    missing = {}
    foreign = set()
    elsewhere = {}
    for name in oci.profile_names(profile):
        absent = [a for a in arches if backend.resolve(a, name) < 0]
        if len(absent) == len(arches):
            if name in preset_names and name not in user_fields:
                foreign.add(name)
                continue
            field = user_fields.get(name, 'template')
            # a call of other architectures only (arch_prctl, iopl on arm64): one spec serves
            # a fleet of several, so it is skipped here with a warning; a name that is a call
            # nowhere is a mistake
            on = [a for a in spec_mod.ARCHES if backend.arch_known(a) and backend.resolve(a, name) >= 0]
            if not on:
                raise ProfileError('%s: %r is not a syscall on any declared architecture (%s), nor on any other '
                                   'architecture this host\'s libseccomp knows' % (field, name, ', '.join(arches)))
            foreign.add(name)
            elsewhere[name] = (field, on)
            for arch in absent:
                missing.setdefault(arch, []).append(name)
            continue
        for arch in absent:
            missing.setdefault(arch, []).append(name)
    written = profile     # as written: a deny the next line leaves out is still a deny
    if foreign:
        profile = oci.drop_profile_names(profile, foreign)
    warnings = []
    for name in sorted(elsewhere):
        field, on = elsewhere[name]
        warnings.append('%s: %r is not a call on any declared architecture (%s), only on %s; the rule is left out '
                        'of this profile' % (field, name, ', '.join(arches), ', '.join(on)))
    for arch in sorted(missing):
        mine = sorted(n for n in missing[arch] if n in user_fields and n not in elsewhere)
        if mine:
            warnings.append('%s: %s not on %s; the rule is skipped there' % (
                ', '.join(user_fields[n] for n in mine), ', '.join(repr(n) for n in mine), arch))
        for name in sorted(n for n in missing[arch] if n in user_fields):
            lost = oci.lost_deny(backend, written, arch, name, user_fields[name])
            if lost:
                warnings.append(lost)
    return profile, missing, warnings, compile_programs(backend, profile, targets)


def compile_programs(backend, profile, targets):
    """[(family arches, BPF bytes)] per native family; ProfileError when a consumer's kernel
    would refuse the filter (over BPF_MAXINSNS)."""
    arches = profile['architectures']
    programs = []
    rules = oci.profile_rules(profile)
    default_errno = profile.get('defaultErrnoRet')
    if profile['defaultAction'] == 'SCMP_ACT_ERRNO' and default_errno is None:
        default_errno = spec_mod.EPERM
    for family in oci.bpf_groups(arches):
        try:
            data = backend.compile_bpf(profile['defaultAction'], default_errno, family, rules)
        except libseccomp.LibseccompError as exc:
            raise ProfileError('syscalls: %s' % exc)
        if 'bwrap' in targets and len(data) // 8 > libseccomp.BPF_MAXINSNS:
            raise ProfileError('syscalls: the bwrap program for %s is %d BPF instructions; the kernel loads at most '
                               '%d (BPF_MAXINSNS): use fewer argument rules or split the profile'
                               % (', '.join(family), len(data) // 8, libseccomp.BPF_MAXINSNS))
        programs.append((family, data))
    return programs


def runc_text(backend, profile, targets):
    """The JSON text written for runc and crun (Docker, containerd, the kubelet, podman): laid out
    by _seccomp_layout, or as plain as written when only the layout would take the filter runc
    builds over BPF_MAXINSNS; ProfileError when even that is over."""
    laid = oci.canonical_json(profile)
    if all(t == 'bwrap' for t in targets):
        return laid
    default_errno = profile.get('defaultErrnoRet')
    if profile['defaultAction'] == 'SCMP_ACT_ERRNO' and default_errno is None:
        default_errno = spec_mod.EPERM
    arches = profile['architectures']
    length = None
    # issue 11 item 18: runc compiles ONE filter for the host's native arch and every listed
    # one, with libseccomp's default optimisation.
    for text in (laid, oci.canonical_json(profile, laid_out=False)):
        try:
            length = backend.consumer_length(profile['defaultAction'], default_errno, arches,
                                             oci.profile_rules(json.loads(text)))
        except libseccomp.LibseccompError as exc:
            raise ProfileError('syscalls: %s' % exc)
        if length <= libseccomp.BPF_MAXINSNS:
            return text
    raise ProfileError('syscalls: the filter runc builds from this profile (one program for %s and the '
                       'host\'s native architecture) is %d BPF instructions; the kernel loads at most %d '
                       '(BPF_MAXINSNS): use fewer argument rules or fewer architectures'
                       % (', '.join(arches), length, libseccomp.BPF_MAXINSNS))


def host_facts(module, spec):
    """The target's machine and kernel; for runtime-default also what _seccomp_defaults.choose reads
    (the runtimes' versions read here only when runtime_default is auto)."""
    uname = os.uname()
    host = {'machine': uname[4], 'kernel': uname[2]}
    if presets.spec_preset(spec) == 'runtime-default':
        params = module.params
        host.update(runtime_default=params['runtime_default'], targets=params['targets'],
                    runtimes=runtime_versions.versions(module.get_bin_path, module.run_command))
    return host


def desired_files(params, name, text, programs):
    """[(target, path, bytes, extra)]"""
    out = []
    paths = target_paths(params, name)
    for target in params['targets']:
        if target == 'bwrap':
            for family, data in programs:
                path = os.path.join(params['bwrap_dir'], '%s.%s.bpf' % (name, libseccomp.lib_arch_name(family[0])))
                out.append((target, path, data, {'architectures': family}))
        else:
            out.append((target, paths[target], text.encode('utf-8'), {}))
    return out


def file_diff(path, before, after):
    """The diff of one file; a BPF program is shown by its size and sha256."""
    def show(data):
        if data is not None and path.endswith('.bpf'):
            return '<classic BPF, %d bytes, sha256 %s>\n' % (len(data), fileio.sha256(data))
        return data
    return diff_entry(path, show(before), show(after))


class Plan(object):
    """One profile's change: the files wanted and dropped (a FileSet), their diffs, the kept ones."""

    def __init__(self, module):
        self.module = module
        self.params = params = module.params
        self.name = params['name']
        self.mpath = manifest_path(params, self.name)
        self.recorded = read_record(params, self.name, module.warn)
        self.roots = [d for _o, d in managed_dirs(params)]
        self.fs = fileio.FileSet()
        self.diffs = []
        self.kept = []

    def drop_recorded(self, keep=()):
        """Drop the recorded files not in ``keep`` that still hold what was written; warn for the rest."""
        for path in sorted(self.recorded or {}):
            if path in keep:
                continue
            ok, why = removable(path, self.roots, self.recorded[path], 'state_dir: record %s' % self.mpath)
            if ok:
                self.fs.drop(path)
            elif why:
                self.kept.append(path)
                self.module.warn(why)

    def absent(self, result):
        """Plan the removal of every file the profile installed; the steps."""
        params, name = self.params, self.name
        if self.recorded is None:
            # No record: nothing says the files at the targets' paths are this module's.
            for target in params['targets']:
                path = target_paths(params, name).get(target)
                if path and os.path.lexists(path):
                    self.kept.append(path)
                    self.module.warn('%s: there is no record of profile %r in state_dir (%s), so the file is not '
                                     'known to be this module\'s; it was kept (remove it by hand if it should go)'
                                     % (path, name, self.mpath))
        self.drop_recorded()
        if os.path.lexists(self.mpath):
            self.fs.drop(self.mpath)
        steps = self.fs.plan()
        result['paths'] = [p for _a, p in steps if p != self.mpath]
        self.diffs = [file_diff(path, fileio.read_bytes(path), None) for _action, path in steps]
        return steps

    def present(self, result):
        """Plan the profile's files and record; the steps."""
        params, name = self.params, self.name
        spec = seccomp_args.spec_from_params(params)
        profile, info = resolve(params, spec, host_facts(self.module, spec))
        choice = info.get('runtime_default')
        try:
            backend = libseccomp.load()
        except libseccomp.LibseccompError as exc:
            raise ProfileError(str(exc))
        check_kernel_actions(profile, self.module.warn)
        profile, missing, warnings, programs = check_with_libseccomp(
            backend, profile, user_name_fields(spec), presets.preset_names(spec, choice and choice['name']),
            params['targets'])
        for warning in warnings:
            self.module.warn(warning)
        files = desired_files(params, name, runc_text(backend, profile, params['targets']), programs)
        for _target, path, data, _extra in files:
            fileio.guard(path, self.roots, 'targets')
            self.fs.want(path, data)
        self.drop_recorded(keep=set(p for _t, p, _d, _e in files))      # files of targets no longer wanted
        steps = self.fs.plan()
        self.diffs = [file_diff(path, fileio.read_bytes(path), self.fs.wanted.get(path)) for _action, path in steps]
        sha256 = dict((path, fileio.sha256(data)) for _t, path, data, _e in files)
        manifest = {
            'name': name, 'kind': 'seccomp', 'preset': info.get('preset'), 'mode': info.get('mode'),
            'targets': params['targets'], 'owner': params['owner'], 'source': params['source'], 'files': sha256,
        }
        if choice:
            manifest.update(runtime_default=choice['name'], runtime_default_source=source_of(choice))
        manifest_bytes = json_bytes(manifest)
        if steps or fileio.read_bytes(self.mpath) != manifest_bytes:
            self.fs.want(self.mpath, manifest_bytes)
            steps = steps or [('write', self.mpath)]
        result.update(
            mode=info.get('mode'), preset=info.get('preset'), architectures=profile['architectures'],
            syscall_count=len(oci.profile_names(profile)), missing_on_arch=missing, profile=profile,
            libseccomp={'backend': backend.name, 'version': backend.version()},
            files=[dict(extra, path=path, target=target, sha256=fileio.sha256(data))
                   for target, path, data, extra in files],
            paths=[path for _t, path, _d, _e in files], sha256=sha256,
            runtime_default=choice and choice['name'],
        )
        if choice:
            result['runtime_default_source'] = source_of(choice)
        return steps

    def apply(self, steps, result):
        """Write (unless check mode) and fill in what the result says of the change."""
        module, fs = self.module, self.fs
        result['kept'] = self.kept
        result['changed'] = bool(steps)
        # what an undo needs (confine.hardening.hardening_restore): files made new, and files
        # replaced or removed (their backups are in backup_files)
        final = fs.plan() if steps else []
        result['created'] = [p for a, p in final if a == 'write' and not os.path.lexists(p)]
        result['replaced'] = [p for _a, p in final if os.path.lexists(p)]
        if module._diff and self.diffs:
            result['diff'] = self.diffs
        if steps and not module.check_mode:
            try:
                result['backup_files'] = fs.apply(backup=self.params['backup'])
            except fileio.IncompleteUndo as exc:
                # issue 11 item 12: never claim every file was put back when one was not
                raise ProfileError('writing the profile failed (%s) and the undo was incomplete: %s could not be put '
                                   'back; the backups made are beside them' % (
                                       exc.cause, ', '.join('%s (%s)' % pr for pr in exc.not_restored)),
                                   not_restored=[p for p, _r in exc.not_restored])
            except (IOError, OSError) as exc:
                raise ProfileError('writing the profile failed and every file was put back as it was: %s' % exc)
        return result


def source_of(choice):
    """How the runtime default was chosen (the result's and the record's runtime_default_source)."""
    if not choice:
        return None
    return dict((k, choice[k]) for k in ('runtime', 'version', 'how', 'note'))


def resolve(params, spec, host):
    """(profile, info): the rendered ``content`` checked as plain OCI, else the spec built here."""
    try:
        spec_mod.validate_spec(spec)
        if params.get('content') is not None:
            return oci.parse_rendered(params['content']), {
                'preset': spec.get('preset'), 'mode': params['mode'],
                'runtime_default': spec_mod.runtime_default_choice(spec, host)}
        return spec_mod.build_profile(spec, host)
    except spec_mod.SpecError as exc:
        raise ProfileError(str(exc))


def run(module):
    """One profile: plan, then (unless check mode) apply; the result."""
    params = module.params
    result = dict(changed=False, name=params['name'], state=params['state'], files=[], paths=[], backup_files=[],
                  owner=params['owner'], source=params['source'])
    try:
        spec_mod.check_name('name', params['name'])
        spec_mod.check_text('owner', params['owner'])
        spec_mod.check_text('source', params['source'])
    except spec_mod.SpecError as exc:
        raise ProfileError(str(exc))
    check_state_dir(params)
    plan = Plan(module)
    steps = plan.absent(result) if params['state'] == 'absent' else plan.present(result)
    return plan.apply(steps, result)


def work(module):
    if module.params['profiles'] is not None:
        return batch.run_batch(module, argument_spec(), run, ProfileError)
    return run(module)


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=seccomp_args.MUTUALLY_EXCLUSIVE,
        required_one_of=seccomp_args.REQUIRED_ONE_OF,
        supports_check_mode=True,
    )
    name = module.params['name']
    run_module(module, work, label='seccomp profile %r: ' % (name,) if name else 'seccomp profiles: ',
               extra={'name': name})


if __name__ == '__main__':
    main()
