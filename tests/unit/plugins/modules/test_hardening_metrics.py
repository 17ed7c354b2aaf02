"""confine.hardening.hardening_metrics through its main() and real argument spec: the file is
written whole, never counts as a change, is skipped without a node exporter's directory, and
nothing that is not a regular file is written or read (hostile records included)."""

import hashlib
import json
import os
import stat
import threading

from ansible_collections.confine.hardening.plugins.modules import hardening_metrics as m

from conftest import run_main

REPORT = {'stage': 'enforce', 'decision_code': 'promoted', 'failure': None, 'undone': [], 'tallies': []}


def record(tmp_path, files):
    path = tmp_path / 'record.fact'
    path.write_text(json.dumps({'updated_at': '2026-12-01T10:00:00+00:00', 'profiles': [
        {'kind': 'seccomp', 'name': 'web', 'mode': 'enforce', 'targets': ['docker'], 'files': files}]}))
    return str(path)


def args(tmp_path, **kw):
    out = {'path': str(tmp_path / 'textfile' / 'confine_hardening.prom'), 'report': REPORT,
           'record_path': str(tmp_path / 'none.fact')}
    out.update(kw)
    return out


def test_writes_the_file_whole_and_it_is_never_a_change(tmp_path):
    (tmp_path / 'textfile').mkdir()
    profile = tmp_path / 'web.json'
    profile.write_text('{}\n')
    files = [{'path': str(profile), 'sha256': hashlib.sha256(b'{}\n').hexdigest()}]
    got = run_main(m, args(tmp_path, record_path=record(tmp_path, files)))
    assert not got.get('failed') and got['written'] and not got['changed'], got
    path = tmp_path / 'textfile' / 'confine_hardening.prom'
    text = path.read_text()
    assert 'confine_profile_files_match{kind="seccomp",name="web"} 1\n' in text
    assert 'confine_stage{stage="enforce"} 1\n' in text and stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert os.listdir(tmp_path / 'textfile') == ['confine_hardening.prom']      # no temporary file left
    profile.write_text('{"changed": 1}\n')
    again = run_main(m, args(tmp_path, record_path=record(tmp_path, files)))
    assert not again['changed'] and 'confine_profile_files_match{kind="seccomp",name="web"} 0\n' in path.read_text()


def test_no_directory_no_file_and_check_mode_writes_nothing(tmp_path):
    got = run_main(m, args(tmp_path))
    assert not got.get('failed') and not got['written'] and 'does not exist' in got['skipped_reason']
    assert not (tmp_path / 'textfile').exists()
    (tmp_path / 'textfile').mkdir()
    got = run_main(m, args(tmp_path), check_mode=True)
    assert not got['written'] and got['samples'] > 10 and os.listdir(tmp_path / 'textfile') == []


def test_a_symlink_a_fifo_or_a_directory_at_the_path_is_refused_and_left_alone(tmp_path):
    (tmp_path / 'textfile').mkdir()
    secret = tmp_path / 'secret'
    secret.write_text('not yours\n')
    path = tmp_path / 'textfile' / 'confine_hardening.prom'
    path.symlink_to(secret)
    got = run_main(m, args(tmp_path))
    assert got['failed'] and 'is a symlink' in got['msg'] and secret.read_text() == 'not yours\n'
    path.unlink()
    os.mkfifo(str(path))
    got = run_main(m, args(tmp_path))
    assert got['failed'] and 'FIFO' in got['msg'].upper() and stat.S_ISFIFO(os.lstat(path).st_mode)
    for bad in ('relative.prom', str(tmp_path / 'textfile' / 'x.txt'), str(tmp_path / 'textfile' / '.hidden.prom')):
        got = run_main(m, args(tmp_path, path=bad))
        assert got['failed'] and got['msg'].startswith('hardening metrics: path: ') and '*.prom' in got['msg']


def test_a_hostile_record_neither_hangs_nor_matches(tmp_path):
    """Recorded files that are a FIFO nobody writes, a device and a directory: read without waiting,
    and none of them matches; a FIFO where the record is: a warning, metrics without profiles."""
    (tmp_path / 'textfile').mkdir()
    fifo = tmp_path / 'fifo'
    os.mkfifo(str(fifo))
    files = [{'path': str(fifo), 'sha256': 'x'}, {'path': '/dev/zero', 'sha256': 'x'}, {'path': str(tmp_path), 'sha256': 'x'}]
    done = []
    worker = threading.Thread(target=lambda: done.append(run_main(m, args(tmp_path, record_path=record(tmp_path, files)))))
    worker.start()
    worker.join(60)
    assert done and not done[0].get('failed'), done
    assert 'confine_profile_files_match{kind="seccomp",name="web"} 0\n' in (tmp_path / 'textfile' / 'confine_hardening.prom').read_text()
    got = run_main(m, args(tmp_path, record_path=str(fifo)))
    assert not got.get('failed') and got['written'] and 'FIFO' in ' '.join(got.get('warnings', [])).upper()
