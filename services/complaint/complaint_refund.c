/* complaint_refund: the refund of a returned purchase. See complaint_refund.h. */
#include "complaint_refund.h"

int complaint_refund_compute(const complaint_refund_in_t *in, complaint_refund_t *out)
{
    out->depreciation_fen = 0;
    out->packaging_fee_fen = 0;
    out->refund_fen = 0;
    if (in->price_paid_fen < 0 || in->unit_price_fen < 0 || in->quantity < 0 || in->used_qty < 0 ||
        in->used_qty > in->quantity || in->opened_fee_fen < 0 || in->opened_fee_bp < 0 ||
        in->opened_fee_bp > 10000)
        return -1;
    /* bounded by the checks: 10^4 units of at most int64/10^4 would overflow only for prices
     * no product has; saturate rather than wrap */
    int64_t dep = in->unit_price_fen;
    if (in->used_qty > 0 && dep > INT64_MAX / in->used_qty)
        dep = INT64_MAX;
    else
        dep *= in->used_qty;
    int64_t pack = 0;
    if (in->opened) {
        int64_t share = in->price_paid_fen > INT64_MAX / 10000
                            ? in->price_paid_fen / 10000 * in->opened_fee_bp
                            : (in->price_paid_fen * in->opened_fee_bp + 5000) / 10000;
        pack = in->opened_fee_fen + share;
    }
    int64_t refund = in->price_paid_fen;
    refund = dep >= refund ? 0 : refund - dep;
    refund = pack >= refund ? 0 : refund - pack;
    out->depreciation_fen = dep;
    out->packaging_fee_fen = pack;
    out->refund_fen = refund;
    return 0;
}
