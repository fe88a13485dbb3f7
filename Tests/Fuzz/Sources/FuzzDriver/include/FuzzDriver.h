#ifndef IDCA_FUZZ_DRIVER_H
#define IDCA_FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's own driver (compiler-rt, FuzzerDriver.cpp), exported by libclang_rt.fuzzer: runs the
/// fuzzing loop over `callback` with libFuzzer's command line.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
