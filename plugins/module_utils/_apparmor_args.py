# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one argument spec of confine.hardening.apparmor_profile.

The module validates its parameters against it on the target, the action plugin the
task's arguments on the controller.  The spec model (``_apparmor_spec``) takes its key
lists from here too (``SPEC_KEYS``, ``RULE_KEYS``), so that a spec given as a plain
mapping (a suggestion of profile_events, a unit test) is checked against the same keys.
An option lives here and in the module's DOCUMENTATION, nowhere else by hand."""

PRESETS = ('container-default', 'container-strict', 'service')
MODES = ('complain', 'enforce', 'disabled')
FLAGS = ('attach_disconnected', 'mediate_deleted', 'chroot_relative', 'namespace_relative', 'no_attach_disconnected',
         'unconfined', 'audit')
RULE_QUALIFIERS = ('deny', 'audit', 'quiet')
# Task options that are not part of the profile's spec.
TASK_KEYS = ('profiles', 'state', 'force', 'backup', 'backup_dir', 'owner', 'source', 'apparmor_dir', 'template',
             'content')


def _rules(**options):
    spec = dict((key, dict(type='bool')) for key in RULE_QUALIFIERS)
    spec.update(options)
    return dict(type='list', elements='dict', options=spec)


def argument_spec():
    """The module's options (a new dict each call)."""
    return dict(
        name=dict(type='str'),
        profiles=dict(type='list', elements='dict'),
        preset=dict(type='str', choices=list(PRESETS)),
        attach=dict(type='str'),
        abi=dict(type='str'),
        includes=dict(type='list', elements='str'),
        files=_rules(path=dict(type='str', required=True), perms=dict(type='str'), owner=dict(type='bool'),
                     exec=dict(type='str')),
        exec=_rules(path=dict(type='str', required=True), mode=dict(type='str', default='ix'),
                    target=dict(type='str')),
        capabilities=dict(type='dict', options=dict(allow=dict(type='list', elements='str'),
                                                    deny=dict(type='list', elements='str'))),
        network=_rules(family=dict(type='str'), type=dict(type='str')),
        signal=_rules(access=dict(type='list', elements='str'), set=dict(type='list', elements='str'),
                      peer=dict(type='str')),
        ptrace=_rules(access=dict(type='list', elements='str'), peer=dict(type='str')),
        mount=_rules(fstype=dict(type='str'), options=dict(type='list', elements='str'), source=dict(type='str'),
                     target=dict(type='str')),
        umount=_rules(target=dict(type='str')),
        pivot_root=_rules(new_root=dict(type='str'), put_old=dict(type='str')),
        userns=_rules(),
        flags=dict(type='list', elements='str', choices=list(FLAGS)),
        extra_rules=dict(type='list', elements='str'),
        confine_exec=dict(type='bool', default=False),
        local=dict(type='bool', default=True),
        mode=dict(type='str', default='enforce', choices=list(MODES)),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        force=dict(type='bool', default=False),
        backup=dict(type='bool', default=False),
        backup_dir=dict(type='path', default='/var/lib/confine/apparmor/backups'),
        owner=dict(type='str'),
        source=dict(type='str'),
        apparmor_dir=dict(type='path', default='/etc/apparmor.d'),
        template=dict(type='path'),
        content=dict(type='str'),
    )


# The AnsibleModule keywords of the module (the action plugin checks the same on the controller).
MUTUALLY_EXCLUSIVE = [('name', 'profiles')]
REQUIRED_ONE_OF = [('name', 'profiles')]

# The options that make up a profile's spec, in the order of the argument spec.
SPEC_KEYS = tuple(key for key in argument_spec() if key not in TASK_KEYS)
# The keys of each kind of rule, qualifiers (deny, audit, quiet) aside.
RULE_KEYS = dict((key, tuple(k for k in opt['options'] if k not in RULE_QUALIFIERS))
                 for key, opt in argument_spec().items() if opt.get('elements') == 'dict' and opt.get('options'))
