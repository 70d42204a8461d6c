/* huifang-calllog: the service calllog_def describes, run by hf_service_main. */
#include "calllog.h"

int main(int argc, char **argv)
{
    return hf_service_main(&calllog_def, argc, argv);
}
