/* huifang-scheduler: the service scheduler_def describes, run by hf_service_main. */
#include "scheduler.h"

int main(int argc, char **argv)
{
    return hf_service_main(&scheduler_def, argc, argv);
}
