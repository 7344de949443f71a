/* test_hashmap.c - the hash map and the typed vector, against a plain
 * reference model. */
#include <socklife/hashmap.h>
#include <socklife/vec.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

struct u64_entry {
	uint64_t key;
	uint32_t value;
};

struct name_entry {
	char key[24];
	int value;
};

/* A tiny deterministic generator, so a failure reproduces. */
static uint64_t rng = 88172645463325252ULL;
static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_put_get_del_against_a_model(void **state)
{
	(void)state;
	enum { N = 4096 };
	static bool present[N];
	static uint32_t value[N];
	struct hashmap m = HASHMAP_INIT(struct u64_entry);
	memset(present, 0, sizeof(present));

	for (int round = 0; round < 200000; round++) {
		uint64_t k = next_random() % N;
		uint64_t key = k + 1; /* 0 is never a key */
		bool added;
		switch (next_random() % 3) {
		case 0: {
			struct u64_entry *e = hashmap_put(&m, &key, &added);
			assert_non_null(e);
			assert_int_equal(added, !present[k]);
			if (added)
				assert_int_equal(e->value, 0); /* new entries are zeroed */
			e->value = value[k] = (uint32_t)round;
			present[k] = true;
			break;
		}
		case 1:
			assert_int_equal(hashmap_del(&m, &key), present[k]);
			present[k] = false;
			break;
		default: {
			struct u64_entry *e = hashmap_get(&m, &key);
			if (present[k]) {
				assert_non_null(e);
				assert_int_equal(e->value, value[k]);
			} else {
				assert_null(e);
			}
		}
		}
	}
	size_t n = 0, pos = 0;
	for (int k = 0; k < N; k++)
		n += present[k];
	assert_int_equal(m.count, n);
	size_t seen = 0;
	for (struct u64_entry *e; (e = hashmap_next(&m, &pos));) {
		assert_true(present[e->key - 1]);
		seen++;
	}
	assert_int_equal(seen, n);
	hashmap_free(&m);
}

/* Socket cookies and inodes come from counters: a dense run of keys must
 * stay cheap to find (probe runs short). */
static void test_sequential_keys_and_growth(void **state)
{
	(void)state;
	struct hashmap m = HASHMAP_INIT(struct u64_entry);
	bool added;
	for (uint64_t k = 1; k <= 200000; k++) {
		struct u64_entry *e = hashmap_put(&m, &k, &added);
		assert_non_null(e);
		e->value = (uint32_t)k;
	}
	assert_int_equal(m.count, 200000);
	assert_true(m.cap >= 400000);
	for (uint64_t k = 1; k <= 200000; k++) {
		struct u64_entry *e = hashmap_get(&m, &k);
		assert_non_null(e);
		assert_int_equal(e->value, (uint32_t)k);
	}
	uint64_t absent = 200001;
	assert_null(hashmap_get(&m, &absent));
	hashmap_free(&m);
}

static void test_zero_key_is_refused(void **state)
{
	(void)state;
	struct hashmap m = HASHMAP_INIT(struct u64_entry);
	uint64_t zero = 0, one = 1;
	bool added = true;
	assert_null(hashmap_put(&m, &zero, &added));
	assert_false(added);
	assert_non_null(hashmap_put(&m, &one, &added));
	assert_null(hashmap_get(&m, &zero));
	hashmap_free(&m);
}

static void test_string_keys_compare_whole_key(void **state)
{
	(void)state;
	struct hashmap m = HASHMAP_INIT(struct name_entry);
	struct name_entry a = {.key = "nginx"}, b = {.key = "nginx\xff"}, c = {.key = "nginy"};
	bool added;
	((struct name_entry *)hashmap_put(&m, a.key, &added))->value = 1;
	((struct name_entry *)hashmap_put(&m, b.key, &added))->value = 2;
	assert_true(added);
	((struct name_entry *)hashmap_put(&m, c.key, &added))->value = 3;
	assert_int_equal(((struct name_entry *)hashmap_get(&m, a.key))->value, 1);
	assert_int_equal(((struct name_entry *)hashmap_get(&m, b.key))->value, 2);
	assert_int_equal(((struct name_entry *)hashmap_get(&m, c.key))->value, 3);
	hashmap_free(&m);
}

static bool keep_even(const void *entry, void *ctx)
{
	(void)ctx;
	return ((const struct u64_entry *)entry)->key % 2 == 0;
}

static void test_retain_and_clear_give_memory_back(void **state)
{
	(void)state;
	struct hashmap m = HASHMAP_INIT(struct u64_entry);
	bool added;
	for (uint64_t k = 1; k <= 10000; k++)
		assert_non_null(hashmap_put(&m, &k, &added));
	size_t peak = m.cap;
	assert_int_equal(hashmap_retain(&m, keep_even, NULL), 0);
	assert_int_equal(m.count, 5000);
	for (uint64_t k = 1; k <= 10000; k++)
		assert_int_equal(hashmap_get(&m, &k) != NULL, k % 2 == 0);
	assert_int_equal(m.cap, peak); /* half is left: no shrink */

	for (uint64_t k = 2; k <= 10000; k += 2)
		if (k > 200)
			hashmap_del(&m, &k);
	assert_int_equal(hashmap_retain(&m, keep_even, NULL), 0); /* nothing to drop */
	hashmap_clear(&m);
	assert_int_equal(m.count, 0);
	assert_true(m.cap < peak); /* 100 entries do not need the peak's table */
	uint64_t k = 7;
	assert_null(hashmap_get(&m, &k));
	assert_non_null(hashmap_put(&m, &k, &added));
	assert_true(added);
	hashmap_free(&m);
}

static void test_vec(void **state)
{
	(void)state;
	struct ints VEC(int) v = {0};
	for (int i = 0; i < 1000; i++) {
		int *p = vec_push(&v);
		assert_non_null(p);
		*p = i;
	}
	assert_int_equal(v.n, 1000);
	assert_true(v.cap >= 1000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(v.v[i], i);
	vec_clear(&v);
	assert_int_equal(v.n, 0);
	vec_trim(&v);
	assert_true(v.cap <= 64);
	assert_int_equal(vec_reserve(&v, 50), 0);
	assert_true(v.cap >= 50);
	assert_int_equal(vec_reserve(&v, SIZE_MAX / 2), -ENOMEM);
	vec_free(&v);
	assert_null(v.v);

	/* Refilled every pass: a use of the same size keeps the memory (no
	 * allocation in steady state), one under a quarter of it gives the
	 * rest back (a peak has passed). */
	for (int i = 0; i < 100000; i++)
		*vec_push(&v) = i;
	size_t peak = v.cap;
	vec_reset(&v);
	assert_int_equal(v.n, 0);
	assert_int_equal(v.cap, peak);
	for (int i = 0; i < 90000; i++)
		*vec_push(&v) = i;
	vec_reset(&v);
	assert_int_equal(v.cap, peak);
	for (int i = 0; i < 1000; i++)
		*vec_push(&v) = i;
	vec_reset(&v);
	assert_int_equal(v.cap, 2000);
	vec_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_del_against_a_model),
		cmocka_unit_test(test_sequential_keys_and_growth),
		cmocka_unit_test(test_zero_key_is_refused),
		cmocka_unit_test(test_string_keys_compare_whole_key),
		cmocka_unit_test(test_retain_and_clear_give_memory_back),
		cmocka_unit_test(test_vec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
