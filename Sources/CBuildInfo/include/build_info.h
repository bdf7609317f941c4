// What chatd was built from, for `chatd --version` and the journal's start line.
#ifndef CHATD_BUILD_INFO_H
#define CHATD_BUILD_INFO_H

/// The git commit of the sources ("1a2b3c4d5e6f", "1a2b3c4d5e6f-dirty"), or "unknown".
const char *chatd_build_commit(void);

#endif
