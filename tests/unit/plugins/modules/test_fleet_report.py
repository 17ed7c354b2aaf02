"""confine.hardening.fleet_report through its main() and real argument spec: it reads the hosts'
reports from the directory, writes both pages whole, never counts as a change, and neither reads
nor writes anything that is not a regular file of its own."""

import json
import os
import threading

from ansible_collections.confine.hardening.plugins.modules import fleet_report as m

from conftest import run_main


def write(directory, host, **kw):
    report = {'host': host, 'rollout': 'r1', 'wave': [host], 'stage': 'enforce', 'counts': {}, 'profiles': []}
    report.update(kw)
    (directory / ('%s.json' % host)).write_text(json.dumps(report))


def test_both_pages_from_the_reports_and_never_a_change(tmp_path):
    write(tmp_path, 'web1')
    write(tmp_path, 'web2', failure='dockerd did not start', undone=[{}])
    got = run_main(m, {'report_dir': str(tmp_path), 'hosts': ['web1', 'web2', 'web3'], 'rollout': 'r1'})
    assert not got.get('failed') and not got['changed'], got
    assert [r['status'] for r in got['summary']['hosts']] == ['ok', 'failed', 'not reached']
    md = (tmp_path / 'fleet-report.md').read_text()
    assert '3 hosts: 1 ok, 0 observing, 1 failed and undone, 0 without a report, 1 not reached.' in md
    assert '<tr class="failed">' in (tmp_path / 'fleet-report.html').read_text()
    assert sorted(os.listdir(tmp_path)) == ['fleet-report.html', 'fleet-report.md', 'web1.json', 'web2.json']
    again = run_main(m, {'report_dir': str(tmp_path), 'hosts': ['web1', 'web2', 'web3'], 'rollout': 'r1'},
                     check_mode=True)
    assert not again['changed'] and (tmp_path / 'fleet-report.md').read_text() == md


def test_hostile_names_fifos_and_links_are_neither_read_nor_written(tmp_path):
    os.mkfifo(str(tmp_path / 'web1.json'))
    (tmp_path / 'secret').write_text('{"rollout": "r1", "host": "leak"}')
    done = []
    hosts = ['web1', '../secret', '.hidden', 'a/b']
    params = {'report_dir': str(tmp_path), 'hosts': hosts, 'rollout': 'r1'}
    worker = threading.Thread(target=lambda: done.append(run_main(m, params)))
    worker.start()
    worker.join(60)
    assert done and not done[0].get('failed'), done
    assert [r['status'] for r in done[0]['summary']['hosts']] == ['not reached'] * 4
    assert len(done[0]['warnings']) == 4 and 'FIFO' in done[0]['warnings'][0].upper()
    (tmp_path / 'fleet-report.md').unlink()
    (tmp_path / 'fleet-report.md').symlink_to(tmp_path / 'secret')
    got = run_main(m, {'report_dir': str(tmp_path), 'hosts': ['web2'], 'rollout': 'r1'})
    assert got['failed'] and 'is a symlink' in got['msg'] and 'leak' in (tmp_path / 'secret').read_text()
    got = run_main(m, {'report_dir': 'relative', 'hosts': [], 'rollout': 'r1'})
    assert got['failed'] and got['msg'].startswith('fleet report: report_dir: relative is not an absolute path')
