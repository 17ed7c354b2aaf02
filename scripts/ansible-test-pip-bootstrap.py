"""Stand-in for ansible-test's get-pip bootstrap script.

ansible-test creates its sanity virtualenvs without pip and bootstraps pip with a
script it downloads from a host this project's machines cannot reach.  This file
does the same job with what they can reach: the interpreter's own ``ensurepip``,
then pip from PyPI at the version and with the packages ansible-test asked for.
scripts/sanity.sh puts it where ansible-test looks for its cached copy.
"""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'])
subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--disable-pip-version-check'] + args)
