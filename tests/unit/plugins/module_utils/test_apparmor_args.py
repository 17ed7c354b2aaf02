# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_apparmor_args: the one argument spec of apparmor_profile, and the key lists the spec model
takes from it (issue 12 item 1)."""

import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.confine.hardening.plugins.action import apparmor_profile as action_mod
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_args as aa_args
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_quote as quote_mod
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_spec as spec_mod
from ansible_collections.confine.hardening.plugins.modules import apparmor_profile as module


def test_module_and_spec_model_share_one_argument_spec():
    assert module.argument_spec is aa_args.argument_spec
    assert action_mod.aa_args is aa_args
    assert spec_mod.SPEC_KEYS == ('name', 'preset', 'attach', 'abi', 'includes', 'files', 'exec', 'capabilities',
                                  'network', 'signal', 'ptrace', 'mount', 'umount', 'pivot_root', 'userns', 'flags',
                                  'extra_rules', 'confine_exec', 'local', 'mode')
    assert aa_args.RULE_KEYS['files'] == ('path', 'perms', 'owner', 'exec')
    assert aa_args.RULE_KEYS['userns'] == ()
    assert set(aa_args.argument_spec()) == set(aa_args.SPEC_KEYS) | set(aa_args.TASK_KEYS)


def test_the_examples_pass_the_argument_spec():
    for task in yaml.safe_load(module.EXAMPLES):
        args = task['confine.hardening.apparmor_profile']
        result = ArgumentSpecValidator(aa_args.argument_spec(), mutually_exclusive=aa_args.MUTUALLY_EXCLUSIVE,
                                       required_one_of=aa_args.REQUIRED_ONE_OF).validate(args)
        assert not result.error_messages, (task['name'], result.error_messages)


def test_the_split_modules_are_re_exported_from_the_spec_model():
    for name in ('quote', 'literal_path', 'literal_glob', 'policy_name', 'comment_text'):
        assert getattr(spec_mod, name) is getattr(quote_mod, name)
    assert spec_mod.SpecError.__module__.endswith('_common')
    assert callable(spec_mod.join_layout) and not hasattr(spec_mod, 'join')
