"""Cost of parsing a large auditd log: the collection's audit parser beside ausearch.

Generates a realistic auditd log (seeded, so every run writes the same bytes): mostly the
records of a busy host (SYSCALL, CWD, PATH, PROCTITLE, EXECVE, SOCKADDR, USER_*, CRED_*,
LOGIN, SERVICE_*, BPF, NETFILTER_CFG, ...), a few percent AppArmor AVC records (ALLOWED,
DENIED, AUDIT, STATUS) and SECCOMP records, auditd's enriched fields after a 0x1d byte on
most lines, and a few malformed lines (records cut short, a run of NUL bytes, invalid UTF-8).

Then times, side by side and in alternating order, each REPS times:

  ours      a fresh Python: _audit.Collector(since=0).feed(_audit_readers.read_auditd(log)),
            .results(syscall names) and suggestions() - what the module does with a log (the
            reader passes over every line that holds no apparmor=, type=SECCOMP or
            type=DAEMON_ without decoding or parsing it)
  ausearch  ausearch -if LOG -m AVC,SECCOMP --raw > /dev/null
  grep      LC_ALL=C grep -a -c -E 'type=(AVC|SECCOMP)' LOG - a floor: one scan, no parsing

on a large log (default 1 GiB) and a small one (default 100 MiB), to show that the cost
grows linearly and the parser's memory does not grow with the log. Wall time is measured
here, peak RSS by /usr/bin/time, peak anonymous RSS by sampling /proc (ausearch maps the
log, so its RSS counts the log's cached pages).

The counts are cross-checked; a disagreement fails the run before anything is written.
The parser must find every AppArmor and SECCOMP record the generator wrote and skip (and
count) every one it cut short. ausearch must return the same SECCOMP records plus those
cut short after syscall= (whole enough for it). It returns no AppArmor record at all: it
parses every AVC record as SELinux's and drops each AppArmor event as malformed
(linux-audit/audit-userspace#351), so an untimed run with --debug counts the AVC records
it returned plus those it rejected, which must be ours plus the STATUS and cut-short ones.

Prints the medians and the ratios, and writes them into docs/benchmarks.md between the
markers of this benchmark. Installs ausearch (Debian package auditd) when it is missing.

    .venv/bin/python bench/audit_parse.py [--size 1GiB] [--small 100MiB] [--reps 3]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / 'docs' / 'benchmarks.md'
BEGIN, END = '<!-- audit_parse:begin -->', '<!-- audit_parse:end -->'
TOOLS = ('ours', 'ausearch', 'grep')
GS = '\x1d'          # auditd's separator before the enriched (interpreted) fields
STAMP = '\x00'       # placeholder for "seconds.millis:serial" in a template; never written
START = 1795468000   # the lab host's clock in the unit tests' records (2026-11)

# ---------------------------------------------------------------------------
# The log generator
# ---------------------------------------------------------------------------

# The categories a generated record falls in, for the cross-checks:
#   apparmor   a well-formed AVC apparmor ALLOWED / DENIED / AUDIT record (an event for us)
#   status     an AVC apparmor STATUS record (profile load/replace; not an event for us)
#   seccomp    a well-formed SECCOMP record (an event for us)
#   cut_avc    an AVC apparmor record cut short inside profile= (we skip and count it)
#   cut_seccomp a SECCOMP record cut short before code= (we skip and count it; ausearch takes it)
#   cut_header an AVC record cut short inside its header (no tool takes it; grep counts the line)
#   cut_other  any other cut-short or garbage line (ignored by every tool)
#   other      every other record
CATEGORIES = ('apparmor', 'status', 'seccomp', 'cut_avc', 'cut_seccomp', 'cut_header', 'cut_other', 'other')

USERS = [(0, 'root'), (1000, 'alice'), (1001, 'bob'), (33, 'www-data'), (998, 'backup'), (4294967295, 'unset')]
PROGRAMS = [
    ('cat', '/usr/bin/cat'), ('ls', '/usr/bin/ls'), ('bash', '/usr/bin/bash'), ('sh', '/usr/bin/dash'),
    ('python3', '/usr/bin/python3.11'), ('nginx', '/usr/sbin/nginx'), ('sshd', '/usr/sbin/sshd'),
    ('cron', '/usr/sbin/cron'), ('containerd', '/usr/bin/containerd'), ('dockerd', '/usr/sbin/dockerd'),
    ('runc', '/usr/sbin/runc'), ('systemd', '/usr/lib/systemd/systemd'), ('apt-get', '/usr/bin/apt-get'),
    ('git', '/usr/bin/git'), ('curl', '/usr/bin/curl'), ('postgres', '/usr/lib/postgresql/15/bin/postgres'),
    ('node', '/usr/bin/node'), ('java', '/usr/lib/jvm/java-17-openjdk-amd64/bin/java'), ('sudo', '/usr/bin/sudo'),
]
FILES = [
    '/etc/passwd', '/etc/shadow', '/etc/group', '/etc/hosts', '/etc/resolv.conf', '/etc/ssl/private/ssl-cert.key',
    '/etc/nginx/nginx.conf', '/var/log/syslog', '/var/lib/dpkg/status', '/usr/lib/x86_64-linux-gnu/libc.so.6',
    '/tmp/confine-aa/secret-1', '/srv/www/index.html', '/srv/www/assets/app.js', '/home/alice/.bashrc',
    '/root/.ssh/authorized_keys', '/var/lib/docker/overlay2/3f9a0c1d2e/merged/etc/os-release',
    '/run/containerd/containerd.sock', '/dev/null', '/dev/urandom', '/sys/fs/cgroup/cpu.max',
    '/var/cache/app/session-3f9a0c1d2e.tmp', '/srv/data/report 2026.pdf', '/opt/app/bin/worker',
]
PROFILES = ['docker-default', 'cri-containerd.apparmor.d', 'confine-demo', 'confine-demo-observe',
            'confine-container', '/usr/sbin/nginx', '/usr/sbin/cupsd', 'man_filter', 'lsb_release',
            'nvidia_modprobe', 'web', 'cftest', 'snap.lxd.daemon', 'firefox//null-/usr/bin/curl',
            'confine-container//probe']
CAPS = [(21, 'sys_admin'), (12, 'net_admin'), (25, 'sys_time'), (2, 'dac_read_search'), (1, 'dac_override'),
        (19, 'sys_ptrace'), (16, 'sys_module'), (7, 'setuid')]
NETWORK = [('inet', 'raw', 1), ('inet6', 'raw', 58), ('inet', 'dgram', 17), ('netlink', 'raw', 15),
           ('packet', 'raw', 768), ('unix', 'stream', 0)]
SYSCALLS_X86_64 = [(2, 'open'), (257, 'openat'), (59, 'execve'), (165, 'mount'), (166, 'umount2'),
                   (101, 'ptrace'), (272, 'unshare'), (308, 'setns'), (175, 'init_module'), (321, 'bpf'),
                   (425, 'io_uring_setup'), (310, 'process_vm_readv'), (169, 'reboot'), (246, 'kexec_load')]
SYSCALLS_I386 = [(21, 'mount'), (26, 'ptrace'), (11, 'execve'), (295, 'openat')]
SECCOMP_CODES = [('0x7ffc0000', 0), ('0x50001', 0), ('0x50026', 0), ('0x80000000', 31), ('0x0', 31),
                 ('0x30000', 0)]


def _hex(text: str) -> str:
    return text.encode().hex().upper()


def _quoted(text: str) -> str:
    """auditd's encoding of an untrusted string: quoted, or hex when it holds a space, quote or control."""
    if re.search(r'[\s"\x00-\x1f\x7f]', text):
        return _hex(text)
    return '"%s"' % text


