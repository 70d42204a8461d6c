/* huifang-reporting: parses configuration, runs the service, tears down. */
#include "reporting.h"

int main(int argc, char **argv)
{
    hf_service_t *svc = NULL;
    int rc = hf_service_new(&svc, &reporting_def, NULL, argc, argv);
    if (rc != 0)
        return rc == 1 ? 0 : 1;
    if (reporting_attach(svc) == 0)
        hf_service_run(svc);
    else
        rc = 1;
    hf_service_destroy(&svc);
    return rc;
}
