#!/usr/bin/env bash
# generate-man.sh — the manual pages, generated from the argument parsers so that they never
# drift from --help:
#
#   packaging/man/generate-man.sh OUTDIR   → OUTDIR/chatd.8, chatd-client.1, chatd-bench.1
#
# swift-argument-parser's generate-manual plugin builds the package (debug: the help texts are
# the same in every configuration, and the test build has already compiled it) and turns each
# executable's --experimental-dump-help into an mdoc(7) page: NAME, SYNOPSIS, DESCRIPTION with
# every option and its default, EXIT STATUS, AUTHORS. The plugin gives every page the same
# section, so it runs twice: section 1 for the two user tools, section 8 for the daemon.
# chatd(8) then gets the sections no parser knows (protocol, systemd, signals, files, see also)
# from chatd.8.sections and chatd.8.see-also beside this script, spliced in before EXIT STATUS
# and before AUTHORS, the order mdoc(7) recommends. The date is the packaging changelog's, so a
# rebuild of the same version yields the same pages.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$(dirname "$here")")
(($# == 1)) || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$1
mkdir -p "$out"
SWIFT=${SWIFT:-swift}
cd "$repo"

date=$(date -u -d "$(dpkg-parsechangelog -l packaging/deb/changelog -S Date)" +%F)
plugins=$(dirname "$(dirname "$("$SWIFT" build --show-bin-path)")")/plugins

generate() {  # generate SECTION NAME...: run the plugin, copy NAME.SECTION of each NAME to $out
  local section=$1; shift
  [[ -d $plugins ]] && find "$plugins" -path '*GenerateManual*' -type f -name '*.[1-9]' -delete
  "$SWIFT" package plugin generate-manual --configuration debug --section "$section" --date "$date" \
    --authors "chatd developers<chatd@example.org>" >&2
  for name in "$@"; do
    local page
    page=$(find "$plugins" -path '*GenerateManual*' -name "$name.$section" -print -quit)
    [[ -n $page ]] || { echo "generate-man: the plugin wrote no $name.$section under $plugins" >&2; exit 1; }
    # Two fixes to the generator's output. It copies a discussion's blank lines verbatim; in
    # mdoc a paragraph break is .Pp (an empty line is a warning to groff, and so to lintian).
    # And it documents the `help` subcommand ArgumentParser adds to every command (the same as
    # --help, which the page lists): dropped, with the SYNOPSIS's "subcommand" when no real
    # subcommand is left (chatd-bench's scenarios are real ones).
    sed 's/^$/.Pp/' "$page" | awk '
      $0 == ".It Em help" { skip = 1; depth = 0; next }
      skip && /^\.Bl/ { depth++; next }
      skip && /^\.El/ { if (depth == 0) { skip = 0; print; next } if (--depth == 0) skip = 0; next }
      skip { next }
      { print }' > "$out/$name.$section"
    grep -q '^\.It Em ' "$out/$name.$section" || sed -i '/^\.Ar subcommand$/d' "$out/$name.$section"
  done
}

generate 1 chatd-client chatd-bench
generate 8 chatd

awk -v sections="$here/chatd.8.sections" -v seealso="$here/chatd.8.see-also" '
  function splice(file,   line) { while ((getline line < file) > 0) print line; close(file) }
  /^\.Sh "?EXIT STATUS"?$/ { splice(sections); done_sections = 1 }
  $0 == ".Sh AUTHORS" { if (!done_sections) { splice(sections); done_sections = 1 } splice(seealso); done_seealso = 1 }
  { print }
  END { if (!done_sections) splice(sections); if (!done_seealso) splice(seealso) }
' "$out/chatd.8" > "$out/chatd.8.tmp"
mv "$out/chatd.8.tmp" "$out/chatd.8"

# The pages must format without a warning (what lintian's groff check runs).
for page in "$out"/chatd.8 "$out"/chatd-client.1 "$out"/chatd-bench.1; do
  warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null || true)
  [[ -z $warnings ]] || { echo "generate-man: $page: $warnings" >&2; exit 1; }
done
echo "$out"
