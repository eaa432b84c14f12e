/* Elster A1700 / A1140 / A1120 register protocol: the pure codec.
 *
 * These meters speak IEC 62056-21 framing (pmu/iec62056.h) in manufacturer mode 6 and
 * carry binary "data identities" as hex text: R1 "IIIPPP(LL)" reads LL bytes of packet
 * PPP of identity III, W1 "III001(hex)" writes, the meter answers "(hex)" or "(ERRn)".
 * This module turns those bytes into typed values and back, for the session driver
 * (host side) and pmu-sim (meter side): the password transform, the frames, the
 * identification, every register layout of PROTOCOL.md section 3, the load-profile
 * stream of identity 550, the OBIS codes field systems give the values, and the model
 * files (models/<model>.json) that say which identities a model has.
 *
 * Pure code: no I/O, no global state. Numbers stay exact: energy, demand and profile
 * values are integers in the meter's unit turned into decimal text by moving the
 * decimal point, never through floating point. Meter times are "meter-time seconds"
 * (pmu_timestamp_to_seconds: seconds since 1970-01-01 of the meter's civil clock),
 * which is what the meter's uint32 "Unix" times are. See docs/elster.md. */
#ifndef PMU_ELSTER_H
#define PMU_ELSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pmu/error.h"
#include "pmu/obis.h"
#include "pmu/readout.h"

#define PMU_ELSTER_PACKET 64          /* most bytes one R1/W1 packet carries */
#define PMU_ELSTER_PASSWORD_LEN 8     /* passwords are exactly 8 characters */
#define PMU_ELSTER_SEED_LEN 8         /* P0 seed bytes */
#define PMU_ELSTER_NUMBER_MAX 32      /* any decimal text below, with its NUL */
#define PMU_ELSTER_ENERGY_SCALER (-6) /* mWh -> kWh, mW -> kW: six decimals */
#define PMU_ELSTER_MAX_CHANNELS 14    /* load-profile channels */

/* ---- Hex text and packed BCD ------------------------------------------------------ */

/* Upper-case hex of n bytes into out (2n + 1 bytes with the NUL). Returns 2n, or
 * PMU_E_TOO_LONG when out is too small. */
long pmu_elster_hex_encode(const uint8_t *bytes, size_t n, char *out, size_t size);

/* Hex text (either case, even length) into bytes; *out_len gets the byte count. */
enum pmu_status pmu_elster_hex_decode(const char *text, size_t len, uint8_t *out, size_t cap,
                                      size_t *out_len, struct pmu_error *err);

/* n bytes of packed BCD, least significant byte first, as an integer. n <= 9 (18
 * digits). A nibble above 9 is PMU_E_SYNTAX naming the byte. */
enum pmu_status pmu_elster_bcd_le_decode(const uint8_t *p, size_t n, uint64_t *out,
                                         struct pmu_error *err);
/* The inverse; PMU_E_RANGE when v needs more than 2n digits. */
enum pmu_status pmu_elster_bcd_le_encode(uint64_t v, uint8_t *p, size_t n, struct pmu_error *err);

/* Exact decimal text of v x 10^scaler: scaler -6 gives six decimals always
 * ("0.000000", "123.456789"), a positive scaler appends zeros. Returns the length, or
 * PMU_E_TOO_LONG. */
int pmu_elster_format_scaled(uint64_t v, int scaler, char *out, size_t size);
/* The inverse: "123.4567" with scaler -6 -> 123456700. At most -scaler decimals; a
 * positive scaler needs the text to end in that many zeros. */
enum pmu_status pmu_elster_parse_scaled(const char *text, int scaler, uint64_t *out,
                                        struct pmu_error *err);

/* ---- Passwords (P0 seed, P1 clear, P2 transformed) -------------------------------- */

/* c[i] = pwd[i] ^ seed[i]; then with last = c[7], for i = 0..7: c[i] += last, last =
 * c[i]. password must be exactly 8 characters. */
enum pmu_status pmu_elster_password_transform(const char *password, const uint8_t seed[8],
                                              uint8_t out[8], struct pmu_error *err);
/* The inverse, for pmu-sim: the 8 password bytes a response came from. */
void pmu_elster_password_untransform(const uint8_t response[8], const uint8_t seed[8],
                                     uint8_t password[8]);

