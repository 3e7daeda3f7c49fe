// SHA-256 of interior nodes, 0x01 ‖ left ‖ right, with the CPU's SHA extensions (x86-64 SHA-NI).
//
// The WebAssembly hasher in ../sha256-node.ts runs SHA-256's rounds as scalar code (~0.4 µs a
// node); SHA-NI does a node's two blocks in ~0.05 µs. node:crypto has SHA-NI too, but its call
// costs ~1 µs, and a call into N-API with a JS array per node was measured at 0.87 µs. So this
// addon keeps N-API out of the way: JavaScript writes the inputs and the fold's parameters into
// one ArrayBuffer of its own (the scratch) and calls a function whose one argument is that
// buffer and which returns nothing. The addon keeps no state but whether the CPU has SHA-NI, so
// any number of hashers, threads and module instances can share it. Every parameter read from
// the scratch is checked here again.
//
// Layout of the scratch (offsets shared with ../native-node-hasher.ts):
//   [0, 32)     the running hash of a fold, and its result
//   [32, 64)    left child of node()
//   [64, 96)    right child of node()
//   [96, 128)   node()'s digest
//   [128, 144)  fold parameters: count, stride, leftLow, leftHigh, as little-endian uint32
//   [144, 160)  unused
//   [160, 160 + MAX_FOLD_BYTES)  the siblings of a fold, the first at 160, sibling i at 160 + i·stride
//
// Where the CPU or the compiler has no SHA extensions, `available()` answers false and the caller
// keeps the WebAssembly hasher.

#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <string.h>

#define RUNNING 0
#define LEFT 32
#define RIGHT 64
#define DIGEST 96
#define PARAMS 128
#define SIBLINGS 160
#define MAX_FOLD_BYTES (128 * 64)
#define SCRATCH_BYTES (SIBLINGS + MAX_FOLD_BYTES)

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

#ifdef HAVE_SHA_NI

static const uint32_t K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t IV[8] = {
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static int cpu_has_sha_ni(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  if (!(c & bit_SSSE3) || !(c & bit_SSE4_1)) return 0;
  if (__get_cpuid_max(0, 0) < 7) return 0;
  __cpuid_count(7, 0, a, b, c, d);
  return (b & bit_SHA) != 0;
}

// Read once when the addon loads (the CPU does not change under a process).
static int sha_ni = 0;

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

// One block into the state held as SHA-NI wants it: abef = (a, b, e, f), cdgh = (c, d, g, h).
SHA_TARGET static inline void compress(__m128i *abef, __m128i *cdgh, const uint8_t *block) {
  const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i s0 = *abef, s1 = *cdgh;
  __m128i w[4];
  for (int i = 0; i < 4; i++) w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block + 16 * i)), swap);
#pragma GCC unroll 16
  for (int g = 0; g < 16; g++) {
    if (g >= 4) {
      // W[t..t+3] from W[t-16..t-13], W[t-12..t-9], W[t-7..t-4] and W[t-4..t-1].
      __m128i t = _mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]);
      t = _mm_add_epi32(t, _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4));
      w[g & 3] = _mm_sha256msg2_epu32(t, w[(g + 3) & 3]);
    }
    __m128i m = _mm_add_epi32(w[g & 3], _mm_loadu_si128((const __m128i *)(K + 4 * g)));
    s1 = _mm_sha256rnds2_epu32(s1, s0, m);
    s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m, 0x0e));
  }
  *abef = _mm_add_epi32(*abef, s0);
  *cdgh = _mm_add_epi32(*cdgh, s1);
}

