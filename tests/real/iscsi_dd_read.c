/* The lab's own iSCSI initiator (tests/real/iscsi_lab.sh --initiator own): plain sockets, no
 * libiscsi, because libiscsi never offers DataDigest and the NIC's data digest check needs
 * captures that carry them.
 *
 *   iscsi_dd_read [options] LBA:BLOCKS...
 *     --target IQN       target name (required)
 *     --lun N            LUN (default 0)
 *     --port N           TCP port on 127.0.0.1 (default 3260)
 *     --hd crc32c|none   HeaderDigest offered (default crc32c, offered alone)
 *     --dd crc32c|none   DataDigest offered (default crc32c, offered alone)
 *     --mrdsl N          our MaxRecvDataSegmentLength, caps every Data-In (default 8192)
 *     --mbl N            MaxBurstLength offered (default 262144)
 *     --qd N             READs in flight at most (default 4)
 *     --no-security      start the login in LoginOperationalNegotiation
 *
 * Logs in, sends TEST UNIT READY until GOOD (a target's first command of a session may get a
 * unit attention), issues READ(10)s with up to QD in flight within the CmdSN window, checks
 * every Data-In (header and data digest with its own CRC32C, DataSN and Buffer Offset order,
 * length, status) and every byte against the lab's LUN pattern (the 8-byte word at byte 8k
 * holds k, big-endian), answers NOP-In pings and logs out. Prints what was negotiated and the
 * counts; exits non-zero with one "iscsi_dd_read: ..." line on any error. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

enum { BLOCK = 512, BHS = 48, MAX_KEYS = 64 };
enum {
  OP_NOP_OUT = 0x00, OP_CMD = 0x01, OP_LOGIN = 0x03, OP_LOGOUT = 0x06,
  OP_NOP_IN = 0x20, OP_RSP = 0x21, OP_LOGIN_RSP = 0x23, OP_DATA_IN = 0x25,
  OP_LOGOUT_RSP = 0x26, OP_R2T = 0x31, OP_ASYNC = 0x32, OP_REJECT = 0x3f
};
#define IMMEDIATE 0x40
#define RESERVED_TAG 0xffffffffu

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("iscsi_dd_read: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

/* CRC32C (Castagnoli, reflected 0x82F63B78), table-driven; iSCSI sends it LSB first. */
static uint32_t crc_table[256];
static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
    crc_table[i] = c;
  }
}
static uint32_t crc32c(const uint8_t *p, size_t n) {
  uint32_t c = 0xffffffffu;
  while (n--) c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}
static void put_le32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i); }
static uint32_t get_le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void put_be32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (24 - 8 * i)); }
static uint32_t get_be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static uint32_t get_be24(const uint8_t *p) { return p[0] << 16 | p[1] << 8 | p[2]; }
static int sn_lte(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }  /* RFC 1982 */

/* ---- connection ---- */
static int sock = -1;
static int hd_on, dd_on;         /* digests in force (full-feature phase only) */
static uint32_t cmdsn = 1, expstatsn, maxcmdsn = 1;
static uint8_t isid[6] = {0x40, 0x00, 0x01, 0x37, 0x4e, 0x53};  /* random format, fixed */
static uint16_t tsih;
static uint32_t target_mrdsl = 8192;  /* what the target receives (declared by it) */
static struct {
  uint64_t pdus, hdgst, ddgst, data_in, data_in_with_data, pad_bytes, nops, max_dsl;
} count;

static void send_all(const uint8_t *p, size_t n) {
  while (n) {
    ssize_t k = send(sock, p, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) die("send failed: %s", strerror(errno));
    p += k;
    n -= (size_t)k;
  }
}
/* 0 at a clean end of stream before any byte; dies on a short read. */
static int recv_all(uint8_t *p, size_t n, int eof_ok) {
  size_t got = 0;
  while (got < n) {
    ssize_t k = recv(sock, p + got, n - got, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) die("no PDU from the target for 10 s");
    if (k < 0) die("recv failed: %s", strerror(errno));
    if (k == 0) {
      if (got == 0 && eof_ok) return 0;
      die("the target closed the connection%s", got ? " in the middle of a PDU" : "");
    }
    got += (size_t)k;
  }
  return 1;
}