class Templates:
    """Pre-rendered events: each is a list of parts joined by the event's time stamp, so
    that writing one costs a join and not a formatting of every field."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def pick(self, seq):
        return self.rng.choice(seq)

    def ids(self):
        uid, uname = self.pick(USERS)
        pid = self.rng.randint(300, 4194304)
        return uid, uname, pid

    def syscall(self, nr: int, name: str, comm: str, exe: str, items: int, key: str = '(null)',
                success: bool = True) -> str:
        uid, uname, pid = self.ids()
        auid, auname = self.pick(USERS)
        ses = 4294967295 if auid == 4294967295 else self.rng.randint(1, 400)
        return ('type=SYSCALL msg=audit(%s): arch=c000003e syscall=%d success=%s exit=%d a0=ffffff9c a1=%x a2=%x '
                'a3=0 items=%d ppid=%d pid=%d auid=%d uid=%d gid=%d euid=%d suid=%d fsuid=%d egid=%d sgid=%d '
                'fsgid=%d tty=%s ses=%d comm=%s exe=%s subj=unconfined key=%s%sARCH=x86_64 SYSCALL=%s AUID="%s" '
                'UID="%s" GID="%s" EUID="%s" SUID="%s" FSUID="%s" EGID="%s" SGID="%s" FSGID="%s"'
                % (STAMP, nr, 'yes' if success else 'no', 3 if success else -13,
                   self.rng.randrange(0x7f0000000000, 0x7fffffffffff), self.rng.choice((0x80000, 0x241, 0x0, 0x90800)),
                   items, self.rng.randint(1, 4000), pid, auid, uid, uid, uid, uid, uid, uid, uid, uid,
                   self.pick(('(none)', 'pts0', 'pts1')), ses, _quoted(comm), _quoted(exe), key, GS, name, auname,
                   uname, uname, uname, uname, uname, uname, uname, uname))

    def path(self, item: int, name: str, nametype: str = 'NORMAL') -> str:
        ouid, ouname = self.pick(USERS[:4])
        return ('type=PATH msg=audit(%s): item=%d name=%s inode=%d dev=fe:01 mode=0100%s ouid=%d ogid=%d '
                'rdev=00:00 nametype=%s cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0%sOUID="%s" OGID="%s"'
                % (STAMP, item, _quoted(name), self.rng.randint(1000, 9999999), self.pick(('644', '640', '755')),
                   ouid, ouid, nametype, GS, ouname, ouname))

    def cwd(self) -> str:
        cwd = self.pick(('/', '/root', '/home/alice', '/srv/www', '/var/lib/docker'))
        return 'type=CWD msg=audit(%s): cwd=%s' % (STAMP, _quoted(cwd))

    def proctitle(self, argv: list[str]) -> str:
        title = '\x00'.join(argv)
        value = _hex(title) if ('\x00' in title or ' ' in title) else '"%s"' % title
        return 'type=PROCTITLE msg=audit(%s): proctitle=%s' % (STAMP, value)

    def pam(self, kind: str, op: str) -> str:
        uid, uname, pid = self.ids()
        acct = self.pick(USERS[1:5])[1]
        exe = self.pick(('/usr/sbin/sshd', '/usr/sbin/cron', '/usr/bin/sudo', '/usr/lib/systemd/systemd'))
        addr = self.pick(('10.0.0.5', '192.168.122.1', '?'))
        return ("type=%s msg=audit(%s): pid=%d uid=%d auid=%d ses=%d subj=unconfined msg='op=%s grantors=pam_unix,"
                "pam_permit acct=\"%s\" exe=\"%s\" hostname=%s addr=%s terminal=%s res=%s'%sUID=\"%s\" AUID=\"%s\""
                % (kind, STAMP, pid, uid, uid, self.rng.randint(1, 400), op, acct, exe, addr, addr,
                   self.pick(('ssh', 'cron', '/dev/pts/0')), self.pick(('success',) * 9 + ('failed',)), GS,
                   uname, acct))

    # -- events: (category of each record, [record, ...]) ----------------------------

    def file_event(self, paths: int):
        comm, exe = self.pick(PROGRAMS)
        nr, name = self.pick(((257, 'openat'), (2, 'open'), (87, 'unlink'), (82, 'rename'), (4, 'stat')))
        names = [self.pick(FILES) for _i in range(paths)]
        records = [self.syscall(nr, name, comm, exe, paths, key=self.pick(('(null)', '"identity"', '"logins"')),
                                success=self.rng.random() > 0.1), self.cwd()]
        records += [self.path(i, p, 'PARENT' if (paths > 1 and i == 0) else 'NORMAL') for i, p in enumerate(names)]
        records.append(self.proctitle([comm] + names[:1]))
        return records

    def execve_event(self):
        comm, exe = self.pick(PROGRAMS)
        argv = [comm] + [self.pick(('-l', '-c', '--quiet', '/etc/hosts', 'status', 'https://deb.debian.org/',
                                    'report 2026.pdf')) for _i in range(self.rng.randint(0, 3))]
        execve = 'type=EXECVE msg=audit(%s): argc=%d %s' % (
            STAMP, len(argv), ' '.join('a%d=%s' % (i, _quoted(a)) for i, a in enumerate(argv)))
        return [self.syscall(59, 'execve', comm, exe, 2, key='"exec"'), execve, self.cwd(),
                self.path(0, exe), self.path(1, '/lib64/ld-linux-x86-64.so.2'), self.proctitle(argv)]

    def socket_event(self):
        comm, exe = self.pick(PROGRAMS)
        saddr = self.pick(('02000050C0A87A010000000000000000', '0A0001BB000000002A0014504001080F000000000000200E',
                           '01002F72756E2F636F6E7461696E6572642F636F6E7461696E6572642E736F636B'))
        return [self.syscall(42, 'connect', comm, exe, 0, key='"network"'),
                'type=SOCKADDR msg=audit(%s): saddr=%s%sSADDR={ fam=inet laddr=192.168.122.1 lport=80 }'
                % (STAMP, saddr, GS), self.proctitle([comm])]

    def single_event(self):
        uid, uname, pid = self.ids()
        choice = self.rng.randrange(8)
        if choice == 0:
            return ["type=LOGIN msg=audit(%s): pid=%d uid=0 subj=unconfined old-auid=4294967295 auid=%d tty=(none) "
                    "old-ses=4294967295 ses=%d res=1%sUID=\"root\" OLD-AUID=\"unset\" AUID=\"%s\""
                    % (STAMP, pid, uid, self.rng.randint(1, 400), GS, uname)]
        if choice == 1:
            unit = self.pick(('systemd-tmpfiles-clean', 'apt-daily', 'logrotate', 'man-db', 'docker', 'user@1000'))
            return ["type=%s msg=audit(%s): pid=1 uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg='unit=%s "
                    "comm=\"systemd\" exe=\"/usr/lib/systemd/systemd\" hostname=? addr=? terminal=? res=success'"
                    "%sUID=\"root\" AUID=\"unset\"" % (self.pick(('SERVICE_START', 'SERVICE_STOP')), STAMP, unit, GS)]
        if choice == 2:
            return ['type=BPF msg=audit(%s): prog-id=%d op=%s' % (STAMP, self.rng.randint(1, 900),
                                                                  self.pick(('LOAD', 'UNLOAD')))]
        if choice == 3:
            return ['type=NETFILTER_CFG msg=audit(%s): table=%s family=%d entries=%d op=xt_replace pid=%d '
                    'subj=unconfined comm="iptables"' % (STAMP, self.pick(('filter', 'nat', 'mangle')),
                                                         self.pick((2, 10)), self.rng.randint(0, 60), pid)]
        if choice == 4:
            comm, exe = self.pick(PROGRAMS)
            return ['type=ANOM_ABEND msg=audit(%s): auid=%d uid=%d gid=%d ses=%d subj=unconfined pid=%d comm=%s '
                    'exe=%s sig=11 res=1%sAUID="%s" UID="%s" GID="%s"'
                    % (STAMP, uid, uid, uid, self.rng.randint(1, 400), pid, _quoted(comm), _quoted(exe), GS,
                       uname, uname, uname)]
        if choice == 5:
            return ["type=USER_CMD msg=audit(%s): pid=%d uid=1000 auid=1000 ses=3 subj=unconfined msg='cwd=\"/home/"
                    "alice\" cmd=%s exe=\"/usr/bin/sudo\" terminal=pts/0 res=success'%sUID=\"alice\" AUID=\"alice\""
                    % (STAMP, pid, _hex(self.pick(('ls -l /root', 'systemctl restart nginx', 'apt-get update'))), GS)]
        if choice == 6:
            return ['type=CONFIG_CHANGE msg=audit(%s): auid=4294967295 ses=4294967295 subj=unconfined op=add_rule '
                    'key="identity" list=4 res=1%sAUID="unset"' % (STAMP, GS)]
        return ['type=USER_LOGIN msg=audit(%s): pid=%d uid=0 auid=%d ses=%d subj=unconfined msg=\'op=login id=%d '
                'exe="/usr/sbin/sshd" hostname=? addr=10.0.0.5 terminal=/dev/pts/0 res=success\'%sUID="root" '
                'AUID="%s" ID="%s"' % (STAMP, pid, uid, self.rng.randint(1, 400), uid, GS, uname, uname)]

    def session_event(self):
        kind, op = self.pick((('USER_AUTH', 'PAM:authentication'), ('USER_ACCT', 'PAM:accounting'),
                              ('CRED_ACQ', 'PAM:setcred'), ('USER_START', 'PAM:session_open'),
                              ('USER_END', 'PAM:session_close'), ('CRED_DISP', 'PAM:setcred'),
                              ('CRED_REFR', 'PAM:setcred')))
        return [self.pam(kind, op)]

    def apparmor_record(self, verdict: str) -> str:
        uid, uname, pid = self.ids()
        comm, _exe = self.pick(PROGRAMS)
        profile = self.pick(PROFILES)
        head = 'type=AVC msg=audit(%s): apparmor="%s" ' % (STAMP, verdict)
        if verdict == 'STATUS':
            return head + ('operation="%s" profile="unconfined" name="%s" pid=%d comm="apparmor_parser"'
                           % (self.pick(('profile_load', 'profile_replace', 'profile_remove')), profile, pid))
        kind = self.rng.randrange(10)
        if kind <= 5 or verdict == 'AUDIT':     # file access, the common case
            path = self.pick(FILES)
            mask = self.pick(('r', 'r', 'w', 'rw', 'wc', 'x', 'a', 'k', 'm'))
            body = ('operation="%s" %sprofile="%s" name=%s pid=%d comm=%s requested_mask="%s" %sfsuid=%d ouid=0'
                    % (self.pick(('open', 'open', 'mknod', 'file_perm', 'exec', 'link')),
                       self.pick(('', 'class="file" ')), profile, _quoted(path), pid, _quoted(comm), mask,
                       '' if verdict == 'AUDIT' else 'denied_mask="%s" ' % mask, uid))
            return head + body + '%sFSUID="%s" OUID="root"' % (GS, uname)
        if kind <= 7:
            cap, capname = self.pick(CAPS)
            return head + ('operation="capable" %sprofile="%s" pid=%d comm=%s capability=%d  capname="%s"'
                           % (self.pick(('', 'class="cap" ')), profile, pid, _quoted(comm), cap, capname))
        if kind == 8:
            family, sock_type, proto = self.pick(NETWORK)
            return head + ('operation="create" profile="%s" pid=%d comm=%s family="%s" sock_type="%s" protocol=%d '
                           'requested_mask="create" denied_mask="create"'
                           % (profile, pid, _quoted(comm), family, sock_type, proto))
        if self.rng.random() < 0.5:
            return head + ('operation="signal" profile="%s" pid=%d comm=%s requested_mask="receive" '
                           'denied_mask="receive" signal=term peer="unconfined"' % (profile, pid, _quoted(comm)))
        return head + ('operation="mount" info="failed mntpnt match" error=-13 profile="%s" name="/tmp/mnt-%d/" '
                       'pid=%d comm=%s fstype="tmpfs" srcname="none" flags="rw"'
                       % (profile, self.rng.randint(1, 9), pid, _quoted(comm)))

    def seccomp_record(self) -> str:
        uid, uname, pid = self.ids()
        comm, exe = self.pick(PROGRAMS + [('probe', '/probe')])
        if self.rng.random() < 0.1:
            arch, (nr, name), compat, archname = '40000003', self.pick(SYSCALLS_I386), 1, 'i386'
        else:
            arch, (nr, name), compat, archname = 'c000003e', self.pick(SYSCALLS_X86_64), 0, 'x86_64'
        code, sig = self.pick(SECCOMP_CODES)
        return ('type=SECCOMP msg=audit(%s): auid=%d uid=%d gid=%d ses=4294967295 subj=%s pid=%d comm=%s exe=%s '
                'sig=%d arch=%s syscall=%d compat=%d ip=0x%x code=%s%sAUID="%s" UID="%s" GID="%s" ARCH=%s '
                'SYSCALL=%s' % (STAMP, uid, uid, uid, self.pick(('docker-default', 'unconfined', 'confine-demo')),
                                pid, _quoted(comm), _quoted(exe), sig, arch, nr, compat,
                                self.rng.randrange(0x400000, 0x7fffffff), code, GS, uname, uname, uname, archname,
                                name))

    def with_companions(self, record: str, comm_argv: list[str]):
        """An AVC record followed, as when syscall auditing is on, by its SYSCALL and PROCTITLE."""
        comm, exe = self.pick(PROGRAMS)
        return [record, self.syscall(257, 'openat', comm, exe, 0, success=False), self.proctitle(comm_argv)]


def build_pool(rng: random.Random, variants: int):
    """[(weight, category, parts)]: every kind of event in ``variants`` pre-rendered forms."""
    t = Templates(rng)
    pool = []

    def add(weight, category, make, n=variants):
        for _i in range(n):
            records = make()
            text = ''.join(r + '\n' for r in records)
            pool.append((weight / n, category, text.split(STAMP)))

    # the bulk of a busy host with syscall rules (identity, logins, exec, network) loaded
    add(40, 'other', lambda: t.file_event(1))
    add(10, 'other', lambda: t.file_event(2))
    add(15, 'other', t.execve_event)
    add(8, 'other', t.socket_event)
    add(12, 'other', t.session_event)
    add(5, 'other', t.single_event)
    # AppArmor: standalone AVC records, and half as many with their SYSCALL and PROCTITLE
    for verdict, weight in (('ALLOWED', 3.0), ('DENIED', 3.0), ('AUDIT', 0.6), ('STATUS', 0.4)):
        category = 'status' if verdict == 'STATUS' else 'apparmor'
        add(weight * 2 / 3, category, lambda v=verdict: [t.apparmor_record(v)])
        add(weight / 3, category, lambda v=verdict: t.with_companions(t.apparmor_record(v), ['sh', '-c', 'x']))
    add(3.0, 'seccomp', lambda: [t.seccomp_record()])
    # malformed lines: records cut short (a full disk, a crash mid-write), NULs, invalid UTF-8
    add(0.02, 'cut_avc', lambda: [t.apparmor_record('DENIED').split(' profile="', 1)[0] + ' profile="conf'])
    add(0.02, 'cut_seccomp', lambda: [t.seccomp_record().split(' code=', 1)[0]])
    add(0.02, 'cut_other', lambda: [t.file_event(1)[0][:90]])
    add(0.01, 'cut_header', lambda: ['type=AVC msg=audit(%d' % (START // 1000)], n=1)
    add(0.01, 'cut_other', lambda: ['\x00' * 512], n=1)
    add(0.01, 'cut_other', lambda: ['type=USER_CMD msg=audit(%s): cmd=\udcff\udcfe\udc80 res=success' % STAMP], n=1)
    return pool


def generate(path: Path, size: int, seed: int = 1, variants: int = 400, batch: int = 4096) -> dict:
    """Write about ``size`` bytes of auditd log (whole lines, never more than ``size``) to ``path``.
    Returns the manifest: bytes, lines and the number of records of each category."""
    rng = random.Random(seed)
    pool = build_pool(rng, variants)
    cum, total = [], 0.0
    for weight, _category, _parts in pool:
        total += weight
        cum.append(total)
    indices = range(len(pool))
    lines_of = [sum(p.count('\n') for p in parts) for _w, _c, parts in pool]
    # how many records of each category an event holds (an AVC with companions: one AVC, two others)
    counts_of = []
    for _w, category, parts in pool:
        text = ''.join(parts)
        records = text.count('\n')
        if category in ('apparmor', 'status', 'seccomp', 'cut_avc', 'cut_seccomp'):
            counts_of.append({category: 1, 'other': records - 1})
        else:
            counts_of.append({category: records})
    jitter = [rng.choice((0, 1, 1, 2, 3, 5, 8, 13, 40, 120)) for _i in range(4093)]
    tally = collections.Counter()
    written = lines = 0
    serial, millis = 1000, START * 1000
    with open(path, 'wb') as out:
        while written < size:
            chosen = rng.choices(indices, cum_weights=cum, k=batch)
            events = []
            for i in chosen:
                serial += 1
                millis += jitter[serial % 4093]
                events.append(('%d.%03d:%d' % (millis // 1000, millis % 1000, serial)).join(pool[i][2]))
            data = ''.join(events).encode('utf-8', 'surrogateescape')
            if written + len(data) > size:
                # the last batch: whole events while they fit
                keep = []
                room = size - written
                for i, event in zip(chosen, events):
                    raw = event.encode('utf-8', 'surrogateescape')
                    if len(raw) > room:
                        break
                    room -= len(raw)
                    keep.append(i)
                    out.write(raw)
                    written += len(raw)
                chosen = keep
                size = written   # stop
            else:
                out.write(data)
                written += len(data)
            per = collections.Counter(chosen)
            for i, n in per.items():
                lines += lines_of[i] * n
                for category, k in counts_of[i].items():
                    tally[category] += k * n
    manifest = {'bytes': written, 'lines': lines, 'seed': seed}
    manifest.update((c, tally.get(c, 0)) for c in CATEGORIES)
    return manifest


# ---------------------------------------------------------------------------
# The parser, as the module runs it (the timed subprocess)
# ---------------------------------------------------------------------------

def parse(path: str) -> dict:
    """Our parser on ``path`` as the module runs it; the counts, and the CPU time of its two
    phases (reading the log; then naming the events and suggesting rules)."""
    sys.path.insert(0, str(ROOT / 'collections'))
    from ansible_collections.confine.hardening.plugins.module_utils import _audit as audit
    from ansible_collections.confine.hardening.plugins.module_utils import _audit_readers as readers
    try:
        from ansible_collections.confine.hardening.plugins.module_utils import _libseccomp as libseccomp
        resolve = libseccomp.load().syscall_name
    except Exception:  # no libseccomp here: the events stay unnamed, the parse is the same
        resolve = None
    start = time.process_time()
    info = {}
    collector = audit.Collector(since=0).feed(readers.read_auditd(path, info=info))
    fed = time.process_time()
    events = collector.results(resolve)
    advice = audit.suggestions(events)
    done = time.process_time()
    by_kind, distinct = collections.Counter(), collections.Counter()
    for event in events:
        by_kind[event['kind']] += event['count']
        distinct[event['kind']] += 1
    return {'bytes': info['bytes_read'], 'parsed_lines': collector.lines, 'skipped': collector.malformed, 'distinct': len(events),
            'distinct_seccomp': distinct['seccomp'], 'apparmor': by_kind['apparmor'], 'seccomp': by_kind['seccomp'],
            'profiles_suggested': len(advice['apparmor']), 'feed_cpu': fed - start, 'results_cpu': done - fed}


def parse_bookmarked(path: str, bookmark: str) -> dict:
    """``_audit_sources.collect`` of auditd's log at ``path`` with a bookmark, as the gate runs it
    on every harden.yml run: what it resumed from, read and counted, and its CPU time."""
    sys.path.insert(0, str(ROOT / 'collections'))
    from ansible_collections.confine.hardening.plugins.module_utils import _audit_sources as sources
    sources.AUDIT_LOG = path
    start = time.process_time()
    got = sources.collect('auditd', since=0.0, bookmark=bookmark, resolve=lambda arch, nr: None,
                          run_command=lambda args: (1, '', 'not asked'))
    return {'bookmark': got['bookmark'], 'records': sum(e['count'] for e in got['events']),
            'cpu_self': time.process_time() - start}


def bookmark_cost(log: Path, reps: int) -> list:
    """A first reading with a new bookmark, then, ``reps`` times, 1,000 record lines of the log
    appended and read again: each run's wall and CPU time (its grep included), bytes and records read."""
    bookmark = str(log) + '.bookmark'
    records = []
    with open(log, 'rb') as fh:
        for line in fh:
            if b'apparmor="DENIED"' in line or b'type=SECCOMP' in line:
                records.append(line)
                if len(records) == 1000:
                    break
    rows = []
    try:
        for rep in range(reps + 1):
            if rep:
                with open(log, 'ab') as fh:
                    fh.write(b''.join(records))
            start = time.monotonic()
            before = os.times()
            out = subprocess.run([sys.executable, str(Path(__file__).resolve()), '--parse-bookmarked', str(log),
                                  bookmark], check=True, capture_output=True, text=True).stdout
            after = os.times()
            run = json.loads(out)
            run['wall'] = time.monotonic() - start
            run['cpu'] = (after.children_user - before.children_user) + (after.children_system - before.children_system)
            rows.append(run)
            print('  bookmark run %d: %.2f s (CPU %.2f s), read %d bytes, %d records; %d records counted'
                  % (rep, run['wall'], run['cpu'], run['bookmark']['bytes_read'], run['bookmark']['records_read'],
                     run['records']), flush=True)
    finally:
        if os.path.exists(bookmark):
            os.unlink(bookmark)
    return rows


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------

