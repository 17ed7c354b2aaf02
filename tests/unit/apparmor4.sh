#!/bin/sh
# Fetch and unpack Debian 13's AppArmor 4.1 parser for the unit tests (never installed).
#
#   tests/unit/apparmor4.sh [DIR]     prints the path of DIR/apparmor_parser and exits 0,
#                                     or says why not and exits 1 (the tests then skip)
#
# apt-get, with a scratch configuration of its own under DIR (the machine's apt state is not
# touched), downloads apparmor, libapparmor1 and libc6 (the parser needs glibc 2.38+, Debian 12
# has 2.36) from Debian 13 (trixie); apt checks each .deb against the index signed by the Debian
# archive key. dpkg-deb -x unpacks them into DIR/root. DIR/apparmor_parser runs the unpacked
# parser through the unpacked dynamic loader with --base DIR/root/etc/apparmor.d (its own abi/,
# tunables/ and abstractions/). A second run reuses DIR.
# Environment: APPARMOR4_DIR (default DIR), APPARMOR4_MIRROR (default http://deb.debian.org/debian).
set -eu

dir=${1:-${APPARMOR4_DIR:-/tmp/confine-apparmor4}}
mirror=${APPARMOR4_MIRROR:-http://deb.debian.org/debian}
wrapper=$dir/apparmor_parser

if [ -x "$wrapper" ] && "$wrapper" --version 2>/dev/null | grep -q 'version 4\.'; then
    echo "$wrapper"
    exit 0
fi
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
for tool in apt-get dpkg-deb; do
    command -v "$tool" >/dev/null || { echo "apparmor4.sh: $tool is not installed" >&2; exit 1; }
done
[ -r "$keyring" ] || { echo "apparmor4.sh: $keyring is missing" >&2; exit 1; }

mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/debs"
printf 'deb [arch=amd64 signed-by=%s] %s trixie main\n' "$keyring" "$mirror" >"$dir/apt/sources.list"
set -- -o Dir::Etc::SourceList="$dir/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$dir/apt/lists" -o Dir::Cache="$dir/apt/cache" -o Dir::State::status=/dev/null \
    -o APT::Architecture=amd64 -o Debug::NoLocking=1 -qq
if ! apt-get "$@" --error-on=any update >"$dir/apt/update.log" 2>&1; then
    echo "apparmor4.sh: apt-get update of trixie failed (mirror $mirror unreachable?): $(tail -n 1 "$dir/apt/update.log")" >&2
    exit 1
fi
if ! (cd "$dir/debs" && apt-get "$@" download apparmor/trixie libapparmor1/trixie libc6/trixie) >"$dir/apt/download.log" 2>&1; then
    echo "apparmor4.sh: apt-get download failed: $(tail -n 1 "$dir/apt/download.log")" >&2
    exit 1
fi
rm -rf "$dir/root"
for deb in "$dir"/debs/*.deb; do
    dpkg-deb -x "$deb" "$dir/root"
done
root=$dir/root
cat >"$wrapper" <<EOF
#!/bin/sh
# AppArmor 4.1 from Debian 13, unpacked by tests/unit/apparmor4.sh (not installed).
exec "$root/usr/lib64/ld-linux-x86-64.so.2" --library-path "$root/usr/lib/x86_64-linux-gnu" \\
    "$root/usr/sbin/apparmor_parser" --base "$root/etc/apparmor.d" \\
    --config-file "$root/etc/apparmor/parser.conf" "\$@"
EOF
chmod 755 "$wrapper"
if ! "$wrapper" --version 2>/dev/null | grep -q 'version 4\.'; then
    echo "apparmor4.sh: the unpacked parser does not run: $("$wrapper" --version 2>&1 | head -n 1)" >&2
    exit 1
fi
echo "$wrapper"
