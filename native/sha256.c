/*
 * SHA-256 for the Merkle tree's hot path, without the per-call overhead of node:crypto.
 *
 * Why: the tree hashes small fixed-size preimages (65 bytes for a leaf or an inner node), a few
 * per changed key. `crypto.hash` spends about 300 ns of its ~345 ns per such hash outside the
 * compression function (the EVP fetch, a context allocated and freed, a JS string for the
 * result), which made hashing over half of a root's cost. This module calls OpenSSL's
 * low-level SHA256_Init/Update/Final, which Node's own binary links and exports, on a scratch
 * area JavaScript shares with it once: no allocation, no string, about 120 ns per 65-byte hash.
 *
 * It is an optimisation only: src/merkle/sha256.ts checks it against known digests when it
 * loads and falls back to node:crypto if it is missing or wrong, and both give the same bytes.
 *
 * The scratch area is a Buffer JavaScript passes to `bind` once and keeps: a 32-byte digest at
 * offset 0, then the preimage. Every function writes its digest to offset 0.
 */
#define NAPI_VERSION 8
/* SHA256_Init and friends are deprecated in OpenSSL 3 in favour of EVP, whose per-call setup
 * is exactly the cost this module avoids; they remain exported and supported. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <node_api.h>
#include <openssl/sha.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Per Node environment (the main thread and each worker load their own instance). */
typedef struct {
  uint8_t *scratch;
  size_t length;
  napi_ref ref;
} Scratch;

enum { DIGEST_BYTES = 32 };

static void sha256(const uint8_t *data, size_t length, uint8_t *out) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data, length);
  SHA256_Final(out, &ctx);
}

static Scratch *instance(napi_env env) {
  void *data = NULL;
  return napi_get_instance_data(env, &data) == napi_ok ? data : NULL;
}

/* The environment is going away, and its references with it. */
static void release(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

/* bind(scratch: Uint8Array): keeps a reference, so the memory outlives every later call. */
static napi_value bind(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1)
    return throw_error(env, "bind(scratch) takes a Uint8Array");
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array || length <= DIGEST_BYTES)
    return throw_error(env, "bind(scratch) takes a Uint8Array longer than a digest");
  Scratch *s = instance(env);
  if (s == NULL) return throw_error(env, "bind: no instance data");
  if (s->ref != NULL) napi_delete_reference(env, s->ref);
  s->ref = NULL;
  s->scratch = NULL;
  if (napi_create_reference(env, argv[0], 1, &s->ref) != napi_ok)
    return throw_error(env, "bind: cannot keep the scratch area");
  s->scratch = data;
  s->length = length;
  return NULL;
}

/* digestPreimage(length): SHA-256 of scratch[32, 32 + length) into scratch[0, 32). */
static napi_value digest_preimage(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_uint32(env, argv[0], &length) != napi_ok)
    return throw_error(env, "digestPreimage(length) takes a length");
  Scratch *s = instance(env);
  if (s == NULL || s->scratch == NULL || length > s->length - DIGEST_BYTES)
    return throw_error(env, "digestPreimage: no scratch area bound, or the length exceeds it");
  sha256(s->scratch + DIGEST_BYTES, length, s->scratch);
  return NULL;
}

/*
 * digestData(data: Uint8Array, at: number): SHA-256 of `data` into scratch[at, at + 32); `at`
 * may point into the preimage, so that a digest becomes part of the next preimage uncopied.
 */
static napi_value digest_data(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_typedarray_type type;
  size_t length;
  void *data;
  uint32_t at;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array || napi_get_value_uint32(env, argv[1], &at) != napi_ok)
    return throw_error(env, "digestData(data, at) takes a Uint8Array and an offset");
  Scratch *s = instance(env);
  if (s == NULL || s->scratch == NULL || at > s->length - DIGEST_BYTES)
    return throw_error(env, "digestData: no scratch area bound, or the offset is outside it");
  /* An empty typed array may have no backing store. */
  static const uint8_t nothing[1];
  sha256(length == 0 ? nothing : data, length, s->scratch + at);
  return NULL;
}

static int export_function(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}

NAPI_MODULE_INIT() {
  Scratch *s = calloc(1, sizeof *s);
  if (s == NULL || napi_set_instance_data(env, s, release, NULL) != napi_ok) {
    free(s);
    return NULL;
  }
  if (!export_function(env, exports, "bind", bind) ||
      !export_function(env, exports, "digestPreimage", digest_preimage) ||
      !export_function(env, exports, "digestData", digest_data))
    return NULL;
  return exports;
}
