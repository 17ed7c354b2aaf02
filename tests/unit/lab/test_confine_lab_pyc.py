"""The lab guests' bytecode cache for zip imports (lab/rootfs-overlay/.../confine_lab_pyc.py).

Each case runs a fresh interpreter as root (the cache only works for root), loads the
cache with its directory pointed at a scratch path, and imports a module from a zip the
way an AnsiballZ payload does.
"""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parents[3] / 'lab' / 'rootfs-overlay' / 'usr' / 'lib' / 'python3' / 'dist-packages'
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='the cache is for root only')

RUN = r'''
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location('confine_lab_pyc', sys.argv[1] + '/confine_lab_pyc.py')
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
m.CACHE = sys.argv[2]
import zipimport
sys.path.insert(0, sys.argv[3])
import payload_mod
print(json.dumps({'value': payload_mod.VALUE, 'file': payload_mod.__file__}))
'''


def payload(tmp_path: Path, value: str, name='one') -> Path:
    path = tmp_path / ('%s_payload.zip' % name)
    with zipfile.ZipFile(str(path), 'w') as z:
        z.writestr('payload_mod.py', 'VALUE = %r\n' % value)
    return path


def run(cache: Path, zip_path: Path):
    # the cache module is loaded by hand here (not by its .pth), then pointed at the scratch dir
    out = subprocess.run([sys.executable, '-S', '-c', RUN, str(HERE), str(cache), str(zip_path)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_the_second_run_uses_the_cached_code_and_a_changed_source_is_compiled_again(tmp_path):
    cache = tmp_path / 'cache'
    assert run(cache, payload(tmp_path, 'first'))['value'] == 'first'
    entries = sorted(os.listdir(str(cache)))
    assert len(entries) == 1 and oct(cache.stat().st_mode & 0o777) == '0o700'
    # the same source in another zip (another AnsiballZ temp dir) hits the same entry
    other = tmp_path / 'again'
    other.mkdir()
    assert run(cache, payload(other, 'first'))['value'] == 'first'
    assert sorted(os.listdir(str(cache))) == entries
    # and the entry is what runs: code planted under its key is what the import gets
    (cache / entries[0]).write_bytes(marshal.dumps(compile("VALUE = 'from the cache'", 'x', 'exec')))
    assert run(cache, payload(other, 'first'))['value'] == 'from the cache'
    # a changed source is a new key: the new value, never the cached one
    assert run(cache, payload(tmp_path, 'second', name='two'))['value'] == 'second'
    assert len(os.listdir(str(cache))) == 2


def test_a_cache_directory_others_can_write_is_not_used(tmp_path):
    cache = tmp_path / 'cache'
    cache.mkdir(mode=0o777)
    os.chmod(str(cache), 0o777)
    assert run(cache, payload(tmp_path, 'first'))['value'] == 'first'
    assert os.listdir(str(cache)) == []


def test_a_corrupt_entry_falls_back_to_compiling(tmp_path):
    cache = tmp_path / 'cache'
    run(cache, payload(tmp_path, 'first'))
    (entry,) = os.listdir(str(cache))
    (cache / entry).write_bytes(b'not marshal data')
    assert run(cache, payload(tmp_path, 'first'))['value'] == 'first'


def test_a_symlink_as_the_cache_directory_is_not_used(tmp_path):
    real = tmp_path / 'real'
    real.mkdir(mode=0o700)
    (tmp_path / 'cache').symlink_to(real)
    assert run(tmp_path / 'cache', payload(tmp_path, 'first'))['value'] == 'first'
    assert os.listdir(str(real)) == []
