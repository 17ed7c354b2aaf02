# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property-based test of the module's run function (issue 11, "every module error is one
sentence ... no traceback reaches the user for any input", item 21's spirit for
apparmor_profile): hostile values for every string option, the rendered ``content`` and the
directory options, fed to ``run`` with the fake securityfs of test_apparmor_profile and the
real ``apparmor_parser -QK``.  Each run either succeeds (and then the file it wrote is the
one profile it was asked for, in the directory it was given) or fails with a ProfileError
whose message is one line naming the field or file.  Nothing else may be raised, and nothing
is written outside the scratch directory.  Budget: at most 25 s."""

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip('hypothesis')
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402
from unittest import mock  # noqa: E402

from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_host as aa_host  # noqa: E402
from ansible_collections.confine.hardening.plugins.module_utils import _apparmor_spec as a  # noqa: E402
from ansible_collections.confine.hardening.plugins.modules import apparmor_profile as m  # noqa: E402
from test_apparmor_profile import PARSER, FakeKernel, FakeModule, params  # noqa: E402

pytestmark = pytest.mark.skipif(not os.path.exists(PARSER), reason='apparmor_parser is not installed')

SETTINGS = settings(max_examples=50, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

FRAGMENTS = [
    '\\', '"', "'", ' ', '\t', ',', '{', '}', '[', ']', '#', '^', '->', '(', ')', '=', '<', '>', ':', '\n', '\r',
    '\x00', '\x1b', '\x85', '\u2028', 'é', '\ud800', '@{', '@{PROC}', '..', '.', '/', '//', '*', '**', '?', 'a',
    '-', '_', '~', 'flags=(complain)', ' r,', ' {', '}\n', 'include', 'deny', 'audit', 'profile', 'unconfined',
    '.orig', '.dpkg-old', 'web', '/etc/shadow', '<abstractions/base>', '"/etc/passwd"', '/** rwlkmix,',
]
HOSTILE = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS), max_size=10).map(''.join),
    st.text(max_size=12),
    st.integers(min_value=100, max_value=20000).map(lambda n: 'a' * n),
)
PREFIXES = st.sampled_from(['', '/', '/usr/bin/', 'abstractions/', 'web'])
VALUES = st.builds(lambda p, h: p + h, PREFIXES, HOSTILE)


@contextlib.contextmanager
def fake_host():
    """A fresh scratch root with the fake kernel patched into the module (no pytest fixture:
    hypothesis runs many examples in one test call)."""
    root = Path(tempfile.mkdtemp(prefix='confine-fuzz-'))
    # a temporary directory of this example's own, so that another process's parser scratch
    # directory in the shared /tmp is never taken for one the module left behind
    private_tmp = tempfile.mkdtemp(prefix='confine-fuzz-tmp-')
    try:
        kernel = FakeKernel(root)
        (root / 'apparmor.d').mkdir()
        real_unload = aa_host.unload

        def unload(name, securityfs=None):
            real_unload(name, securityfs)
            kernel.remove()
        with mock.patch.object(aa_host, 'SECURITYFS', str(kernel.fs)), \
                mock.patch.object(aa_host, 'ENABLED', str(kernel.enabled)), \
                mock.patch.object(aa_host, 'CACHE_GLOB', str(root / 'cache' / '*' / '%s')), \
                mock.patch.object(aa_host, 'unload', unload), mock.patch.object(aa_host, '_USERNS', {}), \
                mock.patch.object(tempfile, 'tempdir', private_tmp):
            yield kernel
    finally:
        shutil.rmtree(str(root), ignore_errors=True)
        shutil.rmtree(private_tmp, ignore_errors=True)


ROOT = '\x00SCRATCH-ROOT\x00'     # replaced by the example's scratch root


def files_under(root):
    out = set()
    for dirpath, dirnames, filenames in os.walk(str(root)):
        out.update(os.path.join(dirpath, n) for n in filenames + dirnames)
    return out


def attempt(field, **options):
    """Run the module once; the error message when it refused (asserting its shape)."""
    with fake_host() as kernel:
        options = dict((k, v.replace(ROOT, str(kernel.root)) if isinstance(v, str) else v) for k, v in options.items())
        p = params(kernel.root, **options)
        outside_before = set(os.listdir(tempfile.gettempdir()))
        try:
            result = m.run(FakeModule(p, kernel))
        except m.ProfileError as exc:
            msg = str(exc)
            assert msg and '\n' not in msg and 'Traceback' not in msg, msg
            return msg
        finally:
            # the parser's scratch dir is gone again; nothing new beside the scratch root
            new = set(os.listdir(tempfile.gettempdir())) - outside_before
            assert not [n for n in new if n.startswith('confine-apparmor-')], new
        # accepted: one profile file, the one asked for, in apparmor_dir (or nothing for absent)
        directory = Path(p['apparmor_dir'])
        assert os.path.realpath(str(directory)).startswith(str(kernel.root) + '/'), directory
        profile = Path(os.path.join(p['apparmor_dir'], p['name']))
        assert result['profile_file'] == os.path.join(p['apparmor_dir'], p['name'])
        if p['state'] == 'present':
            text = profile.read_text()
            assert a.is_ours(text) and kernel.profiles.get(p['name']) == p['mode']
            assert set(kernel.profiles) == {p['name']}
        written = [f for f in files_under(directory) if os.path.isfile(f)]
        assert [os.path.realpath(f) for f in written] in ([], [os.path.realpath(str(profile))]), written
        return None


def names_field(msg, *words):
    return any(msg.startswith(w) or (' %s' % w) in msg for w in words)


@SETTINGS
@given(name=VALUES)
def test_hostile_names(name):
    msg = attempt('name', name=name)
    assert msg is None or msg.startswith('name: '), msg


@SETTINGS
@given(value=VALUES, field=st.sampled_from(['attach', 'owner', 'source', 'abi']))
def test_hostile_header_strings(value, field):
    options = {field: value}
    if field == 'attach':
        options['preset'] = 'service'
    msg = attempt(field, **options)
    assert msg is None or names_field(msg, field + ':', 'apparmor_parser rejected'), msg


@SETTINGS
@given(value=VALUES, field=st.sampled_from(['includes', 'extra_rules', 'flags']))
def test_hostile_list_items(value, field):
    msg = attempt(field, **{field: [value]})
    # flags are checked after the preset's are merged in, so the index may be past the user's
    # (through Ansible the argument spec's choices refuse them first, naming flags)
    prefix = 'flags[' if field == 'flags' else '%s[0]:' % field
    assert msg is None or names_field(msg, prefix, 'apparmor_parser rejected'), msg


@SETTINGS
@given(path=VALUES, perms=st.one_of(st.sampled_from(['r', 'rw', 'rwlk', 'ix']), HOSTILE),
       deny=st.booleans(), mode=st.sampled_from(['complain', 'enforce']))
def test_hostile_file_rules(path, perms, deny, mode):
    rule = {'path': path, 'perms': perms, 'exec': None, 'owner': None, 'deny': deny, 'audit': None, 'quiet': None}
    msg = attempt('files', files=[rule], mode=mode)
    assert msg is None or names_field(msg, 'files[0].', 'apparmor_parser rejected'), msg


BODY = st.lists(st.sampled_from(FRAGMENTS + ['  /x r,\n', 'profile evil {\n', '}\n', '^hat {\n', 'include <x>\n',
                                             '  include "/etc/shadow"\n', '#include <../../x>\n',
                                             'profile docker-default /** {\n']), max_size=8).map(''.join)


@SETTINGS
@given(before=BODY, inside=BODY, after=BODY)
def test_hostile_template_content(before, inside, after):
    # what a user template could render: the marker line, then anything
    text = '%s\n%s\nprofile web {\n%s\n}\n%s' % (a.MARKER, before, inside, after)
    msg = attempt('content', content=text)
    assert msg is None or names_field(msg, 'content:', 'apparmor_parser rejected'), msg


@SETTINGS
@given(value=VALUES, field=st.sampled_from(['apparmor_dir', 'backup_dir']), state=st.sampled_from(['present', 'absent']),
       absolute=st.booleans())
def test_hostile_directories(value, field, state, absolute):
    # relative values as given; absolute ones are put inside the example's scratch root
    if absolute or value.startswith('/'):
        value = ROOT + '/' + value.lstrip('/')
    msg = attempt(field, **{field: value, 'state': state, 'backup': True})
    if msg is not None:
        assert re.match(r'^(%s: |backup_dir: |cannot remove |\S.* is a )' % field, msg) or 'put back' in msg, msg
