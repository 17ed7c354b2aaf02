# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Times and durations (``_time``): what parse_duration and parse_since take and refuse,
the gate's human durations, and the one-sentence errors for huge values (issue 11 item 21)."""

import calendar
import datetime
import time

import pytest

from ansible_collections.confine.hardening.plugins.module_utils import _time as t

NOW = 1795480000.0


@pytest.mark.parametrize('value,seconds', [
    (90, 90.0), (2.5, 2.5), ('90', 90.0), ('30s', 30.0), ('15m', 900.0), ('2h', 7200.0), ('1d', 86400.0),
    ('1h30m', 5400.0), ('1d2h3m4s', 93784.0), ('0', 0.0), (' 2H ', 7200.0), ('1.5h', 5400.0),
])
def test_parse_duration(value, seconds):
    assert t.parse_duration(value) == seconds


@pytest.mark.parametrize('value', ['', 'h', '2x', '30m1h', '-5', '1h-30m', 'soon', None, True, -1, [1], float('nan')])
def test_parse_duration_refuses_with_a_sentence(value):
    with pytest.raises(ValueError, match=r'is not a duration: give seconds \(90\) or amounts of d, h, m and s'):
        t.parse_duration(value)


def utc(*args):
    return float(calendar.timegm(datetime.datetime(*args).timetuple()))


@pytest.mark.parametrize('value,epoch', [
    (None, 0.0), ('', 0.0), ('  ', 0.0),
    (1795468675, 1795468675.0), ('1795468675', 1795468675.0), ('1795468675.5', 1795468675.5),
    ('2026-11-24T10:00:00Z', utc(2026, 11, 24, 10)),
    ('2026-11-24T10:00:00+00:00', utc(2026, 11, 24, 10)),
    ('2026-11-24T11:30:00+01:30', utc(2026, 11, 24, 10)),
    ('2026-11-24T05:00:00-0500', utc(2026, 11, 24, 10)),
    ('2026-11-24 10:00:00', utc(2026, 11, 24, 10)),
    ('2026-11-24T10:00:00.250Z', utc(2026, 11, 24, 10) + 0.25),
    ('2026-11-24', utc(2026, 11, 24)),
    ('2h', NOW - 7200), ('1h30m', NOW - 5400), ('30s', NOW - 30),
])
def test_parse_since(value, epoch):
    assert t.parse_since(value, NOW) == epoch


def test_parse_since_iso_matches_the_standard_library():
    got = t.parse_since('2026-11-24T10:00:00Z', NOW)
    assert got == datetime.datetime(2026, 11, 24, 10, tzinfo=datetime.timezone.utc).timestamp()


@pytest.mark.parametrize('value,message', [
    ('yesterday', r"'yesterday' is not a time: give epoch seconds \(1795468675\), an ISO 8601 time"),
    ('2026-13-01T00:00:00Z', r"'2026-13-01T00:00:00Z' is not a valid time \(month must be in 1..12\)"),
    ('2026-11-24T10:00', None), ('24/11/2026', r'is not a time'), ('-2h', r'is not a time'),
    (-5, r'an epoch time cannot be negative'), (True, r'is not a time'), ({'a': 1}, r'is not a time'),
])
def test_parse_since_refuses_with_a_sentence(value, message):
    if message is None:      # a time without seconds is fine ISO 8601
        assert t.parse_since(value, NOW) == utc(2026, 11, 24, 10)
        return
    with pytest.raises(ValueError, match=message):
        t.parse_since(value, NOW)


@pytest.mark.parametrize('value', ['99999999999999999999', '9' * 400, '253402300800', '99999999999999d', '9' * 400 + 'd',
                                   '1' * 100, '2026-11-24T10:00:00' + '0' * 5000])
def test_a_huge_since_is_one_sentence(value):
    # issue 11 item 21: since: "99999999999999999999" gave a traceback (time.gmtime out of range)
    try:
        epoch = t.parse_since(value, NOW)
    except ValueError as exc:
        text = str(exc)
        assert text.count('. ') == 0 and 'is not a time' in text and len(text) < 400
    else:
        assert 0.0 <= epoch <= t.MAX_EPOCH
        time.gmtime(epoch)


def test_a_huge_duration_is_one_sentence():
    # issue 11 item 21 (observe_min of the gate, and durations ago)
    with pytest.raises(ValueError, match='is too long to be a duration'):
        t.parse_duration('99999999999999d')
    with pytest.raises(ValueError, match='is not a duration'):
        t.parse_duration('9' * 400 + 'd')
    assert t.parse_since('30000d', NOW) == 0.0        # longer ago than 1970: every record


@pytest.mark.parametrize('seconds,text', [
    (0, '0s'), (-5, '0s'), (59.9, '59s'), (60, '1m'), (90, '1m30s'), (3600, '1h'), (5400, '1h30m'),
    (86400, '1d'), (93784, '1d2h'), (86400 + 59, '1d59s'),
])
def test_human_duration_is_at_most_two_units(seconds, text):
    assert t.human_duration(seconds) == text


def test_iso_utc_is_the_time_parse_since_reads_back():
    assert t.iso_utc(None) is None and t.iso_utc(0.0) is None
    assert t.iso_utc(1795479304.3) == '2026-11-24T00:15:04Z'
    assert t.parse_since(t.iso_utc(1795479304.0), NOW) == 1795479304.0
