// hiredis's reply reader and command formatter only (Debian libhiredis-dev): chatd does the
// socket I/O on its own edge-triggered loop (see Sources/Redis/RESPReader.swift for why).
#include <hiredis/hiredis.h>
