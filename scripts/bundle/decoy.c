/*
 * A decoy shared library for scripts/check-bundle's old-libc run. It is built once per SONAME
 * the bundle carries (libc.so.6, libstdc++.so.6, libcurl.so.4, ...) and put in the test root's
 * /lib64, the first directory of provided.al2's LD_LIBRARY_PATH. It defines the symbol
 * versions of glibc 2.26 (decoy.map) and no real function, so an ELF that loads it instead of
 * the bundle's copy stops at once with "version `GLIBC_2.34' not found" (or the like): what a
 * binary built here does on provided.al2.
 */
int ai_usage_decoy_library(void) { return 0; }