def ensure_ausearch() -> str:
    found = shutil.which('ausearch')
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit('ausearch is missing and installing it (Debian package auditd) needs root: '
                 'apt-get install --no-install-recommends auditd')
    print('installing auditd for ausearch (its daemon is not needed; ausearch -if reads a file)', flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    subprocess.run(['apt-get', 'update', '-qq'], env=env, check=True)
    # in a container without an init, starting the daemon may fail; the package is still usable
    subprocess.run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'auditd'], env=env, check=False,
                   stdout=subprocess.DEVNULL)
    found = shutil.which('ausearch')
    if not found:
        sys.exit('installing auditd did not provide ausearch')
    return found


def commands(tool: str, log: Path, ausearch: str) -> list[str]:
    if tool == 'ours':
        return [sys.executable, str(Path(__file__).resolve()), '--parse', str(log)]
    if tool == 'ausearch':
        return [ausearch, '-if', str(log), '-m', 'AVC,SECCOMP', '--raw']
    return ['grep', '-a', '-c', '-E', 'type=(AVC|SECCOMP)', str(log)]


class AnonSampler(threading.Thread):
    """The peak anonymous RSS of the tool /usr/bin/time runs, read from /proc every 20 ms.

    The peak RSS counts mapped file pages too; ausearch maps the whole log, so its RSS is
    the log's pages in the page cache rather than memory it allocated. RssAnon is what a
    process allocated itself."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kib = 0
        self.done = threading.Event()

    def tool_pid(self):
        """/usr/bin/time's child, once it has one."""
        while not self.done.is_set():
            try:
                children = Path('/proc/%d/task/%d/children' % (self.pid, self.pid)).read_text().split()
            except OSError:
                return None
            if children:
                return int(children[0])
            self.done.wait(0.001)
        return None

    def run(self):
        pid = self.tool_pid()
        while pid and not self.done.is_set():
            try:
                with open('/proc/%d/status' % pid) as status:
                    for line in status:
                        if line.startswith('RssAnon:'):
                            self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                            break
            except (OSError, ValueError):
                return
            self.done.wait(0.02)


