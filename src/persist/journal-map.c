/*
 * mmap(2) for the journal (src/persist/journal-file.ts), as a Node-API addon,
 * used when it was compiled (scripts/build-spawner.js).
 *
 * Why: a journal line must be in the kernel's hands before the engine acts on
 * its event. A store into a MAP_SHARED file mapping is in the page cache at
 * once, so it survives a kill -9 as a write(2) does, for a memcpy instead of a
 * system call. Node cannot map a file, so this exports only that: everything
 * else (growing the file, where lines go) stays in TypeScript.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <node_api.h>

/* One mapping. The ArrayBuffer's finalizer and unmap() both own it: whichever comes first munmaps (addr NULL after). */
struct mapping {
  void *addr;
  size_t length;
};

/* Throws an Error whose code is the errno's name (ENODEV, EINVAL…), as Node's own fs errors have. */
static void throw_errno(napi_env env, int err, const char *call) {
  const char *name = strerrorname_np(err);
  char message[160];
  snprintf(message, sizeof message, "%s: %s", call, strerror(err));
  napi_throw_error(env, name ? name : "EIO", message);
}

/*
 * Runs on the JS thread some time after the ArrayBuffer is unreachable (a GC,
 * then an immediate) or at exit: not at a moment JS can choose, hence unmap().
 */
static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  struct mapping *m = hint;
  if (m->addr) munmap(m->addr, m->length);
  free(m);
}

static int int64_arg(napi_env env, napi_value value, int64_t *out) {
  return napi_get_value_int64(env, value, out) == napi_ok;
}

/* The (fd, offset, length) both calls take; false with a TypeError thrown when they are not that. */
static int file_range(napi_env env, napi_callback_info info, const char *call, int64_t *fd, int64_t *offset, int64_t *length) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < 3 || !int64_arg(env, argv[0], fd) || !int64_arg(env, argv[1], offset) || !int64_arg(env, argv[2], length) ||
      *fd < 0 || *fd > INT32_MAX || *offset < 0 || *length <= 0) {
    char message[128];
    snprintf(message, sizeof message, "%s(fd, offset, length): a file descriptor, an offset >= 0 and a length > 0", call);
    napi_throw_type_error(env, "EINVAL", message);
    return 0;
  }
  return 1;
}

/* map(fd, offset, length) -> ArrayBuffer over [offset, offset + length) of the file, shared and writable. */
static napi_value map(napi_env env, napi_callback_info info) {
  int64_t fd, offset, length;
  if (!file_range(env, info, "map", &fd, &offset, &length)) return NULL;
  void *addr = mmap(NULL, (size_t)length, PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, (off_t)offset);
  if (addr == MAP_FAILED) {
    throw_errno(env, errno, "mmap");
    return NULL;
  }
  struct mapping *m = malloc(sizeof *m);
  if (!m) {
    munmap(addr, (size_t)length);
    throw_errno(env, ENOMEM, "malloc");
    return NULL;
  }
  m->addr = addr;
  m->length = (size_t)length;
  napi_value buffer;
  if (napi_create_external_arraybuffer(env, addr, (size_t)length, finalize, m, &buffer) != napi_ok) {
    munmap(addr, (size_t)length);
    free(m);
    return NULL; /* the exception napi left pending, if any, is thrown */
  }
  /* The finalizer owns m from here; the wrap only lets unmap() find it (no finalizer of its own). */
  if (napi_wrap(env, buffer, m, NULL, NULL, NULL) != napi_ok) return NULL;
  return buffer;
}

/*
 * unmap(buffer): detaches the ArrayBuffer (every view of it becomes empty, so
 * JS cannot touch the memory after) and munmaps it now. Safe twice, and on a
 * buffer map() did not make (then it does nothing).
 */
static napi_value unmap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1 || napi_remove_wrap(env, argv[0], &data) != napi_ok || !data) {
    /* Not ours, or already unmapped: remove_wrap may have left an exception pending. */
    bool pending = false;
    napi_value ignored;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) napi_get_and_clear_last_exception(env, &ignored);
    return NULL;
  }
  struct mapping *m = data;
  void *addr = m->addr;
  size_t length = m->length;
  /* Cleared before detaching: should the finalizer run inside detach, it frees m and must not munmap. */
  m->addr = NULL;
  if (napi_detach_arraybuffer(env, argv[0]) != napi_ok) {
    /* Views could still reach the memory: leave it to the finalizer. */
    m->addr = addr;
    return NULL;
  }
  munmap(addr, length);
  return NULL;
}

/*
 * allocate(fd, offset, length): posix_fallocate, so the file is at least
 * offset + length long with its blocks reserved. A store into a mapping past
 * what the filesystem could allocate is a SIGBUS, not an error: growing the
 * file this way makes a full disk (ENOSPC, EDQUOT) an exception here instead.
 * Writing zeros does the same but costs a copy of every byte (3-45 ms for
 * 5 MiB on this machine's ext4, against well under 1 ms).
 */
static napi_value allocate(napi_env env, napi_callback_info info) {
  int64_t fd, offset, length;
  if (!file_range(env, info, "allocate", &fd, &offset, &length)) return NULL;
  int err = posix_fallocate((int)fd, (off_t)offset, (off_t)length);
  if (err != 0) throw_errno(env, err, "posix_fallocate");
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn, page;
  if (napi_create_function(env, "map", NAPI_AUTO_LENGTH, map, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "map", fn) != napi_ok ||
      napi_create_function(env, "unmap", NAPI_AUTO_LENGTH, unmap, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "unmap", fn) != napi_ok ||
      napi_create_function(env, "allocate", NAPI_AUTO_LENGTH, allocate, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "allocate", fn) != napi_ok ||
      napi_create_int64(env, sysconf(_SC_PAGESIZE), &page) != napi_ok ||
      napi_set_named_property(env, exports, "pageSize", page) != napi_ok)
    return NULL;
  return exports;
}
