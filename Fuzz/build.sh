#!/usr/bin/env bash
# Builds the libFuzzer targets: each harness in Fuzz/harness/ compiled together with its pure
# module (no dependencies) with libFuzzer + ASan: Sources/ChatProtocol for decoder, command,
# names and moderation; Sources/WebProtocol for http and websocket; Sources/IRCProtocol for irc.
# Usage: Fuzz/build.sh [OUT_DIR]   (default .build-fuzz) -> OUT_DIR/fuzz-<target>
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.build-fuzz}
mkdir -p "$out"
targets=${FUZZ_TARGETS:-"decoder command names http websocket irc moderation"}
for target in $targets; do
    bin="$out/fuzz-$target"
    case $target in
        http|websocket) module=WebProtocol ;;
        irc) module=IRCProtocol ;;
        *) module=ChatProtocol ;;
    esac
    # Rebuild only when a source is newer than the binary.
    if [[ -x $bin ]] && [[ -z $(find Sources/$module Fuzz/harness/$target.swift -newer "$bin" -name '*.swift' | head -1) ]]; then
        echo "fuzz-$target: up to date"
        continue
    fi
    echo "building fuzz-$target"
    swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name $module \
        Sources/$module/*.swift "Fuzz/harness/$target.swift" -o "$bin" \
        2> >(grep -v "Cannot export local symbol" >&2)
done