def timed(tool: str, log: Path, ausearch: str) -> dict:
    """One run: wall seconds (measured here); CPU seconds and peak RSS by /usr/bin/time (a small
    parent, so that the kernel's high-water mark is the tool's and not this process's, which a
    child inherits until it execs); the sampled peak anonymous RSS; and what the tool printed."""
    handle, usage = tempfile.mkstemp(prefix='audit-bench-usage.')
    os.close(handle)
    argv = ['/usr/bin/time', '-f', '%M %U %S', '-o', usage] + commands(tool, log, ausearch)
    sink = subprocess.DEVNULL if tool == 'ausearch' else subprocess.PIPE
    try:
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdout=sink, stderr=subprocess.PIPE, env=dict(os.environ, LC_ALL='C'))
        sampler = AnonSampler(proc.pid)
        sampler.start()
        stdout, stderr = proc.communicate()
        wall = time.monotonic() - start
        sampler.done.set()
        sampler.join()
        figures = Path(usage).read_text().split()[-3:] if proc.returncode == 0 else ['0', '0', '0']
    finally:
        os.unlink(usage)
    # ausearch exits 1 when nothing matched, grep when it counted 0: both are failures here
    if proc.returncode != 0:
        sys.exit('%s failed (exit %d): %s' % (tool, proc.returncode, stderr.decode(errors='replace')[-2000:]))
    run = {'wall': wall, 'cpu': float(figures[1]) + float(figures[2]), 'rss_mib': int(figures[0]) / 1024.0,
           'anon_mib': sampler.peak_kib / 1024.0}
    if tool == 'ours':
        run['result'] = json.loads(stdout)
    elif tool == 'grep':
        run['result'] = int(stdout)
    return run