/* Sends BHS + data segment (padded), with the digests in force. */
static void send_pdu(uint8_t *bhs, const uint8_t *data, uint32_t len) {
  uint8_t buf[BHS + 4 + 4096 + 8];
  if (len > 4096) die("internal: PDU data too long");
  bhs[4] = 0;
  bhs[5] = (uint8_t)(len >> 16), bhs[6] = (uint8_t)(len >> 8), bhs[7] = (uint8_t)len;
  size_t n = BHS;
  memcpy(buf, bhs, BHS);
  if (hd_on) put_le32(buf + n, crc32c(buf, BHS)), n += 4;
  if (len) {
    uint32_t padded = (len + 3) & ~3u;
    memcpy(buf + n, data, len);
    memset(buf + n + len, 0, padded - len);
    if (dd_on) put_le32(buf + n + padded, crc32c(buf + n, padded));
    n += padded + (dd_on ? 4 : 0);
  }
  send_all(buf, n);
}

struct pdu {
  uint8_t bhs[BHS];
  uint8_t *data;  /* DataSegmentLength bytes, pad stripped */
  uint32_t len;
};

/* Receives one PDU and checks its digests; 0 at end of stream when eof_ok. */
static int recv_pdu(struct pdu *p, int eof_ok) {
  static uint8_t *buf;
  static size_t cap;
  if (!recv_all(p->bhs, BHS, eof_ok)) return 0;
  uint32_t ahs = p->bhs[4] * 4u, len = get_be24(p->bhs + 5), padded = (len + 3) & ~3u;
  if (ahs) die("PDU opcode 0x%02x carries %u AHS bytes (none expected)", p->bhs[0] & 0x3f, ahs);
  if (hd_on) {
    uint8_t d[4];
    recv_all(d, 4, 0);
    if (get_le32(d) != crc32c(p->bhs, BHS))
      die("bad header digest on PDU opcode 0x%02x ITT 0x%08x", p->bhs[0] & 0x3f, get_be32(p->bhs + 16));
    count.hdgst++;
  }
  if (padded + 4 > cap) {
    cap = padded + 4;
    if (!(buf = realloc(buf, cap))) die("out of memory");
  }
  if (len) {
    recv_all(buf, padded + (dd_on ? 4 : 0), 0);
    for (uint32_t i = len; i < padded; i++)
      if (buf[i]) die("pad byte %u of PDU opcode 0x%02x is not zero", i - len, p->bhs[0] & 0x3f);
    if (dd_on) {
      if (get_le32(buf + padded) != crc32c(buf, padded))
        die("bad data digest on PDU opcode 0x%02x ITT 0x%08x", p->bhs[0] & 0x3f, get_be32(p->bhs + 16));
      count.ddgst++;
    }
    count.pad_bytes += padded - len;
  }
  p->data = buf;
  p->len = len;
  count.pdus++;
  return 1;
}

/* ---- login ---- */
struct keys { int n; char *k[MAX_KEYS], *v[MAX_KEYS]; };
static const char *key_get(const struct keys *ks, const char *k) {
  for (int i = 0; i < ks->n; i++)
    if (!strcmp(ks->k[i], k)) return ks->v[i];
  return NULL;
}
static void keys_parse(struct keys *ks, const uint8_t *data, uint32_t len) {
  for (uint32_t at = 0; at < len;) {
    const char *s = (const char *)data + at;
    size_t n = strnlen(s, len - at);
    if (n) {
      const char *eq = memchr(s, '=', n);
      if (!eq) die("login text '%.*s' has no '='", (int)n, s);
      if (ks->n == MAX_KEYS) die("too many login keys");
      ks->k[ks->n] = strndup(s, (size_t)(eq - s));
      ks->v[ks->n++] = strndup(eq + 1, n - (size_t)(eq - s) - 1);
    }
    at += (uint32_t)n + 1;
  }
}
static void text_add(char *text, uint32_t *len, const char *k, const char *v) {
  int n = snprintf(text + *len, 4096 - *len, "%s=%s", k, v);
  if (n < 0 || *len + (uint32_t)n + 1 > 4096) die("internal: login text too long");
  *len += (uint32_t)n + 1;  /* keeps the NUL */
}

/* The keys the target sent over the whole login, for the report and the checks. */
static struct keys target_keys;

/* One Login Request of stage csg (to nsg with T), then its responses until the target moves
 * on; returns the stage the target moved to. */
