/*
 * A disk-fault injector for the fault schedules, loaded into a member with LD_PRELOAD.
 *
 * It interposes fsync and fdatasync, the calls through which both LevelDB (the Raft log) and
 * Node's fs module (snapshot files) make data durable. The file named by
 * REDRAFT_DISK_FAULT_FILE says what the disk does now, and the nemesis rewrites it while the
 * member runs:
 *
 *   ok          every sync goes through
 *   slow <ms>   every sync takes <ms> milliseconds longer (a saturated or failing device)
 *   fail        every sync fails with EIO, as a device that lost the write reports it
 *
 * The file is re-read at most every 20 ms, so a change takes effect within that time without
 * costing a file read per sync. A missing or unreadable file means "ok".
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum disk_mode { DISK_OK, DISK_SLOW, DISK_FAIL };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static enum disk_mode cached_mode = DISK_OK;
static long cached_delay_ms = 0;
static long long cached_at_ms = -1;

static long long monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void read_mode(enum disk_mode *mode, long *delay_ms) {
  *mode = DISK_OK;
  *delay_ms = 0;
  const char *path = getenv("REDRAFT_DISK_FAULT_FILE");
  if (path == NULL || path[0] == '\0') return;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char text[64];
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return;
  text[n] = '\0';
  if (strncmp(text, "fail", 4) == 0) {
    *mode = DISK_FAIL;
  } else if (strncmp(text, "slow", 4) == 0) {
    *mode = DISK_SLOW;
    *delay_ms = strtol(text + 4, NULL, 10);
  }
}

static enum disk_mode current_mode(long *delay_ms) {
  pthread_mutex_lock(&lock);
  long long now = monotonic_ms();
  if (cached_at_ms < 0 || now - cached_at_ms >= 20) {
    read_mode(&cached_mode, &cached_delay_ms);
    cached_at_ms = now;
  }
  enum disk_mode mode = cached_mode;
  *delay_ms = cached_delay_ms;
  pthread_mutex_unlock(&lock);
  return mode;
}

/* Applies the current mode; returns 0 to let the real call go through, -1 (errno set) to fail. */
static int inject(void) {
  long delay_ms = 0;
  switch (current_mode(&delay_ms)) {
    case DISK_FAIL:
      errno = EIO;
      return -1;
    case DISK_SLOW: {
      struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
      while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
      }
      return 0;
    }
    case DISK_OK:
      break;
  }
  return 0;
}

typedef int (*sync_fn)(int);

int fsync(int fd) {
  static sync_fn real;
  if (real == NULL) real = (sync_fn)dlsym(RTLD_NEXT, "fsync");
  if (inject() != 0) return -1;
  return real(fd);
}

int fdatasync(int fd) {
  static sync_fn real;
  if (real == NULL) real = (sync_fn)dlsym(RTLD_NEXT, "fdatasync");
  if (inject() != 0) return -1;
  return real(fd);
}