def ausearch_count(log: Path, ausearch: str) -> dict:
    """What ausearch makes of the AVC and SECCOMP records (an untimed run with --debug).

    It prints whole events, so the SYSCALL and PROCTITLE records of an AVC's event come
    along; only the AVC and SECCOMP records are counted. With --debug it names every event
    it skips as malformed by the record that failed its parser; ausearch 3.0.9 (and 4.0)
    fails every AppArmor AVC record, because it reads an AVC as SELinux's and requires a
    tclass= field (linux-audit/audit-userspace#351). Those are counted as 'rejected'.
    """
    proc = subprocess.run([ausearch, '-if', str(log), '-m', 'AVC,SECCOMP', '--raw', '--debug'],
                          capture_output=True, env=dict(os.environ, LC_ALL='C'), check=False)
    counts = collections.Counter()
    for line in proc.stdout.splitlines():
        if line.startswith(b'type=AVC '):
            counts['status' if b' apparmor="STATUS"' in line else 'avc'] += 1
        elif line.startswith(b'type=SECCOMP '):
            counts['seccomp'] += 1
    for line in proc.stderr.splitlines():
        match = re.match(rb'Malformed event skipped, rc=\d+\. type=(\w+) ', line)
        if match is None:
            continue
        kind = match.group(1).decode()
        if kind == 'AVC':
            kind = 'status' if b' apparmor="STATUS"' in line else 'avc'
        counts['rejected_' + kind.lower()] += 1
    return dict(counts)


