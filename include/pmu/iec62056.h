/* IEC 62056-21 (ex IEC 61107, "FLAG") messages: building, incremental parsing and the
 * pieces they are made of. Pure code: every function works on memory buffers.
 *
 * Message kinds on the line:
 *   sign-on        "/?" [address] "!" CR LF
 *   identification "/" XXX Z ["\" W ...] ident CR LF
 *   option select  ACK V Z Y CR LF
 *   ACK, NAK       single bytes
 *   command        SOH C D [STX data] ETX|EOT BCC
 *   data           STX data ETX|EOT BCC      (readout when data ends in "!" CR LF)
 *   text           unframed lines (mode D push telegrams, published captures)
 * Anything else between messages is reported as noise. */
#ifndef PMU_IEC62056_H
#define PMU_IEC62056_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pmu/error.h"

enum {
    PMU_SOH = 0x01, PMU_STX = 0x02, PMU_ETX = 0x03, PMU_EOT = 0x04,
    PMU_ACK = 0x06, PMU_NAK = 0x15, PMU_CR = 0x0D, PMU_LF = 0x0A
};

/* Longest device address in a sign-on request and identification text. */
#define PMU_IEC_ADDRESS_MAX 32
#define PMU_IEC_IDENT_MAX 32

/* ---- Block check character ------------------------------------------------------ */

/* XOR is the standard; SUM7 (sum of the same bytes & 0x7F) is used by Energomera. */
enum pmu_checksum { PMU_CHECKSUM_XOR, PMU_CHECKSUM_SUM7 };

const char *pmu_checksum_name(enum pmu_checksum c);
enum pmu_status pmu_checksum_from_name(const char *name, enum pmu_checksum *out);

/* Checksum of n bytes: those after SOH/STX up to and including ETX/EOT. */
uint8_t pmu_iec_bcc(enum pmu_checksum c, const uint8_t *p, size_t n);

/* Software 7E1 over an 8N1 link: set bit 7 so the byte has even parity, and the
 * reverse check. */
uint8_t pmu_iec_parity_add(uint8_t c);
bool pmu_iec_parity_ok(uint8_t c);

/* ---- Baud rates and modes -------------------------------------------------------- */

enum pmu_iec_mode { PMU_IEC_MODE_A, PMU_IEC_MODE_B, PMU_IEC_MODE_C, PMU_IEC_MODE_E };

const char *pmu_iec_mode_name(enum pmu_iec_mode m);

/* Baud rate announced by character z in mode C/E ('0'..'6') or mode B ('A'..'F');
 * returns 0 for any other character (mode A: stay at 300 baud). */
unsigned pmu_iec_baud_rate(char z);

/* The mode-C character for a rate (300 -> '0' ... 19200 -> '6'), or 0. */
char pmu_iec_baud_char(unsigned rate);

/* ---- Identification ------------------------------------------------------------ */

struct pmu_iec_ident {
    char manufacturer[4];      /* "LGZ", as sent (case kept) */
    char baud_char;            /* Z */
    enum pmu_iec_mode mode;    /* inferred from Z and "\2" */
    unsigned baud;             /* highest rate the meter offers */
    bool fast_reaction;        /* lower-case third letter: 20 ms reaction time */
    char enhanced[8];          /* W characters of "\W" sequences, NUL-terminated */
    char id[PMU_IEC_IDENT_MAX + 1];
};

/* msg is the whole message from '/' on; the trailing CR LF may be absent. */
enum pmu_status pmu_iec_ident_parse(const uint8_t *msg, size_t len, struct pmu_iec_ident *out,
                                    struct pmu_error *err);

/* ---- Building messages ---------------------------------------------------------- *
 * Each writes into buf (size bytes) and returns the message length, or a negative
 * status: PMU_E_TOO_LONG when buf is too small, PMU_E_INVALID for bad fields. */

long pmu_iec_build_signon(const char *address, uint8_t *buf, size_t size);
long pmu_iec_build_ident(const struct pmu_iec_ident *id, uint8_t *buf, size_t size);
long pmu_iec_build_option(char protocol, char baud_char, char mode, uint8_t *buf, size_t size);
/* cmd is two characters such as "R1"; data may be NULL for a command without STX. */
long pmu_iec_build_command(enum pmu_checksum ck, const char *cmd, const uint8_t *data,
                           size_t len, uint8_t *buf, size_t size);
