#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: apparmor_profile
short_description: Render, validate, install and load an AppArmor profile, complain first
version_added: 0.1.0
description:
  - Builds an AppArmor profile from a O(preset) plus the user's rules, renders it with a Jinja template on the
    controller, checks it with the target's own C(apparmor_parser -QK), writes it to C(/etc/apparmor.d/NAME)
    and loads it with C(apparmor_parser -r) in the requested O(mode). The mode is then read back from the
    kernel (C(/sys/kernel/security/apparmor/profiles)); the task fails if the kernel does not show it.
  - O(mode=complain) is a true dry run. Every C(deny) rule is written as C(audit deny), and the kernel lets an
    audited denial through in complain mode and logs it C(apparmor="ALLOWED"), like any access no rule
    allows, and blocks it with C(apparmor="DENIED") in enforce mode. So a complain-mode profile blocks
    nothing, and switching to V(enforce) changes only the C(complain) flag.
  - A profile that fails to parse is neither installed nor loaded; the task fails with the parser's message
    and the offending line, and whatever was loaded before stays loaded.
  - The module never replaces a profile it did not install (its files start with a marker line). A file of
    the same name without the marker, another file in the profile directory that declares the same profile
    name, or a loaded profile of that name with no file of ours fails the task with the file's path and
    package, unless O(force=true).
  - C(changed) is reported only when the file, the C(disable/) link or the kernel's state really changes.
author:
  - confine.hardening contributors (@confine)
