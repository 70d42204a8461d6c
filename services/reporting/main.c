/* huifang-reporting: the service reporting_def describes, run by hf_service_main. */
#include "reporting.h"

int main(int argc, char **argv)
{
    return hf_service_main(&reporting_def, argc, argv);
}