/* STX data ETX|EOT BCC: a readout (data ends in "!" CR LF) or an answer. */
long pmu_iec_build_data(enum pmu_checksum ck, const uint8_t *data, size_t len, bool partial,
                        uint8_t *buf, size_t size);

/* ---- Incremental parser ---------------------------------------------------------- */

enum pmu_iec_kind {
    PMU_IEC_NOISE,        /* bytes that start no message (line noise, wake-up NULs) */
    PMU_IEC_SIGNON,
    PMU_IEC_IDENT,
    PMU_IEC_OPTION,
    PMU_IEC_ACK,
    PMU_IEC_NAK,
    PMU_IEC_COMMAND,
    PMU_IEC_DATA,
    PMU_IEC_TEXT
};

enum pmu_bcc_verdict { PMU_BCC_ABSENT, PMU_BCC_OK, PMU_BCC_BAD };

const char *pmu_iec_kind_name(enum pmu_iec_kind k);
const char *pmu_bcc_verdict_name(enum pmu_bcc_verdict v);

struct pmu_iec_frame {
    enum pmu_iec_kind kind;
    size_t offset;             /* stream offset of the first byte */
    const uint8_t *raw;        /* the message as received (parity stripped if asked) */
    size_t raw_len;
    const uint8_t *data;       /* payload: data block, command data, text, the ident
                                  or sign-on line without CR LF */
    size_t data_len;
    size_t data_offset;        /* stream offset of data[0] */
    char cmd[3];               /* command "R1"; option select "051" is in data */
    bool has_data;             /* command carried an STX part */
    bool partial;              /* block ended with EOT: more blocks follow */
    bool readout;              /* data ends with the "!" end-of-readout line */
    enum pmu_bcc_verdict bcc;
    uint8_t bcc_received, bcc_computed;
};

struct pmu_iec_parser_options {
    enum pmu_checksum checksum;
    bool strip_parity;         /* clear bit 7 of every byte (7E1 read as 8N1) */
    bool no_option_select;     /* stream never carries option select (bytes from a
                                  meter): report ACK at once, don't wait for V Z Y */
    size_t max_frame;          /* longest message accepted, framing included; 0 = 16 MiB */
};

struct pmu_iec_parser {
    struct pmu_iec_parser_options opt;
    int state;
    size_t offset;             /* stream offset of the next byte */
    size_t start;              /* stream offset of the message being collected */
    uint8_t *buf;              /* message being collected */
    size_t len, cap;
    size_t data_start;         /* index in buf where the payload starts */
    uint8_t acc;               /* running checksum */
    bool at_line_start;        /* text state: next byte begins a line */
    bool pending_reset;        /* buf holds the last frame returned: drop it first */
    enum pmu_status error;     /* code of the error being returned */
};

enum pmu_status pmu_iec_parser_init(struct pmu_iec_parser *p,
                                    const struct pmu_iec_parser_options *opt);
void pmu_iec_parser_free(struct pmu_iec_parser *p);
/* Forget any partly received message (after a link timeout, a baud change ...). */
void pmu_iec_parser_reset(struct pmu_iec_parser *p);

/* Feeds len bytes; *used says how many were consumed. Returns
 *   PMU_OK       a message is in *out (valid until the next call)
 *   PMU_AGAIN    every byte was consumed and no message is complete yet
 *   PMU_E_BCC    a framed message is in *out with bcc == PMU_BCC_BAD
 *   PMU_E_SYNTAX / PMU_E_TOO_LONG   malformed message at err->offset; the parser has
 *                skipped it and is ready for the next bytes.
 * Call again with the remaining bytes until PMU_AGAIN. The result is the same for
 * any chunking of the same bytes. */
enum pmu_status pmu_iec_parser_feed(struct pmu_iec_parser *p, const uint8_t *in, size_t len,
                                    size_t *used, struct pmu_iec_frame *out,
                                    struct pmu_error *err);

/* End of input: returns a last message (PMU_OK), PMU_E_TRUNCATED for a framed message
 * cut short (its bytes are in *out as noise), or PMU_DONE when nothing is pending. */
enum pmu_status pmu_iec_parser_finish(struct pmu_iec_parser *p, struct pmu_iec_frame *out,
                                      struct pmu_error *err);

#endif