options:
  name:
    description:
      - Profile name, also the file name under O(apparmor_dir). Letters, digits, C(.), C(_) and C(-).
      - For a container profile this is the name given to C(docker run --security-opt apparmor=NAME),
        C(ctr run --apparmor-profile NAME) and the Kubernetes C(appArmorProfile.localhostProfile).
      - Required unless O(profiles) is given.
    type: str
  profiles:
    description:
      - Many profiles in one task, each a mapping with the options of one profile (O(name), O(preset), O(files),
        O(mode), O(state), ...). Task-level options other than O(name) (for example O(apparmor_dir), O(backup),
        O(force), O(mode)) are the default for every item.
      - Every profile is planned and parsed first; if any is invalid the task fails before anything changes.
        Then only the profiles that need a change are installed and loaded. An idempotent run is one pass that
        runs no parser at all.
      - The result lists one result per profile in RV(profiles).
    type: list
    elements: dict
  preset:
    description:
      - Start from a shipped preset; see C(docs/apparmor-presets.md) for what each denies and what breaks.
      - V(container-default) has the protections of Docker's C(docker-default) profile.
      - V(container-strict) adds denied raw and packet sockets, user namespaces (where the parser mediates
        them), ptrace, mount-related and kernel-tuning capabilities, and writes outside declared paths.
      - V(service) is a base for a host executable (set O(attach)).
    type: str
    choices: [container-default, container-strict, service]
  attach:
    description:
      - Executable path or glob the profile attaches to. None for container profiles.
      - Spaces, quotes and commas are allowed (the profile quotes them); a backslash escapes a glob character (C(\*) is a literal star).
    type: str
  abi:
    description:
      - The policy ABI the profile is compiled against (its C(abi <...>,) line), which decides what its rules mean.
      - Unset, the profile pins V(abi/3.0) (under AppArmor 4's V(abi/4.0) a bare C(network) rule no longer
        covers unix sockets), unless the spec asks for a rule kind only a newer ABI enforces (O(userns) needs
        V(abi/4.0)); then it gets the lowest ABI that has it, and a bare C(network) rule gets a C(unix) rule
        beside it so unix sockets stay allowed.
      - A value given here wins but is checked the same way; the target must have the ABI file
        (C(/etc/apparmor.d/abi/4.0) ships with AppArmor 4) and its kernel the features the rules need, or the
        task fails naming the field.
    type: str
  includes:
    description:
      - Includes, such as C(tunables/global) and C(abstractions/nameservice). C(tunables/*) go before the
        profile, the rest inside it.
    type: list
    elements: str
  files:
    description: File rules.
    type: list
    elements: dict
    suboptions:
      path:
        description:
          - Absolute path or AppArmor glob (C(*), C(**), C({a,b}), C(@{VAR})).
          - Spaces, quotes and commas are allowed (the profile quotes them); a backslash escapes a glob character (C(\*) is a literal star).
        type: str
        required: true
      perms:
        description: Any of C(r), C(w), C(a), C(k), C(l), C(m).
        type: str
      exec:
        description: An exec mode such as V(ix), V(px), V(cx) or V(ux).
        type: str
      owner:
        description: Only files owned by the process's fsuid.
        type: bool
      deny:
        description: A deny rule (written as C(audit deny); see the description).
        type: bool
      audit:
        description: Log every access the rule allows (C(apparmor="AUDIT")).
        type: bool
      quiet:
        description: A deny rule that logs nothing. Honoured in enforce mode only, as it would block in complain.
        type: bool
  exec:
    description: Exec rules.
    type: list
    elements: dict
    suboptions:
      path:
        description:
          - Executable path or glob.
          - Spaces, quotes and commas are allowed (the profile quotes them); a backslash escapes a glob character (C(\*) is a literal star).
        type: str
        required: true
      mode:
        description: Exec mode.
        type: str
        default: ix
      target:
        description: Profile to transition to (px and cx modes).
        type: str
      deny:
        description: Deny executing it.
        type: bool
      audit:
        description: Log each exec.
        type: bool
      quiet:
        description: Quiet deny (enforce mode only).
        type: bool
  capabilities:
    description: Capabilities to allow and to deny; C(*) means all.
    type: dict
    suboptions:
      allow:
        description: Capability names without C(CAP_), in lower case.
        type: list
        elements: str
      deny:
        description: Capability names to deny.
        type: list
        elements: str
  network:
    description: Network rules; an empty mapping allows all networking.
    type: list
    elements: dict
    suboptions:
      family:
        description: Address family such as V(inet), V(inet6), V(unix), V(netlink), V(packet).
        type: str
      type:
        description: Socket type such as V(stream), V(dgram), V(raw).
        type: str
      deny:
        description: Deny it.
        type: bool
      audit:
        description: Log it.
        type: bool
      quiet:
        description: Quiet deny (enforce mode only).
        type: bool
  signal:
    description: Signal rules.
    type: list
    elements: dict
    suboptions:
      access:
        description: V(send) and/or V(receive).
        type: list
        elements: str
      set:
        description: Signal names such as V(term), V(kill), V(hup).
        type: list
        elements: str
      peer:
        description: Peer profile name or glob.
        type: str
      deny:
        description: Deny it.
        type: bool
      audit:
        description: Log it.
        type: bool
      quiet:
        description: Quiet deny (enforce mode only).
        type: bool
  ptrace:
    description: Ptrace rules.
    type: list
    elements: dict
    suboptions:
      access:
        description: Any of V(trace), V(read), V(tracedby), V(readby).
        type: list
        elements: str
      peer:
        description: Peer profile name or glob.
        type: str
      deny:
        description: Deny it.
        type: bool
      audit:
        description: Log it.
        type: bool
      quiet:
        description: Quiet deny (enforce mode only).
        type: bool
  mount:
    description: Mount rules.
    type: list
    elements: dict
    suboptions:
      fstype:
        description: File system type.
        type: str
      options:
        description: Mount options such as V(ro), V(nosuid), V(bind).
        type: list
        elements: str
      source:
        description:
          - Source path or glob.
          - Spaces, quotes and commas are allowed (the profile quotes them); a backslash escapes a glob character (C(\*) is a literal star).
        type: str
      target:
        description:
          - Mount point path or glob.
          - Spaces, quotes and commas are allowed (the profile quotes them); a backslash escapes a glob character (C(\*) is a literal star).
        type: str
      deny:
        description: Deny it.
        type: bool
      audit:
        description: Log it.
        type: bool
      quiet:
        description: Quiet deny (enforce mode only).
        type: bool
  umount:
    description: Umount rules.
    type: list
    elements: dict
    suboptions:
      target:
        description:
          - Mount point path or glob.
          - Spaces, quotes and commas are allowed (the profile quotes them); a backslash escapes a glob character (C(\*) is a literal star).
        type: str
      deny:
        description: Deny it.
        type: bool
      audit:
        description: Log it.
        type: bool
      quiet:
        description: Quiet deny (enforce mode only).
        type: bool
  pivot_root:
    description: pivot_root rules.
    type: list
    elements: dict
    suboptions:
      new_root:
        description:
          - New root path.
          - Spaces, quotes and commas are allowed (the profile quotes them); a backslash escapes a glob character (C(\*) is a literal star).
        type: str
      put_old:
        description:
          - Where the old root goes.
          - Spaces, quotes and commas are allowed (the profile quotes them); a backslash escapes a glob character (C(\*) is a literal star).
        type: str
      deny:
        description: Deny it.
        type: bool
      audit:
        description: Log it.
        type: bool
      quiet:
        description: Quiet deny (enforce mode only).
        type: bool
  userns:
    description:
      - User-namespace creation rules (C(userns,)). They need V(abi/4.0) (see O(abi)), AppArmor 4 on the target
        and a kernel that mediates user namespaces (C(features/namespaces/mask) lists C(userns_create)); on any
        other target the task fails naming this field.
      - The V(container-strict) preset's own userns rule is left out of the file (with a comment and a
        warning) where it would not be enforced, that is under V(abi/3.0) or on AppArmor before 4.
    type: list
    elements: dict
    suboptions:
      deny:
        description: Deny creating user namespaces.
        type: bool
      audit:
        description: Log it.
        type: bool
      quiet:
        description: Quiet deny (enforce mode only).
        type: bool
  flags:
    description: Profile flags. The mode sets C(complain) itself.
    type: list
    elements: str
    choices: [attach_disconnected, mediate_deleted, chroot_relative, namespace_relative, no_attach_disconnected,
              unconfined, audit]
  extra_rules:
    description:
      - 'One rule per item, passed through as written: a comma only at its end (or inside double quotes or
        parentheses); no braces, comments (C(#)), backslashes outside double quotes, control characters, or
        C(include)/C(abi) lines.'
      - In complain mode a rule whose qualifiers include C(deny) but not C(audit) gets C(audit) in front, so it
        does not block.
    type: list
    elements: str
  confine_exec:
    description:
      - Exec confinement. The preset's own exec grants (the container presets' C(/** ix)) are left out, so the
        program the runtime starts under the profile (the entrypoint of C(docker run --security-opt
        apparmor=NAME), C(ctr run --apparmor-profile NAME), a pod's C(appArmorProfile)) runs, and every program it
        tries to start later is refused (EACCES, logged C(apparmor="DENIED") C(operation="exec")), except the
        paths you grant in O(exec) or O(files[].exec).
      - The runtime enters the profile on the entrypoint's own exec, and that exec is checked against the
        runtime's label, not this profile, so the container starts. Libraries still map (the presets grant C(m)).
      - Works with every preset; with V(service), which grants no exec of its own, it changes nothing but says
        what you mean. In O(mode=complain) the refused execs go through and are logged C(ALLOWED).
      - It removes the preset's grants only. O(extra_rules), your own O(includes) and the site-local
        C(local/NAME) include (O(local)) can grant exec again; C(/** m) still lets a program map a file it wrote
        executable.
    type: bool
    default: false
  local:
    description: Add C(include if exists <local/NAME>) for site-local additions.
    type: bool
    default: true
  mode:
    description:
      - V(complain) logs what the profile would block and blocks nothing; V(enforce) blocks.
      - V(disabled) keeps the file, unloads the profile and links it into C(disable/), so it stays unloaded
        across reboots.
    type: str
    choices: [complain, enforce, disabled]
    default: enforce
  state:
    description: V(absent) unloads the profile and removes its file, C(disable/) link and cache entries.
    type: str
    choices: [present, absent]
    default: present
  force:
    description: Replace (or remove) a profile of this name that this collection did not install.
    type: bool
    default: false
  backup:
    description:
      - Keep a time-stamped copy of the file replaced or removed in O(backup_dir). Each backup is a new file; two
        changes within the same second never share a name.
    type: bool
    default: false
  backup_dir:
    description:
      - Where backups go. It must lie outside O(apparmor_dir), so a backup is never loaded as a profile (the task
        fails otherwise).
    type: path
    default: /var/lib/confine/apparmor/backups
  owner:
    description: Who owns the profile (team or person); written in the file's header and returned.
    type: str
  source:
    description: Where the profile comes from (repository, ticket); written in the header and returned.
    type: str
  apparmor_dir:
    description: The profile directory.
    type: path
    default: /etc/apparmor.d
  template:
    description:
      - A Jinja template on the controller (searched like M(ansible.builtin.template) sources) that renders the
        profile. It sees the task's variables plus C(apparmor) (header, abi, tunables, name, attach, flags and
        rules, already validated) and C(spec). Keep the first header line, the marker.
      - The template file is trusted (it is the controller's); the variables it sees are not, so a C({{ }}) in a
        spec value or an inventory variable is written as text, never evaluated.
      - The rendered text must declare exactly one top-level profile, O(name) (checked with C(apparmor_parser -N)),
        and include nothing outside the policy directory; otherwise the task fails before anything changes.
      - Default, the collection's C(templates/apparmor/profile.j2).
    type: path
  content:
    description:
      - The rendered profile. Set by the action plugin from the template; not meant to be set by hand. When
        it is missing, the module renders the spec itself.
    type: str
extends_documentation_fragment:
  - confine.hardening.attributes
  - confine.hardening.attributes.action
notes:
  - A host without AppArmor (not built into the kernel, disabled at boot, securityfs not mounted, or no
    C(apparmor_parser)) fails with one message and C(apparmor_available=false) in the result; the
    C(host_hardening) role turns that into a skip when C(host_hardening_apparmor_missing=skip).
    O(state=absent) works there too, as there is nothing to unload.
  - Running processes keep the profile they started under until they exit; a replaced profile applies to
    them at once, a removed one leaves them confined by the stale copy.
  - In O(mode=complain), a site-local file C(local/NAME) with a plain C(deny) rule would still block; the
    task warns when it finds one.
requirements:
  - C(apparmor_parser) on the target (Debian package C(apparmor)), and AppArmor enabled in its kernel.
seealso:
  - name: AppArmor profile language
    description: The rule syntax the profiles are written in.
    link: https://gitlab.com/apparmor/apparmor/-/wikis/AppArmor_Core_Policy_Reference
"""

EXAMPLES = r"""
- name: The entrypoint runs, nothing it starts does (the AppArmor half of the single-binary posture)
  confine.hardening.apparmor_profile:
    name: single-binary
    preset: container-default
    confine_exec: true

- name: Observe first - a container profile in complain mode (blocks nothing, logs ALLOWED)
  confine.hardening.apparmor_profile:
    name: web-container
    preset: container-default
    mode: complain
    owner: platform-team
    source: https://git.example.com/platform/profiles

- name: Then enforce it (only the complain flag changes)
  confine.hardening.apparmor_profile:
    name: web-container
    preset: container-default
    mode: enforce

- name: A strict container profile with a writable data directory
  confine.hardening.apparmor_profile:
    name: worker
    preset: container-strict
    files:
      - {path: /data/**, perms: rw}
      - {path: /tmp/**, perms: rwk}

- name: A host service
  confine.hardening.apparmor_profile:
    name: web
    preset: service
    attach: /usr/local/bin/web
    files:
      - {path: /srv/www/**, perms: r}
      - {path: /var/log/web/*, perms: w, owner: true}
      - {path: /etc/shadow, perms: r, deny: true}
    network:
      - {family: inet, type: stream}
    capabilities:
      allow: [net_bind_service]

- name: Keep a profile on disk but unloaded, across reboots
  confine.hardening.apparmor_profile:
    name: legacy
    preset: service
    attach: /opt/legacy/bin/run
    mode: disabled

- name: Remove it
  confine.hardening.apparmor_profile:
    name: legacy
    state: absent

- name: Many profiles in one call (all are parsed before any is installed)
  confine.hardening.apparmor_profile:
    mode: complain
    owner: platform-team
    profiles:
      - {name: web-container, preset: container-default}
      - {name: worker, preset: container-strict, files: [{path: /data/**, perms: rw}], mode: enforce}
"""

RETURN = r"""
profiles:
  description: With O(profiles), one result per profile, each with the keys below.
  returned: when O(profiles) is given
  type: list
  elements: dict
  sample: [{name: web, mode: complain, kernel_mode: complain, changed: false}]
name:
  description: The profile name.
  returned: always
  type: str
  sample: web-container
state:
  description: The requested state.
  returned: always
  type: str
  sample: present
mode:
  description: The requested mode.
  returned: when O(state=present)
  type: str
  sample: complain
profile_file:
  description:
    - The profile file.
    - Called C(path) before 0.2.0; renamed because Ansible adds a file's attributes (C(mode), C(owner), C(state))
      to any module result with a C(path) key, which overwrote this module's RV(mode) and RV(state).
  returned: always
  type: str
  sample: /etc/apparmor.d/web-container
  version_added: 0.2.0
sha256:
  description: sha256 of the installed file.
  returned: when O(state=present)
  type: str
  sample: 5d41402abc4b2a76b9719d911017c592ae1f3c1b9f4d2e3f2b4a1c9d8e7f6a5b
kernel_mode:
  description: The mode the kernel shows after the task (C(enforce), C(complain)); null when not loaded.
  returned: always
  type: str
  sample: complain
kernel_mode_before:
  description: The mode the kernel showed before the task; null when not loaded.
  returned: always
  type: str
  sample: enforce
disabled_link:
  description: The C(disable/) link, for O(mode=disabled).
  returned: when O(mode=disabled)
  type: str
  sample: /etc/apparmor.d/disable/legacy
backup_file:
  description:
    - The backup of the replaced or removed file, a new file whose name has the time to the microsecond (and a
      C(-N) suffix when that name is taken); an existing backup is never overwritten.
  returned: when a backup was made
  type: str
  sample: /var/lib/confine/apparmor/backups/web-container.2026-11-23@10:00:00.123456
existed:
  description: Whether the profile file existed before the task (an undo removes a file that did not).
  returned: always
  type: bool
  sample: true
file_changed:
  description: Whether the task wrote or removed the profile file (not only the link or the kernel).
  returned: always
  type: bool
  sample: true
disabled_before:
  description: Whether the profile's C(disable/) link existed before the task.
  returned: always
  type: bool
  sample: false
userns_supported:
  description: Whether the target's parser and kernel mediate userns rules.
  returned: when O(state=present)
  type: bool
  sample: false
apparmor_available:
  description: Whether AppArmor is usable on the target.
  returned: always
  type: bool
  sample: true
owner:
  description: The profile's owner, as given.
  returned: always
  type: str
  sample: platform-team
source:
  description: The profile's source, as given.
  returned: always
  type: str
  sample: https://git.example.com/platform/profiles
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_abi as abi_mod
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_args as aa_args
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_host as aa_host
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_spec as spec_mod
from ansible_collections.confine.hardening.plugins.module_utils import _batch as batch
from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils._apparmor_args import argument_spec
from ansible_collections.confine.hardening.plugins.module_utils._common import ModuleError, diff_entry, run_module

ProfileError = ModuleError


def unavailable_reason(module):
    """None when AppArmor is usable, else why not (one sentence)."""
    try:
        return aa_host.unavailable_reason(module.get_bin_path)
    except fileio.NotRegularFile as exc:
        return 'cannot read the kernel\'s AppArmor state: %s' % exc.strerror


def loaded_profiles():
    """{profile name: mode} from the kernel."""
    try:
        return aa_host.loaded_profiles()
    except fileio.NotRegularFile as exc:
        raise ModuleError('cannot read the loaded profiles: %s' % exc.strerror)


def unload(name):
    try:
        aa_host.unload(name)
    except (IOError, OSError) as exc:
        raise ModuleError('unloading profile %s failed: %s' % (name, exc.strerror or exc))


def quiet_denies(path):
    """Plain deny rules in a site-local include: they would block in complain mode."""
    try:
        text = fileio.read_text(path) or ''
    except fileio.NotRegularFile:
        return []       # the parser refuses a special file when it includes it
    return [line.strip() for line in text.splitlines() if re.match(r'^\s*deny\s', line)]


# ---------------------------------------------------------------------------
# The task
# ---------------------------------------------------------------------------

def make_backup(params, data, name):
    """A new backup of ``data`` (the file replaced or removed) in backup_dir; never overwrites one."""
    if data is None:
        return None
    try:
        return fileio.write_backup(os.path.join(params['backup_dir'], name), data, 0o644, tilde=False)
    except (IOError, OSError) as exc:
        raise ModuleError('backup_dir: cannot write a backup of %s in %s (%s); nothing was changed'
                          % (name, params['backup_dir'], exc.strerror or exc))


def check_dirs(params):
    """apparmor_dir and backup_dir absolute, and a backup never where the loader would read it."""
    for key in ('apparmor_dir', 'backup_dir'):
        value = params.get(key)
        if not isinstance(value, str) or not value.startswith('/') or '\x00' in value:
            raise ModuleError('%s: %r is not an absolute path' % (key, value), field=key)
    if params.get('backup'):
        real_aa = os.path.realpath(params['apparmor_dir'])
        real_bk = os.path.realpath(params['backup_dir'])
        if real_bk == real_aa or real_bk.startswith(real_aa.rstrip('/') + '/'):
            raise ModuleError('backup_dir: %s lies inside apparmor_dir %s, where the boot-time loader would load '
                              'the backups as profiles' % (params['backup_dir'], params['apparmor_dir']),
                              field='backup_dir')


def unencodable(value, field=''):
    """The first option (``files[0].path``) whose text cannot be encoded as UTF-8, or None."""
    if isinstance(value, str):
        try:
            value.encode('utf-8')
        except UnicodeError:
            return field or 'value'
        return None
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: str(kv[0]))
        for key, item in items:
            found = unencodable(item, '%s.%s' % (field, key) if field else str(key))
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = unencodable(item, '%s[%d]' % (field, index))
            if found:
                return found
    return None


def read_profile_file(path):
    """The profile file's bytes or None; ModuleError for a FIFO, device, directory or huge file."""
    try:
        return fileio.read_bytes(path)
    except fileio.NotRegularFile as exc:
        raise ModuleError('%s; a profile file must be a regular file, so nothing was changed' % exc.strerror)


def refuse_foreign(module, params, name, path, existing, loaded):
    """Fail unless the profile name is free or ours (or force)."""
    if params['force']:
        return
    if existing is not None and not spec_mod.is_ours(existing.decode('utf-8', 'replace')):
        raise ModuleError('%s exists and was not installed by confine.hardening (it belongs to %s); pick another '
                          'name or set force: true to replace it' % (path, aa_host.whose(module, path)))
    others = aa_host.other_declarations(params['apparmor_dir'], name)
    if others:
        raise ModuleError('profile %s is already declared in %s (it belongs to %s); pick another name or set '
                          'force: true' % (name, others[0], aa_host.whose(module, others[0])))
    if existing is None and name in loaded:
        raise ModuleError('a profile named %s is loaded in the kernel (%s mode) but no file of confine.hardening '
                          'declares it (it may be a runtime\'s built-in profile such as docker-default); pick '
                          'another name or set force: true to replace it' % (name, loaded[name]))


def render_content(params, spec):
    if params.get('content') is not None:
        text = params['content']
        if not spec_mod.is_ours(text):
            raise ModuleError('content: the rendered profile must start with the line %r (a custom template must '
                              'keep the header), or the next run could not tell the file is ours' % spec_mod.MARKER)
        if '\x00' in text:
            raise ModuleError('content: the rendered profile contains a NUL character', field='content')
        if not aa_host.declares(text, params['name']):
            raise ModuleError('content: the rendered profile does not declare a profile named %s'
                              % params['name'], field='content')
        check_includes(text, params['apparmor_dir'])
        return text.rstrip('\n') + '\n'
    try:
        return spec_mod.join_layout(spec_mod.layout(spec, owner=params['owner'], source=params['source']))
    except spec_mod.SpecError as exc:
        raise ModuleError(str(exc), field=exc.field)


INCLUDE_LINE_RE = re.compile(r'^\s*#?include\s+(?:if\s+exists\s+)?(<[^>\n]*>|"[^"\n]*"|\S+)', re.M)


def check_includes(text, apparmor_dir):
    """Every include of template text resolves inside the policy directory: a name such as
    <abstractions/base> without '..', or an absolute path under apparmor_dir or /etc/apparmor.d."""
    roots = [apparmor_dir, '/etc/apparmor.d']
    for number, line in enumerate(text.split('\n'), 1):
        match = INCLUDE_LINE_RE.match(line)
        if not match:
            continue
        target = match.group(1).strip('<>"')
        parts = target.split('/')
        inside = (not target.startswith('/') or any(target.startswith(r.rstrip('/') + '/') for r in roots))
        if not target or '..' in parts or not inside:
            raise ModuleError('content: line %d includes %r, which is outside the AppArmor policy directory'
                              % (number, target), field='content')


def diff_entries(path, before, after, kernel_before, kernel_after, name):
    return [
        diff_entry(path, before, after),
        diff_entry('kernel', '%s (%s)\n' % (name, kernel_before) if kernel_before else '',
                   '%s (%s)\n' % (name, kernel_after) if kernel_after else ''),
    ]


def run_absent(module, result, params, name, path, link, existing, reason):
    loaded = {} if reason else loaded_profiles()
    kernel_before = loaded.get(name)
    result['kernel_mode_before'] = kernel_before
    ours = existing is not None and spec_mod.is_ours(existing.decode('utf-8', 'replace'))
    if existing is not None and not ours and not params['force']:
        raise ModuleError('%s exists and was not installed by confine.hardening (it belongs to %s); set force: true '
                          'to remove it' % (path, aa_host.whose(module, path)))
    do_unload = kernel_before is not None and (ours or params['force'])
    if kernel_before is not None and not do_unload:
        module.warn('profile %s is loaded but was not installed by confine.hardening; it was left loaded '
                    '(force: true unloads it)' % name)
    caches = aa_host.cache_entries(name, module.warn) if (ours or params['force']) else []
    changed = existing is not None or os.path.lexists(link) or do_unload or bool(caches)
    result['file_changed'] = existing is not None
    result.update(changed=changed, kernel_mode=None if do_unload else kernel_before)
    if module._diff and changed:
        result['diff'] = diff_entries(path, existing, None, kernel_before, result['kernel_mode'], name)
    if not changed or module.check_mode:
        return result
    if params['backup'] and existing is not None:
        result['backup_file'] = make_backup(params, existing, name)
    if do_unload:
        unload(name)
    for p in [path, link] + caches:
        try:
            if os.path.lexists(p):
                os.unlink(p)
        except (IOError, OSError) as exc:
            raise ModuleError('cannot remove %s: %s' % (p, exc.strerror or exc))
    return result


def start(module):
    """Check the task's names and directories; (name, path, link, result so far, existing file, reason)."""
    params = module.params
    name = params['name']
    try:
        spec_mod.check_name('name', name)
    except spec_mod.SpecError as exc:
        # a file installed under a name refused since (web.orig) can still be removed
        legacy = (params['state'] == 'absent' and isinstance(name, str) and spec_mod.NAME_RE.match(name)
                  and name not in spec_mod.RESERVED_NAMES)
        if not legacy:
            raise ModuleError(str(exc), field=exc.field)
    check_dirs(params)
    field = unencodable(params)
    if field:
        raise ModuleError('%s: contains a character that cannot be written as UTF-8 (a lone surrogate such as '
                          '\\ud800)' % field, field=field)
    path = os.path.join(params['apparmor_dir'], name)
    link = aa_host.disable_link(params['apparmor_dir'], name)
    # profile_file, not path: AnsibleModule.exit_json adds a file's attributes (mode, owner,
    # state) to a result that has a 'path' and would overwrite the profile's mode and state.
    result = dict(changed=False, name=name, state=params['state'], profile_file=path, owner=params['owner'],
                  source=params['source'], kernel_mode=None, kernel_mode_before=None)
    reason = unavailable_reason(module)
    result['apparmor_available'] = reason is None
    existing = read_profile_file(path)
    # what an undo needs (confine.hardening.hardening_restore)
    result.update(existed=existing is not None, disabled_before=os.path.islink(link))
    return name, path, link, result, existing, reason


def with_features(module, parser, text, result, reason):
    """The profile text for this host: a rule kind the user asked for that the host cannot compile or
    enforce under the profile's ABI fails the task; the preset's userns rules are left out (with a
    warning) where they would not be enforced."""
    spec = spec_mod.user_spec(module.params)
    try:
        abi = spec_mod.text_abi(text) or abi_mod.choose_abi(spec)
    except spec_mod.SpecError as exc:
        raise ModuleError(str(exc), field=exc.field)
    # no parser run unless something fails (an idempotent run runs none)
    host = aa_host.abi_facts(module, parser, available=reason is None, version=False)
    problem = abi_mod.host_problem(spec, abi, host)
    if problem:
        host['parser_version'] = aa_host.parser_version(module, parser) if parser else None
        problem = abi_mod.host_problem(spec, abi, host)
        field = problem.split(':', 1)[0]
        raise ModuleError('%s; nothing was installed or loaded' % problem, field=field,
                          apparmor_parser_version=host['parser_version'])
    userns = False
    if any(spec_mod.USERNS_RE.match(line) for line in text.split('\n')):
        userns = aa_host.userns_supported(module, parser)
        kept = spec_mod.apply_features(text, {'userns': userns})
        if kept != text:
            module.warn('userns rules were left out: %s' % (
                'the profile is compiled against %s, which does not enforce them' % abi if userns else
                'this AppArmor (parser before 4.0 or a kernel without user-namespace mediation) does not '
                'mediate user namespaces'))
            text = kept
    result['userns_supported'] = userns
    return text


def run(module):
    params = module.params
    name, path, link, result, existing, reason = start(module)
    if params['state'] == 'absent':
        return run_absent(module, result, params, name, path, link, existing, reason)

    mode = params['mode']
    text = render_content(params, spec_mod.user_spec(params))
    parser = aa_host.parser_path(module.get_bin_path)
    if reason and (mode != 'disabled' or not parser):
        raise ModuleError('AppArmor is not available on this host: %s' % reason, apparmor_available=False,
                          reason=reason)
    loaded = {} if reason else loaded_profiles()
    kernel_before = loaded.get(name)
    result['kernel_mode_before'] = kernel_before
    refuse_foreign(module, params, name, path, existing, loaded)
    text = with_features(module, parser, text, result, reason)
    data = text.encode('utf-8')
    result.update(mode=mode, sha256=fileio.sha256(data))

    want_kernel = None if mode == 'disabled' else mode
    file_changes = fileio.FileSet()
    file_changes.want(path, data)
    writes = bool(file_changes.plan())
    result['file_changed'] = writes
    changed = writes or not aa_host.link_ok(link, path, mode == 'disabled') or kernel_before != want_kernel
    result.update(changed=changed, kernel_mode=want_kernel if changed else kernel_before)
    if mode == 'disabled':
        result['disabled_link'] = link
    if mode == 'complain' and params['local']:
        for rule in quiet_denies(os.path.join(params['apparmor_dir'], 'local', name))[:1]:
            module.warn('local/%s has a plain deny rule (%s); it blocks even in complain mode. Write it as '
                        '"audit deny" to observe it' % (name, rule))
    if writes and not getattr(module, 'validated', False):
        aa_host.validate(module, parser, text, path, name, check_names=params.get('content') is not None)
    if module._diff and changed:
        result['diff'] = diff_entries(path, existing if writes else data, data, kernel_before, want_kernel, name)
    if not changed or module.check_mode:
        return result
    if params['backup'] and writes and existing is not None:
        result['backup_file'] = make_backup(params, existing, name)
    apply(module, parser, (path, existing, link), file_changes, kernel_before, want_kernel, result)
    return result


def apply(module, parser, files, file_changes, kernel_before, want_kernel, result):
    """Write the file and the link, load (or unload) and read the mode back; undo on failure."""
    path, existing, link = files
    name, mode = module.params['name'], module.params['mode']
    link_before = os.readlink(link) if os.path.islink(link) else None
    try:
        file_changes.apply()
        aa_host.ensure_link(link, path, mode == 'disabled')
        if mode == 'disabled':
            if kernel_before is not None:
                unload(name)
        else:
            aa_host.load_or_fail(module, parser, path)
    except (ModuleError, IOError, OSError) as exc:
        # FileSet's IncompleteUndo already says what it could not put back; restore()
        # tries again and is the one that tells whether every file is back.
        cause = exc.cause if isinstance(exc, fileio.IncompleteUndo) else exc
        left = restore(path, existing, link, link_before)
        raise ModuleError(undo_message(cause, left, 'the kernel keeps what it had loaded'))
    now = loaded_profiles().get(name) if result['apparmor_available'] else None
    result['kernel_mode'] = now
    if now != want_kernel:
        left = restore(path, existing, link, link_before)
        try:
            if existing is not None and kernel_before is not None:
                aa_host.load_or_fail(module, parser, path)
            elif kernel_before is None and now is not None:
                unload(name)
        except (ModuleError, IOError, OSError):
            pass
        raise ModuleError(undo_message('the kernel shows profile %s as %s after loading, not %s'
                                       % (name, now or 'not loaded', want_kernel or 'not loaded'), left),
                          kernel_mode=now)


def undo_message(cause, not_restored, kernel=None):
    """The failure sentence: every file put back, or exactly which could not be."""
    if not not_restored:
        return '%s; the previous file was put back%s' % (cause, ' and %s' % kernel if kernel else '')
    return '%s; the change could not be fully undone: %s could not be put back' % (
        cause, ', '.join('%s (%s)' % pr for pr in not_restored))


def restore(path, existing, link, link_before):
    """Put the profile file and its disable/ link back; [(path, reason)] for what could not be."""
    failed = []
    try:
        if existing is None:
            if os.path.lexists(path):
                os.unlink(path)
        else:
            fileio.write_atomic(path, existing, 0o644)
    except (IOError, OSError) as exc:
        failed.append((path, exc.strerror or str(exc)))
    try:
        aa_host.ensure_link(link, link_before, link_before is not None)
    except (IOError, OSError) as exc:
        failed.append((link, exc.strerror or str(exc)))
    return failed


def work(module):
    if module.params['profiles'] is not None:
        return batch.run_batch(module, argument_spec(), run, ModuleError)
    return run(module)


def label(module):
    name = module.params['name']
    return 'AppArmor profile %r: ' % (name,) if name else 'AppArmor profiles: '


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=aa_args.MUTUALLY_EXCLUSIVE, required_one_of=aa_args.REQUIRED_ONE_OF)
    run_module(module, work, label, extra=lambda m: {'name': m.params['name']})


if __name__ == '__main__':
    main()
