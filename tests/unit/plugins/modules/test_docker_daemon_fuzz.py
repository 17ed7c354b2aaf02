# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generated hostile daemon.json content and settings (issue 11 items 14 and 21): docker_daemon
either refuses in one sentence, leaving every file as it was, or writes exactly the merge,
as strict JSON, and nothing else; always within a bounded time."""

import json
import os
import tempfile
import time

from hypothesis import given, settings, strategies as st

from ansible_collections.confine.hardening.plugins.module_utils import _jsonio as jsonio
from ansible_collections.confine.hardening.plugins.modules import docker_daemon as m

from conftest import FakeModule

SURROGATES = st.sampled_from(['\ud800', '\udfff', 'a\udc00b'])
TEXT = st.one_of(st.text(max_size=8), SURROGATES)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10 ** 30, max_value=10 ** 30),
                    st.floats(allow_nan=True, allow_infinity=True), TEXT)
VALUES = st.recursive(SCALARS,
                      lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
                      max_leaves=12)


def _deep(depth, kind):
    return ('{"a": ' * depth + '1' + '}' * depth) if kind == 'object' else ('{"a": ' + '[' * depth + ']' * depth + '}')


# daemon.json texts: JSON of generated values (NaN/Infinity/surrogates escaped by json.dumps),
# deep nesting, duplicate keys, huge numbers, non-object roots, and raw bytes
FILE_TEXTS = st.one_of(
    VALUES.map(json.dumps),
    st.dictionaries(TEXT, VALUES, max_size=4).map(json.dumps),
    st.tuples(st.integers(1, 3000), st.sampled_from(['object', 'array'])).map(lambda t: _deep(*t)),
    st.tuples(TEXT, VALUES, VALUES).map(lambda t: '{%s: %s, %s: %s}' % (json.dumps(t[0]), json.dumps(t[1]),
                                                                        json.dumps(t[0]), json.dumps(t[2]))),
    st.integers(300, 6000).map(lambda n: '{"a": 1%s}' % ('0' * n)),
    st.sampled_from(['{"a": 1e400}', '{"a": -1e400}', '{"a": NaN}', '[]', '"x"', '', '  ', '{', 'null']),
    st.binary(max_size=40).map(lambda b: b.decode('latin-1')),
)


def tree(root):
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, 'rb') as fh:
                out[os.path.relpath(path, root)] = fh.read()
    return out


# issue 11 items 14 and 21
@settings(max_examples=250, deadline=None, derandomize=True)
@given(text=FILE_TEXTS, new=st.dictionaries(TEXT, VALUES, max_size=3))
def test_generated_daemon_json_is_refused_in_one_sentence_or_merged_exactly(text, new):
    with tempfile.TemporaryDirectory() as root:
        path = os.path.join(root, 'etc', 'daemon.json')
        os.makedirs(os.path.dirname(path))
        with open(path, 'wb') as fh:
            fh.write(text.encode('utf-8', 'surrogatepass'))
        before = tree(root)
        started = time.time()
        params = dict(path=path, settings=new, backup_dir=os.path.join(root, 'backups'))
        try:
            result = m.run(FakeModule(params, diff=True))
        except m.DaemonError as exc:
            message = str(exc)
            assert '\n' not in message and 'Traceback' not in message and len(message) < 6000
            assert 'nothing was changed' in message
            assert tree(root) == before
        else:
            written = open(path, 'rb').read()
            current = json.loads(text) if text.encode('utf-8', 'surrogatepass').strip() else {}
            want = m.merged(current, new)
            assert want == result['config']
            if result['changed']:
                # the file is strict JSON meaning exactly the merge
                assert jsonio.loads_strict(written.decode('utf-8')) == want
            else:
                assert tree(root) == before
            json.dumps(result, allow_nan=False).encode('utf-8')
            after = tree(root)
            changed = set(k for k in after if after[k] != before.get(k))
            assert changed <= set(['etc/daemon.json'] + [k for k in after if k.startswith('backups/daemon.json.')])
            assert all(after[k] == before[k] for k in before if k != 'etc/daemon.json')
        assert time.time() - started < 2
