/**
 * The scaffold's image recipe: a static C server in a FROM-scratch image, the way modules/hello is
 * built, so `blueprint repo build` needs no registry and the image holds one file.
 * Kept as strings because blueprint ships as one executable: nothing is read from the checkout.
 */

export const serverC = (name: string) => `/*
 * ${name}: a BlueprintOS module. A small HTTP/1.0 server on a unix socket (the sandbox has no network).
 *   server [serve]   answer GET / and GET /health on $BLUEPRINT_SOCKET
 *   server health    exit 0 when the running server answers GET /health (for scripts and tests)
 * Replace handle() with your service. Statically linked so the image can be FROM scratch.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static const char *socket_path(void) {
  const char *p = getenv("BLUEPRINT_SOCKET");
  return p && *p ? p : "/run/${name}/api.sock";
}

static volatile sig_atomic_t stopping;
static void on_term(int sig) { (void)sig; stopping = 1; }

/* One request, one answer: returns the status line and sets the body. */
static const char *handle(const char *req, const char **body) {
  if (strncmp(req, "GET /health ", 12) == 0) return *body = "ok\\n", "200 OK";
  if (strncmp(req, "GET / ", 6) == 0) return *body = "hello from ${name}\\n", "200 OK";
  return *body = "not found\\n", "404 Not Found";
}

static int serve(void) {
  const char *path = socket_path();
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) return fprintf(stderr, "socket path too long\\n"), 2;
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  unlink(path);
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 16) < 0)
    return perror("${name}: listen"), 1;
  chmod(path, 0666); /* the host connects as another uid than the container's mapped one */
  /* No SA_RESTART: SIGTERM must interrupt accept() so that stop is quick. */
  struct sigaction sa = {.sa_handler = on_term};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  printf("${name}: listening on %s\\n", path);
  fflush(stdout);
  while (!stopping) {
    int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) continue;
    char req[1024] = {0};
    const char *body = "";
    const char *status = read(c, req, sizeof req - 1) > 0 ? handle(req, &body) : "400 Bad Request";
    dprintf(c, "HTTP/1.0 %s\\r\\nContent-Type: text/plain\\r\\nContent-Length: %zu\\r\\n\\r\\n%s", status,
            strlen(body), body);
    close(c);
  }
  unlink(path);
  return 0;
}

static int health(void) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, socket_path(), sizeof addr.sun_path - 1);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  char buf[64] = {0};
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) return 1;
  dprintf(fd, "GET /health HTTP/1.0\\r\\n\\r\\n");
  return read(fd, buf, sizeof buf - 1) > 0 && strstr(buf, " 200 ") ? 0 : 1;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "serve";
  if (!strcmp(mode, "serve")) return serve();
  if (!strcmp(mode, "health")) return health();
  fprintf(stderr, "usage: server [serve|health]\\n");
  return 2;
}
`;

export const containerfile = (
  name: string,
) => `# The ${name} image: one static binary and the directories it needs; no shell, no libc, no registry.
FROM scratch
COPY rootfs/ /
ENTRYPOINT ["/server"]
CMD ["serve"]
`;

export const buildSh = (name: string) => `#!/bin/sh
# Builds the static server and the image's root; \`blueprint repo build\` runs this before podman build.
set -eu
cd "$(dirname "$0")"
rm -rf rootfs
mkdir -p rootfs/tmp rootfs/run/${name}
chmod 1777 rootfs/tmp
gcc -static -Os -s -Wall -Wextra -o rootfs/server server.c
`;
