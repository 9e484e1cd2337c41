/*
 * Runs inside the test container (FROM scratch, static): prints every entry under /dev with its
 * type and, for device nodes, major:minor, then the process's capability, no_new_privs and
 * seccomp lines from /proc/self/status. The GPU pass-through test compares two containers by it.
 * Test nodes (named bp-gpu-test*) are also opened read-write, to show the process may use them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static void walk(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(p, &st) != 0) continue;
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      printf("dev %s %c %u:%u\n", p, S_ISCHR(st.st_mode) ? 'c' : 'b', major(st.st_rdev), minor(st.st_rdev));
      if (strstr(e->d_name, "bp-gpu-test")) {
        int fd = open(p, O_RDWR);
        printf("open %s %s\n", p, fd >= 0 ? "ok" : (errno == EACCES ? "EACCES" : "failed"));
        if (fd >= 0) close(fd);
      }
    }
    else if (S_ISDIR(st.st_mode)) {
      printf("dev %s d\n", p);
      /* /dev/shm, /dev/pts, /dev/mqueue: mounts, not devices; listing them adds noise only. */
      if (strcmp(p, "/dev/pts") && strcmp(p, "/dev/shm") && strcmp(p, "/dev/mqueue")) walk(p);
    } else
      printf("dev %s %s\n", p, S_ISLNK(st.st_mode) ? "l" : "f");
  }
  closedir(d);
}

int main(void) {
  walk("/dev");
  FILE *f = fopen("/proc/self/status", "r");
  char line[512];
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "Cap", 3) || !strncmp(line, "NoNewPrivs", 10) || !strncmp(line, "Seccomp:", 8))
      printf("status %s", line);
  if (f) fclose(f);
  return 0;
}