/* "(16 hex)": the payload of a P0 frame (the seed) or of a P2 frame (the response). */
enum pmu_status pmu_elster_seed_parse(const uint8_t *data, size_t len, uint8_t out[8],
                                      struct pmu_error *err);

/* SOH P0 STX (seed) ETX BCC, SOH P1 STX (password) ETX BCC, SOH P2 STX (response) ETX
 * BCC. Return the frame length or a negative status, like pmu_iec_build_command. */
long pmu_elster_build_p0(const uint8_t seed[8], uint8_t *buf, size_t size);
long pmu_elster_build_p1(const char *password, uint8_t *buf, size_t size);
long pmu_elster_build_p2(const uint8_t response[8], uint8_t *buf, size_t size);

/* ---- Reads, writes and replies ------------------------------------------------------ */

/* Packets one set of an item of length bytes takes: ceil(length / 64), at least 1. */
unsigned pmu_elster_packets(size_t length);
/* First packet number of historical set k: packets(length) * k + 1. */
unsigned pmu_elster_first_packet(size_t length, unsigned set);
/* Bytes in packet index i (0-based inside one set): 64, the last one the rest. */
size_t pmu_elster_packet_length(size_t length, unsigned index);

/* SOH R1 STX IIIPPP(LL) ETX BCC: id 0..999, packet 1..0xFFF, count 1..64. */
long pmu_elster_build_read(unsigned id, unsigned packet, size_t count, uint8_t *buf,
                           size_t size);
/* SOH W1 STX IIIPPP(hex) ETX BCC: len 0 (action-only identities) ..64. */
long pmu_elster_build_write(unsigned id, unsigned packet, const uint8_t *data, size_t len,
                            uint8_t *buf, size_t size);

/* A request as the meter sees it (pmu-sim). */
struct pmu_elster_request {
    bool write;                       /* W1, else R1 */
    unsigned id, packet;
    size_t count;                     /* R1: bytes asked */
    uint8_t data[PMU_ELSTER_PACKET];  /* W1: bytes to write */
    size_t data_len;
};

/* cmd is the frame's command ("R1", "W1"), data its STX payload. */
enum pmu_status pmu_elster_request_parse(const char *cmd, const uint8_t *data, size_t len,
                                         struct pmu_elster_request *out, struct pmu_error *err);

/* Meter error answers "(ERR1)" .. "(ERR6)". */
enum {
    PMU_ELSTER_ERR_COMMAND = 1,       /* invalid command */
    PMU_ELSTER_ERR_IDENTITY = 2,      /* data identity does not exist */
    PMU_ELSTER_ERR_PACKET = 3,        /* invalid packet number */
    PMU_ELSTER_ERR_4 = 4,             /* not described by any public source */
    PMU_ELSTER_ERR_LOCKED = 5,        /* identity locked / password timeout */
    PMU_ELSTER_ERR_COMMS = 6          /* general comms error */
};
/* "data identity does not exist" ... for 1..6, else "unknown meter error". */
const char *pmu_elster_meter_error_text(int code);

/* Payload of a reply: "(hexhex...)" -> bytes (PMU_OK), "(ERRn)" -> PMU_E_REFUSED with
 * *meter_error = n and a message that says what it means. *meter_error is 0 otherwise.
 * An ACK is not a data reply: the session handles it. */
enum pmu_status pmu_elster_reply_parse(const uint8_t *data, size_t len, uint8_t *out,
                                       size_t cap, size_t *out_len, int *meter_error,
                                       struct pmu_error *err);
/* STX (hex) ETX BCC and STX (ERRn) ETX BCC, for pmu-sim. */
long pmu_elster_build_reply(const uint8_t *bytes, size_t n, uint8_t *buf, size_t size);
long pmu_elster_build_meter_error(int code, uint8_t *buf, size_t size);

/* ---- Identification ------------------------------------------------------------------ */

/* "/GEC5090100100400@000", indexes from the '/': [1-3] maker, [4] baud char, [5-6]
 * master unit id ("09" = A1700), [7-9] product range, [10-12] device number, [13-14]
 * issue, then the rest as sent. */
