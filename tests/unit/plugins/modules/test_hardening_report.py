"""confine.hardening.hardening_report through its main() and real argument spec."""

import json
import os
import stat

from ansible_collections.confine.hardening.plugins.modules import hardening_report as m

from conftest import run_main

REPORT = {'host': 'web1', 'stage': 'enforce', 'events': [{'name': '/srv/a "b"\n'}], 'counts': {'unexplained': 0}}


def test_writes_the_report_making_its_directory_and_a_second_run_changes_nothing(tmp_path):
    path = tmp_path / 'state' / 'report.json'
    got = run_main(m, {'path': str(path), 'report': REPORT})
    assert got['changed'] and not got.get('failed'), got
    assert json.loads(path.read_text()) == REPORT
    assert path.read_text().endswith('}\n')
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o755
    again = run_main(m, {'path': str(path), 'report': REPORT})
    assert not again['changed'] and again['sha256'] == got['sha256']


def test_check_mode_writes_nothing_and_diff_shows_the_report(tmp_path):
    path = tmp_path / 'state' / 'report.json'
    got = run_main(m, {'path': str(path), 'report': REPORT}, check_mode=True, diff=True)
    assert got['changed'] and not path.parent.exists()
    assert '"stage": "enforce"' in got['diff']['after']


def test_a_symlink_a_fifo_or_a_directory_at_the_path_is_refused_and_left_alone(tmp_path):
    secret = tmp_path / 'secret'
    secret.write_text('not yours\n')
    link = tmp_path / 'link.json'
    link.symlink_to(secret)
    got = run_main(m, {'path': str(link), 'report': REPORT}, diff=True)
    assert got['failed'] and 'is a symlink' in got['msg'] and 'not yours' not in json.dumps(got)
    assert secret.read_text() == 'not yours\n' and os.path.islink(link)
    fifo = tmp_path / 'fifo.json'
    os.mkfifo(fifo)
    got = run_main(m, {'path': str(fifo), 'report': REPORT})
    assert got['failed'] and 'it was left alone; nothing was written' in got['msg'] and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    (tmp_path / 'dir.json').mkdir()
    got = run_main(m, {'path': str(tmp_path / 'dir.json'), 'report': REPORT})
    assert got['failed'] and (tmp_path / 'dir.json').is_dir()


def test_a_relative_path_or_a_value_json_cannot_hold_fails_in_one_sentence(tmp_path):
    got = run_main(m, {'path': 'report.json', 'report': REPORT})
    assert got['failed'] and got['msg'].startswith('hardening report: path: report.json is not an absolute path')
    got = run_main(m, {'path': str(tmp_path / 'r.json'), 'report': {'x': float('nan')}})
    assert got['failed'] and got['msg'].startswith('hardening report: report') and '\n' not in got['msg']
    assert not (tmp_path / 'r.json').exists()


# The role gives the lease back in the module run that writes the report, its last write on the host.
def test_the_lock_option_gives_back_this_runs_lease_after_writing_and_leaves_another_runs(tmp_path):
    lease = tmp_path / 'state' / 'lock.json'
    lease.parent.mkdir()
    lease.write_text(json.dumps({'run_id': 'run-a', 'since_epoch': 1.0}))
    path = tmp_path / 'state' / 'report.json'
    # check mode: nothing written, the lease kept
    got = run_main(m, {'path': str(path), 'report': REPORT, 'lock': {'path': str(lease), 'run_id': 'run-a'}},
                   check_mode=True)
    assert got['lock_released'] is False and lease.exists() and not path.exists()
    # another run's lease is left as it is (with a warning); the report is written
    got = run_main(m, {'path': str(path), 'report': REPORT, 'lock': {'path': str(lease), 'run_id': 'run-b'}})
    assert got['lock_released'] is False and lease.exists() and path.exists()
    assert any('not by this run (run-b)' in w for w in got.get('warnings', [])), got
    got = run_main(m, {'path': str(path), 'report': REPORT, 'lock': {'path': str(lease), 'run_id': 'run-a'}})
    assert got['lock_released'] is True and not lease.exists() and not got['changed']
    # a report that cannot be written keeps the lease (the role's always: gives it back)
    lease.write_text(json.dumps({'run_id': 'run-a', 'since_epoch': 1.0}))
    got = run_main(m, {'path': str(tmp_path / 'state'), 'report': REPORT,
                       'lock': {'path': str(lease), 'run_id': 'run-a'}})
    assert got['failed'] and lease.exists()
    assert run_main(m, {'path': str(path), 'report': REPORT})['lock_released'] is False
