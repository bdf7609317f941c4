#!/usr/bin/env bash
# unit-check.sh BIN — the shipped unit files pass `systemd-analyze verify` with no output at all,
# and `systemd-analyze security` rates chatd.service's exposure at most MAX_EXPOSURE (1.0).
# BIN is a directory with a built chatd: verify insists that ExecStart= names an executable, so
# the units are checked as copies whose ExecStart= points there (nothing else is changed).
# Runs systemd-analyze through sandbox.sh (a private /run; no systemd needed on the host).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "${1:?usage: unit-check.sh BIN}" && pwd)
max=${MAX_EXPOSURE:-1.0}
[[ -x $bin/chatd ]] || { echo "unit-check: no chatd in $bin" >&2; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$repo/packaging/chatd.socket" "$dir/"
sed "s|^ExecStart=/usr/bin/chatd |ExecStart=$bin/chatd |" "$repo/packaging/chatd.service" > "$dir/chatd.service"
grep -q "^ExecStart=$bin/chatd " "$dir/chatd.service" || { echo "unit-check: ExecStart= is not /usr/bin/chatd …" >&2; exit 1; }

out=$(bash "$repo/Tests/system/sandbox.sh" analyze verify "$dir/chatd.socket" "$dir/chatd.service" 2>&1)
[[ -z $out ]] || { echo "unit-check: systemd-analyze verify:"; echo "$out"; exit 1; } >&2
echo "unit-check: systemd-analyze verify: clean"

line=$(bash "$repo/Tests/system/sandbox.sh" analyze security --offline=true "$dir/chatd.service" 2>&1 | tail -n 1)
echo "unit-check: $line"
score=$(sed -n 's/.*chatd\.service: \([0-9.]*\) .*/\1/p' <<<"$line")
[[ -n $score ]] || { echo "unit-check: cannot read the exposure score" >&2; exit 1; }
awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }' || { echo "unit-check: exposure $score > $max" >&2; exit 1; }
