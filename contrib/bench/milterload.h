/*
 * milterload.h - shared declarations of the milter load client
 *
 * milterload.c speaks the milter protocol and runs the levels;
 * milterload_aux.c parses options and the message list, collects
 * latencies, samples the milter's memory and prints the table.
 */
#ifndef MILTERLOAD_H
#define MILTERLOAD_H

#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Protocol flags (libmilter's mfdef.h), milter protocol version 6. */
#define SMFIP_NOCONNECT 0x00000001
#define SMFIP_NOHELO 0x00000002
#define SMFIP_NOMAIL 0x00000004
#define SMFIP_NORCPT 0x00000008
#define SMFIP_NOBODY 0x00000010
#define SMFIP_NOHDRS 0x00000020
#define SMFIP_NOEOH 0x00000040
#define SMFIP_NR_HDR 0x00000080
#define SMFIP_NOUNKNOWN 0x00000100
#define SMFIP_NODATA 0x00000200
#define SMFIP_SKIP 0x00000400
#define SMFIP_RCPT_REJ 0x00000800
#define SMFIP_NR_CONN 0x00001000
#define SMFIP_NR_HELO 0x00002000
#define SMFIP_NR_MAIL 0x00004000
#define SMFIP_NR_RCPT 0x00008000
#define SMFIP_NR_DATA 0x00010000
#define SMFIP_NR_UNKN 0x00020000
#define SMFIP_NR_EOH 0x00040000
#define SMFIP_NR_BODY 0x00080000
#define SMFIP_HDR_LEADSPC 0x00100000

/* The steps offered: every one a milter may leave out or not answer
 * (0x001fffff). milterload never sends unknown commands or rejected
 * recipients, so NOUNKNOWN, NR_UNKN and RCPT_REJ change nothing. */
#define OFFER_STEPS                                                                                \
	(SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT | SMFIP_NOBODY |             \
	 SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NR_HDR | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_SKIP | \
	 SMFIP_RCPT_REJ | SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT |          \
	 SMFIP_NR_DATA | SMFIP_NR_UNKN | SMFIP_NR_EOH | SMFIP_NR_BODY | SMFIP_HDR_LEADSPC)
/* The actions offered (libmilter's mfapi.h SMFIF_*): all of them, 0x1ff. */
#define SMFIF_SETSYMLIST 0x00000100
#define OFFER_ACTIONS 0x000001ff

/* Macro stages (SMFIM_*), in the order of the milter's macro lists. */
enum { M_CONNECT, M_HELO, M_MAIL, M_RCPT, M_DATA, M_EOM, M_EOH, M_STAGES };
#define MAX_SYMLIST 512 /* longest macro list kept for one stage */

#define BODY_CHUNK 65535	/* MILTER_CHUNK_SIZE */
#define MAX_REPLY (1024 * 1024) /* longest reply packet accepted */
#define MAX_LEVELS 16
#define MAX_MSG_BYTES (64 * 1024 * 1024) /* one message file */
#define MAX_HEADERS 10000

enum { V_ACCEPT, V_REJECT, V_TEMPFAIL, V_OTHER, V_COUNT };

struct opts {
	const char *sock; /* as given */
	const char *path; /* UNIX socket path */
	bool is_unix;
	struct addrinfo *ai; /* TCP address */
	int levels[MAX_LEVELS];
	int nlevels;
	double durations;	/* seconds per level */
	unsigned long messages; /* per level; 0 = no limit */
	int per_conn;
	int timeout; /* seconds per read or write */
	int pid;     /* milter process to sample, or 0 */
	bool nodelay, quickack;
	double rate; /* open loop: transactions started per second; 0 = closed loop */
	const char *list;
};

struct header {
	char *name;
	char *value; /* without the leading space; folds as "\n" */
};

struct msg {
	char ip[64];
	char family[2]; /* "4" or "6" */
	char host[80];	/* "[ip]" */
	char helo[256];
	char from[512];
	char rcpt[512];
	struct header *hdr;
	size_t nhdr;
	char *body; /* CRLF line ends */
	size_t blen;
};

struct lats {
	uint32_t *v; /* microseconds */
	size_t n, a;
};

struct worker {
	pthread_t tid;
	int id;
	uint32_t proto; /* the milter's protocol flags */
	/* The macros the milter asked for per stage (SMFIF_SETSYMLIST), names
	 * separated by spaces; when unset, milterload's defaults. */
	bool symset[M_STAGES];
	char syms[M_STAGES][MAX_SYMLIST];
	bool early; /* the last transaction ended before end of message */
	unsigned long qids;
	unsigned long verdicts[V_COUNT];
	unsigned long errors;
	struct lats eom;   /* sending end of message to its final reply */
	struct lats total; /* open loop: scheduled start to that reply */
	unsigned char rbuf[MAX_REPLY + 1];
};

struct level {
	int conns;
	double secs;
	long rss_kb;	      /* peak sampled VmRSS, -1 if not sampled */
	double rate;	      /* offered rate (open loop), 0 for closed loop */
	unsigned long missed; /* open loop: scheduled starts never made */
};

double ml_now(void);
void ml_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void opts_parse(int argc, char **argv, struct opts *o);
struct msg *list_load(const char *path, size_t *n);
void lat_add(struct lats *l, double usec);
long rss_watch(int pid, atomic_bool *done);
void level_header(bool open);
void level_report(const struct level *lv, struct worker *w, int n);

#endif
