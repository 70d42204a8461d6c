/* huifang-scheduler: the service sched_def describes, run by hf_service_main. */
#include "scheduler.h"

int main(int argc, char **argv)
{
    return hf_service_main(&sched_def, argc, argv);
}