def check(manifest: dict, ours: dict, grep: int, found: dict) -> list[str]:
    """Every way the counts must agree; the list of disagreements."""
    problems = []

    def want(what, got, expected):
        if got != expected:
            problems.append('%s: %s, expected %s' % (what, got, expected))

    # ours against what the generator wrote
    want('our AppArmor events (ALLOWED/DENIED/AUDIT records)', ours['apparmor'], manifest['apparmor'])
    want('our SECCOMP events', ours['seccomp'], manifest['seccomp'])
    want('our skipped (malformed) records', ours['skipped'], manifest['cut_avc'] + manifest['cut_seccomp'])
    want('our bytes read', ours['bytes'], manifest['bytes'])
    # ausearch against ours: a SECCOMP record cut short after syscall= is whole enough for it
    want('ausearch SECCOMP records', found.get('seccomp', 0), ours['seccomp'] + manifest['cut_seccomp'])
    # the AppArmor records it returns plus those it rejects: each AVC record we found, the
    # STATUS records (not events for us) and the cut-short AVC records we skipped
    want('ausearch AppArmor AVC records (returned + rejected)', found.get('avc', 0) + found.get('rejected_avc', 0),
         ours['apparmor'] + manifest['cut_avc'])
    want('ausearch STATUS records (returned + rejected)', found.get('status', 0) + found.get('rejected_status', 0),
         manifest['status'])
    if found.get('rejected_seccomp'):
        problems.append('ausearch rejected %d SECCOMP events' % found['rejected_seccomp'])
    # grep counts every line naming the types, whatever follows: a header cut short too
    want('grep lines', grep, manifest['apparmor'] + manifest['seccomp'] + manifest['status'] + manifest['cut_avc']
         + manifest['cut_seccomp'] + manifest['cut_header'])
    return problems


def measure(log: Path, reps: int, ausearch: str) -> dict:
    runs = {tool: [] for tool in TOOLS}
    for rep in range(reps):
        order = TOOLS[rep % 3:] + TOOLS[:rep % 3]
        if rep % 2:
            order = order[::-1]
        for tool in order:
            run = timed(tool, log, ausearch)
            runs[tool].append(run)
            print('  %-8s %7.2f s (CPU %6.2f s)  peak RSS %7.1f MiB, anonymous %6.1f MiB'
                  % (tool, run['wall'], run['cpu'], run['rss_mib'], run['anon_mib']), flush=True)
    return runs


def cpu_model() -> str:
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


def ausearch_version(ausearch: str) -> str:
    proc = subprocess.run([ausearch, '-v'], capture_output=True, text=True, check=False)
    return (proc.stdout + proc.stderr).strip().splitlines()[0] if (proc.stdout + proc.stderr).strip() else '?'


