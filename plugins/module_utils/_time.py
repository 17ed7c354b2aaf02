# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Times and durations as the modules take and give them.

- ``parse_duration``: seconds in ``90``, ``30s``, ``15m``, ``2h``, ``1d``, ``1h30m``;
- ``parse_since``: epoch seconds of an epoch number, an ISO 8601 time or a duration ago;
- ``human_duration``: seconds as the gate's messages write them (``1d2h``);
- ``iso_utc``: epoch seconds as ``2026-11-24T10:00:00Z``.

Every value comes from a user or from a file on the host: anything that is no time is a
ValueError with one sentence, never a traceback, and no time is after the year 9999.
"""

import calendar
import datetime
import math
import re
import time

NUMBER_RE = re.compile(r'^\d+(?:\.\d+)?$')
UNIT_SECONDS = (('d', 86400), ('h', 3600), ('m', 60), ('s', 1))
DURATION_RE = re.compile(r'^(?:(\d+(?:\.\d+)?)d)?\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*'
                         r'(?:(\d+(?:\.\d+)?)s)?$')
ISO_RE = re.compile(r'^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?'
                    r'\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$')
DURATION_HELP = 'give seconds (90) or amounts of d, h, m and s in that order (30s, 15m, 2h, 1d, 1h30m)'
MAX_EPOCH = 253402300799.0  # 9999-12-31T23:59:59Z: the last time a record, or time.gmtime, can name
MAX_TEXT = 64               # characters of a time or duration (a longer one is no time)


def shown(value):
    """``value`` for a message: repr, cut to 80 characters."""
    text = repr(value)
    return text if len(text) <= 80 else text[:60] + '...' + text[-10:] + ' (%d characters)' % len(text)


def _number(value):
    return not isinstance(value, bool) and isinstance(value, (int, float))


def parse_duration(value):
    """Seconds in ``value``: a number of seconds, or ``1d``, ``2h``, ``15m``, ``30s`` and sums
    of them written largest unit first (``1h30m``).  ValueError with one sentence otherwise."""
    if _number(value):
        if math.isnan(value) or math.isinf(value) or value < 0:
            raise ValueError('%r is not a duration: %s' % (value, DURATION_HELP))
        seconds = float(value)
    else:
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise ValueError('%s is not a duration: %s' % (shown(value), DURATION_HELP))
        text = value.strip().lower()
        match = None if NUMBER_RE.match(text) else DURATION_RE.match(text)
        if NUMBER_RE.match(text):
            seconds = float(text)
        elif not text or not match or not any(match.groups()):
            raise ValueError('%r is not a duration: %s' % (value, DURATION_HELP))
        else:
            seconds = float(sum(float(amount) * size for amount, (_u, size) in zip(match.groups(), UNIT_SECONDS)
                                if amount))
    if seconds > MAX_EPOCH:
        raise ValueError('%s is too long to be a duration (at most %d seconds, about 8000 years)'
                         % (shown(value), MAX_EPOCH))
    return seconds


def _iso(text):
    match = ISO_RE.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                                   int(second or 0))
    except ValueError as exc:
        raise ValueError('%r is not a valid time (%s)' % (text, exc))
    epoch = calendar.timegm(moment.timetuple()) + (float('0.' + fraction) if fraction else 0.0)
    if zone and zone not in ('Z', 'z', 'UTC'):
        digits = zone[1:].replace(':', '')
        offset = int(digits[:2]) * 3600 + int(digits[2:] or 0) * 60
        epoch -= offset if zone[0] == '+' else -offset
    return float(epoch)


def parse_since(value, now):
    """Epoch seconds from which records are wanted: 0.0 (everything) for None or '';
    an epoch number; an ISO 8601 time (UTC unless it has an offset); or a duration,
    meaning that long before ``now``.  ValueError with one sentence otherwise."""
    if value is None:
        return 0.0
    if _number(value):
        if math.isnan(value) or math.isinf(value) or value < 0:
            raise ValueError('%r is not a time: an epoch time cannot be negative' % (value,))
        return _in_range(value, value)
    if not isinstance(value, str):
        raise ValueError('%s is not a time: give epoch seconds, an ISO 8601 time or a duration ago' % shown(value))
    text = value.strip()
    if not text:
        return 0.0
    if len(text) <= MAX_TEXT:
        if NUMBER_RE.match(text):
            return _in_range(float(text), value)
        epoch = _iso(text)
        if epoch is not None:
            return _in_range(epoch, value)
        try:
            # a duration longer than the time since 1970 means every record
            return max(0.0, float(now) - parse_duration(text))
        except ValueError:
            pass
    raise ValueError('%s is not a time: give epoch seconds (1795468675), an ISO 8601 time '
                     '(2026-11-24T10:00:00Z, UTC when no offset is given) or a duration ago '
                     '(30s, 15m, 2h, 1d, 1h30m)' % shown(value))


def _in_range(epoch, value):
    if epoch > MAX_EPOCH:
        raise ValueError('%s is not a time: it is after the year 9999 (epoch seconds go up to %d)'
                         % (shown(value), MAX_EPOCH))
    return max(0.0, float(epoch))


def human_duration(seconds):
    """Whole seconds as at most two units, largest first: ``1d2h``, ``15m``, ``0s``."""
    seconds = int(max(0, seconds))
    parts = []
    for unit, size in UNIT_SECONDS[:3]:
        if seconds >= size:
            parts.append('%d%s' % (seconds // size, unit))
            seconds %= size
    if seconds or not parts:
        parts.append('%ds' % seconds)
    return ''.join(parts[:2])


def iso_utc(epoch):
    """``epoch`` as ``YYYY-MM-DDTHH:MM:SSZ``; None for 0 or None (no time)."""
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(epoch)) if epoch else None
