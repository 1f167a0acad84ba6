/*
 * nmbmc_oem.c - a Supermicro LAN-interface-mode OEM command for OpenIPMI's ipmi_sim.
 *
 * netmedic.network test lab (GPL-3.0-or-later).  Built at test time by
 * tests/lab/ipmi/bmc.py:  gcc -shared -fPIC -o nmbmc_oem.so nmbmc_oem.c
 * Loaded by lan.conf:     loadlib "/path/nmbmc_oem.so" "mode=2 gen=x9 log=/path/oem.log"
 *
 * It answers netfn 0x30 / cmd 0x70, sub-command 0x0c (LAN interface mode) the
 * way Supermicro BMCs do:
 *
 *   gen=x9 (X9 and later)   get: 0x0c 0          -> 1 byte: 00 dedicated, 01 shared, 02 failover
 *                           set: 0x0c 1 <mode>   -> no data
 *   gen=x8 (X8 boards)      get: 0x0c 0 0 0      -> 2 bytes: "00 00" failover, "01 00" dedicated,
 *                                                   "01 01" shared (onboard LAN1)
 *                           set: 0x0c 1 1 0 dedicated, 0x0c 1 1 1 shared, 0x0c 1 0 0 failover
 *
 * Anything else under 0x30/0x70 answers 0xc1 (invalid command), a wrong
 * length 0xc7, a bad value 0xcc: the completion codes a real BMC gives.
 * Every accepted set is appended to the log file (one line: "set <mode>"),
 * so tests can prove that netmedic did, or did not, write.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <OpenIPMI/ipmi_msgbits.h>
#include <OpenIPMI/mcserv.h>
#include <OpenIPMI/serv.h>

#define NMBMC_NETFN 0x30
#define NMBMC_CMD   0x70
#define NMBMC_SUB_LAN_MODE 0x0c

enum { MODE_DEDICATED = 0, MODE_SHARED = 1, MODE_FAILOVER = 2 };

static int cur_mode = MODE_FAILOVER;   /* Supermicro's factory default */
static int gen_x8 = 0;
static char log_path[512];

static void log_set(int mode)
{
    FILE *f;

    if (!log_path[0])
        return;
    f = fopen(log_path, "a");
    if (f) {
        fprintf(f, "set %d\n", mode);
        fclose(f);
    }
}

static void reply(unsigned char *rdata, unsigned int *rdata_len, unsigned char cc)
{
    rdata[0] = cc;
    *rdata_len = 1;
}

static void handle_x9(msg_t *msg, unsigned char *rdata, unsigned int *rdata_len)
{
    if (msg->len == 2 && msg->data[1] == 0) {          /* get */
        rdata[0] = 0;
        rdata[1] = (unsigned char) cur_mode;
        *rdata_len = 2;
    } else if (msg->len == 3 && msg->data[1] == 1) {   /* set */
        if (msg->data[2] > MODE_FAILOVER) {
            reply(rdata, rdata_len, 0xcc);
            return;
        }
        cur_mode = msg->data[2];
        log_set(cur_mode);
        reply(rdata, rdata_len, 0);
    } else {
        reply(rdata, rdata_len, 0xc7);
    }
}

static void handle_x8(msg_t *msg, unsigned char *rdata, unsigned int *rdata_len)
{
    if (msg->len == 4 && msg->data[1] == 0) {          /* get */
        rdata[0] = 0;
        rdata[1] = cur_mode == MODE_FAILOVER ? 0 : 1;
        rdata[2] = cur_mode == MODE_SHARED ? 1 : 0;
        *rdata_len = 3;
    } else if (msg->len == 4 && msg->data[1] == 1) {   /* set */
        if (msg->data[2] > 1 || msg->data[3] > 1 || (msg->data[2] == 0 && msg->data[3] != 0)) {
            reply(rdata, rdata_len, 0xcc);
            return;
        }
        if (msg->data[2] == 0)
            cur_mode = MODE_FAILOVER;
        else
            cur_mode = msg->data[3] ? MODE_SHARED : MODE_DEDICATED;
        log_set(cur_mode);
        reply(rdata, rdata_len, 0);
    } else {
        reply(rdata, rdata_len, 0xc7);
    }
}

static void handle_oem(lmc_data_t *mc, msg_t *msg, unsigned char *rdata,
                       unsigned int *rdata_len, void *cb_data)
{
    (void) cb_data;
    if (msg->len < 1 || msg->data[0] != NMBMC_SUB_LAN_MODE) {
        handle_invalid_cmd(mc, rdata, rdata_len);
        return;
    }
    if (gen_x8)
        handle_x8(msg, rdata, rdata_len);
    else
        handle_x9(msg, rdata, rdata_len);
}

/* Options: space-separated key=value: mode=0|1|2 gen=x9|x8 log=PATH */
int ipmi_sim_module_init(sys_data_t *sys, const char *options)
{
    char buf[1024];
    char *tok, *save = NULL;

    (void) sys;
    if (options) {
        strncpy(buf, options, sizeof(buf) - 1);
        buf[sizeof(buf) - 1] = '\0';
        for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
            if (strncmp(tok, "mode=", 5) == 0)
                cur_mode = atoi(tok + 5);
            else if (strcmp(tok, "gen=x8") == 0)
                gen_x8 = 1;
            else if (strncmp(tok, "log=", 4) == 0) {
                strncpy(log_path, tok + 4, sizeof(log_path) - 1);
                log_path[sizeof(log_path) - 1] = '\0';
            }
        }
    }
    if (cur_mode < MODE_DEDICATED || cur_mode > MODE_FAILOVER)
        cur_mode = MODE_FAILOVER;
    return ipmi_emu_register_cmd_handler(NMBMC_NETFN, NMBMC_CMD, handle_oem, NULL);
}
