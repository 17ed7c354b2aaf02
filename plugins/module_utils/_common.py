# -*- coding: utf-8 -*-
# Copyright: confine.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The skeleton every module of the collection shares.

- ``SpecError``: a profile spec is invalid (raised by the spec modules).
- ``NAME_RE``: what a profile or file name may be.
- ``ModuleError``: the one error type of the modules: a message and extra result keys.
- ``run_module``: the one ``main()`` helper: run the work, turn every failure into one
  ``fail_json`` sentence (never a traceback).
- ``diff_entry``: the one before/after diff dict.
- ``json_bytes``: JSON to bytes, deterministic, with a trailing newline.
"""

import json
import re


NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\Z')


class SpecError(ValueError):
    """A spec is invalid.  ``str(err)`` is one sentence naming the field: ``FIELD: MESSAGE``."""

    def __init__(self, field, message):
        self.field = field
        super(SpecError, self).__init__('%s: %s' % (field, message))


class ModuleError(Exception):
    """The one error of the modules: ``msg`` (one sentence) and ``extra`` result keys."""

    def __init__(self, msg, **extra):
        super(ModuleError, self).__init__(msg)
        self.msg = msg
        self.extra = extra


def _unsafe_text(exc):
    return str(exc)


def _not_regular_text(exc):
    return '%s; nothing was changed' % exc.strerror


def _lock_timeout_text(exc):
    return 'lock_timeout: %s' % exc.strerror


def _unexpected_text(exc):
    return 'unexpected %s: %s' % (type(exc).__name__, exc)


def _default_errors():
    """(exception types, wording) in the order they are tried, after ``ModuleError``."""
    # imported here: _jsonio imports this file, which so imports nothing of the collection at load time
    from ansible_collections.confine.hardening.plugins.module_utils import _fileio as fileio
    from ansible_collections.confine.hardening.plugins.module_utils import _lock as lock
    return [((SpecError, fileio.UnsafePath), _unsafe_text), (lock.LockTimeout, _lock_timeout_text),
            (fileio.NotRegularFile, _not_regular_text)]


def _resolve(value, module):
    return value(module) if callable(value) else value


def run_module(module, work, label='', extra=None, errors=(), unexpected=_unexpected_text):
    """``exit_json(**work(module))``; every failure is one ``fail_json`` sentence.

    ``label`` (a string, or a callable(module) returning one) prefixes every message.
    ``extra`` (a dict, or a callable(module) returning one) adds result keys to every
    failure; a ``ModuleError``'s own ``extra`` keys win over them.
    ``errors`` is a sequence of ``(exception types, callable(exc) -> text)`` pairs tried
    before the defaults: ``SpecError`` and ``fileio.UnsafePath`` give ``str(exc)``;
    ``_lock.LockTimeout`` gives ``'lock_timeout: ' + exc.strerror``; ``fileio.NotRegularFile``
    gives ``exc.strerror + '; nothing was changed'``.
    ``unexpected`` words any other ``Exception`` (``'unexpected TYPE: TEXT'``); ``None``
    lets it propagate.
    """
    try:
        result = work(module)
    except ModuleError as exc:
        keys = dict(_resolve(extra, module) or {})
        keys.update(exc.extra)
        module.fail_json(msg=_resolve(label, module) + exc.msg, **keys)
    except Exception as exc:  # pylint: disable=broad-except
        # issue 11 item 21: one sentence, never a traceback, whatever the input
        for types, wording in list(errors) + _default_errors():
            if isinstance(exc, types):
                text = wording(exc)
                break
        else:
            if unexpected is None:
                raise
            text = unexpected(exc)
        module.fail_json(msg=_resolve(label, module) + text, **dict(_resolve(extra, module) or {}))
    module.exit_json(**result)


def _text(value):
    if value is None:
        return ''
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    return value


def diff_entry(path, before, after):
    """The before/after diff dict of one file; ``None`` is an absent file (empty text).

    Bytes are decoded as UTF-8 with replacement characters, so a binary file still diffs.
    """
    return {
        'before_header': path,
        'after_header': path,
        'before': _text(before),
        'after': _text(after),
    }


def json_bytes(value, indent=2, sort_keys=True, separators=None):
    """``value`` as JSON bytes: no NaN or infinity, stable key order, a trailing newline."""
    text = json.dumps(value, indent=indent, sort_keys=sort_keys, separators=separators, allow_nan=False)
    return (text + '\n').encode('utf-8')