struct pmu_elster_ident {
    char maker[4];
    char baud_char;
    unsigned baud;                    /* from baud_char, 0 when not a mode-C digit */
    char master_unit[3];
    char product_range[4];
    char device[4];
    char issue[3];
    char rest[17];
};

/* text may start with '/' and end in CR LF; 15 characters at least. */
enum pmu_status pmu_elster_ident_parse(const char *text, size_t len, struct pmu_elster_ident *out,
                                       struct pmu_error *err);
/* "/GEC5..." without CR LF; returns the length or PMU_E_TOO_LONG / PMU_E_INVALID. */
int pmu_elster_ident_format(const struct pmu_elster_ident *id, char *buf, size_t size);

/* ---- Registers and records ------------------------------------------------------------ */

/* Energy register: 8 bytes LE packed BCD in mWh/mvarh/mVAh -> kWh text, 6 decimals. */
enum pmu_status pmu_elster_energy_decode(const uint8_t p[8], char out[PMU_ELSTER_NUMBER_MAX],
                                         struct pmu_error *err);
enum pmu_status pmu_elster_energy_encode(const char *kwh, uint8_t p[8], struct pmu_error *err);

/* Maximum demand record (12 bytes): uint32 LE time of the maximum, source code, 7 bytes
 * LE BCD in mW/mvar/mVA; value is kW text with 6 decimals. */
struct pmu_elster_md {
    bool has_time;                    /* time 0 means "no date" */
    int64_t time;                     /* meter-time seconds */
    uint8_t source;
    char value[PMU_ELSTER_NUMBER_MAX];
};
enum pmu_status pmu_elster_md_decode(const uint8_t p[12], struct pmu_elster_md *out,
                                     struct pmu_error *err);
enum pmu_status pmu_elster_md_encode(const struct pmu_elster_md *md, uint8_t p[12],
                                     struct pmu_error *err);

/* Cumulative MD record (9 bytes): 8 bytes LE BCD (mW) + source code. */
struct pmu_elster_cmd {
    uint8_t source;
    char value[PMU_ELSTER_NUMBER_MAX];
};
enum pmu_status pmu_elster_cmd_decode(const uint8_t p[9], struct pmu_elster_cmd *out,
                                      struct pmu_error *err);
enum pmu_status pmu_elster_cmd_encode(const struct pmu_elster_cmd *cmd, uint8_t p[9],
                                      struct pmu_error *err);

/* 861 date/time: ss mm hh DD MM 00 YY in BCD, year 2000 + YY. season is -1. */
enum pmu_status pmu_elster_datetime_decode(const uint8_t p[7], struct pmu_timestamp *out,
                                           struct pmu_error *err);
enum pmu_status pmu_elster_datetime_encode(const struct pmu_timestamp *t, uint8_t p[7],
                                           struct pmu_error *err);

/* 614 VT (7 bytes) / 616 CT (6 bytes) ratio: LE BCD primary (4) and secondary (3 or 2),
 * hundredths: text with 2 decimals ("11000.00" / "110.00"). */
struct pmu_elster_ratio {
    char primary[PMU_ELSTER_NUMBER_MAX];
    char secondary[PMU_ELSTER_NUMBER_MAX];
};
enum pmu_status pmu_elster_ratio_decode(const uint8_t *p, size_t len, struct pmu_elster_ratio *out,
                                        struct pmu_error *err);
enum pmu_status pmu_elster_ratio_encode(const struct pmu_elster_ratio *r, uint8_t *p, size_t len,
                                        struct pmu_error *err);

/* 605 / 606 instantaneous values. */
enum pmu_elster_quantity {
    PMU_ELSTER_Q_CURRENT = 1, PMU_ELSTER_Q_VOLTAGE, PMU_ELSTER_Q_POWER_FACTOR,
    PMU_ELSTER_Q_ACTIVE, PMU_ELSTER_Q_REACTIVE, PMU_ELSTER_Q_APPARENT,
    PMU_ELSTER_Q_ROTATION, PMU_ELSTER_Q_FREQUENCY, PMU_ELSTER_Q_ANGLE
};
/* Unit text of a quantity ("A", "V", "", "kW", "kvar", "kVA", "", "Hz", "deg"). */
const char *pmu_elster_quantity_unit(enum pmu_elster_quantity q);
/* Byte written to 605: phase 0 total, 1..3 = L1..L3 (0x10, 0x20, 0x40) | quantity.
 * Returns -1 for a bad phase or quantity. */
