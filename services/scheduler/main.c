/* huifang-scheduler: parses configuration, runs the service, tears down in reverse. */
#include "scheduler.h"

int main(int argc, char **argv)
{
    scheduler_t self = {0};
    hf_service_t *svc = NULL;
    int rc = hf_service_new(&svc, &scheduler_def, &self, argc, argv);
    if (rc != 0)
        return rc == 1 ? 0 : 1;
    scheduler_init(&self, svc);
    if (scheduler_attach(&self, svc) == 0)
        hf_service_run(svc);
    else
        rc = 1;
    hf_service_destroy(&svc);
    scheduler_release(&self);
    return rc;
}
