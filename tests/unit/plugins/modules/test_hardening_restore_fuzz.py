# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generated undo logs for hardening_restore, pointed at scratch directories (issue 11 items
8 and 21): no traceback, nothing outside the directories the module manages is ever touched
(the trees are compared before and after), every refusal is reported, bounded time."""

import json
import os
import tempfile
import time

from hypothesis import given, settings, strategies as st

from conftest import FakeModule

from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_host as aa_host
from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.modules import hardening_restore as m

MANAGED = ('docker', 'apparmor.d', 'apparmor.d/disable', 'state/docker', 'state/record', 'state/apparmor/backups')
OUTSIDE = ('outside', 'outside/deep')
NAMES = st.one_of(st.sampled_from(['web', 'api', '../../outside/victim', '..', '', 'web.dpkg-old', 'unconfined',
                                   'a/b', '\ud800', 'victim', 'web\n', '*']), st.text(max_size=6), st.integers())
BASES = st.sampled_from(['web.json', 'web', 'web.x86_64.bpf', 'victim', 'victim.json', 'daemon.json',
                         'daemon.json.2026-01-01@00:00:00', 'web.json.2026-01-01@00:00:00.000001~',
                         'web.2026-01-01@00:00:00', 'confine_hardening.fact', 'confine_hardening.fact.2026-01-01@00:00:00'])
DIRS = st.sampled_from(MANAGED + OUTSIDE + ('', 'apparmor.d/../outside', 'docker/../outside', 'link-out', 'facts.d'))


def paths(root):
    return st.one_of(st.tuples(DIRS, BASES).map(lambda t: os.path.join(root, t[0], t[1]) if t[0]
                                                else os.path.join(root, t[1])),
                     st.sampled_from(['relative', '', root]), st.integers(), st.none())


def plausible(root):
    """Items a real run writes (so that some are applied), with one field at a time made hostile."""
    made = fileio.sha256(b'made by the run\n')
    good = [
        {'kind': 'seccomp', 'name': 'web', 'path': os.path.join(root, 'docker', 'web.json'), 'existed': False,
         'changed_file': True, 'backup': None, 'sha256': made},
        {'kind': 'seccomp', 'name': 'web', 'path': os.path.join(root, 'docker', 'web.json'), 'existed': True,
         'changed_file': True, 'backup': os.path.join(root, 'docker', 'web.json.2026-01-01@00:00:00.000001~')},
        {'kind': 'docker', 'name': 'daemon.json', 'path': os.path.join(root, 'docker', 'daemon.json'), 'existed': True,
         'changed_file': True, 'backup': os.path.join(root, 'state', 'docker', 'daemon.json.2026-01-01@00:00:00')},
        {'kind': 'apparmor', 'name': 'web', 'path': os.path.join(root, 'apparmor.d', 'web'), 'existed': False,
         'changed_file': True, 'backup': None, 'sha256': made, 'kernel_mode_before': None},
    ]
    return st.tuples(st.sampled_from(good), st.sampled_from([None, 'name', 'path', 'backup', 'sha256', 'existed']),
                     NAMES, paths(root)).map(lambda t: dict(t[0], **({} if t[1] is None else {
                         t[1]: t[2] if t[1] == 'name' else t[3]})))


def items(root):
    return st.one_of(
        plausible(root), plausible(root),
        st.fixed_dictionaries({
            'kind': st.sampled_from(['seccomp', 'apparmor', 'docker', 'kubelet', 'record', 'junk']),
            'name': NAMES, 'path': paths(root),
            'existed': st.one_of(st.booleans(), st.sampled_from(['no', 1, None])),
            'changed_file': st.one_of(st.booleans(), st.just('yes')),
            'backup': st.one_of(st.none(), paths(root)),
            'sha256': st.one_of(st.none(), st.sampled_from(['0' * 64, 'x', fileio.sha256(b'made by the run\n')])),
            'disabled_before': st.booleans(),
            'kernel_mode_before': st.sampled_from([None, 'enforce', 'complain', '../x', 5]),
        }),
        st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2)))


def populate(root):
    for d in MANAGED + OUTSIDE + ('facts.d',):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    os.symlink(os.path.join(root, 'outside'), os.path.join(root, 'link-out'))
    for d in MANAGED + OUTSIDE:
        for base in ('web.json', 'web', 'victim', 'victim.json', 'daemon.json', 'daemon.json.2026-01-01@00:00:00',
                     'web.json.2026-01-01@00:00:00.000001~', 'web.2026-01-01@00:00:00'):
            with open(os.path.join(root, d, base), 'wb') as fh:
                fh.write(b'made by the run\n')


def tree(root, under):
    out = {}
    for top in under:
        for dirpath, dirs, files in os.walk(os.path.join(root, top)):
            for name in files + dirs:
                path = os.path.join(dirpath, name)
                if os.path.islink(path):
                    out[path] = 'link:' + os.readlink(path)
                elif os.path.isfile(path):
                    with open(path, 'rb') as fh:
                        out[path] = fh.read()
    return out


STATS = {'applied': 0, 'refused': 0}


def Module(params):  # pylint: disable=invalid-name
    """The shared FakeModule on a host without apparmor_parser: every parser call fails."""
    return FakeModule(params, diff=True, bins={'apparmor_parser': None}, responder=lambda args: (1, '', 'no parser here'))


# issue 11 items 8 and 21
@settings(max_examples=150, deadline=None, derandomize=True)
@given(data=st.data())
def test_generated_undo_logs_never_touch_a_file_outside_the_managed_directories(data):
    with tempfile.TemporaryDirectory(prefix='restore-fuzz-') as root:
        populate(root)
        log = data.draw(st.lists(items(root), max_size=5))
        fact = os.path.join(root, 'facts.d', 'confine_hardening.fact')
        with open(fact, 'w') as fh:
            json.dump({'undo': log}, fh)
        outside = tree(root, OUTSIDE + ('state',))     # backups are only ever read
        params = dict(record=fact, seccomp=None, apparmor=None, docker=None, kubelet=None,
                      docker_daemon_json=os.path.join(root, 'docker', 'daemon.json'),
                      kubelet_config=os.path.join(root, 'kubelet', 'config.yaml'),
                      apparmor_dir=os.path.join(root, 'apparmor.d'), state_dir=os.path.join(root, 'state'),
                      seccomp_dirs=[os.path.join(root, 'docker')], lock_timeout=5)
        started = time.time()
        # the kernel side and the parser cache point into the scratch directory too
        saved = aa_host.SECURITYFS, aa_host.CACHE_GLOB
        aa_host.SECURITYFS, aa_host.CACHE_GLOB = os.path.join(root, 'securityfs'), os.path.join(root, 'cache', '*', '%s')
        try:
            result = m.run(Module(params))
        except m.RestoreError as exc:
            message = exc.args[0]
            assert '\n' not in message and 'Traceback' not in message
        else:
            json.dumps(result, allow_nan=False).encode('utf-8')
            applied = set(e['path'] for e in result['restored'])
            for entry in result['refused']:
                assert isinstance(entry['index'], int) and entry['reason']
            # an item outside the managed directories is never applied
            assert not any(p.startswith(os.path.join(root, 'outside')) for p in applied if isinstance(p, str))
            STATS['applied'] += len([e for e in result['restored'] if e['action'] != 'unchanged'])
            STATS['refused'] += len(result['refused'])
        finally:
            aa_host.SECURITYFS, aa_host.CACHE_GLOB = saved
        assert tree(root, OUTSIDE + ('state',)) == outside
        assert time.time() - started < 2


def test_the_generated_logs_were_both_applied_and_refused():
    # run after the fuzz test above (same module, file order): it explored both outcomes
    if STATS['applied'] or STATS['refused']:
        assert STATS['applied'] > 0 and STATS['refused'] > 0, STATS