int pmu_elster_instant_request(unsigned phase, enum pmu_elster_quantity q);
/* 605 read back: bit 0x80 set when 606 holds the answer. */
bool pmu_elster_instant_ready(uint8_t b);

struct pmu_elster_instant {
    bool available;                   /* format byte 0xFF: not available */
    bool overflow;                    /* low 3 bits 7 */
    char value[PMU_ELSTER_NUMBER_MAX];/* "-213.2363"; "" when not available/overflow */
};
/* 7 bytes: format (bit 7 negative; low 3 bits d: 7 overflow, else 4 - d decimals),
 * then 12 BCD digits, most significant first. */
enum pmu_status pmu_elster_instant_decode(const uint8_t p[7], struct pmu_elster_instant *out,
                                          struct pmu_error *err);
enum pmu_status pmu_elster_instant_encode(const struct pmu_elster_instant *v, uint8_t p[7],
                                          struct pmu_error *err);

/* 724 / 691 system status: 4 bytes LE. Names of bits ("phase A failure"), NULL for a
 * bit with no name (3..7, 21). pmu_elster_status_names() fills up to cap names of the
 * set bits that have one, in bit order, and returns how many it filled. */
uint32_t pmu_elster_status_decode(const uint8_t p[4]);
void pmu_elster_status_encode(uint32_t word, uint8_t p[4]);
const char *pmu_elster_status_bit_name(unsigned bit);
size_t pmu_elster_status_names(uint32_t word, const char **names, size_t cap);

/* 680 programming, 694 reverse run, 695 power down: 14 bytes = uint16 LE count + 3
 * uint32 LE times (newest first). 693 phase failure: 17 bytes = the same + 3 phases. */
struct pmu_elster_counter {
    unsigned count;
    int64_t times[3];                 /* 0 = no date */
    bool has_phases;
    uint8_t phases[3];
};
enum pmu_status pmu_elster_counter_decode(const uint8_t *p, size_t len,
                                          struct pmu_elster_counter *out, struct pmu_error *err);
enum pmu_status pmu_elster_counter_encode(const struct pmu_elster_counter *c, uint8_t *p,
                                          size_t len, struct pmu_error *err);

/* 544 historical events, one 66-byte set. */
struct pmu_elster_events {
    unsigned phase_fail_count;
    int64_t phase_fail_times[3];
    uint8_t phase_fail_phases[3];     /* 1..3 */
    unsigned power_fail_count;
    int64_t power_fail_times[3];
    unsigned reverse_run_count;
    int64_t reverse_run_times[3];
    unsigned over_current_count;
    int64_t over_current_times[3];
    uint8_t over_current_phases[3];   /* 0-based */
    uint32_t battery_seconds_left;
};
#define PMU_ELSTER_EVENTS_LEN 66
enum pmu_status pmu_elster_events_decode(const uint8_t *p, size_t len,
                                         struct pmu_elster_events *out, struct pmu_error *err);
void pmu_elster_events_encode(const struct pmu_elster_events *e, uint8_t p[66]);

/* Load-profile channels: 14 in the order import W, export W, Q1..Q4, VA, CDR1..3,
 * external 1..4. The channel word (777, and the E4/E8 markers) is big-endian; channels
 * = ((cfg & 0x7F00) >> 1) | (cfg & 0x7F); bit 0x80 is the DST flag in E4 markers. */
const char *pmu_elster_channel_name(unsigned channel);
/* Channel numbers (0..13) in order into channels[]; returns how many. */
size_t pmu_elster_mask_channels(uint16_t cfg, uint8_t channels[PMU_ELSTER_MAX_CHANNELS]);
/* The inverse (channel bits only); PMU_E_RANGE for a channel above 13. */
enum pmu_status pmu_elster_mask_from_channels(const uint8_t *channels, size_t n, uint16_t *cfg,
                                              struct pmu_error *err);
uint16_t pmu_elster_u16_be(const uint8_t p[2]);

