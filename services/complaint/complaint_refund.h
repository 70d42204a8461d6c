/* complaint_refund: what a returned purchase gives back, as a pure function the tests drive.
 *
 * The refund is the price paid, minus a depreciation fee (the unit price times the quantity
 * already used), minus a packaging fee when the packaging was opened (the branch's policy: a
 * fixed amount plus a share of the price paid), and never below zero. Money is in fen. */
#ifndef COMPLAINT_REFUND_H
#define COMPLAINT_REFUND_H
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int64_t price_paid_fen; /* what the customer paid for the purchase */
    int64_t unit_price_fen; /* the product's unit price when bought */
    int32_t quantity;       /* units bought */
    int32_t used_qty;       /* units already used, 0 .. quantity */
    bool opened;            /* the packaging is opened */
    int64_t opened_fee_fen; /* policy: fixed fee when opened */
    int32_t opened_fee_bp;  /* policy: basis points (1/100 %) of the price paid when opened */
} complaint_refund_in_t;

typedef struct {
    int64_t depreciation_fen;
    int64_t packaging_fee_fen;
    int64_t refund_fen;
} complaint_refund_t;

/* Computes the refund of in. Returns 0, or -1 for inputs that cannot be (negative money,
 * used more than bought, a share outside 0..100%). Half fen round up. */
int complaint_refund_compute(const complaint_refund_in_t *in, complaint_refund_t *out);

#endif
