#!/usr/bin/env bash
# ansible-test needs the collection at .../ansible_collections/confine/hardening.
# Copy the tracked files (the collections/ link excluded) there and run sanity.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$root/.venv}
work=$(mktemp -d /tmp/confine-sanity.XXXXXX)
trap 'rm -rf "$work"' EXIT
dest=$work/ansible_collections/confine/hardening
mkdir -p "$dest"
cd "$root"
# Tracked and new (not ignored) files, as they are in the work tree now.
git ls-files --cached --others --exclude-standard | grep -v '^collections/' | while read -r f; do
  [ -e "$f" ] && printf '%s\n' "$f"
done | rsync -a --files-from=- "$root"/ "$dest"/
# ansible-test bootstraps pip into its sanity venvs with a script it downloads from
# a host we cannot reach; give it our stand-in under the name it caches it as.
pip_version=$("$venv/bin/python" - <<'PY'
import re, ansible_test._internal.python_requirements as m, inspect
print(re.search(r"pip='([0-9.]+)'", inspect.getsource(m.get_venv_packages)).group(1))
PY
)
cache=~/.ansible/test/cache
mkdir -p "$cache"
cp "$root/scripts/ansible-test-pip-bootstrap.py" "$cache/get_pip_${pip_version//./_}.py"
cd "$dest"
git init -q . && git add -A
PATH="$venv/bin:$PATH" ansible-test sanity --python "$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" "$@"
