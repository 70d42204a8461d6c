/* huifang-complaint: parses configuration, runs the service, tears down in reverse. */
#include "complaint.h"

int main(int argc, char **argv)
{
    complaint_t self = {0};
    hf_service_t *svc = NULL;
    int rc = hf_service_new(&svc, &complaint_def, &self, argc, argv);
    if (rc != 0)
        return rc == 1 ? 0 : 1;
    complaint_init(&self, svc);
    if (complaint_attach(&self, svc) == 0)
        hf_service_run(svc);
    else
        rc = 1;
    hf_service_destroy(&svc);
    complaint_release(&self);
    return rc;
}
