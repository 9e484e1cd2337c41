/*
 * hello: the example BlueprintOS module. A tiny HTTP/1.0 server on a unix socket (no TCP port),
 * statically linked so its image can be FROM scratch. Extra modes let tests and
 * `blueprint service inspect` look at the sandbox from inside:
 *   hello [serve]         serve GET / and GET /health on $BLUEPRINT_SOCKET (default /run/hello/hello.sock)
 *   hello health          exit 0 when the server answers /health
 *   hello probe [IP PORT] print what this process may do, as JSON (caps, seccomp, uid map, write /, ...)
 *   hello hog MB          allocate and touch MB mebibytes (the memory limit must stop it)
 *   hello forks N         try to keep N processes alive at once (the pids limit must stop it)
 *   hello stubborn        ignore SIGTERM (stop must fall back to SIGKILL)
 *   hello crash           exit with status 3 after a moment (the restart policy must restart it)
 *   hello connect PATH    GET /health over the unix socket PATH; prints {"connect":"ok"} or the error
 *   hello read PATH       prints the first line of file PATH as {"read":"..."} or the error
 *   hello env NAME        prints the variable NAME of its environment as {"env":"..."}, or {"env":null}
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *socket_path(void) {
  const char *p = getenv("BLUEPRINT_SOCKET");
  return p && *p ? p : "/run/hello/hello.sock";
}

static volatile sig_atomic_t stopping;
static void on_term(int sig) { (void)sig; stopping = 1; }

static void logf_(const char *msg, const char *arg) {
  printf("hello: %s%s\n", msg, arg ? arg : "");
  fflush(stdout);
}

static int serve(void) {
  const char *path = socket_path();
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) return fprintf(stderr, "socket path too long\n"), 2;
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  unlink(path);
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 16) < 0)
    return perror("hello: listen"), 1;
  chmod(path, 0666); /* the host side connects as another uid than the mapped one */
  /* No SA_RESTART: SIGTERM must interrupt accept() so the server stops at once. */
  struct sigaction sa = {.sa_handler = on_term};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  logf_("listening on ", path);
  while (!stopping) {
    int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) continue;
    char req[1024] = {0};
    ssize_t n = read(c, req, sizeof req - 1);
    const char *body = "hello from a BlueprintOS sandbox\n";
    const char *status = "200 OK";
    if (n > 0 && strncmp(req, "GET /health ", 12) == 0) body = "ok\n";
    else if (n <= 0 || strncmp(req, "GET / ", 6) != 0) status = "404 Not Found", body = "not found\n";
    dprintf(c, "HTTP/1.0 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s", status,
            strlen(body), body);
    close(c);
    char *eol = strpbrk(req, "\r\n");
    if (eol) *eol = 0;
    logf_("request ", req);
  }
  unlink(path);
  logf_("stopping on SIGTERM", NULL);
  return 0;
}

/* Another module's socket, as a module that uses it connects (module wiring, issue 17). */
static int connect_to(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) return printf("{\"connect\":\"path too long\"}\n"), 2;
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  char buf[64] = {0};
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    return printf("{\"connect\":\"%s\"}\n", strerror(errno)), 1;
  dprintf(fd, "GET /health HTTP/1.0\r\n\r\n");
  int ok = read(fd, buf, sizeof buf - 1) > 0 && strstr(buf, " 200 ");
  printf("{\"connect\":\"%s\"}\n", ok ? "ok" : "no answer");
  return ok ? 0 : 1;
}

static int read_file(const char *path) {
  char buf[256] = {0};
  int fd = open(path, O_RDONLY);
  if (fd < 0) return printf("{\"read\":\"%s\"}\n", strerror(errno)), 1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) return printf("{\"read\":\"%s\"}\n", strerror(errno)), 1;
  buf[strcspn(buf, "\r\n\"\\")] = 0;
  printf("{\"read\":\"%s\",\"ok\":true}\n", buf);
  return 0;
}

static int health(void) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, socket_path(), sizeof addr.sun_path - 1);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  char buf[64] = {0};
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) return 1;
  dprintf(fd, "GET /health HTTP/1.0\r\n\r\n");
  return read(fd, buf, sizeof buf - 1) > 0 && strstr(buf, " 200 ") ? 0 : 1;
}

/* Prints the value of a `Key:\tvalue` line of a /proc status file as a JSON string. */
static void status_field(FILE *out, const char *text, const char *key) {
  const char *p = strstr(text, key);
  char val[64] = "";
  if (p) sscanf(p + strlen(key), ":%63s", val);
  fprintf(out, "\"%s\":\"%s\",", key, val);
}

