/* The refund of a returned purchase, as a table: intact and opened packs, every used
 * quantity from none to all, the packaging fee as a share and as a fixed amount, and never a
 * refund below zero. Money in fen. */
#include "complaint_refund.h"
#include "hf_test.h"

typedef struct {
    const char *name;
    int64_t paid, unit;
    int32_t quantity, used;
    bool opened;
    int64_t fee_fen;
    int32_t fee_bp;
    int rc;
    int64_t depreciation, packaging, refund;
} s_case_t;

int main(void)
{
    /* three boxes at 168.00 yuan, paid in full (504.00); the default policy keeps 10 % of
     * the price paid when the packaging is opened */
    static const s_case_t cases[] = {
        {"intact, none used", 50400, 16800, 3, 0, false, 0, 1000, 0, 0, 0, 50400},
        {"intact, one used", 50400, 16800, 3, 1, false, 0, 1000, 0, 16800, 0, 33600},
        {"intact, two used", 50400, 16800, 3, 2, false, 0, 1000, 0, 33600, 0, 16800},
        {"intact, all used", 50400, 16800, 3, 3, false, 0, 1000, 0, 50400, 0, 0},
        {"opened, none used", 50400, 16800, 3, 0, true, 0, 1000, 0, 0, 5040, 45360},
        {"opened, one used", 50400, 16800, 3, 1, true, 0, 1000, 0, 16800, 5040, 28560},
        {"opened, two used", 50400, 16800, 3, 2, true, 0, 1000, 0, 33600, 5040, 11760},
        {"opened, all used: never below zero", 50400, 16800, 3, 3, true, 0, 1000, 0, 50400, 5040,
         0},
        /* a discount: the depreciation still counts the unit price, so the fees can pass
         * what was paid */
        {"discounted, opened, two used", 40000, 16800, 3, 2, true, 0, 1000, 0, 33600, 4000, 2400},
        {"discounted, intact, all used", 40000, 16800, 3, 3, false, 0, 1000, 0, 50400, 0, 0},
        /* the policy as a fixed fee, and as both */
        {"fixed fee 20.00, opened, one used", 50400, 16800, 3, 1, true, 2000, 0, 0, 16800, 2000,
         31600},
        {"fixed fee, intact: no fee", 50400, 16800, 3, 1, false, 2000, 0, 0, 16800, 0, 33600},
        {"10.00 + 5 %, opened, none used", 50400, 16800, 3, 0, true, 1000, 500, 0, 0, 3520, 46880},
        {"fee larger than the price", 1000, 1000, 1, 0, true, 5000, 0, 0, 0, 5000, 0},
        {"the whole price as the fee", 50400, 16800, 3, 0, true, 0, 10000, 0, 0, 50400, 0},
        {"no fee at all", 50400, 16800, 3, 0, true, 0, 0, 0, 0, 0, 50400},
        /* half a fen rounds up: 10 % of 9.99 is 0.999 -> 1.00 */
        {"rounding", 999, 999, 1, 0, true, 0, 1000, 0, 0, 100, 899},
        {"a free gift", 0, 0, 1, 0, true, 0, 1000, 0, 0, 0, 0},
        /* inputs that cannot be */
        {"used more than bought", 50400, 16800, 3, 4, false, 0, 1000, -1, 0, 0, 0},
        {"negative used", 50400, 16800, 3, -1, false, 0, 1000, -1, 0, 0, 0},
        {"negative price", -1, 16800, 3, 0, false, 0, 1000, -1, 0, 0, 0},
        {"negative unit price", 50400, -1, 3, 0, false, 0, 1000, -1, 0, 0, 0},
        {"share over 100 %", 50400, 16800, 3, 0, true, 0, 10001, -1, 0, 0, 0},
        {"negative fee", 50400, 16800, 3, 0, true, -1, 0, -1, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const s_case_t *c = &cases[i];
        complaint_refund_in_t in = {c->paid,   c->unit,    c->quantity, c->used,
                                    c->opened, c->fee_fen, c->fee_bp};
        complaint_refund_t out;
        int rc = complaint_refund_compute(&in, &out);
        if (rc != c->rc ||
            (rc == 0 && (out.depreciation_fen != c->depreciation ||
                         out.packaging_fee_fen != c->packaging || out.refund_fen != c->refund))) {
            fprintf(stderr,
                    "%s: rc %d depreciation %lld packaging %lld refund %lld, want rc %d %lld %lld"
                    " %lld\n",
                    c->name, rc, (long long)out.depreciation_fen, (long long)out.packaging_fee_fen,
                    (long long)out.refund_fen, c->rc, (long long)c->depreciation,
                    (long long)c->packaging, (long long)c->refund);
            hf_test_failures++;
        }
        CHECK(out.refund_fen >= 0);
    }

    /* every used quantity of a ten-box purchase, both packs: never negative, never more than
     * paid, and one more box used never gives more back */
    for (int opened = 0; opened <= 1; opened++) {
        int64_t last = INT64_MAX;
        for (int used = 0; used <= 10; used++) {
            complaint_refund_in_t in = {100000, 10000, 10, used, opened, 500, 1500};
            complaint_refund_t out;
            CHECK_INT(complaint_refund_compute(&in, &out), 0);
            CHECK(out.refund_fen >= 0 && out.refund_fen <= in.price_paid_fen);
            CHECK(out.refund_fen <= last);
            last = out.refund_fen;
        }
        CHECK_INT(last, 0);
    }
    TEST_DONE();
}
