/* huifang-intake: parses configuration, subscribes to the events it applies, runs the
 * service, tears down. */
#include "intake.h"

int main(int argc, char **argv)
{
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