static void file_field(FILE *out, const char *key, const char *path) {
  char buf[4096] = "";
  int fd = open(path, O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  fprintf(out, "\"%s\":\"", key);
  for (ssize_t i = 0; i < n; i++) {
    if (buf[i] == '\n') fputs("\\n", out);
    else if (buf[i] == '"' || buf[i] == '\\') fprintf(out, "\\%c", buf[i]);
    else if ((unsigned char)buf[i] >= 0x20) fputc(buf[i], out);
  }
  fputs("\",", out);
}

static int probe(int argc, char **argv) {
  char status[8192] = "";
  int fd = open("/proc/1/status", O_RDONLY);
  if (fd >= 0) status[read(fd, status, sizeof status - 1) > 0 ? sizeof status - 1 : 0] = 0, close(fd);
  FILE *out = stdout;
  fputc('{', out);
  status_field(out, status, "CapEff");
  status_field(out, status, "CapBnd");
  status_field(out, status, "NoNewPrivs");
  status_field(out, status, "Seccomp");
  file_field(out, "uidMap", "/proc/1/uid_map");
  file_field(out, "netDev", "/proc/net/dev");
  file_field(out, "memoryLimit", "/sys/fs/cgroup/memory/memory.limit_in_bytes");
  file_field(out, "pidsLimit", "/sys/fs/cgroup/pids/pids.max");
  int w = open("/blueprint-probe", O_CREAT | O_WRONLY, 0600);
  fprintf(out, "\"writeRoot\":\"%s\",", w >= 0 ? "ok" : strerror(errno));
  if (w >= 0) close(w), unlink("/blueprint-probe");
  fprintf(out, "\"unshareUser\":\"%s\",", unshare(CLONE_NEWUSER) == 0 ? "ok" : strerror(errno));
  if (argc >= 2) {
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
    inet_pton(AF_INET, argv[0], &sin.sin_addr);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int r = s < 0 ? -1 : connect(s, (struct sockaddr *)&sin, sizeof sin);
    fprintf(out, "\"connect\":\"%s\",", r == 0 ? "ok" : strerror(errno));
  }
  fprintf(out, "\"uid\":%d}\n", getuid());
  return 0;
}

static int hog(long mb) {
  for (long i = 1; i <= mb; i++) {
    char *p = malloc(1 << 20);
    if (!p) return printf("malloc failed at %ld MiB\n", i), 1;
    memset(p, 1, 1 << 20);
    if (i % 16 == 0) printf("%ld MiB\n", i), fflush(stdout);
  }
  printf("allocated %ld MiB\n", mb);
  return 0;
}

static int forks(long n) {
  long ok = 0;
  int err = 0;
  for (long i = 0; i < n; i++) {
    pid_t p = fork();
    if (p == 0) { sleep(3); _exit(0); }
    if (p < 0) { err = errno; break; }
    ok++;
  }
  printf("{\"started\":%ld,\"error\":\"%s\"}\n", ok, err ? strerror(err) : "");
  fflush(stdout);
  while (wait(NULL) > 0) {}
  return err ? 1 : 0;
}

/* A variable the sandbox set (BLUEPRINT_MODULE...), as the module's own process sees it. */
static int print_env(const char *name) {
  const char *v = getenv(name);
  if (!v) return printf("{\"env\":null}\n"), 1;
  for (const char *p = v; *p; p++)
    if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\') return printf("{\"env\":\"(unprintable)\"}\n"), 1;
  return printf("{\"env\":\"%s\"}\n", v), 0;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "serve";
  if (!strcmp(mode, "serve")) return serve();
  if (!strcmp(mode, "health")) return health();
  if (!strcmp(mode, "probe")) return probe(argc - 2, argv + 2);
  if (!strcmp(mode, "hog") && argc > 2) return hog(atol(argv[2]));
  if (!strcmp(mode, "forks") && argc > 2) return forks(atol(argv[2]));
  if (!strcmp(mode, "connect") && argc > 2) return connect_to(argv[2]);
  if (!strcmp(mode, "read") && argc > 2) return read_file(argv[2]);
  if (!strcmp(mode, "env") && argc > 2) return print_env(argv[2]);
  if (!strcmp(mode, "stubborn")) {
    signal(SIGTERM, SIG_IGN);
    logf_("ignoring SIGTERM", NULL);
    for (;;) pause();
  }
  if (!strcmp(mode, "crash")) {
    logf_("crashing", NULL);
    usleep(200000);
    return 3;
  }
  fprintf(stderr, "usage: hello [serve|health|probe [IP PORT]|hog MB|forks N|stubborn|crash|connect PATH|read PATH|env NAME]\n");
  return 2;
}
