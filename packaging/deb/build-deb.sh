#!/usr/bin/env bash
# build-deb.sh — build chatd's Debian package with the standard tools (dpkg-deb, dpkg-shlibdeps).
#
#   packaging/deb/build-deb.sh OUTDIR [CHATD_BINARY]
#
# CHATD_BINARY defaults to .build/release/chatd; chatd-client beside it is shipped too when
# present. Build them first, with the Swift runtime linked in statically so the package needs
# no Swift shared libraries (there is no Debian package for them):
#
#   swift build -c release --static-swift-stdlib --product chatd
#   swift build -c release --static-swift-stdlib --product chatd-client
#
# The version comes from the one place it is written, ChatDaemonVersion.string in
# Sources/ChatDaemon/ConfigVersion.swift (what `chatd --version` prints); the script refuses a
# binary whose --version disagrees, so the package can never claim another version than the
# program it contains. Prints the path of the .deb on stdout.
#
# Layout: /usr/bin/chatd[, chatd-client], /usr/share/man/man8/chatd.8.gz,
# /lib/systemd/system/chatd.{service,socket},
# /etc/chatd/chatd.json (conffile), /usr/share/doc/chatd/{copyright,changelog.Debian.gz,README.md}.
# Maintainer scripts are the blocks dh_installsystemd (debhelper 13) generates for a package
# with chatd.service + chatd.socket: enable both on install, start on configure (socket first),
# restart the service on upgrade, stop on remove, purge enablement state on purge.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
packaging=$(dirname "$here")
repo=$(dirname "$packaging")

usage() { echo "usage: $0 OUTDIR [CHATD_BINARY]" >&2; exit 2; }
(($# >= 1 && $# <= 2)) || usage
outdir=$1
binary=${2:-$repo/.build/release/chatd}
[[ -x $binary ]] || { echo "build-deb: no executable chatd at $binary (build it first, see $0)" >&2; exit 1; }
client=$(dirname "$binary")/chatd-client
for tool in dpkg-deb dpkg-shlibdeps dpkg-architecture fakeroot gzip strip objdump; do
  command -v "$tool" >/dev/null || { echo "build-deb: missing $tool (make setup installs dpkg-dev, fakeroot, binutils)" >&2; exit 1; }
done

version=$(sed -n 's/.*static let string = "\([^"]*\)".*/\1/p' "$repo/Sources/ChatDaemon/ConfigVersion.swift" | head -n1)
[[ $version =~ ^[0-9][0-9A-Za-z.+~-]*$ ]] || { echo "build-deb: cannot read the version from Sources/ChatDaemon/ConfigVersion.swift" >&2; exit 1; }
if reported=$("$binary" --version 2>/dev/null); then
  [[ $reported == *"$version"* ]] || { echo "build-deb: $binary --version says '$reported', sources say $version" >&2; exit 1; }
else
  echo "build-deb: warning: $binary --version failed; using $version from the sources" >&2
fi
debversion=$version-1
arch=$(dpkg-architecture -qDEB_HOST_ARCH)

# A Swift shared runtime dependency would make the package uninstallable on a machine without
# the toolchain: refuse it (objdump lists DT_NEEDED entries without running the binary).
bins=("$binary")
[[ -x $client ]] && bins+=("$client")
for b in "${bins[@]}"; do
  if objdump -p "$b" | awk '/NEEDED/ {print $2}' | grep -E '^lib(swift|Foundation|dispatch|BlocksRuntime|_Foundation|FoundationEssentials|FoundationInternationalization)' >&2; then
    echo "build-deb: $b links the Swift runtime dynamically; rebuild with --static-swift-stdlib" >&2
    exit 1
  fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/chatd" "$root/usr/share/doc/chatd"
# Installed as chatd / chatd-client whatever the build output was called.
staged=("$root/usr/bin/chatd")
install -m 0755 "$binary" "$root/usr/bin/chatd"
if [[ -x $client ]]; then install -m 0755 "$client" "$root/usr/bin/chatd-client"; staged+=("$root/usr/bin/chatd-client"); fi
for b in "${staged[@]}"; do
  # Debian policy 10.1: binaries are shipped without symbols or debugging sections.
  strip --strip-unneeded --remove-section=.comment --remove-section=.note "$b"
done
install -d -m 0755 "$root/usr/share/man/man8"
sed "s/@VERSION@/$version/" "$packaging/chatd.8" | gzip -9n > "$root/usr/share/man/man8/chatd.8.gz"
chmod 0644 "$root/usr/share/man/man8/chatd.8.gz"
install -m 0644 "$packaging/chatd.service" "$packaging/chatd.socket" "$root/lib/systemd/system/"
install -m 0644 "$packaging/chatd.json" "$root/etc/chatd/chatd.json"
install -m 0644 "$here/copyright" "$root/usr/share/doc/chatd/copyright"
[[ -f $repo/README.md ]] && install -m 0644 "$repo/README.md" "$root/usr/share/doc/chatd/README.md"
gzip -9n < "$here/changelog" > "$root/usr/share/doc/chatd/changelog.Debian.gz"
chmod 0644 "$root/usr/share/doc/chatd/changelog.Debian.gz"
# dpkg-deb/lintian read the changelog's version: it must be the package's.
head -n1 "$here/changelog" | grep -q "^chatd ($debversion)" || {
  echo "build-deb: packaging/deb/changelog's first entry is not for version $debversion; add one" >&2; exit 1; }

for s in postinst prerm postrm; do install -m 0755 "$here/$s" "$root/DEBIAN/$s"; done
echo /etc/chatd/chatd.json > "$root/DEBIAN/conffiles"
chmod 0644 "$root/DEBIAN/conffiles"

# Shared-library dependencies (libc6, libsystemd0, libstdc++6, …) computed the Debian way, from
# the shipped binaries' DT_NEEDED entries and the installed packages' shlibs/symbols files.
mkdir -p "$work/src/debian"
printf 'Source: chatd\n\nPackage: chatd\nArchitecture: any\n' > "$work/src/debian/control"
shlibs=$(cd "$work/src" && dpkg-shlibdeps -O "${staged[@]}" | sed -n 's/^shlibs:Depends=//p')
[[ -n $shlibs ]] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$debversion/" -e "s/@ARCH@/$arch/" -e "s/@DEPENDS@/$shlibs/" \
    -e "s/@INSTALLED_SIZE@/$installed_size/" "$here/control.in" > "$root/DEBIAN/control"
chmod 0644 "$root/DEBIAN/control"

# md5sums of every shipped file except conffiles (dpkg tracks those itself), as dh_md5sums does.
(cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"

mkdir -p "$outdir"
deb=$(cd "$outdir" && pwd)/chatd_${debversion}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$deb"
