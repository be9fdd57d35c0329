#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static void test_new_copy_and_accessors(void)
{
    float data[6] = {1, 2, 3, 4, 5, 6};
    int64_t dims[2] = {2, 3};
    tfc_tensor *t = NULL;
    TFCT_OK(tfc_tensor_new(TFC_FLOAT, dims, 2, data, sizeof data, &t));
    data[0] = 99; /* copied, so the tensor keeps 1 */
    CU_ASSERT_EQUAL(tfc_tensor_dtype(t), TFC_FLOAT);
    CU_ASSERT_EQUAL(tfc_tensor_rank(t), 2);
    CU_ASSERT_EQUAL(tfc_tensor_dim(t, 1), 3);
    CU_ASSERT_EQUAL(tfc_tensor_dim(t, 2), -1);
    CU_ASSERT_EQUAL(tfc_tensor_num_elements(t), 6);
    CU_ASSERT_EQUAL(tfc_tensor_byte_size(t), 24);
    CU_ASSERT_EQUAL(((float *)tfc_tensor_data(t))[0], 1.0f);
    CU_ASSERT_EQUAL(((float *)tfc_tensor_data(t))[5], 6.0f);
    CU_ASSERT_EQUAL((uintptr_t)tfc_tensor_data(t) % 64, 0);
    tfc_tensor_free(t);
}

static void test_zero_filled_and_scalar(void)
{
    tfc_tensor *t = NULL;
    int64_t dims[1] = {4};
    TFCT_OK(tfc_tensor_new(TFC_INT64, dims, 1, NULL, 0, &t));
    for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(((int64_t *)tfc_tensor_data(t))[i], 0);
    tfc_tensor_free(t);
    TFCT_OK(tfc_tensor_new_scalar_float(2.5f, &t));
    CU_ASSERT_EQUAL(tfc_tensor_rank(t), 0);
    CU_ASSERT_EQUAL(tfc_tensor_num_elements(t), 1);
    CU_ASSERT_EQUAL(*(float *)tfc_tensor_data(t), 2.5f);
    tfc_tensor_free(t);
}

static int dealloc_calls;
static void count_dealloc(void *data, size_t bytes, void *arg)
{
    CU_ASSERT_EQUAL(bytes, 3 * sizeof(double));
    CU_ASSERT_PTR_EQUAL(arg, data);
    dealloc_calls++;
}

static void test_borrowed_and_refcount(void)
{
    double buf[3] = {1, 2, 3};
    int64_t dims[1] = {3};
    tfc_tensor *t = NULL;
    dealloc_calls = 0;
    TFCT_OK(tfc_tensor_new_borrowed(TFC_DOUBLE, dims, 1, buf, sizeof buf, count_dealloc, buf, &t));
    CU_ASSERT_PTR_EQUAL(tfc_tensor_data(t), buf);
    CU_ASSERT_PTR_EQUAL(tfc_tensor_retain(t), t);
    tfc_tensor_free(t);
    CU_ASSERT_EQUAL(dealloc_calls, 0);
    tfc_tensor_free(t);
    CU_ASSERT_EQUAL(dealloc_calls, 1);
    tfc_tensor_free(NULL);
}

static void test_strings(void)
{
    const char *strs[3] = {"a", "bc", ""};
    int64_t dims[1] = {3};
    tfc_tensor *t = NULL, *c = NULL;
    TFCT_OK(tfc_tensor_new_strings(dims, 1, strs, NULL, &t));
    TFCT_OK(tfc_tensor_copy(t, &c));
    tfc_tensor_free(t);
    const char *s;
    size_t len;
    TFCT_OK(tfc_tensor_string(c, 1, &s, &len));
    CU_ASSERT_EQUAL(len, 2);
    CU_ASSERT_EQUAL(memcmp(s, "bc", 2), 0);
    TFCT_OK(tfc_tensor_string(c, 2, &s, &len));
    CU_ASSERT_EQUAL(len, 0);
    CU_ASSERT_EQUAL(tfc_tensor_string(c, 3, &s, &len), TFC_OUT_OF_RANGE);
    TFCT_ERR_HAS("out of range");
    tfc_tensor_free(c);
}

static void test_bad_arguments(void)
{
    tfc_tensor *t = (tfc_tensor *)1;
    int64_t dims[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    CU_ASSERT_EQUAL(tfc_tensor_new(TFC_FLOAT, dims, 9, NULL, 0, &t), TFC_INVALID_ARGUMENT);
    CU_ASSERT_PTR_NULL(t);
    TFCT_ERR_HAS("rank 9");
    int64_t neg[2] = {2, -1};
    CU_ASSERT_EQUAL(tfc_tensor_new(TFC_FLOAT, neg, 2, NULL, 0, &t), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("negative");
    int64_t huge[2] = {INT64_MAX / 2, 4};
    CU_ASSERT_EQUAL(tfc_tensor_new(TFC_FLOAT, huge, 2, NULL, 0, &t), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("overflow");
    int64_t big[3] = {1 << 20, 1 << 20, 1 << 20};
    CU_ASSERT_EQUAL(tfc_tensor_new(TFC_DOUBLE, big, 3, NULL, 0, &t), TFC_INVALID_ARGUMENT);
    float d[2] = {1, 2};
    int64_t three[1] = {3};
    CU_ASSERT_EQUAL(tfc_tensor_new(TFC_FLOAT, three, 1, d, sizeof d, &t), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("12 bytes expected");
    CU_ASSERT_EQUAL(tfc_tensor_new((tfc_dtype)42, three, 1, NULL, 0, &t), TFC_INVALID_ARGUMENT);
    TFCT_ERR_HAS("invalid dtype");
    CU_ASSERT_EQUAL(tfc_tensor_new(TFC_FLOAT, three, 1, NULL, 0, NULL), TFC_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(tfc_tensor_new_borrowed(TFC_FLOAT, three, 1, NULL, 12, NULL, NULL, &t), TFC_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(tfc_tensor_dtype(NULL), TFC_INVALID_DTYPE);
    CU_ASSERT_EQUAL(tfc_tensor_rank(NULL), -1);
}

static void test_names_and_version(void)
{
    CU_ASSERT_STRING_EQUAL(tfc_dtype_name(TFC_INT64), "int64");
    CU_ASSERT_STRING_EQUAL(tfc_code_name(TFC_DATA_LOSS), "DATA_LOSS");
    CU_ASSERT_STRING_EQUAL(tfc_version(), TFC_VERSION_STRING);
    CU_ASSERT_EQUAL(tfc_version_number(), TFC_VERSION_NUMBER);
    CU_ASSERT_EQUAL(tfc_dtype_size(TFC_BOOL), 1);
}

int main(void)
{
    static const tfct_case cases[] = {
        {"new, copy and accessors", test_new_copy_and_accessors},
        {"zero-filled and scalar", test_zero_filled_and_scalar},
        {"borrowed buffers and refcount", test_borrowed_and_refcount},
        {"string tensors", test_strings},
        {"bad arguments", test_bad_arguments},
        {"names and version", test_names_and_version},
        {NULL, NULL},
    };
    return tfct_main("tensor", cases);
}