static int login_stage(int csg, int nsg, const char *text, uint32_t len, int *transit_to) {
  uint8_t bhs[BHS] = {0};
  struct pdu p;
  for (;;) {
    memset(bhs, 0, BHS);
    bhs[0] = IMMEDIATE | OP_LOGIN;
    bhs[1] = (uint8_t)(0x80 | csg << 2 | nsg);
    memcpy(bhs + 8, isid, 6);
    bhs[14] = (uint8_t)(tsih >> 8), bhs[15] = (uint8_t)tsih;
    put_be32(bhs + 16, 0);          /* ITT */
    put_be32(bhs + 24, cmdsn);      /* a Login is immediate: CmdSN does not advance */
    put_be32(bhs + 28, expstatsn);
    send_pdu(bhs, (const uint8_t *)text, len);
    recv_pdu(&p, 0);
    int op = p.bhs[0] & 0x3f;
    if (op != OP_LOGIN_RSP) die("expected a Login Response, got opcode 0x%02x", op);
    if (p.bhs[36] || p.bhs[37])
      die("login rejected: status class 0x%02x detail 0x%02x", p.bhs[36], p.bhs[37]);
    tsih = (uint16_t)(p.bhs[14] << 8 | p.bhs[15]);
    expstatsn = get_be32(p.bhs + 24) + 1;
    maxcmdsn = get_be32(p.bhs + 32);
    keys_parse(&target_keys, p.data, p.len);
    int t = p.bhs[1] & 0x80, c = p.bhs[1] & 0x40;
    if (t && !c) {
      *transit_to = p.bhs[1] & 3;
      return csg;
    }
    /* The target wants another round (more text or not ready to move): ask again, no keys. */
    len = 0;
  }
}

static int offered_alone(const char *answer, const char *offer, const char *what) {
  if (!answer) {
    if (!strcmp(offer, "None")) return 0;
    die("the target did not answer %s=%s", what, offer);
  }
  if (strcmp(answer, offer)) die("the target answered %s=%s to our %s=%s", what, answer, what, offer);
  return !strcmp(offer, "CRC32C");
}

static void login(const char *target, int skip_security, const char *hd, const char *dd,
                  uint32_t mrdsl, uint32_t mbl) {
  char text[4096];
  uint32_t len = 0;
  char num[32];
  int next = -1;
  if (!skip_security) {
    text_add(text, &len, "InitiatorName", "iqn.2026-01.org.nicsim:lab-own-initiator");
    text_add(text, &len, "SessionType", "Normal");
    text_add(text, &len, "TargetName", target);
    text_add(text, &len, "AuthMethod", "None");
    login_stage(0, 1, text, len, &next);
    if (next == 3) die("the target went to full-feature phase without operational negotiation");
    if (next != 1) die("the target moved to login stage %d after security negotiation", next);
    len = 0;
  } else {
    text_add(text, &len, "InitiatorName", "iqn.2026-01.org.nicsim:lab-own-initiator");
    text_add(text, &len, "SessionType", "Normal");
    text_add(text, &len, "TargetName", target);
  }
  text_add(text, &len, "HeaderDigest", hd);
  text_add(text, &len, "DataDigest", dd);
  snprintf(num, sizeof num, "%u", mrdsl);
  text_add(text, &len, "MaxRecvDataSegmentLength", num);
  snprintf(num, sizeof num, "%u", mbl);
  text_add(text, &len, "MaxBurstLength", num);
  text_add(text, &len, "FirstBurstLength", "65536");
  text_add(text, &len, "InitialR2T", "Yes");
  text_add(text, &len, "ImmediateData", "No");
  text_add(text, &len, "MaxConnections", "1");
  text_add(text, &len, "DataPDUInOrder", "Yes");
  text_add(text, &len, "DataSequenceInOrder", "Yes");
  text_add(text, &len, "ErrorRecoveryLevel", "0");
  text_add(text, &len, "DefaultTime2Wait", "0");
  text_add(text, &len, "DefaultTime2Retain", "0");
  text_add(text, &len, "MaxOutstandingR2T", "1");
  login_stage(1, 3, text, len, &next);
  if (next != 3) die("the target did not move to full-feature phase (next stage %d)", next);

  hd_on = offered_alone(key_get(&target_keys, "HeaderDigest"), hd, "HeaderDigest");
  dd_on = offered_alone(key_get(&target_keys, "DataDigest"), dd, "DataDigest");
  const char *t_mrdsl = key_get(&target_keys, "MaxRecvDataSegmentLength");
  if (t_mrdsl) target_mrdsl = (uint32_t)strtoul(t_mrdsl, 0, 10);
  const char *t_mbl = key_get(&target_keys, "MaxBurstLength");
  printf("negotiated: HeaderDigest=%s DataDigest=%s MaxRecvDataSegmentLength initiator=%u "
         "target=%u%s MaxBurstLength=%s\n", hd_on ? "CRC32C" : "None", dd_on ? "CRC32C" : "None",
         mrdsl, target_mrdsl, t_mrdsl ? "" : " (not sent: the default)", t_mbl ? t_mbl : "(not answered)");
  printf("target keys:");
  for (int i = 0; i < target_keys.n; i++) printf(" %s=%s", target_keys.k[i], target_keys.v[i]);
  printf("\n");
}

