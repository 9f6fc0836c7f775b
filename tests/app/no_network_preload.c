/* A preload library for the privacy test: any attempt to open an IPv4/IPv6 socket fails and is
 * recorded in the file named by FOLIO_NO_NETWORK_LOG. Running `folio-cli model verify` and
 * `model list` under it proves they make no network connection (Unix-domain sockets, which
 * Qt may use locally, are allowed). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void record(const char *what, int domain)
{
    const char *path = getenv("FOLIO_NO_NETWORK_LOG");
    if (!path)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0)
        return;
    char line[96];
    int n = snprintf(line, sizeof line, "%s(domain=%d) by pid %d\n", what, domain, (int) getpid());
    if (n > 0)
        (void) !write(fd, line, (size_t) n);
    close(fd);
}

int socket(int domain, int type, int protocol)
{
    if (domain == AF_INET || domain == AF_INET6) {
        record("socket", domain);
        errno = EACCES;
        return -1;
    }
    int (*real)(int, int, int) = (int (*)(int, int, int)) dlsym(RTLD_NEXT, "socket");
    return real(domain, type, protocol);
}
