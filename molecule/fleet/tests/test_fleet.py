"""A rollout across two lab hosts in waves (fleet1 is the canary, then fleet2).

Converge installed version 1 of the profiles on both. Here version 2 goes out with a
fault injected on the canary (an option dockerd refuses, so its restart fails after the
new profiles were installed): the rollout stops after the first wave, fleet1 is back on
version 1 byte for byte and in the kernel, fleet2 is not touched. Without the fault, version 2
goes to the canary, and playbooks/audit-workloads.yml says a Deployment naming version 2's
profiles would not start on fleet2; a re-run converges the fleet and the audit is clean;
playbooks/rollback.yml then takes one host back to version 1.

The tests run in order and share the fleet's state; each runs ansible-playbook as a user
would, through the scenario's inventory.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import testinfra

PROJECT = Path(__file__).resolve().parents[3]
INVENTORY = os.environ.get('MOLECULE_INVENTORY_FILE', '')
HOSTS = ('fleet1', 'fleet2')
PLAIN = dict(os.environ, ANSIBLE_FORCE_COLOR='0', ANSIBLE_NOCOLOR='1')
VERSION2 = {
    'host_hardening_seccomp_profiles': [
        {'name': 'fleet-web', 'preset': 'hardened', 'owner': 'platform-team',
         'syscalls': [{'names': ['chmod', 'fchmod'], 'action': 'SCMP_ACT_ERRNO'}]},
        {'name': 'fleet-api', 'preset': 'runtime-default', 'owner': 'platform-team', 'targets': ['docker', 'kubelet']},
    ],
    'host_hardening_apparmor_profiles': [
        {'name': 'fleet-web', 'preset': 'container-strict', 'owner': 'platform-team',
         'files': [{'path': '/tmp/**', 'perms': 'rwk'}]},
        {'name': 'fleet-api', 'preset': 'container-default', 'owner': 'platform-team', 'mode': 'complain'},
    ],
}
# dockerd refuses an option it does not know: the canary's restart fails after its new
# profiles are in place
FAULT = {'host_hardening_docker_daemon_options':
         "{{ {'confine-no-such-option': true} if inventory_hostname == 'fleet1' else {} }}"}
SNAPSHOT = r'''
cd / && sha256sum etc/docker/seccomp/*.json etc/apparmor.d/fleet-* etc/docker/daemon.json \
  etc/ansible/facts.d/confine_hardening.fact var/lib/confine/seccomp/*.json 2>/dev/null | sort -k2
grep '^fleet-' /sys/kernel/security/apparmor/profiles | sort
docker info --format '{{json .SecurityOptions}}'
'''
STATE = {}


@pytest.fixture(scope='module')
def fleet():
    if not INVENTORY:
        pytest.skip('runs under molecule (MOLECULE_INVENTORY_FILE)')
    return dict((name, testinfra.get_host('ansible://%s' % name, ansible_inventory=INVENTORY)) for name in HOSTS)


def playbook(name, *args, extra=None):
    cmd = ['ansible-playbook', '-i', INVENTORY, str(PROJECT / name)] + list(args)
    if extra:
        cmd += ['-e', json.dumps(extra)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=2400, cwd=str(PROJECT),
                          env=PLAIN)
    return proc.returncode, re.sub(r'\x1b\[[0-9;]*m', '', proc.stdout + proc.stderr)


def snapshot(host):
    out = host.run(SNAPSHOT)
    assert out.rc == 0, out.stderr
    return out.stdout


def record(host):
    return json.loads(host.file('/etc/ansible/facts.d/confine_hardening.fact').content_string)


def fleet_report(directory, fleet, statuses, waves):
    """The rollout's fleet report (Markdown and HTML) against each host's own report.json: the
    Markdown's row per host, the waves, and the HTML page's rows as headless Chromium renders it."""
    md = (directory / 'fleet-report.md').read_text()
    for name, host in fleet.items():
        row = [line for line in md.splitlines() if line.startswith('| %s |' % name)]
        assert len(row) == 1, md
        cells = [c.strip() for c in row[0].split('|')[1:-1]]
        assert cells[1] == statuses[name], (name, cells)
        if statuses[name] != 'not reached':
            own = json.loads(host.file('/var/lib/confine/report.json').content_string)
            assert cells[2:4] == [own['stage'], own['decision_code'].replace('_', '\\_')], (cells, own)
            assert cells[5:] == [str(own['counts'][c]) for c in ('unexplained', 'accepted', 'ignored')], (cells, own)
        if statuses[name] == 'ok':
            # the profiles' modes are the host's governance record's
            assert sorted(cells[4].split(', ')) == sorted('%s %s' % (p['name'], p['mode'])
                                                          for p in record(host)['profiles']), (cells, name)
    listed = [line.split('. ', 1)[1].split(' - ')[0] for line in md.split('## Waves')[1].splitlines()
              if re.match(r'^\d+\. ', line)]
    assert listed == [', '.join(w) for w in waves], md
    dom = subprocess.run(['chromium', '--headless', '--no-sandbox', '--disable-gpu', '--dump-dom',
                          (directory / 'fleet-report.html').as_uri()], capture_output=True, text=True, timeout=300,
                         check=True).stdout
    assert 'data-ready="sortable"' in dom      # the page's own script ran under its policy
    rendered = re.findall(r'<tr class="([a-z-]+)"><td>([^<]*)</td><td class="status">([^<]*)</td>', dom)
    assert rendered == [(statuses[h].replace(' ', '-'), h, statuses[h]) for h in HOSTS], dom[-3000:]
    return md


def test_converge_installed_version_1_everywhere(fleet):
    for name, host in fleet.items():
        rec = record(host)
        assert sorted((p['kind'], p['name']) for p in rec['profiles']) == [('apparmor', 'fleet-web'),
                                                                           ('seccomp', 'fleet-web')], name
        assert 'fleet-web (enforce)' in host.file('/sys/kernel/security/apparmor/profiles').content_string
        STATE[name] = snapshot(host)
        assert 'fleet-web.json' in STATE[name] and 'seccomp,profile=/etc/docker/seccomp/fleet-web.json' in STATE[name]


def test_a_failed_wave_stops_the_rollout_and_the_host_is_put_back(fleet):
    if len(STATE) != len(HOSTS):
        pytest.skip('needs the version 1 snapshot')
    reports = PROJECT / 'build' / 'fleet' / 'failed-wave'
    reports.mkdir(parents=True, exist_ok=True)
    rc, out = playbook('harden.yml', extra=dict(VERSION2, host_hardening_report_dir=str(reports), **FAULT))
    assert rc != 0, out[-4000:]
    # the failure names dockerd's reason and says the run was undone on the canary
    assert re.search(r'fatal: \[fleet1\].*confine-no-such-option.*the run was undone on fleet1', out), out[-6000:]
    # dockerd's restart failed: its daemon.json was put back first (then the whole run was undone)
    assert 'dockerd did not start with the new /etc/docker/daemon.json' in out, out[-6000:]
    assert 'the previous daemon.json was put back and dockerd runs again with it' in out, out[-6000:]
    # fleet1 had version 2 installed and loaded, then it was undone: every file, the
    # kernel's profiles and dockerd's default are as they were
    undone = int(re.search(r'the run was undone on fleet1: (\d+) files put back', out).group(1))
    assert undone >= 5, out[-6000:]     # 2 seccomp profiles' files and records, 2 AppArmor profiles
    assert snapshot(fleet['fleet1']) == STATE['fleet1']
    assert not fleet['fleet1'].file('/etc/apparmor.d/fleet-api').exists
    # the rollout stopped after the first wave: fleet2 was never touched
    assert '[fleet2]' not in out, out[-4000:]
    assert snapshot(fleet['fleet2']) == STATE['fleet2']
    # the fleet report: the canary failed and was undone in the first wave, fleet2 never reached
    md = fleet_report(reports, fleet, {'fleet1': 'failed', 'fleet2': 'not reached'}, [['fleet1']])
    assert '- fleet1: ' in md and 'confine-no-such-option' in md and '(%d files put back)' % undone in md, md


# a Deployment naming version 2's profiles: the seccomp one (enforced) and, in a second
# container, the AppArmor one version 2 loads in complain mode
WORKLOADS = [{
    'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': 'api', 'namespace': 'shop'},
    'spec': {'template': {'spec': {'containers': [
        {'name': 'api', 'securityContext': {
            'seccompProfile': {'type': 'Localhost', 'localhostProfile': 'profiles/fleet-api.json'},
            'appArmorProfile': {'type': 'Localhost', 'localhostProfile': 'fleet-web'}}},
        {'name': 'metrics', 'securityContext': {
            'appArmorProfile': {'type': 'Localhost', 'localhostProfile': 'fleet-api'}}}]}}}}]
KUBELET_API = '/var/lib/kubelet/seccomp/profiles/fleet-api.json'


def audit(tmp):
    """playbooks/audit-workloads.yml on the fleet: (exit status, output, the JSON report)."""
    manifests = tmp / 'manifests'
    manifests.mkdir(exist_ok=True)
    (manifests / 'api.yaml').write_text(json.dumps(WORKLOADS[0]))
    out = tmp / 'report.json'
    rc, text = playbook('playbooks/audit-workloads.yml', extra={
        'audit_manifests': [str(manifests)], 'audit_nodes': 'all', 'audit_output': str(out),
        'audit_patch_dir': str(tmp / 'patches')})
    return rc, text, json.loads(out.read_text())


def test_the_canary_first_then_the_workload_audit_names_the_node_that_lacks_the_profile(fleet, tmp_path):
    # without the fault, version 2 on the canary only (the waves' stop was shown above)
    rc, out = playbook('harden.yml', '-l', 'canary', extra=dict(VERSION2, host_hardening_waves=['100%']))
    assert rc == 0, out[-4000:]
    assert fleet['fleet1'].file(KUBELET_API).exists and not fleet['fleet2'].file(KUBELET_API).exists
    rc, out, report = audit(tmp_path)
    assert rc != 0, out[-4000:]                         # a workload would not start: the play fails
    api = report['workloads'][0]
    assert report['summary']['failing'] == 1 and report['errors'] == [], report
    problems = api['problems']
    assert 'api: will fail to start on fleet2: the seccomp profile %s is not there (cannot load seccomp profile)' % (
        KUBELET_API) in problems, problems
    assert 'metrics: will fail to start on fleet2: the AppArmor profile fleet-api is not there (apparmor profile not ' \
           'found)' in problems, problems
    assert 'metrics: not enforced on fleet1 (complain): the apparmor profile fleet-api' in problems, problems
    rows = dict((r['container'], r) for r in api['containers'])
    present = rows['api']['nodes']['seccomp']['present']
    # the sha256 the node's own record holds for that file
    recorded = [f['sha256'] for p in record(fleet['fleet1'])['profiles'] for f in p['files'] if f['path'] == KUBELET_API]
    assert [(p['node'], p['sha256'], p['mode'], p['recorded']) for p in present] == [
        ('fleet1', recorded[0], 'enforce', True)]
    assert rows['api']['nodes']['apparmor']['missing'] == []          # fleet-web is on both
    assert 'fleet2' in [line for line in out.splitlines() if 'Deployment/api' in line and ' api ' in line][0]
    # the fix: the profiles named after the containers are on no node, so RuntimeDefault
    assert report['patches'] and (tmp_path / 'patches' / 'shop.Deployment.api.patch.yaml').exists()


def test_after_the_rollout_reaches_every_node_the_audit_is_clean(fleet, tmp_path):
    reports = PROJECT / 'build' / 'fleet' / 'rollout'
    reports.mkdir(parents=True, exist_ok=True)
    rc, out = playbook('harden.yml', extra=dict(VERSION2, host_hardening_waves=['100%'],
                                                host_hardening_report_dir=str(reports)))
    assert rc == 0, out[-4000:]
    fleet_report(reports, fleet, {'fleet1': 'ok', 'fleet2': 'ok'}, [['fleet1', 'fleet2']])
    for name, host in fleet.items():
        rec = record(host)
        assert sorted((p['kind'], p['name']) for p in rec['profiles']) == [
            ('apparmor', 'fleet-api'), ('apparmor', 'fleet-web'), ('seccomp', 'fleet-api'), ('seccomp', 'fleet-web')]
        modes = host.file('/sys/kernel/security/apparmor/profiles').content_string
        assert 'fleet-web (enforce)' in modes and 'fleet-api (complain)' in modes, name
        # dockerd was restarted for the new version of its default profile: a container
        # under it cannot chmod
        probe = host.run('docker run --rm --network none confine/probe:latest /probe chmod')
        assert probe.rc == 0, (name, probe.stdout, probe.stderr)
        assert json.loads(probe.stdout.strip().splitlines()[-1])['results']['chmod'] == 'EPERM', name
    # the run report, on the host and as JSON
    report = json.loads(fleet['fleet2'].file('/var/lib/confine/report.json').content_string)
    assert report['stage'] == 'enforce' and report['host'] == 'fleet2'
    assert sorted(p['name'] for p in report['profiles']) == ['fleet-api', 'fleet-api', 'fleet-web', 'fleet-web']
    # every Localhost profile is on every node: the workload starts everywhere; complain mode is
    # still reported, and does not fail the play
    rc, out, report = audit(tmp_path)
    assert rc == 0, out[-4000:]
    api = report['workloads'][0]
    assert report['failing'] == [] and report['patches'] == [] and not api['failing']
    assert api['problems'] == ['metrics: not enforced on fleet1 (complain), fleet2 (complain): the apparmor profile '
                               'fleet-api'], api['problems']
    rows = dict((r['container'], r) for r in api['containers'])
    assert [p['node'] for p in rows['api']['nodes']['seccomp']['present']] == ['fleet1', 'fleet2']
    assert len(set(p['sha256'] for p in rows['api']['nodes']['seccomp']['present'])) == 1


def test_rollback_takes_a_host_back_to_version_1(fleet):
    if len(STATE) != len(HOSTS):
        pytest.skip('needs the version 1 snapshot')
    rc, out = playbook('playbooks/rollback.yml', '-l', 'fleet2')
    assert rc == 0, out[-4000:]
    assert snapshot(fleet['fleet2']) == STATE['fleet2']
    assert not fleet['fleet2'].file('/etc/apparmor.d/fleet-api').exists
    # the other keeps version 2
    assert 'fleet-api' in fleet['fleet1'].file('/sys/kernel/security/apparmor/profiles').content_string
