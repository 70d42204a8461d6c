/* huifang-intake: parses configuration, subscribes to the events it applies, runs the
 * service, tears down. */
#include "intake.h"
#include <malloc.h>

int main(int argc, char **argv)
{
    /* A batch of an import allocates and frees megabytes (the request, the rows, the events):
     * keep that memory in the process instead of handing it back to the system after every
     * batch, only to fault it in again for the next one (a fifth of intake's CPU). */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    hf_service_t *svc = NULL;
    int rc = hf_service_new(&svc, &intake_def, NULL, argc, argv);
    if (rc != 0)
        return rc == 1 ? 0 : 1;
    if (intake_subscribe(svc) != 0) {
        hf_service_destroy(&svc);
        return 1;
    }
    hf_service_run(svc);
    hf_service_destroy(&svc);
    return 0;
}
