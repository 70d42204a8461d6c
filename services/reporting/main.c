/* huifang-reporting: the service rep_def describes, run by hf_service_main. */
#include "reporting.h"

int main(int argc, char **argv)
{
    return hf_service_main(&rep_def, argc, argv);
}
