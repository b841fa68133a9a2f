#ifndef CHEAPUSAGE_H
#define CHEAPUSAGE_H

#include <stddef.h>

/// glibc's bytes in use by malloc'd blocks (mallinfo2().uordblks): toxbench state-memory.
size_t toxbench_heap_in_use(void);

#endif
