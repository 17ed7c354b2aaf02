# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run at a time per host (issue 11 item 13): the lease of hardening_lock."""

import json
import multiprocessing
import os
import subprocess
import sys
import time

import pytest

from ansible_collections.confine.hardening.plugins.modules import hardening_lock as m

from conftest import FakeModule, run_main


def params(tmp_path, **kw):
    p = dict(path=str(tmp_path / 'state' / 'lock.json'), state='acquired', run_id='run-a', controller='ops1',
             host='web1', timeout=5, max_age=3600)
    p.update(kw)
    return p


def lock(tmp_path, check_mode=False, **kw):
    mod = FakeModule(params(tmp_path, **kw), check_mode)
    return m.run(mod), mod


def _worker(path, run_id, log, hold):
    p = dict(path=path, state='acquired', run_id=run_id, controller='ctl', host='h', timeout=20, max_age=3600)
    mod = FakeModule(p)
    m.run(mod)
    log.put(('in', run_id, time.time()))
    time.sleep(hold)
    log.put(('out', run_id, time.time()))
    m.run(FakeModule(dict(p, state='released')))


# issue 11 item 13
def test_concurrent_runs_take_the_lock_one_after_another(tmp_path):
    ctx = multiprocessing.get_context('fork')
    log = ctx.Queue()
    path = str(tmp_path / 'state' / 'lock.json')
    procs = [ctx.Process(target=_worker, args=(path, 'run-%d' % i, log, 0.3)) for i in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    assert all(p.exitcode == 0 for p in procs)
    events = sorted((log.get(timeout=5) for _n in range(6)), key=lambda e: e[2])
    # never two runs inside at once: the events alternate in, out, in, out, ...
    assert [e[0] for e in events] == ['in', 'out'] * 3
    assert [e[1] for e in events[0::2]] == [e[1] for e in events[1::2]]
    assert not os.path.exists(path)


# issue 11 item 13
def test_a_second_run_waits_then_fails_naming_the_holder_and_the_file(tmp_path):
    first = lock(tmp_path)[0]
    assert first['acquired'] and first['changed'] is False
    started = time.time()
    with pytest.raises(m.LockError) as err:
        lock(tmp_path, run_id='run-b', timeout=1)
    assert time.time() - started >= 1
    text = str(err.value)
    assert text.startswith(str(tmp_path / 'state' / 'lock.json') + ' is held by run run-a from controller ops1 '
                           '(host web1) since ' + first['holder']['since'])
    assert 'this run (run-b) waited 1 s (timeout)' in text and text.count('. ') == 0


def test_the_same_run_takes_it_again_without_a_change_and_releases_it(tmp_path):
    first = lock(tmp_path)[0]
    again = lock(tmp_path)[0]
    assert again['acquired'] and again['changed'] is False and again['holder'] == first['holder']
    released = lock(tmp_path, state='released')[0]
    assert released['changed'] is False and not os.path.exists(first['lock_file'])
    assert lock(tmp_path, state='released')[0]['msg'].endswith('is not held')


def test_a_stale_lease_is_taken_over_with_a_warning(tmp_path):
    lock(tmp_path)
    path = tmp_path / 'state' / 'lock.json'
    lease = json.loads(path.read_text())
    lease['since_epoch'] -= 7200
    path.write_text(json.dumps(lease))
    result, mod = lock(tmp_path, run_id='run-b')
    assert result['acquired'] and result['took_over']['run_id'] == 'run-a'
    assert json.loads(path.read_text())['run_id'] == 'run-b'
    assert 'taken to have crashed' in mod.warnings[0] and 'run run-a from controller ops1' in mod.warnings[0]


def test_an_unreadable_lease_counts_as_held_until_it_is_stale(tmp_path):
    path = tmp_path / 'state' / 'lock.json'
    path.parent.mkdir()
    path.write_text('{not json')
    with pytest.raises(m.LockError, match='is held by an unreadable lease'):
        lock(tmp_path, timeout=0)
    old = time.time() - 7200
    os.utime(str(path), (old, old))
    assert lock(tmp_path)[0]['acquired']


def test_release_leaves_a_lease_of_another_run_alone(tmp_path):
    lock(tmp_path)
    result, mod = lock(tmp_path, run_id='run-b', state='released')
    assert not result['acquired'] and 'not by this run (run-b)' in mod.warnings[0]
    assert json.loads((tmp_path / 'state' / 'lock.json').read_text())['run_id'] == 'run-a'


def test_check_mode_looks_at_the_lock_but_writes_nothing(tmp_path):
    free = lock(tmp_path, check_mode=True)[0]
    assert not free['acquired'] and 'is free' in free['msg'] and not (tmp_path / 'state').exists()
    lock(tmp_path)
    with pytest.raises(m.LockError, match='is held by run run-a'):
        lock(tmp_path, check_mode=True, run_id='run-b', timeout=0)
    before = (tmp_path / 'state' / 'lock.json').read_bytes()
    assert lock(tmp_path, check_mode=True, state='released')[0]['msg'].endswith('would be released (check mode)')
    assert (tmp_path / 'state' / 'lock.json').read_bytes() == before


def test_a_symlink_or_fifo_as_the_lease_is_refused_in_one_sentence(tmp_path):
    (tmp_path / 'state').mkdir()
    os.symlink(str(tmp_path / 'elsewhere'), str(tmp_path / 'state' / 'lock.json'))
    with pytest.raises(m.LockError, match=r'lock.json is a symlink, which this module never makes'):
        lock(tmp_path)
    os.unlink(str(tmp_path / 'state' / 'lock.json'))
    os.mkfifo(str(tmp_path / 'state' / 'lock.json'))
    with pytest.raises(m.LockError, match=r'lock.json is a FIFO, not a regular file; remove it by hand'):
        lock(tmp_path)


PLAY = """
- hosts: localhost
  gather_facts: false
  connection: local
  tasks:
    - confine.hardening.hardening_lock: {path: "{{ lock }}", run_id: "{{ rid }}", timeout: "{{ wait }}"}
    # the holder keeps the lease until the test says go (no race with a slow start-up; the
    # timeouts are generous: on a loaded machine each ansible-playbook start takes many seconds)
    - ansible.builtin.wait_for: {path: "{{ go }}", timeout: 600}
      when: hold | int > 0
    - confine.hardening.hardening_lock: {path: "{{ lock }}", run_id: "{{ rid }}", state: released}
"""


# issue 11 item 13: two real ansible-playbook runs on localhost against a scratch lease
@pytest.mark.skipif(not os.path.exists(os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')),
                    reason='ansible-playbook is not installed beside this python')
def test_two_real_playbook_runs_do_not_overlap(tmp_path):
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
    play = tmp_path / 'play.yml'
    play.write_text(PLAY)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(root, 'collections'), ANSIBLE_LOCALHOST_WARNING='false',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_NOCOLOR='1')
    lease = str(tmp_path / 'state' / 'lock.json')

    go = tmp_path / 'go'

    def start(rid, wait, hold):
        cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,', str(play),
               '-e', 'lock=%s rid=%s wait=%d hold=%d go=%s' % (lease, rid, wait, hold, go)]
        return subprocess.Popen(cmd, env=env, cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    first = start('first', 5, 1)
    deadline = time.time() + 300
    while not os.path.exists(lease) and time.time() < deadline:
        time.sleep(0.05)
    # while the first run holds the lease: one run that will not wait fails, one that waits
    # is started, then the first run lets go
    impatient = start('impatient', 0, 0)
    impatient_out = impatient.communicate(timeout=600)[0]
    patient = start('patient', 600, 0)
    time.sleep(3)
    go.write_text('')
    outs = [first.communicate(timeout=600)[0], impatient_out, patient.communicate(timeout=900)[0]]
    assert [p.returncode for p in (first, impatient, patient)] == [0, 2, 0], outs
    assert 'is held by run first from controller' in outs[1] and lease in outs[1]
    assert all('changed=0' in out for out in outs)
    assert not os.path.exists(lease)


def test_main_takes_and_releases_the_lock_through_the_argument_spec(tmp_path):
    path = str(tmp_path / 'lock.json')
    taken = run_main(m, {'path': path, 'run_id': 'run-a'})
    assert taken['acquired'] and not taken['changed'] and taken['lock_file'] == path
    assert json.loads(open(path).read())['run_id'] == 'run-a'
    held = run_main(m, {'path': path, 'run_id': 'run-b', 'timeout': 0})
    assert held['failed'] and held['lock_file'] == path and 'is held by run run-a' in held['msg']
    assert run_main(m, {'path': path, 'run_id': 'run-a', 'state': 'released'})['msg'].startswith('released the lock')
    assert not os.path.exists(path)


def test_main_refuses_what_the_argument_spec_refuses(tmp_path):
    path = str(tmp_path / 'lock.json')
    assert run_main(m, {'path': path})['msg'] == 'missing required arguments: run_id'
    assert 'state' in run_main(m, {'path': path, 'run_id': 'a', 'state': 'held'})['msg']
    negative = run_main(m, {'path': path, 'run_id': 'a', 'timeout': -1})
    assert negative == {'failed': True, 'msg': 'timeout must be 0 or more seconds, not -1', 'lock_file': path}


def test_a_state_directory_the_lease_made_goes_with_it_when_nothing_else_is_there(tmp_path):
    # a run that stops before changing anything (a failed preflight) leaves the host as it was
    lock(tmp_path)
    assert (tmp_path / 'state' / 'lock.json').exists()
    lock(tmp_path, state='released')
    assert not (tmp_path / 'state').exists()
    lock(tmp_path)
    (tmp_path / 'state' / 'web.json').write_text('{}')       # the run wrote a record: the directory stays
    lock(tmp_path, state='released')
    assert (tmp_path / 'state' / 'web.json').exists() and not (tmp_path / 'state' / 'lock.json').exists()
    lock(tmp_path)                                          # made before this run: never removed
    lock(tmp_path, state='released')
    assert (tmp_path / 'state').is_dir()
