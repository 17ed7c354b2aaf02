"""The one shared test double of the unit tests.

- ``FakeModule``: what a module's ``run(module)`` sees of an AnsibleModule: ``params``,
  ``check_mode``, ``_diff``, ``warn``/``warnings``, ``fail_json``/``exit_json`` that raise
  (``FailJson``/``ExitJson``, carrying ``.result``), ``run_command`` that really runs and
  decodes like AnsibleModule, ``get_bin_path``.  Tests that fake a host tool pass
  ``bins={'apparmor_parser': PATH}`` and/or ``responder=callable(args) -> (rc, out, err)``
  (return ``None`` to run the command for real); any other keyword becomes an attribute.
- ``run_main(module_py, args, check_mode=False, diff=False)``: run a module's ``main()``
  through its real argument spec (``AnsibleModule`` reads ``args`` as it would on a host)
  and return the result dict (``exit_json``) or the failure dict (``fail_json``, with
  ``failed=True``), with the module's ``warnings`` as AnsibleModule would add them.

Both are importable (``from conftest import FakeModule, run_main``; this directory is on
``sys.path``) and are also fixtures (``fake_module`` gives the class, ``run_main`` the function).
"""
import importlib
import json
import shutil
import subprocess
import sys
from unittest import mock

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common import warnings as ansible_warnings

try:
    from ansible.module_utils import _internal as ansible_internal
except ImportError:  # ansible-core before 2.19
    ansible_internal = None

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before 2.19
    patch_module_args = None


class ModuleExit(SystemExit):
    """exit_json/fail_json were called; ``.result`` is what they got.

    A SystemExit, like AnsibleModule's, so a module's ``except Exception`` never swallows it.
    """

    def __init__(self, result):
        super(ModuleExit, self).__init__(result)
        self.result = result


class ExitJson(ModuleExit):
    pass


class FailJson(ModuleExit):
    pass


def _decode(data):
    # AnsibleModule.run_command decodes with surrogate_or_strict: never a decode error
    return data.decode('utf-8', 'surrogateescape') if isinstance(data, bytes) else data


class FakeModule(object):
    """What a module's ``run(module)`` uses of an AnsibleModule."""

    def __init__(self, params=None, check_mode=False, diff=False, bins=None, responder=None, **attrs):
        self.params = dict(params or {})
        self.check_mode = check_mode
        self._diff = diff
        self.bins = dict(bins or {})
        self.responder = responder
        self.warnings = []
        self.commands = []
        for key, value in attrs.items():
            setattr(self, key, value)

    def warn(self, text):
        self.warnings.append(text)

    def fail_json(self, msg, **kwargs):
        kwargs['msg'] = msg
        kwargs.setdefault('failed', True)
        raise FailJson(kwargs)

    def exit_json(self, **kwargs):
        raise ExitJson(kwargs)

    def get_bin_path(self, name, required=False, opt_dirs=None):
        if name in self.bins:
            path = self.bins[name]
        else:
            path = shutil.which(name, path=None if not opt_dirs else ':'.join(list(opt_dirs) + [''])) or shutil.which(name)
        if path is None and required:
            self.fail_json(msg='Failed to find required executable "%s"' % name)
        return path

    def run_command(self, args, check_rc=False, data=None, binary_data=False, **kwargs):
        args = list(args) if not isinstance(args, str) else args
        self.commands.append(args)
        if self.responder is not None:
            answer = self.responder(args)
            if answer is not None:
                return answer
        if data is not None and not binary_data and not isinstance(data, bytes):
            data = data.encode('utf-8') + b'\n'
        proc = subprocess.run(args, input=data, capture_output=True, check=False, timeout=120,
                              shell=isinstance(args, str), cwd=kwargs.get('cwd'))
        out, err = _decode(proc.stdout), _decode(proc.stderr)
        if check_rc and proc.returncode != 0:
            self.fail_json(msg=err.rstrip() or out.rstrip(), rc=proc.returncode, stdout=out, stderr=err, cmd=args)
        return proc.returncode, out, err


def _load(module_py):
    if isinstance(module_py, str):
        if '.' not in module_py:
            module_py = 'ansible_collections.confine.hardening.plugins.modules.' + module_py
        return importlib.import_module(module_py)
    return module_py


def _with_warnings(result):
    # what AnsibleModule's own exit_json adds: the module's warn() calls, as ``warnings``
    warnings = list(ansible_warnings.get_warning_messages())
    if warnings:
        result.setdefault('warnings', warnings)
    return result


def _exit_json(self, **kwargs):
    raise ExitJson(_with_warnings(kwargs))


def _fail_json(self, msg, **kwargs):
    kwargs['msg'] = msg
    kwargs.setdefault('failed', True)
    raise FailJson(_with_warnings(kwargs))


def run_main(module_py, args, check_mode=False, diff=False):
    """Run ``module_py.main()`` (a module object or its name) with ``args`` as the task's args.

    The module's own AnsibleModule validates ``args`` against its argument spec; the result
    is the dict given to ``exit_json``, or to ``fail_json`` (then with ``failed=True``), with
    the module's warnings as ``warnings`` when it gave any.
    """
    mod = _load(module_py)
    args = dict(args or {}, _ansible_check_mode=check_mode, _ansible_diff=diff)
    if patch_module_args is not None:
        patched = patch_module_args(args)
    else:
        patched = mock.patch.object(basic, '_ANSIBLE_ARGS', json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode('utf-8'))
    # a module runs on the target: its warn() is collected for the result, not shown by the
    # controller's Display (which it would be once a test has loaded an action plugin)
    target = mock.patch.object(ansible_internal, 'is_controller', False) if ansible_internal is not None else mock.MagicMock()
    with patched, target, mock.patch.object(basic.AnsibleModule, 'exit_json', _exit_json), \
            mock.patch.object(basic.AnsibleModule, 'fail_json', _fail_json), \
            mock.patch.dict(ansible_warnings._global_warnings, clear=True):  # pylint: disable=protected-access
        try:
            mod.main()
        except ModuleExit as exc:
            return exc.result
    raise AssertionError('%s.main() returned without exit_json or fail_json' % mod.__name__)


@pytest.fixture(name='fake_module')
def fake_module_fixture():
    return FakeModule


@pytest.fixture(name='run_main')
def run_main_fixture():
    return run_main


# ``from conftest import ...`` finds this file whichever conftest pytest imported last
sys.modules.setdefault('unit_conftest', sys.modules[__name__])


@pytest.fixture(scope='module', name='backend')
def libseccomp_backend_fixture():
    """The host's libseccomp through ctypes (the tests that compile programs); skipped without it."""
    from ansible_collections.confine.hardening.plugins.module_utils import _libseccomp as libseccomp
    try:
        return libseccomp.load('ctypes')
    except libseccomp.LibseccompError as exc:
        pytest.skip(str(exc))
