# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_fleet_report: the rollout's summary from the hosts' reports, and hostile text that stays text in
the Markdown (a CommonMark-ish reading of its table cells) and in the HTML page (read back with
Python's HTML parser; headless Chromium renders it in the fleet scenario and here where installed)."""

import html.parser
import shutil
import subprocess

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.confine.hardening.plugins.module_utils import _fleet_report as fleet

HOSTS = ['canary1', 'web1', 'web2', 'web3']
EVENT = {'kind': 'apparmor', 'profile': 'web//null', 'operation': 'open', 'name': '/srv/x', 'denied_mask': 'w',
         'comm': 'python3', 'count': 4}


def report(host, wave, **kw):
    out = {'host': host, 'rollout': 'r1', 'wave': wave, 'stage': 'enforce', 'decision_code': 'configured',
           'decision': 'stage enforce, as configured', 'failure': None, 'undone': [],
           'counts': {'unexplained': 0, 'accepted': 2, 'ignored': 1}, 'events': [],
           'profiles': [{'name': 'web', 'mode': 'enforce', 'state': 'present', 'changed': True}]}
    out.update(kw)
    return out


def reports():
    return {
        'canary1': report('canary1', ['canary1'], stage='observe', decision_code='held',
                          counts={'unexplained': 1, 'accepted': 0, 'ignored': 0}, events=[EVENT]),
        'web1': report('web1', ['web1', 'web2'], failure='dockerd did not start', undone=[{}, {}, {}],
                       events=[dict(EVENT, count=2), dict(EVENT, kind='seccomp', syscall='mount', exe='/bin/x', count=9)]),
        'web2': report('web2', ['web1', 'web2']),
        'web3': report('web3', ['web3'], rollout='r0'),           # an earlier rollout's: not reached by this one
    }


def test_the_summary_of_a_rollout_stopped_by_a_failed_wave():
    s = fleet.summarise(reports(), HOSTS, 'r1')
    assert [(r['host'], r['status']) for r in s['hosts']] == [
        ('canary1', 'observing'), ('web1', 'failed'), ('web2', 'ok'), ('web3', 'not reached')]
    assert s['waves'] == [{'hosts': ['canary1'], 'failed': []}, {'hosts': ['web1', 'web2'], 'failed': ['web1']}]
    assert s['failed'] == ['web1'] and s['not_reached'] == ['web3']
    assert s['top_events'][0] == {'what': 'seccomp / mount / /bin/x', 'count': 9, 'hosts': ['web1']}
    assert s['top_events'][1] == {'what': 'web / open /srv/x w / python3', 'count': 6, 'hosts': ['canary1', 'web1']}
    md = fleet.markdown(s)
    assert '| canary1 | observing | enforce | held |' not in md and '| canary1 | observing | observe | held |' in md
    assert '4 hosts: 1 ok, 1 observing, 1 failed and undone, 0 without a report, 1 not reached.' in md
    assert '- web1: dockerd did not start (3 files put back)' in md and 'Not reached (the rollout stopped): web3' in md


def test_a_host_of_a_wave_that_ran_without_a_report_is_not_called_unreached():
    got = reports()
    del got['web2']            # lost in the second wave, which ran: web1's report names it
    s = fleet.summarise(got, HOSTS, 'r1')
    assert [r['status'] for r in s['hosts']] == ['observing', 'failed', 'no report', 'not reached']
    assert s['no_report'] == ['web2'] and s['not_reached'] == ['web3']
    assert 'No report (lost, or failed before it wrote one): web2' in fleet.markdown(s)


def test_markdown_starts_no_heading_list_or_quote_from_a_value():
    for text, want in (('# x', '\\# x'), ('- x', '\\- x'), ('1. x', '1\\. x'), ('>q', '&gt;q'), ('a|b', 'a\\|b'),
                       ('x.y', 'x.y')):
        assert fleet.md_text(text) == want, text


def test_reports_of_the_wrong_shapes_are_rows_not_errors():
    hostile = {'web1': {'rollout': 'r1', 'counts': 'x', 'profiles': [None, 'a'], 'events': [None, {'count': 'x'}],
                        'wave': 'web1', 'undone': 3}, 'web2': ['not', 'a', 'report']}
    s = fleet.summarise(hostile, ['web1', 'web2'], 'r1')
    assert [r['status'] for r in s['hosts']] == ['ok', 'not reached'] and s['waves'] == [{'hosts': ['web1'],
                                                                                         'failed': []}]
    fleet.markdown(s), fleet.html(s)


class Cells(html.parser.HTMLParser):
    """The text of every <td> and <title>, and every tag and attribute seen."""

    def __init__(self):
        html.parser.HTMLParser.__init__(self)
        self.cells, self.tags, self.stack = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ('td', 'title', 'li'):
            self.stack.append([])

    def handle_endtag(self, tag):
        if tag in ('td', 'title', 'li') and self.stack:
            self.cells.append(''.join(self.stack.pop()))

    def handle_data(self, data):
        if self.stack:
            self.stack[-1].append(data)


TEXT = st.text(st.characters(blacklist_categories=('Cs',)), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(host=TEXT, name=TEXT, comm=TEXT, failure=TEXT)
def test_hostile_text_stays_text_in_both_pages(host, name, comm, failure):
    event = dict(EVENT, name=name, comm=comm)
    s = fleet.summarise({host: report(host, [host], events=[event], failure=failure)}, [host], 'r1')
    page = Cells()
    page.feed(fleet.html(s))
    assert [t for t, _a in page.tags if t == 'script'] == ['script']           # its own, nothing else
    assert not [a for _t, attrs in page.tags for a in attrs if a.startswith('on')]
    said = ' '.join(('open %s w / %s' % (name, comm)).split())
    assert host in page.cells and any(said in ' '.join(c.split()) for c in page.cells)
    md = fleet.markdown(s)
    for line in md.splitlines():
        if line.startswith('|'):
            # every cell boundary is a real one: an escaped pipe never splits a cell
            cells = line.replace('\\\\', '').replace('\\|', '').split('|')[1:-1]
            assert len(cells) in (3, 8), line
    assert '<' not in md and '>' not in md


@pytest.mark.skipif(not shutil.which('chromium'), reason='chromium is not installed (scripts/install-deps.sh)')
def test_headless_chromium_renders_the_table_and_runs_the_page_script(tmp_path):
    s = fleet.summarise(reports(), HOSTS, 'r1')
    page = tmp_path / 'fleet-report.html'
    page.write_text(fleet.html(s))
    dom = subprocess.run(['chromium', '--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', page.as_uri()],
                         capture_output=True, text=True, timeout=180, check=True).stdout
    cells = Cells()
    cells.feed(dom)
    assert ('body', {'data-ready': 'sortable'}) in cells.tags       # the script ran under the page's policy
    rows = [r for r in cells.tags if r[0] == 'tr' and r[1].get('class')]
    assert [r[1]['class'] for r in rows] == ['observing', 'failed', 'ok', 'not-reached']
    assert fleet.SCRIPT.count('cellIndex') == 1      # each table's columns counted in that table
