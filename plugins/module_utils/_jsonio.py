# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON the collection reads and writes (daemon.json, the record, the lock lease).

Read strictly (no NaN or Infinity, no duplicate keys, a bounded depth) and checked whole
before any write, so a value JSON cannot hold is refused in one sentence naming its key.
"""

import json
import math

from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
from ansible_collections.confine.hardening.plugins.module_utils._common import json_bytes


MAX_JSON_DEPTH = 64


def _refuse_constant(name):
    raise ValueError('%s is not JSON (JSON has no NaN or Infinity)' % name)


def _no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError('the key %r appears more than once in one object' % (key,))
        out[key] = value
    return out


def loads_strict(text):
    """``json.loads`` that refuses NaN/Infinity literals and duplicate keys (ValueError, one sentence)
    and turns a RecursionError (too deeply nested) into a ValueError."""
    try:
        return json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise ValueError('it is nested too deeply to read')


def _key_text(key):
    """A key as the message shows it: escaped when it holds a newline or another unprintable character."""
    return key if key.isprintable() else key.encode('unicode_escape').decode('ascii')


def json_problem(value, field, max_depth=MAX_JSON_DEPTH):
    """Why ``value`` cannot be written as JSON (one sentence naming the key), or None.

    Refused: NaN and infinite numbers (JSON has none; 1e400 reads as infinity), strings
    or keys that are not valid Unicode (a lone surrogate such as \\ud800 cannot be
    written as UTF-8), keys that are not strings, types JSON has no form for, and nesting
    deeper than ``max_depth``.  Walked without recursion, so any depth is safe to check."""
    stack = [(value, field, 0)]
    while stack:
        node, where, depth = stack.pop()
        if depth > max_depth:
            return '%s is nested more than %d levels deep' % (where, max_depth)
        if isinstance(node, bool) or node is None:
            continue
        if isinstance(node, int):
            continue
        if isinstance(node, float):
            if not math.isfinite(node):
                return '%s is %r, which JSON cannot hold (no NaN or Infinity)' % (where, node)
            continue
        if isinstance(node, str):
            try:
                node.encode('utf-8')
            except UnicodeError:
                return '%s holds a string that is not valid Unicode (a lone surrogate)' % where
            continue
        if isinstance(node, dict):
            for key, item in node.items():
                if not isinstance(key, str):
                    return '%s has the key %r, which is not a string' % (where or 'the top level', key)
                try:
                    key.encode('utf-8')
                except UnicodeError:
                    return '%s has a key that is not valid Unicode (a lone surrogate): %s' % (
                        where or 'the top level', key.encode('utf-8', 'backslashreplace').decode('ascii'))
                stack.append((item, '%s.%s' % (where, _key_text(key)) if where else _key_text(key), depth + 1))
            continue
        if isinstance(node, (list, tuple)):
            for index, item in enumerate(node):
                stack.append((item, '%s[%d]' % (where, index), depth + 1))
            continue
        return '%s is a %s, which JSON has no form for' % (where, type(node).__name__)
    return None


def dumps_checked(value, field):
    """Canonical JSON bytes (indented, sorted keys, trailing newline), or ValueError naming the key."""
    problem = json_problem(value, field)
    if problem:
        raise ValueError(problem)
    return json_bytes(value)


def read_object(path, limit=fileio.MAX_READ):
    """The JSON object (a dict) stored at ``path``, or None when the file is missing.

    Raises ``_fileio.NotRegularFile`` when ``path`` is not a regular file (a FIFO, a device,
    a directory, or longer than ``limit`` bytes), and ValueError, one sentence naming the
    path, when the file is not strict JSON (UTF-8, no NaN, no duplicate keys, bounded
    depth) or holds something other than an object.  Each caller decides what a bad file
    means (the record of seccomp_profile: ignored with a warning)."""
    fileio.check_regular_or_missing(path)
    raw = fileio.read_bytes(path, limit)
    if raw is None:
        return None
    try:
        value = loads_strict(raw.decode('utf-8'))
    except UnicodeDecodeError:
        raise ValueError('%s is not UTF-8 text' % path)
    except ValueError as exc:
        raise ValueError('%s is not valid JSON (%s)' % (path, str(exc).split('\n', maxsplit=1)[0]))
    if not isinstance(value, dict):
        raise ValueError('%s is not a JSON object' % path)
    return value
