"""roles/host_hardening: meta/argument_specs.yml and defaults/main.yml stay in sync."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml

ROLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'roles', 'host_hardening')


def load(*parts):
    with open(os.path.join(ROLE, *parts)) as fh:
        return yaml.safe_load(fh)


def test_every_default_is_specified_with_the_same_default_and_type():
    defaults = load('defaults', 'main.yml')
    options = load('meta', 'argument_specs.yml')['argument_specs']['main']['options']
    assert sorted(defaults) == sorted(options)
    python_types = {'bool': bool, 'list': list, 'dict': dict, 'str': str, 'path': str, 'int': int}
    for name, value in defaults.items():
        spec = options[name]
        assert name.startswith('host_hardening_'), name
        assert spec.get('default') == value, name
        assert isinstance(value, python_types[spec['type']]), name
        assert spec.get('description'), name


def test_recorded_collection_version_is_galaxy_yml_version():
    with open(os.path.join(ROLE, '..', '..', 'galaxy.yml')) as fh:
        galaxy = yaml.safe_load(fh)
    assert load('vars', 'main.yml')['_host_hardening_collection_version'] == galaxy['version']