// SHA-256(0x01 ‖ left ‖ right) into out (32 bytes); out may be left or right.
SHA_TARGET static void hash_node(const uint8_t *left, const uint8_t *right, uint8_t *out) {
  uint8_t blocks[128];
  blocks[0] = 0x01;
  memcpy(blocks + 1, left, 32);
  memcpy(blocks + 33, right, 32);
  blocks[65] = 0x80;
  memset(blocks + 66, 0, 128 - 66 - 2);
  blocks[126] = (65 * 8) >> 8; // the message length in bits, big-endian
  blocks[127] = (65 * 8) & 0xff;

  __m128i lo = _mm_loadu_si128((const __m128i *)IV);       // a b c d
  __m128i hi = _mm_loadu_si128((const __m128i *)(IV + 4)); // e f g h
  lo = _mm_shuffle_epi32(lo, 0xb1);                        // b a d c
  hi = _mm_shuffle_epi32(hi, 0x1b);                        // h g f e
  __m128i abef = _mm_alignr_epi8(lo, hi, 8);               // (f e b a): a in lane 3
  __m128i cdgh = _mm_blend_epi16(hi, lo, 0xf0);            // (h g d c): c in lane 3
  compress(&abef, &cdgh, blocks);
  compress(&abef, &cdgh, blocks + 64);

  __m128i t = _mm_shuffle_epi32(abef, 0x1b);   // (a b f e)
  cdgh = _mm_shuffle_epi32(cdgh, 0xb1);        // (g h c d)
  lo = _mm_blend_epi16(t, cdgh, 0xf0);         // a b c d
  hi = _mm_alignr_epi8(cdgh, t, 8);            // e f g h
  const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  _mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(lo, swap));
  _mm_storeu_si128((__m128i *)(out + 16), _mm_shuffle_epi8(hi, swap));
}

#endif // HAVE_SHA_NI

static uint32_t read_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

// The scratch passed as a call's one argument: an ArrayBuffer of at least SCRATCH_BYTES.
static uint8_t *scratch_of(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool is_buffer = false;
  void *data = NULL;
  size_t length = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_is_arraybuffer(env, argv[0], &is_buffer) != napi_ok || !is_buffer ||
      napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok || length < SCRATCH_BYTES) {
    napi_throw_type_error(env, "ATLOG_NODE_HASH_SCRATCH", "the native node hasher takes its scratch, an ArrayBuffer of at least 8352 bytes");
    return NULL;
  }
  return data;
}

// available(): whether this CPU, and this build, hash with SHA extensions.
static napi_value available(napi_env env, napi_callback_info info) {
  (void)info;
  int yes = 0;
#ifdef HAVE_SHA_NI
  yes = cpu_has_sha_ni();
#endif
  napi_value result;
  napi_get_boolean(env, yes != 0, &result);
  return result;
}

// node(scratch): scratch[DIGEST] = H(scratch[LEFT], scratch[RIGHT]).
static napi_value node(napi_env env, napi_callback_info info) {
  uint8_t *s = scratch_of(env, info);
  if (s == NULL) return NULL;
#ifdef HAVE_SHA_NI
  if (sha_ni) {
    hash_node(s + LEFT, s + RIGHT, s + DIGEST);
    return NULL;
  }
#endif
  napi_throw_error(env, "ATLOG_NODE_HASH_UNAVAILABLE", "this CPU has no SHA extensions");
  return NULL;
}

// fold(scratch): folds the siblings into scratch[RUNNING] as ../sha256-node.ts's NodeHasher.fold says.
static napi_value fold(napi_env env, napi_callback_info info) {
  uint8_t *s = scratch_of(env, info);
  if (s == NULL) return NULL;
  uint32_t count = read_u32(s + PARAMS), stride = read_u32(s + PARAMS + 4);
  uint32_t left_low = read_u32(s + PARAMS + 8), left_high = read_u32(s + PARAMS + 12);
  if (count > 64 || stride < 32 || stride > MAX_FOLD_BYTES ||
      (count > 0 && (uint64_t)(count - 1) * stride + 32 > MAX_FOLD_BYTES)) {
    napi_throw_range_error(env, "ATLOG_NODE_HASH_RANGE", "the siblings of a fold must lie inside the scratch");
    return NULL;
  }
#ifdef HAVE_SHA_NI
  if (sha_ni) {
    for (uint32_t i = 0; i < count; i++) {
      const uint8_t *sibling = s + SIBLINGS + (size_t)i * stride;
      uint32_t on_left = i < 32 ? (left_low >> i) & 1 : (left_high >> (i - 32)) & 1;
      if (on_left) hash_node(sibling, s + RUNNING, s + RUNNING);
      else hash_node(s + RUNNING, sibling, s + RUNNING);
    }
    return NULL;
  }
#endif
  napi_throw_error(env, "ATLOG_NODE_HASH_UNAVAILABLE", "this CPU has no SHA extensions");
  return NULL;
}

NAPI_MODULE_INIT() {
#ifdef HAVE_SHA_NI
  sha_ni = cpu_has_sha_ni();
#endif
  napi_property_descriptor properties[] = {
    {"available", NULL, available, NULL, NULL, NULL, napi_enumerable, NULL},
    {"node", NULL, node, NULL, NULL, NULL, napi_enumerable, NULL},
    {"fold", NULL, fold, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}
