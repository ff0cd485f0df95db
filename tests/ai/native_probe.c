/* Loads one kernel library the way Hearth does (dlopen, then its self-description) and prints
 * "<variant> <abi> <cpu_supported>": run under qemu-aarch64 it shows that a cross-built library loads on
 * aarch64, links its OpenMP runtime, and refuses a CPU without what it was built for
 * (tests/ai/test_native_neon.py). */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    void *lib = dlopen(argv[1], RTLD_NOW);
    if (!lib) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    const char *(*variant)(void) = (const char *(*)(void))dlsym(lib, "rwkv_variant");
    int (*abi)(void) = (int (*)(void))dlsym(lib, "rwkv_abi");
    int (*supported)(void) = (int (*)(void))dlsym(lib, "rwkv_cpu_supported");
    if (!variant || !abi || !supported) return 1;
    printf("%s %d %d\n", variant(), abi(), supported());
    return 0;
}