/* ---- full-feature phase ---- */
struct task {
  uint32_t itt, lba, blocks, expected_len, received, next_datasn;
  int in_flight, done, tur;
  uint8_t status;
};

static void send_command(struct task *t, uint32_t lun) {
  uint8_t bhs[BHS] = {0};
  bhs[0] = OP_CMD;
  bhs[1] = t->tur ? 0x81 : 0xc1;  /* F (| R for a READ), Simple task attribute */
  bhs[9] = (uint8_t)lun;          /* single-level LUN below 256 */
  put_be32(bhs + 16, t->itt);
  put_be32(bhs + 20, t->expected_len);
  put_be32(bhs + 24, cmdsn++);
  put_be32(bhs + 28, expstatsn);
  if (!t->tur) {  /* READ(10) */
    bhs[32] = 0x28;
    put_be32(bhs + 34, t->lba);
    bhs[39] = (uint8_t)(t->blocks >> 8), bhs[40] = (uint8_t)t->blocks;
  }
  send_pdu(bhs, NULL, 0);
  t->in_flight = 1;
}

static void answer_nop(const struct pdu *p) {
  uint8_t bhs[BHS] = {0};
  bhs[0] = IMMEDIATE | OP_NOP_OUT;
  bhs[1] = 0x80;
  memcpy(bhs + 8, p->bhs + 8, 8);   /* LUN */
  put_be32(bhs + 16, RESERVED_TAG);
  memcpy(bhs + 20, p->bhs + 20, 4); /* the target's TTT */
  put_be32(bhs + 24, cmdsn);
  put_be32(bhs + 28, expstatsn);
  send_pdu(bhs, p->data, p->len < 4096 ? p->len : 0);
  count.nops++;
}

static void update_sn(const struct pdu *p) {
  uint32_t max = get_be32(p->bhs + 32), exp = get_be32(p->bhs + 28);
  if (sn_lte(exp - 1, max) && sn_lte(maxcmdsn, max)) maxcmdsn = max;  /* ignores stale windows */
}

static void check_pattern(const struct task *t, uint32_t off, const uint8_t *d, uint32_t n) {
  uint64_t at = (uint64_t)t->lba * BLOCK + off;
  for (uint32_t i = 0; i < n; i++, at++) {
    uint8_t want = (uint8_t)((at / 8) >> (8 * (7 - at % 8)));
    if (d[i] != want)
      die("READ LBA %u blocks %u: byte %u is 0x%02x, the LUN pattern has 0x%02x", t->lba,
          t->blocks, off + i, d[i], want);
  }
}

static struct task *find_task(struct task *ts, int n, uint32_t itt) {
  for (int i = 0; i < n; i++)
    if (ts[i].itt == itt && ts[i].in_flight) return &ts[i];
  die("PDU for ITT 0x%08x, which has no command in flight", itt);
  return NULL;
}

static void finish(struct task *t, uint8_t status, const struct pdu *p) {
  t->in_flight = 0;
  t->done = 1;
  t->status = status;
  if (t->tur) return;
  if (status) die("READ LBA %u blocks %u ended with SCSI status 0x%02x", t->lba, t->blocks, status);
  if (t->received != t->expected_len)
    die("READ LBA %u blocks %u: %u of %u bytes came", t->lba, t->blocks, t->received, t->expected_len);
  if (p->bhs[1] & 0x06) die("READ LBA %u blocks %u: residual (flags 0x%02x)", t->lba, t->blocks, p->bhs[1]);
}

