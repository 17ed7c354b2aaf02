# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property-based tests (issue 11, "How it is shown"): hostile strings in every string field
of a seccomp spec and of rendered content, and garbage records in state_dir.

Each generated input is either refused with one sentence that names the field, or it gives
exactly the intended profile.  A garbage record never raises anything but the module's own
one-sentence error and never changes a file outside the files this profile installs.
Budget: well under 40 s for the file (measure with ``pytest --durations=0``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import atexit
import hashlib
import json
import os
import shutil
import tempfile

from hypothesis import given, settings, strategies as st
from conftest import FakeModule

from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_oci as oci
from ansible_collections.confine.hardening.plugins.module_utils import _seccomp_spec as s
from ansible_collections.confine.hardening.plugins.modules import seccomp_profile as m

HOST = {'machine': 'x86_64', 'kernel': '6.1.0'}
FAST = settings(max_examples=300, deadline=None, derandomize=True)
SLOW = settings(max_examples=150, deadline=None, derandomize=True)

# Hostile text: anything, plus near-misses of the real vocabulary.
VOCAB = list(s.ACTIONS) + list(s.OPS) + list(s.ARCHES) + list(s.PRESETS) + list(s.ERRNO_NAMES) + [
    'read', 'x86_64', 'x86', 'aarch64', '0x10', '4094', '4095', '-1', '0', '18446744073709551616', 'web', '../x',
    'a/b', 'web.json', '', ' ', '\n', '\x00', '*', '{a,b}', '\ud800', 'SCMP_ACT_KILL_PROCESS\n', ' EPERM ']
HOSTILE = st.one_of(st.text(max_size=40), st.sampled_from(VOCAB),
                    st.builds(lambda a, b: a + b, st.sampled_from(VOCAB), st.text(max_size=3)))
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | HOSTILE,
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(HOSTILE, inner, max_size=4),
                    max_leaves=12)


def refused_naming(call, field):
    """Run call(); on SpecError the message is one line and names ``field`` (or a field inside it)."""
    try:
        return call()
    except s.SpecError as exc:
        text = str(exc)
        assert exc.field and text.startswith(exc.field + ': '), text
        assert '\n' not in text.replace(repr('\n')[1:-1], ''), text
        assert exc.field.startswith(field), (exc.field, field, text)
        return None


@FAST
@given(HOSTILE)
def test_name(value):
    got = refused_naming(lambda: s.build_profile({'name': value, 'preset': 'hardened'}, HOST), 'name')
    assert (got is not None) == bool(s.NAME_RE.match(value))
    if got is not None:
        assert '/' not in value and value not in ('.', '..') and '\n' not in value


@FAST
@given(HOSTILE)
def test_syscall_name(value):
    got = refused_naming(lambda: s.build_profile({'syscalls': [{'names': [value]}]}, HOST), 'syscalls[0].names[0]')
    if got is not None:
        assert got[0]['syscalls'] == [{'names': [value.strip()], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1}]


@FAST
@given(HOSTILE)
def test_action(value):
    spec = {'default_action': 'SCMP_ACT_TRAP', 'syscalls': [{'names': ['mkdir'], 'action': value}]}
    got = refused_naming(lambda: s.build_profile(spec, HOST), 'syscalls[0].action')
    if got is not None:
        if value.strip() == 'SCMP_ACT_TRAP':
            assert got[0]['syscalls'] == []          # equal to the default: runc skips it, so do we
        else:
            (rule,) = got[0]['syscalls']
            assert rule['action'] == value.strip() and rule['action'] in s.ACTIONS
            assert value.strip() != 'SCMP_ACT_NOTIFY'    # no listener in a spec


@FAST
@given(HOSTILE)
def test_default_action(value):
    got = refused_naming(lambda: s.build_profile({'default_action': value}, HOST), 'default_action')
    if got is not None:
        assert got[0]['defaultAction'] == value.strip() and value.strip() != 'SCMP_ACT_NOTIFY'


@FAST
@given(st.lists(HOSTILE, min_size=1, max_size=3))
def test_architectures(values):
    got = refused_naming(lambda: s.build_profile({'preset': 'allowlist', 'architectures': values}, HOST),
                         'architectures')
    if got is not None:
        arches = got[0]['architectures']
        assert arches == s.canonical_arches([s.parse_arch('a', v) for v in values])
        assert set(arches) <= set(s.ARCHES) and len(set(arches)) == len(arches)


@FAST
@given(st.one_of(HOSTILE, st.integers(), st.booleans(), st.floats()))
def test_errno(value):
    got = refused_naming(lambda: s.build_profile({'syscalls': [{'names': ['mkdir'], 'errno': value}]}, HOST),
                         'syscalls[0].errno')
    if got is not None:
        errno = got[0]['syscalls'][0]['errnoRet']
        assert 1 <= errno <= s.MAX_ERRNO
        if isinstance(value, int) and not isinstance(value, bool):
            assert errno == value
        elif value.strip().upper() in s.ERRNO_NAMES:
            assert errno == s.ERRNO_NAMES[value.strip().upper()]
        else:
            assert errno == int(value.strip(), 0)


@FAST
@given(st.one_of(HOSTILE, st.integers()), st.one_of(HOSTILE, st.integers()), HOSTILE)
def test_args(value, index, op):
    spec = {'preset': 'hardened', 'syscalls': [{'names': ['mkdir'], 'args': [{'index': index, 'value': value, 'op': op}]}]}
    got = refused_naming(lambda: s.build_profile(spec, HOST), 'syscalls[0].args[0]')
    if got is not None:
        (rule,) = [r for r in got[0]['syscalls'] if r['names'] == ['mkdir']]
        (arg,) = rule['args']
        want_value = value if isinstance(value, int) else int(value.strip(), 0)
        want_index = index if isinstance(index, int) else int(index.strip(), 0)
        assert arg == {'index': want_index, 'value': want_value, 'valueTwo': 0, 'op': op.strip()}
        assert 0 <= want_value < 1 << 64 and 0 <= want_index <= 5


