/* hf_festival: the Gregorian date of a festival in a given year. The lunar-calendar festivals
 * (Spring Festival, Lantern, Dragon Boat, Qixi, Mid-Autumn, Double Ninth) are computed by
 * ICU's Chinese calendar ("zh_CN@calendar=chinese"), never typed in; the solar ones (New
 * Year's Day, Women's Day, Mother's Day, Father's Day, National Day) by rule. Names are the
 * kebab-case codes of hf_festival_names(). Pure logic, no state: safe from any thread. */
#ifndef HF_FESTIVAL_H
#define HF_FESTIVAL_H
#include <stdbool.h>
#include <stdint.h>

/* The first and last Gregorian year a festival date is asked for. */
#define HF_FESTIVAL_YEAR_MIN 1901
#define HF_FESTIVAL_YEAR_MAX 2099

/* True when name is a festival this module knows ("mid-autumn"). */
bool hf_festival_known(const char *name);
/* Every festival's code, comma-separated, in calendar order (a static string, for errors and
 * help texts). */
const char *hf_festival_names(void);
/* The n-th festival's code (0-based), or NULL past the last: to list them all. */
const char *hf_festival_at(int n);
/* The festival's English name for people ("Mid-Autumn Festival"); NULL when unknown. */
const char *hf_festival_title(const char *name);
/* Sets *day to the day number (days since 1970-01-01) of festival name in Gregorian year
 * year. 0, or -1 when the name is unknown, the year is out of
 * [HF_FESTIVAL_YEAR_MIN, HF_FESTIVAL_YEAR_MAX], or ICU failed (*why: a static reason). */
int hf_festival_date(const char *name, int year, int32_t *day, const char **why);

#endif
