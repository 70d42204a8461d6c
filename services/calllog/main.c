/* huifang-calllog: parses configuration, runs the service, tears down. */
#include "calllog.h"

int main(int argc, char **argv)
{
    hf_service_t *svc = NULL;
    int rc = hf_service_new(&svc, &calllog_def, NULL, argc, argv);
    if (rc != 0)
        return rc == 1 ? 0 : 1;
    if (hf_service_subscribe(svc, "intake", calllog_intake_events) == 0)
        hf_service_run(svc);
    else
        rc = 1;
    hf_service_destroy(&svc);
    return rc;
}