/* 878: integration period, sub-interval, sub-interval count, one byte each (minutes). */
struct pmu_elster_period {
    unsigned period, sub_interval, sub_count;
};
enum pmu_status pmu_elster_period_decode(const uint8_t p[3], struct pmu_elster_period *out,
                                         struct pmu_error *err);
enum pmu_status pmu_elster_period_encode(const struct pmu_elster_period *v, uint8_t p[3],
                                         struct pmu_error *err);

/* 551 load-profile selection: write = day count uint16 LE (0xFFFF all days); read =
 * [0-1] 64-byte block count, [2-3] 256-byte block count, both big-endian. */
#define PMU_ELSTER_LP_ALL_DAYS 0xFFFFu
void pmu_elster_lp_select_encode(unsigned days, uint8_t p[2]);
unsigned pmu_elster_lp_select_decode(const uint8_t p[2]);
struct pmu_elster_lp_size {
    unsigned blocks64, blocks256;
};
void pmu_elster_lp_size_decode(const uint8_t p[4], struct pmu_elster_lp_size *out);
void pmu_elster_lp_size_encode(const struct pmu_elster_lp_size *s, uint8_t p[4]);
/* Packets of 550 a reader asks for: blocks64 + 1 (the last, partly filled block). */
unsigned pmu_elster_lp_packets(const struct pmu_elster_lp_size *s);

/* 543 historical billing set (A1700): cumulative registers (80) | TOU (8 nTOU) |
 * external inputs (32) | CMD (72) | MD (288) | [5-CDR meters: coincident MD (120)] |
 * info (15). 615 bytes (16 TOU), 743 (32 TOU), 863 (32 TOU + 5 CDR). */
struct pmu_elster_billing {
    unsigned n_tou;                   /* 16 or 32 */
    bool cdr5;
    char cumulative[10][PMU_ELSTER_NUMBER_MAX]; /* kWh etc., 6 decimals */
    char tou[32][PMU_ELSTER_NUMBER_MAX];
    char external[4][PMU_ELSTER_NUMBER_MAX];
    struct pmu_elster_cmd cmd[8];
    struct pmu_elster_md md[24];      /* 8 MD registers x 3 highest peaks */
    uint8_t coincident[120];          /* 5-CDR meters: kept raw (layout not public) */
    unsigned billing_count;
    int64_t period_start, period_end, reset_time;
    uint8_t trigger;                  /* PMU_ELSTER_TRIGGER_* bits */
};
enum {
    PMU_ELSTER_TRIGGER_BILLING_DATE = 0x01, PMU_ELSTER_TRIGGER_SEASON = 0x02,
    PMU_ELSTER_TRIGGER_TARIFF = 0x04, PMU_ELSTER_TRIGGER_SERIAL = 0x08,
    PMU_ELSTER_TRIGGER_OPTICAL = 0x10, PMU_ELSTER_TRIGGER_BUTTON = 0x20,
    PMU_ELSTER_TRIGGER_INPUT = 0x40, PMU_ELSTER_TRIGGER_POWER_UP = 0x80
};
/* 0 when n_tou is not 16 or 32. */
size_t pmu_elster_billing_length(unsigned n_tou, bool cdr5);
enum pmu_status pmu_elster_billing_decode(const uint8_t *p, size_t len, unsigned n_tou,
                                          bool cdr5, struct pmu_elster_billing *out,
                                          struct pmu_error *err);
/* Writes pmu_elster_billing_length(b->n_tou, b->cdr5) bytes. */
enum pmu_status pmu_elster_billing_encode(const struct pmu_elster_billing *b, uint8_t *p,
                                          size_t size, struct pmu_error *err);

/* ---- OBIS codes used by field systems ----------------------------------------------- *
 * c is the OBIS C of the register's source (see the model's source table); set is the
 * billing set 0..11, or -1 for current values (F = 255). */
/* Energy 1.1.C.8.E.F: tou 0 = cumulative, E = TOU register index + 1. */
void pmu_elster_obis_energy(uint8_t c, unsigned tou, int set, struct pmu_obis *out);
/* Cumulative MD 1.1.C.2.E.F. */
void pmu_elster_obis_cmd(uint8_t c, unsigned e, int set, struct pmu_obis *out);
/* MD 1.B.C.6.E.F, peak 1..3 = 1st/2nd/3rd highest. */
void pmu_elster_obis_md(uint8_t c, unsigned peak, unsigned e, int set, struct pmu_obis *out);