/* Handles one PDU from the target. */
static void handle(struct task *ts, int n, const struct pdu *p) {
  int op = p->bhs[0] & 0x3f;
  uint32_t itt = get_be32(p->bhs + 16);
  switch (op) {
    case OP_DATA_IN: {
      update_sn(p);
      struct task *t = find_task(ts, n, itt);
      uint32_t datasn = get_be32(p->bhs + 36), off = get_be32(p->bhs + 40);
      count.data_in++;
      count.data_in_with_data += p->len > 0;
      if (p->len > count.max_dsl) count.max_dsl = p->len;
      if (t->tur) die("Data-In for TEST UNIT READY");
      if (datasn != t->next_datasn)
        die("READ LBA %u: DataSN %u where %u was next", t->lba, datasn, t->next_datasn);
      if (off != t->received)
        die("READ LBA %u: Buffer Offset %u where %u was next", t->lba, off, t->received);
      if (p->len > 0 && p->len > (uint32_t)-1 - off) die("Buffer Offset overflow");
      if (off + p->len > t->expected_len)
        die("READ LBA %u: Data-In ends at %u, past the %u bytes asked", t->lba, off + p->len, t->expected_len);
      check_pattern(t, off, p->data, p->len);
      t->next_datasn++;
      t->received += p->len;
      if (p->bhs[1] & 0x01) {
        if (!(p->bhs[1] & 0x80)) die("Data-In with S but without F");
        expstatsn = get_be32(p->bhs + 24) + 1;
        finish(t, p->bhs[3], p);
      }
      break;
    }
    case OP_RSP: {
      update_sn(p);
      struct task *t = find_task(ts, n, itt);
      expstatsn = get_be32(p->bhs + 24) + 1;
      if (p->bhs[2]) die("SCSI Response with response 0x%02x for ITT 0x%08x", p->bhs[2], itt);
      if (get_be32(p->bhs + 36) != t->next_datasn)
        die("SCSI Response ExpDataSN %u after %u Data-In", get_be32(p->bhs + 36), t->next_datasn);
      finish(t, p->bhs[3], p);
      break;
    }
    case OP_NOP_IN:
      update_sn(p);
      if (itt != RESERVED_TAG) die("NOP-In answering a NOP-Out we never sent");
      if (get_be32(p->bhs + 20) != RESERVED_TAG) answer_nop(p);
      break;
    case OP_ASYNC:
      update_sn(p);
      die("Async Message (event %u) from the target", p->bhs[36]);
      break;
    case OP_REJECT:
      die("the target rejected a PDU (reason 0x%02x)", p->bhs[2]);
      break;
    case OP_R2T:
      die("R2T for a READ");
      break;
    default:
      die("unexpected PDU opcode 0x%02x", op);
  }
}

/* Runs tasks [0, n) with up to qd in flight within the CmdSN window. */
static void run(struct task *ts, int n, int qd, uint32_t lun) {
  int next = 0, flying = 0;
  while (next < n || flying) {
    while (next < n && flying < qd && sn_lte(cmdsn, maxcmdsn)) {
      send_command(&ts[next++], lun);
      flying++;
    }
    if (!flying) die("the CmdSN window stays closed (CmdSN %u, MaxCmdSN %u)", cmdsn, maxcmdsn);
    struct pdu p;
    recv_pdu(&p, 0);
    int before = 0;
    for (int i = 0; i < n; i++) before += ts[i].in_flight;
    handle(ts, n, &p);
    int after = 0;
    for (int i = 0; i < n; i++) after += ts[i].in_flight;
    flying -= before - after;
  }
}

static void logout(void) {
  uint8_t bhs[BHS] = {0};
  bhs[0] = IMMEDIATE | OP_LOGOUT;
  bhs[1] = 0x80;  /* close the session */
  put_be32(bhs + 16, 0x10000000);
  put_be32(bhs + 24, cmdsn);
  put_be32(bhs + 28, expstatsn);
  send_pdu(bhs, NULL, 0);
  struct pdu p;
  for (;;) {
    if (!recv_pdu(&p, 1)) {
      /* istgt sometimes closes instead of answering (noted in iscsi_lab.sh). */
      printf("logout: the target closed the connection without a Logout Response\n");
      return;
    }
    int op = p.bhs[0] & 0x3f;
    if (op == OP_NOP_IN) continue;
    if (op != OP_LOGOUT_RSP) die("expected a Logout Response, got opcode 0x%02x", op);
    if (p.bhs[2]) die("Logout Response 0x%02x", p.bhs[2]);
    printf("logout: done\n");
    return;
  }
}

static uint32_t number(const char *s, const char *what) {
  char *end;
  unsigned long v = strtoul(s, &end, 0);
  if (!*s || *end || v == 0 || v > 0xffffff) die("bad %s '%s'", what, s);
  return (uint32_t)v;
}

static const char *digest_arg(const char *s) {
  if (!strcmp(s, "crc32c")) return "CRC32C";
  if (!strcmp(s, "none")) return "None";
  die("a digest is crc32c or none, not '%s'", s);
  return NULL;
}

