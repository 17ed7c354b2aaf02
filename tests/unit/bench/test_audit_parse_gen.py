# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The log generator of bench/audit_parse.py: a small generated log parses to the counts
its manifest promises, the same seed writes the same bytes, and the size is a ceiling.
No timing here; the figures come from running the benchmark."""

import hashlib
import importlib.util
import os
import re

import pytest

BENCH = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'bench', 'audit_parse.py')


@pytest.fixture(scope='module')
def bench():
    spec = importlib.util.spec_from_file_location('audit_parse_bench', BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def small_log(bench, tmp_path_factory):
    path = tmp_path_factory.mktemp('audit') / 'audit.log'
    manifest = bench.generate(path, 4 << 20, seed=1)
    return path, manifest


def test_the_parser_finds_what_the_generator_wrote(bench, small_log):
    path, manifest = small_log
    # the seeded log holds every kind of line the benchmark counts, malformed ones too
    assert all(manifest[kind] > 0 for kind in ('apparmor', 'status', 'seccomp', 'cut_avc', 'cut_seccomp'))
    got = bench.parse(str(path))
    assert got['bytes'] == manifest['bytes']
    assert (got['apparmor'], got['seccomp']) == (manifest['apparmor'], manifest['seccomp'])
    assert got['skipped'] == manifest['cut_avc'] + manifest['cut_seccomp']


def test_size_lines_and_the_grep_floor_agree_with_the_manifest(small_log):
    path, manifest = small_log
    data = path.read_bytes()
    assert len(data) == manifest['bytes'] <= 4 << 20 and data.endswith(b'\n')
    assert data.count(b'\n') == manifest['lines']
    assert b'\x1d' in data      # auditd's enriched fields
    grep = len(re.findall(rb'type=(?:AVC|SECCOMP)', data))
    assert grep == sum(manifest[k] for k in ('apparmor', 'status', 'seccomp', 'cut_avc', 'cut_seccomp', 'cut_header'))


def test_the_same_seed_writes_the_same_log(bench, tmp_path):
    digests = []
    for name, seed in (('a', 7), ('b', 7), ('c', 8)):
        bench.generate(tmp_path / name, 256 << 10, seed=seed)
        digests.append(hashlib.sha256((tmp_path / name).read_bytes()).hexdigest())
    assert digests[0] == digests[1] != digests[2]


@pytest.mark.parametrize('text,size', [('1GiB', 1 << 30), ('100MiB', 100 << 20), ('500M', 500 << 20),
                                       ('1048576', 1 << 20), ('2kib', 2048)])
def test_size_arg(bench, text, size):
    assert bench.size_arg(text) == size