/* ---- Load-profile stream (identity 550) --------------------------------------------- */

enum pmu_elster_marker {
    PMU_ELSTER_LP_EXTERNAL = 0xE2,    /* uint16 LE length, data, 0xE2 */
    PMU_ELSTER_LP_NEW_DAY = 0xE4,     /* time, channel word (BE), period code */
    PMU_ELSTER_LP_POWER_UP = 0xE5,    /* time */
    PMU_ELSTER_LP_POWER_DOWN = 0xE6,
    PMU_ELSTER_LP_CONFIG = 0xE8,      /* as NEW_DAY */
    PMU_ELSTER_LP_FORCED_END = 0xE9,
    PMU_ELSTER_LP_TIME_CHANGE = 0xEA,
    PMU_ELSTER_LP_CLEARED = 0xEB,
    PMU_ELSTER_LP_DST = 0xED,
    PMU_ELSTER_LP_END = 0xFF          /* end of data; the rest is padding */
};
/* "new day", "power up" ...; NULL for a byte that is no marker. */
const char *pmu_elster_marker_name(unsigned marker);

/* Interval status flags. */
enum {
    PMU_ELSTER_LP_TRANSIENT_RESET = 0x01, PMU_ELSTER_LP_TIME_SYNC = 0x02,
    PMU_ELSTER_LP_DATA_CHANGE = 0x04, PMU_ELSTER_LP_BATTERY_FAIL = 0x08,
    PMU_ELSTER_LP_REVERSE_RUN = 0x20, PMU_ELSTER_LP_PHASE_FAIL = 0x40
};

/* Period minutes of a period code ({1,2,3,4,5,6,10,15,20,30,60}[code & 0x0F]), 0 for
 * none; and the code of a period, -1 for none. */
unsigned pmu_elster_lp_period_minutes(uint8_t code);
int pmu_elster_lp_period_code(unsigned minutes);

/* One 3-byte value: 6 BCD digits, most significant first; the last digit is a decimal
 * exponent: value = (bcd / 10) x 10^(bcd % 10). */
enum pmu_status pmu_elster_lp_value_decode(const uint8_t p[3], uint64_t *out,
                                           struct pmu_error *err);
/* PMU_E_RANGE when v has more than 5 significant digits or is above 99999e9: round
 * first with pmu_elster_lp_value_round (which keeps the 5 leading digits). */
enum pmu_status pmu_elster_lp_value_encode(uint64_t v, uint8_t p[3], struct pmu_error *err);
uint64_t pmu_elster_lp_value_round(uint64_t v);

enum pmu_elster_lp_kind { PMU_ELSTER_LP_INTERVAL, PMU_ELSTER_LP_EVENT };

struct pmu_elster_lp_item {
    enum pmu_elster_lp_kind kind;
    size_t offset;                    /* stream offset of the (first) entry */
    int64_t time;                     /* interval: its END; event: the marker time */
    /* events */
    unsigned marker;                  /* enum pmu_elster_marker */
    uint16_t channel_word;            /* NEW_DAY / CONFIG: as sent (with the DST bit) */
    unsigned period_min;              /* NEW_DAY / CONFIG: period in force after it */
    size_t external_len;              /* EXTERNAL: bytes of data */
    /* both: DST in force (bit 0x80 of the last NEW_DAY / CONFIG channel word) */
    bool dst;
    /* intervals */
    uint8_t status;                   /* ORed over merged records */
    unsigned records;                 /* records summed into this interval */
    size_t n_channels;
    uint8_t channel[PMU_ELSTER_MAX_CHANNELS];   /* channel numbers, 0..13 */
    uint64_t raw[PMU_ELSTER_MAX_CHANNELS];      /* value in the meter's unit */
    char value[PMU_ELSTER_MAX_CHANNELS][PMU_ELSTER_NUMBER_MAX]; /* raw x 10^scaler */
};

