#include <malloc.h>
#include "CHeapUsage.h"

size_t toxbench_heap_in_use(void) {
    return mallinfo2().uordblks;
}