def size_arg(text: str) -> int:
    match = re.fullmatch(r'\s*(\d+(?:\.\d+)?)\s*([KMG]i?B?|B)?\s*', text, re.I)
    if not match:
        raise argparse.ArgumentTypeError('a size like 1GiB, 100MiB, 500M or 1048576')
    unit = (match.group(2) or 'B').upper().rstrip('B').rstrip('I')
    return int(float(match.group(1)) * {'': 1, 'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30}[unit])


def human(size: int) -> str:
    for unit, scale in (('GiB', 1 << 30), ('MiB', 1 << 20), ('KiB', 1 << 10)):
        if size >= scale:
            return '%.4g %s' % (size / scale, unit)
    return '%d B' % size


def log_dir(wanted: Path, need: int) -> Path:
    """``wanted`` if it has room for the logs, else the temporary directory with the most room."""
    wanted.mkdir(parents=True, exist_ok=True)
    if shutil.disk_usage(wanted).free >= need:
        return wanted
    others = [Path(d) for d in sorted({tempfile.gettempdir(), '/var/tmp', '/tmp'}) if os.path.isdir(d)]
    best = max(others, key=lambda d: shutil.disk_usage(d).free)
    if shutil.disk_usage(best).free < need:
        sys.exit('no room for the logs (%s): %s has %s free, %s %s; choose a --dir'
                 % (human(need), wanted, human(shutil.disk_usage(wanted).free), best,
                    human(shutil.disk_usage(best).free)))
    print('%s has too little room for the logs (%s); writing them to %s' % (wanted, human(need), best), flush=True)
    return best


def write_doc(text: str) -> None:
    doc = DOC.read_text() if DOC.exists() else '# Benchmarks\n'
    if BEGIN not in doc:
        doc = doc.rstrip('\n') + '\n\n## Parsing a large audit log\n\n%s\n%s\n' % (BEGIN, END)
    head, rest = doc.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    DOC.write_text(head + BEGIN + '\n' + text + END + tail)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--size', type=size_arg, default=1 << 30, help='the large log (default 1GiB)')
    parser.add_argument('--small', type=size_arg, default=100 << 20,
                        help='the small log, to show the scaling (default 100MiB; 0: none)')
    parser.add_argument('--reps', type=int, default=3, help='timed runs of each tool on the large log (default 3)')
    parser.add_argument('--small-reps', type=int, default=5, help='timed runs on the small log (default 5)')
    parser.add_argument('--seed', type=int, default=1, help='the generator seed (default 1)')
    parser.add_argument('--dir', type=Path, default=ROOT / 'build' / 'bench',
                        help='where the logs are written (default build/bench)')
    parser.add_argument('--keep', action='store_true', help='keep the generated logs')
    parser.add_argument('--no-doc', action='store_true', help='print the figures only; leave docs/benchmarks.md')
    parser.add_argument('--generate', type=Path, metavar='LOG',
                        help='only write a log of --size to LOG (and its manifest to LOG.json)')
    parser.add_argument('--parse-bookmarked', nargs=2, metavar=('LOG', 'BOOKMARK'),
                        help='only read LOG as the gate does, with BOOKMARK, and print what was read as JSON')
    parser.add_argument('--parse', metavar='LOG', help='only run our parser on LOG and print its counts as JSON '
                                                       '(what each timed run of ours executes)')
    args = parser.parse_args()
    if args.parse:
        print(json.dumps(parse(args.parse)))
        return 0
    if args.parse_bookmarked:
        print(json.dumps(parse_bookmarked(*args.parse_bookmarked)))
        return 0
    if args.generate:
        manifest = generate(args.generate, args.size, args.seed)
        Path(str(args.generate) + '.json').write_text(json.dumps(manifest, indent=1) + '\n')
        print(json.dumps(manifest))
        return 0

    ausearch = ensure_ausearch()
    need = (args.size + args.small if args.keep else max(args.size, args.small)) + (1 << 30)
    workdir = log_dir(args.dir, need)
    sizes = [(size, reps) for size, reps in ((args.small, args.small_reps), (args.size, args.reps)) if size]
    results, marks = [], []
    for size, reps in sizes:
        log = workdir / ('audit-%s.log' % human(size).replace(' ', ''))
        try:
            start = time.monotonic()
            manifest = generate(log, size, args.seed)
            print('generated %s (%s, %d lines) in %.1f s: %d AppArmor, %d STATUS, %d SECCOMP, %d+%d cut-short '
                  'AVC+SECCOMP records' % (log, human(manifest['bytes']), manifest['lines'],
                                           time.monotonic() - start, manifest['apparmor'], manifest['status'],
                                           manifest['seccomp'], manifest['cut_avc'], manifest['cut_seccomp']),
                  flush=True)
            found = ausearch_count(log, ausearch)   # untimed; it also brings the log into the page cache
            runs = measure(log, reps, ausearch)
            if size == args.size:
                marks = bookmark_cost(log, 3)
        finally:
            if not args.keep and log.exists():
                log.unlink()
        problems = []
        for run in runs['ours']:
            problems += check(manifest, run['result'], runs['grep'][0]['result'], found)
        if problems:
            sys.exit('the counts disagree on %s:\n  %s' % (human(size), '\n  '.join(sorted(set(problems)))))
        results.append((size, manifest, runs, found))
    fixed = fixed_cost(workdir, ausearch)
    text = report(results, fixed, ausearch, args) + bookmark_report(marks, args.size)
    print('\n' + text)
    if not args.no_doc:
        write_doc(text)
    return 0


def fixed_cost(workdir: Path, ausearch: str) -> float:
    """The median CPU time of our parser on an empty log: what a run costs before the first line."""
    empty = workdir / 'audit-empty.log'
    empty.write_bytes(b'')
    try:
        return statistics.median(timed('ours', empty, ausearch)['cpu'] for _i in range(3))
    finally:
        empty.unlink()


def ratio(a: float, b: float) -> float:
    """a / b; not a number when b rounded to 0 (a tiny log)."""
    return a / b if b else float('nan')


def command_line(args) -> str:
    defaults = ['--size', '1GiB', '--small', '100MiB', '--reps', '3', '--small-reps', '5', '--seed', '1']
    given = ['--size', human(args.size).replace(' ', ''), '--small', human(args.small).replace(' ', '') if args.small
             else '0', '--reps', str(args.reps), '--small-reps', str(args.small_reps), '--seed', str(args.seed)]
    if given == defaults:
        return '`make bench-audit`'
    return '`make bench-audit ARGS=\'%s\'`' % ' '.join(given)


def bookmark_report(rows: list, size: int) -> str:
    lines = ['', 'Each run reads only what is new (a bookmark, as the gate keeps one in the state directory): the '
             'first reading of the %s log, then three times 1,000 of its record lines appended and read again, '
             'each a fresh Python with its grep:' % human(size), '',
             '| run | wall | CPU | bytes read | records read | records counted since the start |', '|---|---|---|---|---|---|']
    for i, row in enumerate(rows):
        lines.append('| %s | %.2f s | %.2f s | %s | %s | %s |' % (
            'first (no bookmark yet)' if i == 0 else 'after appending 1,000 records (%d)' % i, row['wall'], row['cpu'],
            '{:,}'.format(row['bookmark']['bytes_read']), '{:,}'.format(row['bookmark']['records_read']),
            '{:,}'.format(row['records'])))
    later = rows[1:]
    if later:
        lines += ['', 'A run after 1,000 new records read %s bytes (median) and took %.2f s of CPU, against %.2f s '
                  'for the first reading of the whole log (%.0f times less).'
                  % ('{:,}'.format(int(statistics.median(r['bookmark']['bytes_read'] for r in later))),
                     statistics.median(r['cpu'] for r in later), rows[0]['cpu'],
                     rows[0]['cpu'] / max(statistics.median(r['cpu'] for r in later), 1e-9))]
    return '\n'.join(lines) + '\n\n'


def report(results, fixed: float, ausearch: str, args) -> str:
    """The markdown between the markers: timings, then the counts and ratios, then the machine."""
    names = {'ours': '`read_auditd` (grep -E prefilter) + `Collector.feed` + `results` + `suggestions`, a fresh Python',
             'ausearch': '`ausearch -if LOG -m AVC,SECCOMP --raw`',
             'grep': "`grep -a -c -E 'type=(AVC\\|SECCOMP)'` (floor)"}
    timing, counts, medians = [], [], {}
    for size, manifest, runs, found in results:
        med = medians[size] = {tool: statistics.median(r['wall'] for r in runs[tool]) for tool in TOOLS}
        cpu = {tool: statistics.median(r['cpu'] for r in runs[tool]) for tool in TOOLS}
        for tool in TOOLS:
            timing.append('| %s | %s | %d | %.2f s | %s | %.2f s | %.0f MB/s | %.1f MiB | %.1f MiB |'
                          % (human(size), names[tool], len(runs[tool]), med[tool],
                             ', '.join('%.2f' % r['wall'] for r in runs[tool]), cpu[tool],
                             manifest['bytes'] / med[tool] / 1e6,
                             max(r['rss_mib'] for r in runs[tool]), max(r['anon_mib'] for r in runs[tool])))
        ours = runs['ours'][0]['result']
        cells = (human(size), '{:,}'.format(manifest['lines']), '{:,}'.format(manifest['apparmor']),
                 '{:,}'.format(manifest['status']), '{:,}'.format(manifest['seccomp']),
                 manifest['cut_avc'], manifest['cut_seccomp'],
                 '{:,}'.format(ours['apparmor'] + ours['seccomp']), '{:,}'.format(ours['distinct']),
                 ours['skipped'], found.get('avc', 0) + found.get('status', 0),
                 '{:,}'.format(found.get('rejected_avc', 0) + found.get('rejected_status', 0)),
                 '{:,}'.format(found.get('seccomp', 0)), '{:,}'.format(runs['grep'][0]['result']),
                 ratio(med['ours'], med['ausearch']), ratio(cpu['ours'], cpu['ausearch']),
                 ratio(med['ours'], med['grep']))
        counts.append('| %s | %s | %s (+%s STATUS) | %s | %d + %d | %s / %s / %d | %d / %s / %s | %s | **%.1f** '
                      '(CPU %.1f) | %.1f |' % cells)
    phases, cpus, feeds = [], {}, {}
    for size, _manifest, runs, _found in results:
        ours = runs['ours']
        cpus[size] = dict((tool, statistics.median(r['cpu'] for r in runs[tool])) for tool in TOOLS)
        feed = feeds[size] = statistics.median(r['result']['feed_cpu'] for r in ours)
        rest = statistics.median(r['result']['results_cpu'] for r in ours)
        named = ours[0]['result']['distinct_seccomp']
        phases.append('| %s | %.2f s | %.2f s | %.2f s | %d | %.1f ms |'
                      % (human(size), cpus[size]['ours'], feed, rest, named, 1000.0 * rest / max(named, 1)))
    text = (
        '| log | tool | runs | median wall | all runs | median CPU | throughput | peak RSS | peak anonymous RSS |\n'
        '|---|---|---|---|---|---|---|---|---|\n' + '\n'.join(timing) + '\n\n'
        '| log | lines | AppArmor records | SECCOMP records | cut short (AVC + SECCOMP) '
        '| ours: records / distinct / skipped | ausearch: AVC returned / rejected / SECCOMP | grep '
        '| ours / ausearch (wall) | ours / grep (wall) |\n'
        '|---|---|---|---|---|---|---|---|---|---|\n' + '\n'.join(counts) + '\n\n'
        'Where our run spends its time, in CPU seconds (medians; a run on an empty log takes %.2f s: a fresh '
        'Python, the imports, loading libseccomp). The whole run counts grep, which scans the log in its own '
        'process beside the parser; `feed` is the parser\'s own share (the lines grep passes on, parsed):\n\n'
        '| log | whole run | parsing the lines grep passes (`feed`) | `results` + `suggestions` | distinct seccomp events '
        '| the same, per distinct seccomp event |\n'
        '|---|---|---|---|---|---|\n' % fixed + '\n'.join(phases) + '\n\n')
    if len(medians) == 2:
        (small, _m1, r_small, _f1), (large, _m2, r_large, _f2) = sorted(results, key=lambda r: r[0])
        text += ('A log %.1f times larger took %.1f times the CPU time for ours (%.1f times for `feed` alone), '
                 '%.1f times for ausearch and %.1f times for grep (wall: %.1f, %.1f and %.1f times). Our peak RSS '
                 'went from %.1f to %.1f MiB: the parser keeps only the distinct events. ausearch\'s went from %.1f '
                 'to %.1f MiB because it maps the log into memory (those pages are the page cache\'s, not memory '
                 'it allocates: its anonymous RSS stays flat).\n\n'
                 % (large / small, ratio(cpus[large]['ours'], cpus[small]['ours']),
                    ratio(feeds[large], feeds[small]), ratio(cpus[large]['ausearch'], cpus[small]['ausearch']),
                    ratio(cpus[large]['grep'], cpus[small]['grep']),
                    ratio(medians[large]['ours'], medians[small]['ours']),
                    ratio(medians[large]['ausearch'], medians[small]['ausearch']),
                    ratio(medians[large]['grep'], medians[small]['grep']),
                    max(r['rss_mib'] for r in r_small['ours']), max(r['rss_mib'] for r in r_large['ours']),
                    max(r['rss_mib'] for r in r_small['ausearch']), max(r['rss_mib'] for r in r_large['ausearch'])))
    return text + (
        'Measured %s on %d cores (%s), Python %s, %s; the log in the page cache (a warm read: this is the cost of '
        'parsing, not of the disk), the tools alternating; throughput in 10^6 B/s by the median wall time; CPU '
        'time is user + system; peak RSS the largest of the runs (`/usr/bin/time`), anonymous RSS sampled every '
        '20 ms. Reproduce with %s.\n'
        % (time.strftime('%Y-%m-%d'), len(os.sched_getaffinity(0)), cpu_model(), platform.python_version(),
           ausearch_version(ausearch), command_line(args)))


if __name__ == '__main__':
    sys.exit(main())
