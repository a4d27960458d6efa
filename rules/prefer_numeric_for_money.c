#include <ctype.h>
#include <string.h>

#include "lint/columns.h"
#include "lint/rule.h"

/* Words of a column name that say it holds an amount of money. */
static const char *const money_words[] = {
    "amount", "amounts", "amt",	     "balance",	  "balances", "budget",	  "charge",   "charges",
    "cost",   "costs",	 "discount", "discounts", "expense",  "expenses", "fare",     "fee",
    "fees",   "income",	 "money",    "payment",	  "payments", "payout",	  "price",    "prices",
    "refund", "refunds", "rent",     "revenue",	  "salary",   "salaries", "subtotal", "tax",
    "taxes",  "tip",	 "tips",     "total",	  "totals",   "wage",	  "wages",
};

/* Words that say it holds something else (a rate, a count, a duration, a size). */
static const char *const other_words[] = {
    "count",	  "qty",      "quantity", "ratio", "rate",   "pct",	   "percent",
    "percentage", "share",    "weight",	  "score", "factor", "multiplier", "time",
    "duration",	  "seconds",  "secs",	  "ms",	   "millis", "minutes",	   "hours",
    "days",	  "distance", "length",	  "size",  "bytes",
};

static bool in_list(const char *word, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(word, list[i]) == 0)
			return true;
	return false;
}

/*
 * Whether a column name suggests an amount of money: one of its words (split
 * at non-letters and at lower-to-upper case changes, compared in lower case)
 * is a money word and none is a word of another measure.
 */
static bool amount_name(const char *name)
{
	char word[64];
	size_t n = 0;
	bool money = false, other = false;

	for (const char *p = name;; p++) {
		unsigned char ch = (unsigned char)*p;
		bool letter = ch && ch < 0x80 && isalpha(ch);
		bool boundary = !letter || (n > 0 && isupper(ch) && islower((unsigned char)p[-1]));

		if (boundary && n > 0) {
			word[n] = '\0';
			money |=
			    in_list(word, money_words, sizeof(money_words) / sizeof(*money_words));
			other |=
			    in_list(word, other_words, sizeof(other_words) / sizeof(*other_words));
			n = 0;
		}
		if (!ch)
			break;
		if (letter && n < sizeof(word) - 1)
			word[n++] = (char)tolower(ch);
	}
	return money && !other;
}

static void check_column(struct pgs_check *ctx, const struct pgs_coldef *c, void *data)
{
	(void)data;
	if (!c->builtin)
		return;
	bool money = strcmp(c->builtin, "money") == 0;
	bool floating = strcmp(c->builtin, "float4") == 0 || strcmp(c->builtin, "float8") == 0;
	if (!money && !(floating && amount_name(c->column)))
		return;
	const char *column = pgs_check_quote(ctx, c->column);
	const char *written =
	    pgs_span_text(pgs_check_arena(ctx), pgs_check_text(ctx), c->base_span);
	struct pgs_diag *d;
	if (money) {
		d = pgs_report(ctx, c->type_span,
			       "column %s is money: its scale and format follow the lc_monetary "
			       "setting",
			       column);
		pgs_diag_note(
		    ctx, d,
		    "its text form is locale-sensitive ($1,000.00): a dump may not load, "
		    "or loads other amounts, where lc_monetary differs; and a column holds "
		    "a single currency");
	} else {
		d = pgs_report(ctx, c->type_span,
			       "column %s is %s: floating point can't hold most decimal amounts "
			       "exactly",
			       column, written);
		pgs_diag_note(ctx, d,
			      "0.1 + 0.2 is 0.30000000000000004 in double precision; sums of "
			      "amounts drift by fractions of a cent and equality tests fail");
	}
	pgs_diag_help(ctx, d,
		      "use numeric with the scale of the currency, e.g. numeric(12, 2), or a "
		      "bigint number of the smallest unit (cents)");
}

static void check(struct pgs_check *ctx)
{
	pgs_coldefs_each(ctx, check_column, NULL);
}

const struct pgs_rule pgs_rule_prefer_numeric_for_money = {
    .id = "M407",
    .name = "prefer-numeric-for-money",
    .severity = PGS_SEV_INFO,
    .summary = "money type, or floating point for a column named like an amount",
    .docs = "## Problem\n\n"
	    "The `money` type stores an integer number of the smallest currency unit,\n"
	    "with the scale and format of the `lc_monetary` setting. Its text form is\n"
	    "locale-sensitive (`$1,000.00`): a dump may fail to load, or load other\n"
	    "amounts, into a database whose `lc_monetary` differs, and a column can't hold\n"
	    "two currencies.\n\n"
	    "`real`, `double precision` and `float` are binary floating point: most\n"
	    "decimal amounts (0.10) have no exact representation, sums drift by\n"
	    "fractions of a cent and equality tests fail.\n\n"
	    "Flagged in CREATE TABLE, ADD COLUMN and ALTER COLUMN ... TYPE:\n\n"
	    "- every `money` column;\n"
	    "- a `real` / `float4` / `double precision` / `float` / `float8` column whose\n"
	    "  name suggests an amount of money. The name is split into words at\n"
	    "  underscores, digits and lower-to-upper case changes (`unitPrice`); it is\n"
	    "  flagged when one word is amount, amt, balance, budget, charge, cost,\n"
	    "  discount, expense, fare, fee, income, money, payment, payout, price,\n"
	    "  refund, rent, revenue, salary, subtotal, tax, tip, total or wage (or a\n"
	    "  plural), and no word names another measure: count, qty, quantity, ratio,\n"
	    "  rate, pct, percent(age), share, weight, score, factor, multiplier, time,\n"
	    "  duration, seconds, secs, ms, millis, minutes, hours, days, distance,\n"
	    "  length, size, bytes. So `price` and `total_amount` are flagged, `tax_rate`\n"
	    "  and `total_weight` are not.\n\n"
	    "## Safe alternative\n\n"
	    "`numeric(p, s)` with the currency's scale, e.g. `numeric(12, 2)`, and a\n"
	    "separate currency column if there can be several; or a `bigint` count of the\n"
	    "smallest unit (cents). No fix is offered: the precision is a decision.\n",
    .example_bad = "CREATE TABLE products (id bigint PRIMARY KEY, price double precision);",
    .example_good = "CREATE TABLE products (id bigint PRIMARY KEY, price numeric(12, 2),\n"
		    "                       weight double precision);",
    .check = check,
};
