/* huifang-intake: the service intake_def describes, run by hf_service_main. */
#include "intake.h"

int main(int argc, char **argv)
{
    return hf_service_main(&intake_def, argc, argv);
}