/* Decoder state; treat as opaque. */
struct pmu_elster_lp_pending {
    bool used;
    bool dst;
    int64_t end;
    size_t offset;
    uint8_t status;
    unsigned records;
    uint16_t channels;                /* bit n: channel n has a value */
    unsigned period_min;
    uint64_t raw[PMU_ELSTER_MAX_CHANNELS];    /* indexed by channel number */
};

struct pmu_elster_lp {
    int scaler;                       /* decimal exponent applied to value text */
    size_t offset;                    /* stream offset of the next byte */
    int state;                        /* see profile.c */
    enum pmu_status failure;
    struct pmu_error failure_err;
    uint8_t entry[48];                /* the entry being collected */
    size_t entry_len, entry_need, entry_offset;
    size_t skip;                      /* external data bytes still to skip */
    bool in_external;
    int64_t clock;                    /* end of the last interval stored */
    unsigned period_min;
    uint16_t channel_word;
    bool dst;
    size_t n_channels;
    uint8_t channel[PMU_ELSTER_MAX_CHANNELS];
    bool merge_next;                  /* after E5/E9/EA/EB: hold the next record */
    struct pmu_elster_lp_pending held;    /* the first part of a split interval */
    struct pmu_elster_lp_pending pending; /* the last interval, not yet reported */
    struct pmu_elster_lp_item queue[3];
    unsigned q_head, q_len;
};

/* scaler: decimal exponent of the value text, e.g. -6 for mWh -> kWh (the model
 * file's load_profile.scaler). */
void pmu_elster_lp_init(struct pmu_elster_lp *d, int scaler);

/* Feeds len bytes; *used says how many were consumed. Returns
 *   PMU_OK     an interval or event is in *out
 *   PMU_AGAIN  every byte was consumed, nothing to report yet
 *   PMU_DONE   the end marker was seen and everything reported; the rest is padding
 *   PMU_E_SYNTAX / PMU_E_RANGE   bad stream at err->offset; the decoder stays failed
 * An interval is reported once a later record or the end shows it complete, so an
 * event can come before the interval that precedes it in the stream. The result is
 * the same for any chunking of the same bytes. */
enum pmu_status pmu_elster_lp_feed(struct pmu_elster_lp *d, const uint8_t *in, size_t len,
                                   size_t *used, struct pmu_elster_lp_item *out,
                                   struct pmu_error *err);
/* End of input: reports what is still held (PMU_OK, call again), then PMU_DONE;
 * PMU_E_TRUNCATED when the input stopped inside an entry. */
enum pmu_status pmu_elster_lp_finish(struct pmu_elster_lp *d, struct pmu_elster_lp_item *out,
                                     struct pmu_error *err);

/* Encoders for pmu-sim: each appends one entry to buf and returns its length, or
 * PMU_E_TOO_LONG / PMU_E_RANGE / PMU_E_INVALID. time must fit in uint32. */
long pmu_elster_lp_put_header(unsigned marker, int64_t time, uint16_t channel_word,
                              unsigned period_min, uint8_t *buf, size_t size);
long pmu_elster_lp_put_event(unsigned marker, int64_t time, uint8_t *buf, size_t size);
long pmu_elster_lp_put_record(uint8_t status, const uint64_t *values, size_t n, uint8_t *buf,
                              size_t size);
long pmu_elster_lp_put_external(const uint8_t *data, size_t len, uint8_t *buf, size_t size);
long pmu_elster_lp_put_end(uint8_t *buf, size_t size);

/* ---- Models (models/<model>.json) ------------------------------------------------- */

