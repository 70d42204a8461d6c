/* huifang-complaint: the service complaint_def describes, run by hf_service_main. */
#include "complaint.h"

int main(int argc, char **argv)
{
    return hf_service_main(&complaint_def, argc, argv);
}
