# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generated hostile input for the audit-record reader (issue 11 items 4, 17 and 21).

Garbage lines (random text and bytes, records cut anywhere, huge quoted values, nested
braces and JSON, NULs, lines over MAX_LINE) go to the parser and, as a file, through
profile_events' reader: no exception escapes, every line is counted once and is either
parsed, counted malformed or ignored as no record.  Valid records naming hostile files
parse to exactly that name, and their suggestion matches that name (and, where the
collection does not generalise, nothing next to it) as the gate reads AppArmor globs.
Time is bounded by construction (one pass per line, lines capped): the tests assert on
counts, never on wall time.  Budget: well under 40 s for the file (pytest --durations=0).
"""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.confine.hardening.plugins.module_utils import _aare as aare
from ansible_collections.confine.hardening.plugins.module_utils import _audit as audit
from ansible_collections.confine.hardening.plugins.module_utils import _audit_sources as sources
from ansible_collections.confine.hardening.plugins.module_utils import _gate as gate

VALID = [
    'type=AVC msg=audit(1795468675.652:237): apparmor="ALLOWED" operation="open" profile="web" '
    'name="/tmp/confine-aa/secret-1" pid=1728 comm="cat" requested_mask="r" denied_mask="r" fsuid=0 ouid=0'
    '\x1dFSUID="root" OUID="root"',
    'type=SECCOMP msg=audit(1795468300.120:301): auid=4294967295 uid=0 gid=0 ses=4294967295 subj=docker-default '
    'pid=2101 comm="probe" exe="/probe" sig=0 arch=c000003e syscall=165 compat=0 ip=0x4a3b2c code=0x7ffc0000',
    '[  812.337441] audit: type=1400 audit(1795468301.001:310): apparmor="DENIED" operation="capable" '
    'profile="web" pid=1 comm="x" capability=12  capname="net_admin"',
    '5,550,237901602,-;audit: type=1326 audit(1795479254.532:176): pid=1 comm="x" exe="/x" sig=0 arch=c000003e '
    'syscall=39 compat=0 ip=0x0 code=0x7ffc0000',
]
SETTINGS = dict(deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _kernel_field(name):
    """A string field as the kernel logs it: quoted, or hex when it holds a space, quote or
    a byte outside printable ASCII."""
    if name and all('!' <= c <= '~' and c != '"' for c in name):
        return '"%s"' % name
    return name.encode('utf-8', 'surrogatepass').hex().upper()


def record(name, profile='web', mask='rw'):
    return ('type=AVC msg=audit(1795468675.652:237): apparmor="ALLOWED" operation="open" profile=%s name=%s '
            'pid=1 comm="x" requested_mask="%s" denied_mask="%s" fsuid=0 ouid=0'
            % (_kernel_field(profile), _kernel_field(name), mask, mask))


@st.composite
def cut_record(draw):
    line = draw(st.sampled_from(VALID + [record('/srv/a b')]))
    return line[:draw(st.integers(0, len(line)))]


@st.composite
def huge_quoted(draw):
    head = draw(st.sampled_from(VALID))[:60]
    filler = draw(st.sampled_from(['a', 'a=b ', '\\"', ' x="', '"', '{', '=', '\\']))
    return head + ' name="' + filler * draw(st.integers(1000, 20000))


@st.composite
def nested(draw):
    depth = draw(st.integers(1, 5000))
    kind = draw(st.sampled_from(['json-object', 'json-array', 'braces', 'message']))
    if kind == 'json-object':
        return '{"a": ' * depth + '1' + '}' * depth
    if kind == 'json-array':
        return '{"MESSAGE": ' + '[' * depth + ']' * depth + '}'
    if kind == 'braces':
        return VALID[0].replace('"/tmp/confine-aa/secret-1"', '"/srv/' + '{' * depth + 'a' + '}' * depth + '"')
    return json.dumps({'MESSAGE': draw(st.sampled_from(VALID)), '_TRANSPORT': 'kernel',
                       'x': json.loads('[' * min(depth, 900) + ']' * min(depth, 900))})


LINE = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300).map(lambda b: b.decode('utf-8', 'replace')),
    cut_record(),
    huge_quoted(),
    nested(),
    st.sampled_from(VALID).map(lambda line: line.replace('name=', 'name=\x00')),
    st.sampled_from(VALID).map(lambda line: line + ' x=' + 'y' * audit.MAX_LINE),
    st.text(max_size=80).map(record),
)


@settings(max_examples=500, **SETTINGS)
@given(st.lists(LINE, max_size=12))
def test_the_parser_counts_every_line_and_raises_nothing(lines):
    collector = audit.Collector().feed(lines)
    assert collector.lines == len(lines)
    outcomes = [audit.parse_line(line) for line in lines]
    assert all(not (event is not None and bad) for event, bad in outcomes)
    assert collector.malformed == sum(1 for _e, bad in outcomes if bad)
    events = collector.results()
    assert sum(e['count'] for e in events) == sum(1 for e, _b in outcomes if e is not None)
    audit.suggestions(events, [])


GLOBBY = st.sampled_from(list('*?[]{}@^\\,"\' \t\n/.-_0123456789aZ') + ['@{HOME}', '**', '{a,b}', '[^/]', '\x7f', '\u00e9'])
NAME = st.lists(st.one_of(GLOBBY, st.characters(blacklist_categories=('Cs',))), min_size=1, max_size=40).map(
    lambda parts: '/' + ''.join(parts))


@settings(max_examples=800, **SETTINGS)
@given(NAME)
def test_a_hostile_name_parses_to_itself_and_its_suggestion_matches_it(name):
    # issue 11 item 4: whatever the name holds, the suggestion is that name, not a wider glob
    event, bad = audit.parse_line(record(name))
    assert not bad and event['name'] == name
    unsuggested = []
    rules = audit.suggestions([dict(event, count=1)], unsuggested)['apparmor'].get('web', {}).get('files', [])
    if unsuggested:
        assert rules == [] and audit.glob_path(name) is None
        return
    assert len(rules) == 1 and rules[0]['perms'] == 'rw'
    regex = aare.aare_regex(rules[0]['path'])
    assert regex.match(name)
    spec = {'name': 'web', 'files': rules}
    assert gate.apparmor_accepted(dict(event, count=1), spec)
    if '[0-9' not in rules[0]['path']:     # no documented generalisation: the name and nothing else
        for other in (name + 'x', name + '/x', name[:-1] or '/x', name.replace(name[-1], 'Z' if name[-1] != 'Z' else 'Y')):
            if other != name:
                assert not regex.match(other), (name, other)


@settings(max_examples=150, **SETTINGS)
@given(st.lists(st.one_of(st.binary(max_size=200), LINE.map(lambda s: s.encode('utf-8', 'surrogatepass'))),
                max_size=8))
def test_profile_events_reading_a_file_of_garbage_raises_nothing(tmp_path_factory, chunks):
    # issue 11 items 17 and 21: through the file reader (regular file, bounded lines, journal JSON)
    path = tmp_path_factory.mktemp('fuzz') / 'garbage.log'
    lines = [c.replace(b'\n', b' ') for c in chunks]
    path.write_bytes(b''.join(line + b'\n' for line in lines))
    got = sources.collect('file', log_path=str(path), resolve=lambda arch, nr: None)
    # only lines that hold a marker are parsed (the others cannot be records); a journal entry
    # without a usable message is no line; every other marked line is counted once
    from ansible_collections.confine.hardening.plugins.module_utils import _audit_readers as readers
    marked = [line for line in lines if any(m in line for m in readers.ANY_MARKERS)]
    plain = [line for line in marked if not line.startswith((b'{', b' '))]     # kmsg continuation lines too
    assert len(plain) <= got['lines'] <= len(marked)
    assert got['malformed'] <= got['lines']
    assert got['malformed'] >= sum(1 for line in plain if len(line) > audit.MAX_LINE)
    assert got['bytes'] == path.stat().st_size


GLOB_PART = st.sampled_from(['a', 'b', '/', '*', '**', '?', '[ab]', '[^a]', '{a,b}', '{,/}', '\\*', '\\{', '@{PROC}',
                             '@{pid}', '{a,{b,}}', '.', '[', '}', ',', '\\'])
NAME_PART = st.sampled_from(['a', 'b', '/', '*', '{', ',', 'x', '1', 'proc', '.'])


@settings(max_examples=300, **SETTINGS)
@given(st.lists(GLOB_PART, max_size=8).map(lambda p: '/' + ''.join(p)),
       st.lists(st.lists(NAME_PART, max_size=10).map(lambda p: '/' + ''.join(p)), min_size=1, max_size=5))
def test_the_gate_matcher_is_the_glob_regex_and_never_raises(glob, names):
    # issue 11 item 4: the gate's linear-time matcher means what aare_regex means
    # (and aare_regex is checked against apparmor_parser in test_gate)
    try:
        regex = aare.aare_regex(glob)
    except aare.Unreadable:
        assert all(not aare.glob_matcher(glob).match(name) for name in names)
        return
    matcher = aare.GlobMatcher(glob)
    for name in names:
        assert bool(regex.match(name)) == matcher.match(name), (glob, name)


TOKENS = ['name=', 'comm=', 'profile=', '414243', 'ff', '"', ' ', 'x=', '1', '=', 'a', '\t', '\x1d', '\u2003',
          '2name=', '-', '\u00e9', '\n', '\x0b', 'apparmor="DENIED"']


def _fields_or_unterminated(parse, body):
    try:
        return parse(body)
    except audit.Unterminated:
        return 'unterminated'


@settings(max_examples=3000, **SETTINGS)
@given(st.one_of(st.lists(st.sampled_from(TOKENS), max_size=30).map(''.join), st.text(max_size=80), LINE))
def test_the_fast_field_splitter_equals_the_reference_one_character_at_a_time(body):
    assert _fields_or_unterminated(audit.fields, body) == _fields_or_unterminated(audit.fields_reference, body)


MARKED = [b'apparmor=', b'type=SECCOMP', b'type=DAEMON_', b'type=1326', b'\n', b'x', b'yy ', b'\r', b'\xff',
          b'type=', b'apparm', b'or=', b'z' * 50]


@settings(max_examples=1500, **SETTINGS)
@given(st.lists(st.sampled_from(MARKED), max_size=80), st.sampled_from([7, 64, 1 << 19]), st.booleans())
def test_the_prefilter_keeps_every_line_with_a_marker(monkeypatch, tmp_path, tokens, chunk, grep):
    """Lines and markers straddle the reads (small chunks); lines over MAX_LINE (small here)
    are given as OVERLONG when they hold a marker, else passed over; grep and the Python scan
    give the same lines."""
    from ansible_collections.confine.hardening.plugins.module_utils import _audit_readers as readers
    monkeypatch.setattr(readers, 'CHUNK', chunk)
    monkeypatch.setattr(readers, 'MAX_LINE', 100)
    monkeypatch.setattr(readers, 'USE_GREP', grep)
    data = b''.join(tokens)
    path = tmp_path / 'log'
    path.write_bytes(data)
    info = {}
    with readers.open_log(str(path)) as fh:
        got = list(readers.marked_lines(fh, readers.AUDITD_MARKERS, info))
    lines = data.split(b'\n')
    if lines and lines[-1] == b'':
        lines.pop()
    want = []
    for line in lines:
        if any(m in line for m in readers.AUDITD_MARKERS):
            want.append(audit.OVERLONG if len(line) > 100 else line.decode('utf-8', 'replace').rstrip('\r'))
    assert got == want
    assert info['bytes_read'] == len(data)


@settings(max_examples=300, **SETTINGS)
@given(st.lists(LINE, max_size=8), st.lists(st.integers(0, 7), max_size=30))
def test_the_parse_cache_changes_no_result(monkeypatch, lines, picks):
    """Records seen again (the same body, another time) parse from the cache exactly as anew."""
    stream = [lines[i % len(lines)] for i in picks] if lines else []
    cached = audit.Collector().feed(stream)
    monkeypatch.setattr(audit, 'CACHE_BODY', -1)        # nothing is cached
    fresh = audit.Collector().feed(stream)
    assert (cached.malformed, cached.lines) == (fresh.malformed, fresh.lines)
    assert cached.results() == fresh.results()
