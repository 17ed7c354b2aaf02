# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One report per rollout: the hosts' run reports (HOST.json on the controller) as Markdown and
as a single self-contained HTML page.

``summarise(reports, hosts, rollout)`` reads what each host's report says of this rollout
(``rollout``: its id, the run id of the play's first host) into one summary: each host's
stage, decision, profile modes and event counts, the waves as they ran, the hosts failed and
undone, those the rollout never reached, and the ten most frequent unexplained events across
the fleet with the hosts that saw them. ``markdown(summary)`` and ``html(summary)`` write it.

Everything in a report is input: event names and commands come from audit records a
compromised workload may have written. ``md_text`` and ``html.escape`` are the only ways text
reaches either page, and the page's Content-Security-Policy runs its own script alone.
"""

import base64
import hashlib
import html as html_mod
import re

CLASSES = ('unexplained', 'accepted', 'ignored')
TOP = 10
# what can make text inside a table cell or a list item more than text (CommonMark and GitHub's
# tables); # - + = > and "1." only count at the start of a cell or item, and are escaped there
MD_SPECIAL = '\\`*_[]|~'
MD_LEADING = re.compile(r'^(\d+)?([#+\-=.)])')


def md_text(value):
    """``value`` as literal Markdown text inside a table cell or a list item: the characters that
    could make it more than text escaped, < > & as entities, line breaks as spaces, at most 300
    characters."""
    text = value if isinstance(value, str) else ('' if value is None else str(value))
    text = ' '.join(text[:300].split())
    text = text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
    text = ''.join('\\' + c if c in MD_SPECIAL else c for c in text)
    lead = MD_LEADING.match(text)
    if lead and (lead.group(1) or lead.group(2) in '#+-='):
        text = (lead.group(1) or '') + '\\' + text[lead.end(1) if lead.group(1) else 0:]
    return text


def _str(value):
    return value if isinstance(value, str) else ''


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _event_key(event):
    """What makes two hosts' unexplained events the same event (the counts aside)."""
    if event.get('kind') == 'seccomp':
        return ('seccomp', _str(event.get('syscall')) or 'syscall %s' % _int(event.get('nr')),
                _str(event.get('exe')) or _str(event.get('comm')))
    what = _str(event.get('capname')) and 'capability ' + _str(event.get('capname')) or \
        _str(event.get('family')) and 'network %s %s' % (_str(event.get('family')), _str(event.get('sock_type'))) or \
        '%s %s %s' % (_str(event.get('operation')), _str(event.get('name')), _str(event.get('denied_mask')))
    return (_str(event.get('profile')).split('//', 1)[0], ' '.join(what.split()), _str(event.get('comm')))


def _host_row(name, report):
    counts = report.get('counts') if isinstance(report.get('counts'), dict) else {}
    profiles = [p for p in report.get('profiles') or [] if isinstance(p, dict) and p.get('state') == 'present']
    failed = bool(report.get('failure'))
    stage = _str(report.get('stage'))
    status = 'failed' if failed else ('observing' if stage == 'observe' else 'ok')
    return {
        'host': name, 'status': status, 'stage': stage, 'decision': _str(report.get('decision_code')),
        'reason': _str(report.get('decision')), 'failure': _str(report.get('failure')),
        'undone': len(report.get('undone')) if isinstance(report.get('undone'), list) else 0,
        'profiles': ['%s %s' % (_str(p.get('name')), _str(p.get('mode'))) for p in profiles],
        'counts': dict((c, _int(counts.get(c))) for c in CLASSES), 'finished_at': _str(report.get('finished_at')),
    }


def summarise(reports, hosts, rollout):
    """The rollout's summary from {host: report} (the controller's HOST.json files) and the play's
    hosts in order; a host with no report of this rollout was not reached."""
    rows, waves, events = [], [], {}
    ours = [h for h in hosts if isinstance(reports.get(h), dict) and reports[h].get('rollout') == rollout]
    ran = set(h for r in ours for h in (reports[r].get('wave') if isinstance(reports[r].get('wave'), list) else []))
    last = max([hosts.index(h) for h in ours] or [-1])
    for i, name in enumerate(hosts):
        report = reports.get(name)
        if name not in ours:
            # in a wave that ran (the host was lost, or failed before its report), or never reached
            status = 'no report' if name in ran or i < last else 'not reached'
            rows.append({'host': name, 'status': status, 'stage': '', 'decision': '', 'reason': '',
                         'failure': '', 'undone': 0, 'profiles': [], 'counts': dict((c, 0) for c in CLASSES),
                         'finished_at': ''})
            continue
        rows.append(_host_row(name, report))
        wave = report.get('wave') if isinstance(report.get('wave'), list) else []
        wave = [h for h in wave if isinstance(h, str)] or [name]
        if not any(name in w for w in waves):
            waves.append(wave)
        for event in report.get('events') or []:
            if isinstance(event, dict):
                entry = events.setdefault(_event_key(event), {'count': 0, 'hosts': set()})
                entry['count'] += _int(event.get('count'))
                entry['hosts'].add(name)
    by_host = dict((r['host'], r) for r in rows)
    top = sorted(events.items(), key=lambda kv: (-kv[1]['count'], kv[0]))[:TOP]
    return {
        'rollout': rollout, 'hosts': rows,
        'waves': [{'hosts': w, 'failed': [h for h in w if by_host.get(h, {}).get('status') == 'failed']}
                  for w in waves],
        'failed': [r['host'] for r in rows if r['status'] == 'failed'],
        'not_reached': [r['host'] for r in rows if r['status'] == 'not reached'],
        'no_report': [r['host'] for r in rows if r['status'] == 'no report'],
        'top_events': [{'what': ' '.join(' / '.join(k for k in key if k).split()), 'count': v['count'],
                        'hosts': sorted(v['hosts'])}
                       for key, v in top],
    }


TOTALS = '%d hosts: %d ok, %d observing, %d failed and undone, %d without a report, %d not reached.'


def _totals(summary):
    statuses = [r['status'] for r in summary['hosts']]
    return dict((s, statuses.count(s)) for s in ('ok', 'observing', 'failed', 'no report', 'not reached'))


def markdown(summary):
    t = _totals(summary)
    lines = ['# confine.hardening rollout %s' % md_text(summary['rollout']), '',
             TOTALS % (len(summary['hosts']), t['ok'], t['observing'], t['failed'], t['no report'], t['not reached']),
             '',
             '| host | status | stage | decision | profiles | unexplained | accepted | ignored |',
             '|---|---|---|---|---|---|---|---|']
    for r in summary['hosts']:
        lines.append('| %s |' % ' | '.join([md_text(r['host']), md_text(r['status']), md_text(r['stage']),
                                            md_text(r['decision']), md_text(', '.join(r['profiles']))]
                                           + ['%d' % r['counts'][c] for c in CLASSES]))
    lines += ['', '## Waves', '']
    for i, wave in enumerate(summary['waves'], 1):
        lines.append('%d. %s%s' % (i, ', '.join(md_text(h) for h in wave['hosts']),
                                   ' - failed and undone: %s' % ', '.join(md_text(h) for h in wave['failed'])
                                   if wave['failed'] else ''))
    if summary['no_report']:
        lines += ['', 'No report (lost, or failed before it wrote one): %s' % ', '.join(
            md_text(h) for h in summary['no_report'])]
    if summary['not_reached']:
        lines += ['', 'Not reached (the rollout stopped): %s' % ', '.join(md_text(h) for h in summary['not_reached'])]
    failed = [r for r in summary['hosts'] if r['status'] == 'failed']
    if failed:
        lines += ['', '## Failed and undone', '']
        lines += ['- %s: %s (%d files put back)' % (md_text(r['host']), md_text(r['failure']), r['undone'])
                  for r in failed]
    lines += ['', '## Most frequent unexplained events', '']
    if summary['top_events']:
        lines += ['| event | times | hosts |', '|---|---|---|']
        lines += ['| %s | %d | %s |' % (md_text(e['what']), e['count'], md_text(', '.join(e['hosts'])))
                  for e in summary['top_events']]
    else:
        lines.append('None.')
    return '\n'.join(lines) + '\n'


SCRIPT = '''document.querySelectorAll('table.sort th').forEach(function (th) {
  th.addEventListener('click', function () {
    var col = th.cellIndex;
    var body = th.closest('table').tBodies[0], rows = Array.prototype.slice.call(body.rows);
    var up = th.dataset.dir !== 'up'; th.dataset.dir = up ? 'up' : 'down';
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.v || a.cells[col].textContent, y = b.cells[col].dataset.v || b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return up ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
document.body.dataset.ready = 'sortable';
'''
STYLE = ('body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}'
         'th,td{border:1px solid #bbb;padding:.3em .6em;text-align:left}th{cursor:pointer;background:#eee}'
         'tr.ok td.status{background:#c8efc8}tr.observing td.status{background:#fbeeb0}'
         'tr.failed td.status{background:#f7b9b9}tr.no-report td.status{background:#f7b9b9}'
         'tr.not-reached td.status{background:#ddd}')


def html(summary):
    e = html_mod.escape
    t = _totals(summary)
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode('utf-8')).digest()).decode('ascii')
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; '
           'script-src \'sha256-%s\'">' % digest,
           '<title>confine.hardening rollout %s</title><style>%s</style></head><body>' % (e(summary['rollout']), STYLE),
           '<h1>confine.hardening rollout %s</h1>' % e(summary['rollout']),
           '<p id="totals">%s</p>' % (TOTALS % (len(summary['hosts']), t['ok'], t['observing'], t['failed'],
                                                t['no report'], t['not reached'])),
           '<table class="sort" id="hosts"><thead><tr><th>host</th><th>status</th><th>stage</th><th>decision</th>'
           '<th>profiles</th><th>unexplained</th><th>accepted</th><th>ignored</th></tr></thead><tbody>']
    for r in summary['hosts']:
        cells = ['<td>%s</td>' % e(r['host']), '<td class="status">%s</td>' % e(r['status']),
                 '<td>%s</td>' % e(r['stage']), '<td title="%s">%s</td>' % (e(r['reason'] or r['failure']), e(r['decision'])),
                 '<td>%s</td>' % e(', '.join(r['profiles']))] + ['<td>%d</td>' % r['counts'][c] for c in CLASSES]
        out.append('<tr class="%s">%s</tr>' % (r['status'].replace(' ', '-'), ''.join(cells)))
    out += ['</tbody></table>', '<h2>Waves</h2><ol id="waves">']
    out += ['<li>%s%s</li>' % (e(', '.join(w['hosts'])), (' - failed and undone: %s' % e(', '.join(w['failed'])))
                               if w['failed'] else '') for w in summary['waves']]
    out.append('</ol>')
    if summary['no_report']:
        out.append('<p id="no-report">No report (lost, or failed before it wrote one): %s</p>' % e(
            ', '.join(summary['no_report'])))
    if summary['not_reached']:
        out.append('<p id="not-reached">Not reached (the rollout stopped): %s</p>' % e(', '.join(summary['not_reached'])))
    out += ['<h2>Most frequent unexplained events</h2>', '<table class="sort" id="events"><thead><tr><th>event</th>'
            '<th>times</th><th>hosts</th></tr></thead><tbody>']
    out += ['<tr><td>%s</td><td>%d</td><td>%s</td></tr>' % (e(v['what']), v['count'], e(', '.join(v['hosts'])))
            for v in summary['top_events']]
    out += ['</tbody></table>', '<script>%s</script>' % SCRIPT, '</body></html>']
    return '\n'.join(out) + '\n'
