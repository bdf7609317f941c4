// A C target because a -D define is the one way to hand a string from the build command into
// the binary without generating a source file: Swift's -D defines only booleans. The Makefile's
// release and deb builds pass -Xcc -DCHATD_GIT_COMMIT='"<commit>"'; a plain `swift build` (no
// define) still builds and reports "unknown".
#include "build_info.h"

#ifndef CHATD_GIT_COMMIT
#define CHATD_GIT_COMMIT "unknown"
#endif

const char *chatd_build_commit(void) { return CHATD_GIT_COMMIT; }
