/* Placeholder until the tests are written. */
#include "testutil.h"

static void test_placeholder(void) { CU_ASSERT_TRUE(1); }

int main(void)
{
    static const tfct_case cases[] = {{"placeholder", test_placeholder}, {NULL, NULL}};
    return tfct_main("input", cases);
}