int main(int argc, char **argv) {
  const char *target = NULL, *hd = "CRC32C", *dd = "CRC32C";
  uint32_t lun = 0, port = 3260, mrdsl = 8192, mbl = 262144, qd = 4;
  int skip_security = 0, i = 1;
  for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
    const char *o = argv[i];
    if (!strcmp(o, "--no-security")) { skip_security = 1; continue; }
    if (i + 1 >= argc) die("%s needs a value", o);
    const char *v = argv[++i];
    if (!strcmp(o, "--target")) target = v;
    else if (!strcmp(o, "--lun")) lun = strcmp(v, "0") ? number(v, "LUN") : 0;
    else if (!strcmp(o, "--port")) port = number(v, "port");
    else if (!strcmp(o, "--hd")) hd = digest_arg(v);
    else if (!strcmp(o, "--dd")) dd = digest_arg(v);
    else if (!strcmp(o, "--mrdsl")) mrdsl = number(v, "MaxRecvDataSegmentLength");
    else if (!strcmp(o, "--mbl")) mbl = number(v, "MaxBurstLength");
    else if (!strcmp(o, "--qd")) qd = number(v, "queue depth");
    else die("unknown option %s (see the top of iscsi_dd_read.c)", o);
  }
  if (!target || i == argc) die("usage: iscsi_dd_read --target IQN [options] LBA:BLOCKS...");
  if (lun > 255 || port > 65535 || mrdsl < 512) die("LUN, port or MaxRecvDataSegmentLength out of range");

  int n = argc - i;
  struct task *ts = calloc((size_t)n + 3, sizeof *ts);
  if (!ts) die("out of memory");
  for (int k = 0; k < n; k++) {
    unsigned long lba, blocks;
    char *end;
    lba = strtoul(argv[i + k], &end, 10);
    if (*end != ':' || (blocks = strtoul(end + 1, &end, 10)) == 0 || *end || blocks > 65535 ||
        lba > 0xffffffffu)
      die("bad read '%s' (want LBA:BLOCKS, at most 65535 blocks)", argv[i + k]);
    /* Our ITTs: 32-bit, with the high half set, so that a tag cut to 16 bits shows. */
    ts[k] = (struct task){.itt = 0x49540000u + (uint32_t)k, .lba = (uint32_t)lba,
                          .blocks = (uint32_t)blocks, .expected_len = (uint32_t)blocks * BLOCK};
  }

  setvbuf(stdout, NULL, _IOLBF, 0);  /* the log keeps our lines and the error in order */
  crc_init();
  {
    static const uint8_t zeros[32];
    if (crc32c(zeros, 32) != 0x8a9136aau) die("internal: CRC32C self-test failed");
  }
  sock = socket(AF_INET, SOCK_STREAM, 0);
  if (sock < 0) die("socket: %s", strerror(errno));
  struct timeval tv = {10, 0};
  int one = 1;
  setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(sock, (struct sockaddr *)&a, sizeof a)) die("connect to 127.0.0.1:%u: %s", port, strerror(errno));

  login(target, skip_security, hd, dd, mrdsl, mbl);

  /* TEST UNIT READY until GOOD: the first command of a session may meet a unit attention. */
  for (int attempt = 0;; attempt++) {
    struct task tur = {.itt = 0x54550000u + (uint32_t)attempt, .tur = 1};
    run(&tur, 1, 1, lun);
    if (tur.status == 0) break;
    if (attempt == 2) die("TEST UNIT READY still 0x%02x after 3 tries", tur.status);
  }
  uint64_t bytes = 0;
  count.data_in = count.data_in_with_data = 0;  /* the READs' alone from here */
  uint64_t ddgst_before = count.ddgst;
  run(ts, n, (int)qd, lun);
  for (int k = 0; k < n; k++) bytes += ts[k].expected_len;
  printf("reads: %d READ(10)s, %" PRIu64 " bytes equal to the LUN pattern; %" PRIu64
         " Data-In PDUs (%" PRIu64 " with data, largest %" PRIu64 " bytes), %" PRIu64
         " data digests checked on them, %" PRIu64 " header digests and %" PRIu64
         " data digests in all, %" PRIu64 " pad bytes, %" PRIu64 " NOP-In answered\n",
         n, bytes, count.data_in, count.data_in_with_data, count.max_dsl, count.ddgst - ddgst_before,
         count.hdgst, count.ddgst, count.pad_bytes, count.nops);
  logout();
  close(sock);
  return 0;
}