@FAST
@given(st.one_of(HOSTILE, st.text(min_size=1000, max_size=1100)))
def test_owner_and_source(value):
    for field in ('owner', 'source'):
        got = refused_naming(lambda: s.check_text(field, value), field)
        if got is not None:
            assert got == value and len(value) <= s.MAX_TEXT and value.isprintable() or not value


@FAST
@given(JSON)
def test_base_and_preset(value):
    for key in ('base', 'preset', 'preset_options', 'remove', 'syscalls', 'mode', 'default_errno'):
        got = refused_naming(lambda: s.build_profile({key: value}, HOST), key)
        if got is not None and key == 'preset':
            assert value in s.PRESETS or value is None      # None: no preset
        if got is not None and key == 'mode':
            assert value in s.MODES or value in (None, '', 0, False)


@FAST
@given(st.dictionaries(st.sampled_from(list(oci.PROFILE_KEYS) + ['archMap', 'x']), JSON, max_size=5), JSON)
def test_rendered_content(data, flags):
    data = dict({'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_X86_64']}, **data)
    for value in (data, dict(data, flags=flags)):
        try:
            text = json.dumps(value)
        except (TypeError, ValueError):
            continue
        got = refused_naming(lambda: oci.parse_rendered(text), '')
        if got is not None:
            assert got['defaultAction'] in s.ACTIONS and set(got['architectures']) <= set(s.ARCHES)
            assert set(got) <= set(oci.PROFILE_KEYS)
            assert oci.parse_rendered(oci.canonical_json(got)) == got        # canonical form is a fixed point


# --- garbage records in state_dir ------------------------------------------------------

def params(root, **kw):
    p = dict((k, v.get('default')) for k, v in m.argument_spec().items())
    p.update(docker_dir=os.path.join(root, 'docker'), kubelet_root=os.path.join(root, 'kubelet'),
             containerd_dir=os.path.join(root, 'containerd'), bwrap_dir=os.path.join(root, 'bwrap'),
             state_dir=os.path.join(root, 'state'), name='web', preset='hardened', targets=['docker', 'bwrap'])
    p.update(kw)
    return p


def tree(root):
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, 'rb') as fh:
                out[path] = fh.read()
    return out


SHA = hashlib.sha256(b'not yours').hexdigest()


# A file outside every managed directory that hostile records name (never a real system file:
# a regression, or this test run against an unfixed module, would delete it).
ELSEWHERE = tempfile.mkdtemp(prefix='seccomp-fuzz-elsewhere-')
atexit.register(shutil.rmtree, ELSEWHERE, True)


def record_paths(root):
    """Paths a hostile record may name: others' files inside and outside the managed dirs, tricks, our own."""
    return st.sampled_from([
        os.path.join(root, 'outside', 'precious'), os.path.join(root, 'docker', 'other.json'),
        os.path.join(root, 'docker', '..', 'outside', 'precious'), os.path.join(root, 'docker', 'web.json'),
        os.path.join(root, 'bwrap', 'web.x86_64.bpf'), os.path.join(root, 'state', 'other.json'),
        os.path.join(root, 'docker', 'link.json'), os.path.join(ELSEWHERE, 'precious'), 'relative', '', os.path.join(root, 'docker'),
    ])


ROOT = tempfile.mkdtemp(prefix='seccomp-fuzz-')
atexit.register(shutil.rmtree, ROOT, True)

RECORDS = st.one_of(
    JSON,
    st.fixed_dictionaries({'name': st.one_of(st.just('web'), HOSTILE),
                           'files': st.one_of(JSON, st.dictionaries(record_paths(ROOT),
                                                                    st.one_of(st.just(SHA), HOSTILE, JSON),
                                                                    max_size=6))}))


@SLOW
@given(RECORDS, st.sampled_from(['present', 'absent']), st.booleans())
def test_garbage_records_touch_nothing_outside_the_profile(record, state, backup):
    root = ROOT
    shutil.rmtree(root, ignore_errors=True)
    for directory in ('outside', 'docker', 'state', 'bwrap'):
        os.makedirs(os.path.join(root, directory))
    for path in ('outside/precious', 'docker/other.json', 'state/other.json'):
        with open(os.path.join(root, path), 'wb') as fh:
            fh.write(b'not yours')
    os.symlink(os.path.join(root, 'outside', 'precious'), os.path.join(root, 'docker', 'link.json'))
    precious = os.path.join(ELSEWHERE, 'precious')
    with open(precious, 'wb') as fh:
        fh.write(b'not yours')
    with open(os.path.join(root, 'state', 'web.json'), 'w') as fh:
        json.dump(record, fh)
    others = dict((p, d) for p, d in tree(root).items() if not p.endswith('/state/web.json'))
    mod = FakeModule(params(root, state=state, backup=backup))
    try:
        m.run(mod)
    except m.ProfileError as exc:
        assert '\n' not in str(exc)
    after = tree(root)
    for path, data in others.items():
        assert after.get(path) == data, path
    assert os.path.islink(os.path.join(root, 'docker', 'link.json'))
    with open(precious, 'rb') as fh:
        assert fh.read() == b'not yours'
    ours = set([os.path.join(root, 'docker', 'web.json'), os.path.join(root, 'bwrap', 'web.x86_64.bpf'),
                os.path.join(root, 'state', 'web.json')])
    for path in set(after) - set(others):
        assert path in ours or '.json.' in path or '.bpf.' in path, path     # our files and their backups
