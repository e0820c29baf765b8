/*
 * The bundle's `bootstrap`: a launcher that Lambda starts, which execs the Swift
 * binary at /var/task/bin/bootstrap.
 *
 * It exists for the CA certificates only. The Swift client (Sources/CurlHTTP/CABundle.swift)
 * honours CURL_CA_BUNDLE / SSL_CERT_FILE and probes four well-known paths; when a host has
 * none of them, this sets CURL_CA_BUNDLE to the bundle's own copy (certs/ca-certificates.crt).
 * A shell script could do the same, but the bundle must also start where there is no /bin/sh
 * (scripts/check-bundle runs it in an empty root), so this is C. It is linked and patched like
 * the Swift binary (the bundle's loader as ELF interpreter, DT_RPATH /var/task/lib), so it
 * loads the bundle's libc whatever LD_LIBRARY_PATH says.
 *
 * Keep `known` in step with CABundle.knownPaths.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TASK_ROOT "/var/task"

static const char *const known[] = {
    "/etc/ssl/certs/ca-certificates.crt", /* Debian, Ubuntu */
    "/etc/pki/tls/certs/ca-bundle.crt",   /* Amazon Linux 2 and 2023, RHEL */
    "/etc/ssl/ca-bundle.pem",             /* SUSE */
    "/etc/ssl/cert.pem",                  /* Alpine, macOS */
};

static int is_set(const char *name) {
    const char *value = getenv(name);
    return value != NULL && value[0] != '\0';
}

int main(int argc, char **argv) {
    static const char program[] = TASK_ROOT "/bin/bootstrap";
    static const char shipped[] = TASK_ROOT "/certs/ca-certificates.crt";
    (void)argc;

    if (!is_set("CURL_CA_BUNDLE") && !is_set("SSL_CERT_FILE")) {
        int found = 0;
        for (size_t i = 0; i < sizeof known / sizeof known[0] && !found; i++)
            found = access(known[i], R_OK) == 0;
        if (!found && access(shipped, R_OK) == 0 && setenv("CURL_CA_BUNDLE", shipped, 1) != 0) {
            fprintf(stderr, "bootstrap: setenv CURL_CA_BUNDLE: %s\n", strerror(errno));
            return 1;
        }
    }
    argv[0] = (char *)program;
    execv(program, argv);
    fprintf(stderr, "bootstrap: cannot run %s: %s\n", program, strerror(errno));
    return 126;
}
