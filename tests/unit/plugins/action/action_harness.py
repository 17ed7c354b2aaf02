# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One harness for the action plugins' run() tests: a real DataLoader and Templar, the play's
directory as the search path, and the module call captured instead of sent to a host."""

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar


class FakeShell(object):
    tmpdir = None


class FakeConnection(object):
    _shell = FakeShell()


def make_action(action_mod, play_dir, args, facts=None):
    """(action, calls): the plugin's ActionModule for a task with ``args``; ``calls`` collects
    (module_name, module_args); the setup module answers with ``facts``."""
    task = Task()
    task.args = dict(args)
    task.get_search_path = lambda: [str(play_dir)]
    loader = DataLoader()
    loader.set_basedir(str(play_dir))
    action = action_mod.ActionModule(task, FakeConnection(), PlayContext(), loader, Templar(loader=loader), None)
    calls = []

    def execute_module(module_name=None, module_args=None, task_vars=None, **kwargs):
        calls.append((module_name, module_args))
        if module_name == 'ansible.legacy.setup':
            return {'ansible_facts': dict(('ansible_' + k, v) for k, v in (facts or {}).items())}
        return {'changed': True, 'name': module_args.get('name')}
    action._execute_module = execute_module
    return action, calls
