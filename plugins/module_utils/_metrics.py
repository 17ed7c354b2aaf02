# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's metrics in Prometheus's text format, for the node exporter's text-file collector.

``render(report, record, matches, now)`` turns the run's report (roles/host_hardening/tasks/
report.yml), the governance record and which profiles' files still hold their recorded sha256
into the file's text. Names follow Prometheus's conventions: the ``confine_`` prefix, the unit
in the name (``_seconds``), ``_total`` for counters, ``_info`` for a constant 1 that carries
labels; an enumeration (stage, decision, outcome) is one sample per value, 1 for the one that
holds. Every label value goes through ``label_value``: profile names are checked names, but the
report is input like any other, and a value that is not one of ours must not end a sample.
"""

import datetime
import math

from ansible_collections.confine.hardening.plugins.module_utils._gate import CLASSES, DECISIONS

STAGES = ('observe', 'enforce')
OUTCOMES = ('ok', 'failed_undone')
MAX_LABEL = 256          # a label value longer than this is cut (a sample stays one short line)


def label_value(value):
    """``value`` as the inside of a quoted label value: backslash, double quote and line feed
    escaped as the text format wants, other control characters dropped, at most MAX_LABEL characters."""
    text = value if isinstance(value, str) else ('' if value is None else str(value))
    text = ''.join(c for c in text[:MAX_LABEL] if c >= ' ' or c == '\n')
    text = text.encode('utf-8', 'replace').decode('utf-8')
    return text.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def _number(value):
    if isinstance(value, bool):
        return '1' if value else '0'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return 'NaN'


def _sample(name, labels, value):
    # label names in order, as the node exporter serves them again
    inner = ','.join('%s="%s"' % (k, label_value(v)) for k, v in sorted(labels))
    return '%s{%s} %s' % (name, inner, _number(value)) if inner else '%s %s' % (name, _number(value))


def epoch(text):
    """An ISO 8601 time (the record's) as Unix seconds, or None."""
    if not isinstance(text, str):
        return None
    try:
        when = datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when.timestamp()


def _count(value):
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


class Families(object):
    """Metric families in the order they are added, each with its HELP and TYPE lines; one sample
    per label set (the first: a record naming a profile twice must not make the exporter refuse
    the whole file for a duplicate series)."""

    def __init__(self):
        self.order, self.meta, self.samples = [], {}, {}

    def add(self, name, kind, text, labels=(), value=1):
        if name not in self.meta:
            self.order.append(name)
            self.meta[name] = (kind, text)
            self.samples[name] = {}
        key = tuple((k, label_value(v)) for k, v in sorted(labels))
        self.samples[name].setdefault(key, _sample(name, labels, value))

    def text(self):
        lines = []
        for name in self.order:
            kind, text = self.meta[name]
            lines += ['# HELP %s %s' % (name, text), '# TYPE %s %s' % (name, kind)]
            lines += sorted(self.samples[name].values())
        return '\n'.join(lines) + '\n'


def _list(value):
    return value if isinstance(value, list) else []


def _text(value):
    return value if isinstance(value, str) else ''


def _profiles(out, record, matches):
    for entry in _list(record.get('profiles')):
        if not isinstance(entry, dict) or not isinstance(entry.get('name'), str):
            continue
        kind, name = _text(entry.get('kind')), entry['name']
        for target in [t for t in _list(entry.get('targets')) if isinstance(t, str)]:
            out.add('confine_profile_info', 'gauge', 'A profile the collection installed, per runtime that loads it '
                    '(kernel: AppArmor); mode is the one it was installed in.',
                    (('kind', kind), ('name', name), ('mode', _text(entry.get('mode'))), ('runtime', target)))
        out.add('confine_profile_files_match', 'gauge', 'Whether every file of the profile holds the sha256 the '
                'record has for it (1) or not (0: changed, missing or unreadable).',
                (('kind', kind), ('name', name)), bool(matches.get((kind, name))))


def _events(out, report):
    help_text = ('Events since the stage began, by kind, AppArmor profile (seccomp records name no filter) and class '
                 '(unexplained, accepted, ignored); occurrences, as the promotion gate counted them.')
    seen = set()
    for tally in _list(report.get('tallies')):
        if not isinstance(tally, dict) or tally.get('class') not in CLASSES or tally.get('kind') not in (
                'seccomp', 'apparmor'):
            continue
        labels = (('kind', tally['kind']),) + ((('profile', tally.get('profile')),) if tally['kind'] == 'apparmor'
                                               else ()) + (('class', tally['class']),)
        seen.add(labels)
        out.add('confine_events_total', 'counter', help_text, labels, _count(tally.get('occurrences')))
    for klass in CLASSES:
        if (('kind', 'seccomp'), ('class', klass)) not in seen:
            out.add('confine_events_total', 'counter', help_text, (('kind', 'seccomp'), ('class', klass)), 0)
    source = report.get('event_source') if isinstance(report.get('event_source'), dict) else {}
    out.add('confine_kernel_records_lost_total', 'counter', 'Audit records the kernel dropped (rate limit, '
            'backlog) since the stage began, as far as the kernel\'s counter tells.',
            value=_count(source.get('lost_during_stage')))
    out.add('confine_event_source_rate_limited', 'gauge', 'Whether the event source said records were lost to the '
            'kernel\'s rate limit on the last run (1) or not (0).', value=bool(source.get('rate_limited')))


def render(report, record, matches, now):
    """The text-file for one host: ``report`` (the run report), ``record`` (the governance
    record, {} when there is none), ``matches`` ({(kind, name): bool}), ``now`` (Unix seconds)."""
    out = Families()
    _profiles(out, record, matches)
    # a failed run is undone: the host is in the stage its record (left as it was) says
    stage = record.get('stage') if report.get('failure') and record.get('stage') else report.get('stage')
    stage = stage if isinstance(stage, str) else None
    for value in STAGES:
        out.add('confine_stage', 'gauge', 'The stage of the host\'s profiles after the last run (1 for the one it '
                'is in).', (('stage', value),), value == stage)
    decision = report.get('decision_code')
    for value in DECISIONS:
        out.add('confine_gate_decision', 'gauge', 'What the promotion gate decided on the last run (1 for the '
                'decision taken).', (('decision', value),), value == decision)
    failed = bool(report.get('failure'))
    for value in OUTCOMES:
        out.add('confine_last_run_outcome', 'gauge', 'How the last run ended: ok, or failed and undone (1 for the '
                'outcome).', (('outcome', value),), value == ('failed_undone' if failed else 'ok'))
    undone = report.get('undone')
    out.add('confine_last_run_files_undone', 'gauge', 'Files the last run put back when it failed.',
            value=len(undone) if isinstance(undone, list) else 0)
    out.add('confine_last_run_timestamp_seconds', 'gauge', 'When the last run wrote these metrics (Unix time).',
            value=float(now))
    changed = epoch(record.get('updated_at'))
    out.add('confine_last_change_timestamp_seconds', 'gauge', 'When a run last changed what the record holds '
            '(Unix time; NaN without a record).', value=changed if changed is not None else float('nan'))
    since = epoch(report.get('stage_since'))
    out.add('confine_stage_since_timestamp_seconds', 'gauge', 'When the current stage began (Unix time; NaN before '
            'the first record).', value=since if since is not None else float('nan'))
    _events(out, report)
    return out.text()