enum pmu_elster_encoding {
    PMU_ELSTER_ENC_ASCII,             /* text, NUL or space padded */
    PMU_ELSTER_ENC_BCD_LE_ENERGY,     /* 8-byte LE BCD energy registers */
    PMU_ELSTER_ENC_MD_RECORD,         /* 12-byte MD records */
    PMU_ELSTER_ENC_CMD_RECORD,        /* 9-byte cumulative MD records */
    PMU_ELSTER_ENC_DATETIME_BCD,      /* 861 */
    PMU_ELSTER_ENC_RATIO_BCD,         /* 614 / 616 */
    PMU_ELSTER_ENC_U8,                /* byte array (sources, TOU tables) */
    PMU_ELSTER_ENC_U16_LE,
    PMU_ELSTER_ENC_U16_BE,
    PMU_ELSTER_ENC_U32_LE,
    PMU_ELSTER_ENC_RAW,               /* layout not public: kept as bytes */
    PMU_ELSTER_ENC_BILLING_SET,       /* 543 */
    PMU_ELSTER_ENC_EVENTS,            /* 544 */
    PMU_ELSTER_ENC_COUNTER,           /* 680 / 693 / 694 / 695 */
    PMU_ELSTER_ENC_INSTANT,           /* 606 */
    PMU_ELSTER_ENC_STATUS,            /* 724 / 691 */
    PMU_ELSTER_ENC_CHANNEL_MASK,      /* 777 */
    PMU_ELSTER_ENC_PERIOD,            /* 878 */
    PMU_ELSTER_ENC_LP_SELECTION,      /* 551 */
    PMU_ELSTER_ENC_LP_STREAM,         /* 550 */
    PMU_ELSTER_ENC_ACTION             /* write-only, empty data (655) */
};
const char *pmu_elster_encoding_name(enum pmu_elster_encoding e);
enum pmu_status pmu_elster_encoding_from_name(const char *name, enum pmu_elster_encoding *out);

struct pmu_elster_identity {
    unsigned id;                      /* 0..999 */
    const char *name;
    size_t length;                    /* bytes of one set (0 for streams and actions) */
    unsigned sets;                    /* historical sets; 1 for a plain item */
    size_t element;                   /* bytes per element of an array, 0 = one value */
    enum pmu_elster_encoding encoding;
    bool readable, writable;
    const char *unit;                 /* NULL when none; per-element units come from
                                         the source table */
    int scaler;                       /* value text = raw x 10^scaler */
    bool has_obis;
    struct pmu_obis obis;
    size_t n_sources;                 /* source code of each element, or none */
    const int *sources;
    char confidence;                  /* 'H', 'M' or 'L' */
    bool openpmu_choice;              /* layout defined by openpmu (docs/elster.md) */
};

/* Energy type (source) codes, numbered per model. */
struct pmu_elster_source {
    int code;
    const char *name;
    uint8_t obis_c;                   /* 0 for "none" */
    const char *energy_unit;          /* "kWh" */
    const char *demand_unit;          /* "kW" */
};

struct pmu_elster_model {
    const char *name;                 /* "A1700-16TOU" */
    const char *family;               /* "A1700" */
    char confidence;
    const char *maker;                /* "GEC" */
    const char *master_unit;          /* "09" */
    size_t n_devices;
    const char **devices;             /* device numbers, "*" = any other */
    unsigned tou_registers, md_registers, cdr_count;
    size_t packet_size;
    unsigned password_levels, password_timeout_s;
    bool load_profile;
    unsigned lp_channels;
    int lp_scaler;
    const char *lp_unit;
    size_t n_sources;
    struct pmu_elster_source *sources;
    size_t n_identities;
    struct pmu_elster_identity *identities;
    struct pmu_arena *arena;          /* owns everything above */
};

/* Parses one model file. Errors name the JSON path:
 * "identities[3].length: expected a positive number". */
enum pmu_status pmu_elster_model_load(const char *json_text, size_t len,
                                      struct pmu_elster_model *out, struct pmu_error *err);
void pmu_elster_model_free(struct pmu_elster_model *m);

const struct pmu_elster_identity *pmu_elster_model_identity(const struct pmu_elster_model *m,
                                                            unsigned id);
const struct pmu_elster_source *pmu_elster_model_source(const struct pmu_elster_model *m,
                                                        int code);
/* 2 when the model lists the ident's device number, 1 when it takes any device of its
 * maker and master unit ("*"), 0 when it does not fit. */
int pmu_elster_model_match(const struct pmu_elster_model *m, const struct pmu_elster_ident *id);
/* The best model for an identification text among n models (exact device beats "*");
 * PMU_E_UNSUPPORTED naming the maker, master unit and device when none fits. */
enum pmu_status pmu_elster_model_select(const struct pmu_elster_model *models, size_t n,
                                        const char *ident, size_t len, size_t *index,
                                        struct pmu_error *err);

#endif
