/* The lab's initiator side (tests/real/iscsi_lab.sh), against libiscsi:
 *   iscsi_read mklun FILE BLOCKS
 *       writes the LUN pattern: the 8-byte word at byte offset 8k holds k, big-endian, so every
 *       word of the LUN differs and a byte landing at the wrong offset shows.
 *   iscsi_read read URL none|crc32c QD LBA:BLOCKS...
 *       logs in (header digest as given; libiscsi never offers a data digest) and issues every
 *       READ(16) with up to QD in flight; exits non-zero unless all end GOOD with the full length.
 * The capture, not this program, is what the lab's checker verifies. */
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BLOCK = 512 };

static int mklun(const char *path, uint64_t blocks) {
  FILE *f = fopen(path, "wb");
  if (!f) { perror(path); return 1; }
  for (uint64_t k = 0; k < blocks * (BLOCK / 8); k++) {
    unsigned char w[8];
    for (int i = 0; i < 8; i++) w[i] = (unsigned char)(k >> (56 - 8 * i));
    if (fwrite(w, 8, 1, f) != 1) { perror(path); fclose(f); return 1; }
  }
  return fclose(f) ? (perror(path), 1) : 0;
}

struct run { int in_flight, failed; };

static void done(struct iscsi_context *iscsi, int status, void *data, void *priv) {
  struct scsi_task *task = data;
  struct run *r = priv;
  r->in_flight--;
  if (status != SCSI_STATUS_GOOD || task->datain.size != (int)task->expxferlen) {
    fprintf(stderr, "iscsi_read: READ failed (status %d, %d of %u bytes): %s\n", status,
            task->datain.size, task->expxferlen, iscsi_get_error(iscsi));
    r->failed = 1;
  }
  scsi_free_scsi_task(task);
}

static int reads(const char *url_text, const char *digest, int qd, int n, char **specs) {
  struct iscsi_context *iscsi = iscsi_create_context("iqn.2026-01.nicsim:lab-initiator");
  if (!iscsi) { fprintf(stderr, "iscsi_read: no libiscsi context\n"); return 1; }
  struct iscsi_url *url = iscsi_parse_full_url(iscsi, url_text);
  if (!url) { fprintf(stderr, "iscsi_read: bad URL: %s\n", iscsi_get_error(iscsi)); return 1; }
  iscsi_set_session_type(iscsi, ISCSI_SESSION_NORMAL);
  /* istgt closes the connection on a Logout without answering it; libiscsi would log in anew. */
  iscsi_set_noautoreconnect(iscsi, 1);
  iscsi_set_header_digest(iscsi, strcmp(digest, "crc32c") ? ISCSI_HEADER_DIGEST_NONE
                                                            : ISCSI_HEADER_DIGEST_CRC32C);
  if (iscsi_full_connect_sync(iscsi, url->portal, url->lun)) {
    fprintf(stderr, "iscsi_read: login failed: %s\n", iscsi_get_error(iscsi));
    return 1;
  }
  struct run r = {0, 0};
  int next = 0;
  while (next < n || r.in_flight > 0) {
    while (next < n && r.in_flight < qd) {
      uint64_t lba;
      uint32_t blocks;
      if (sscanf(specs[next], "%" SCNu64 ":%" SCNu32, &lba, &blocks) != 2 || blocks == 0) {
        fprintf(stderr, "iscsi_read: bad read '%s' (want LBA:BLOCKS)\n", specs[next]);
        return 1;
      }
      if (!iscsi_read16_task(iscsi, url->lun, lba, blocks * BLOCK, BLOCK, 0, 0, 0, 0, 0, done, &r)) {
        fprintf(stderr, "iscsi_read: cannot queue READ: %s\n", iscsi_get_error(iscsi));
        return 1;
      }
      r.in_flight++;
      next++;
    }
    struct pollfd p = {iscsi_get_fd(iscsi), (short)iscsi_which_events(iscsi), 0};
    if (poll(&p, 1, 10000) != 1 || iscsi_service(iscsi, p.revents) < 0) {
      fprintf(stderr, "iscsi_read: connection stalled or failed: %s\n", iscsi_get_error(iscsi));
      return 1;
    }
  }
  iscsi_logout_sync(iscsi);
  iscsi_destroy_url(url);
  iscsi_destroy_context(iscsi);
  return r.failed;
}

int main(int argc, char **argv) {
  if (argc == 4 && !strcmp(argv[1], "mklun")) return mklun(argv[2], strtoull(argv[3], 0, 10));
  if (argc >= 6 && !strcmp(argv[1], "read") && atoi(argv[4]) > 0)
    return reads(argv[2], argv[3], atoi(argv[4]), argc - 5, argv + 5);
  fprintf(stderr, "usage: iscsi_read mklun FILE BLOCKS | read URL none|crc32c QD LBA:BLOCKS...\n");
  return 2;
}
