#include "CEventLoopShims.h"
