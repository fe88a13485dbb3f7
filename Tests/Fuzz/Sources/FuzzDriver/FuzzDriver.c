// Only the declaration in include/FuzzDriver.h matters: libFuzzer provides the function.
#include "FuzzDriver.h"
