/*
 * nmbmc_oem.c - vendor LAN-interface commands for OpenIPMI's ipmi_sim, one profile per BMC family.
 *
 * netmedic.network test lab (GPL-3.0-or-later).  Built at test time by
 * tests/lab/ipmi/bmc.py:  gcc -shared -fPIC -o nmbmc_oem.so nmbmc_oem.c
 * Loaded by lan.conf:     loadlib "/path/nmbmc_oem.so" "profile=supermicro mode=2 log=/path/oem.log"
 *
 * Every answer below is what a public source says the real BMC answers; the
 * sources are listed in tests/lab/ipmi/PROFILES.md and docs/bmc.md.
 *
 * profile=supermicro gen=x9   netfn 0x30 cmd 0x70 sub 0x0c (ipmiutil oem_supermicro.c, ipmi_exporter)
 *     get 0x0c 00 -> 1 byte: 00 dedicated, 01 shared, 02 failover;  set 0x0c 01 <mode>
 * profile=supermicro gen=x8   the X8 form of one operator wiki (netmedic never writes it)
 *     get 0x0c 00 00 00 -> "00 00" failover, "01 00" dedicated, "01 01" shared; set 0x0c 01 a p
 * profile=dell imc=<type>     ipmitool lib/ipmi_delloem.c
 *     netfn 0x06 cmd 0x59 Get System Info, parameter 0xDD: byte 10 = IMC type (0x0a 11G, 0x10 12G,
 *       0x20 13G, 0x11/0x21 modular, 0x30 14G iDRAC9)
 *     11G:        netfn 0x30 cmd 0x25 get -> 1 byte (0 shared, 1 failover lom2, 2 dedicated, 3 failover all);
 *                 cmd 0x24 set <byte>
 *     12G/13G/14G: cmd 0x29 get -> selection (1 dedicated, 2-5 LOM1-4), failover (0 none, 2-5, 6 all);
 *                 cmd 0x28 set <sel> <fo>; licence=0 refuses a dedicated set with 0x6F (FM001)
 *     14G (iDRAC9): cmd 0x24 answers 0x80 (ipmitool issue 18); cmd 0x25 answers idrac9_25=<byte>
 * profile=lenovo port=<b0>[,<b1>]   Get/Set LAN Configuration Parameters, channel 1, OEM parameter 0xC0
 *     (xCAT bmcsetup): answer 11 <port bytes>; every other parameter goes to ipmi_sim's own LAN channel
 * profile=intel ip1=A.B.C.D ip2=... ip3=...   IP address (parameter 3) of LAN channels 1-3, the rest
 *     of channel 1 from ipmi_sim, channels 2 and 3 answer only parameter 3 (absent: 0xcb)
 *
 * Anything else under these commands answers 0xc1 (invalid command), a wrong length 0xc7, a bad
 * value 0xcc: the completion codes a real BMC gives.  Every accepted set is appended to the log
 * file ("set <mode>" for Supermicro, "dell <sel> <fo>", "dell11 <byte>", "lenovo <bytes>"), so tests
 * can prove that netmedic did, or did not, write.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <OpenIPMI/ipmi_msgbits.h>
#include <OpenIPMI/mcserv.h>
#include <OpenIPMI/serv.h>

#define SM_NETFN 0x30
#define SM_CMD   0x70
#define SM_SUB_LAN_MODE 0x0c

#define DELL_NETFN 0x30
#define DELL_SET_11G 0x24
#define DELL_GET_11G 0x25
#define DELL_SET_12G 0x28
#define DELL_GET_12G 0x29
#define DELL_VALIDATOR 0xdd
#define CC_LICENSE 0x6f

#define APP_NETFN 0x06
#define GET_SYS_INFO 0x59
#define GET_SYSTEM_GUID 0x37
#define TRANSPORT_NETFN 0x0c
#define SET_LAN_PARMS 0x01
#define GET_LAN_PARMS 0x02
#define LENOVO_PORT_PARM 0xc0
#define IP_ADDR_PARM 0x03

enum { MODE_DEDICATED = 0, MODE_SHARED = 1, MODE_FAILOVER = 2 };
enum { P_SUPERMICRO, P_DELL, P_LENOVO, P_INTEL };

static sys_data_t *nm_sys;
static int profile = P_SUPERMICRO;
static int cur_mode = MODE_FAILOVER;   /* Supermicro's factory default */
static int gen_x8;
static int imc = 0x20;
static int dell_sel = 2, dell_fo = 6;  /* shared with lom1, failover all loms */
static int dell_licence = 1;
static int idrac9_25 = 0xff;
static unsigned char lenovo_port[2] = { 0x01, 0x00 };
static unsigned int lenovo_port_len = 1;
static unsigned char intel_ip[4][4];
static int intel_has[4];
static char log_path[512];

static void log_line(const char *fmt, int a, int b)
{
    FILE *f;

    if (!log_path[0])
        return;
    f = fopen(log_path, "a");
    if (f) {
        fprintf(f, fmt, a, b);
        fputc('\n', f);
        fclose(f);
    }
}

static void reply(unsigned char *rdata, unsigned int *rdata_len, unsigned char cc)
{
    rdata[0] = cc;
    *rdata_len = 1;
}

static void answer(unsigned char *rdata, unsigned int *rdata_len, const unsigned char *data, unsigned int len)
{
    rdata[0] = 0;
    memcpy(rdata + 1, data, len);
    *rdata_len = len + 1;
}

/* ------------------------------------------------------------------ System GUID (issue 16)
 * ipmi_sim answers Get System GUID (App 0x37) only on its LAN channel (the guid of lan.conf's startlan);
 * a real BMC also answers it in-band.  guid=<32 hex digits> answers it on the system interface (KCS)
 * with the same bytes, so netmedic's rollback can tell that the local BMC is the one it changed over LAN. */
static unsigned char sys_guid[16];
static int has_guid;

static void handle_guid(lmc_data_t *mc, msg_t *msg, unsigned char *rdata, unsigned int *rdata_len, void *cb_data)
{
    (void) mc; (void) msg; (void) cb_data;
    answer(rdata, rdata_len, sys_guid, sizeof(sys_guid));
}

static void parse_guid(const char *hex)
{
    unsigned int i, byte;

    if (strlen(hex) != 2 * sizeof(sys_guid))
        return;
    for (i = 0; i < sizeof(sys_guid); i++) {
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
            return;
        sys_guid[i] = (unsigned char) byte;
    }
    has_guid = 1;
}

/* ------------------------------------------------------------------ Supermicro */
static void sm_x9(msg_t *msg, unsigned char *rdata, unsigned int *rdata_len)
{
    unsigned char b;

    if (msg->len == 2 && msg->data[1] == 0) {          /* get */
        b = (unsigned char) cur_mode;
        answer(rdata, rdata_len, &b, 1);
    } else if (msg->len == 3 && msg->data[1] == 1) {   /* set */
        if (msg->data[2] > MODE_FAILOVER) {
            reply(rdata, rdata_len, 0xcc);
            return;
        }
        cur_mode = msg->data[2];
        log_line("set %d", cur_mode, 0);
        reply(rdata, rdata_len, 0);
    } else {
        reply(rdata, rdata_len, 0xc7);
    }
}

static void sm_x8(msg_t *msg, unsigned char *rdata, unsigned int *rdata_len)
{
    unsigned char b[2];

    if (msg->len == 4 && msg->data[1] == 0) {          /* get */
        b[0] = cur_mode == MODE_FAILOVER ? 0 : 1;
        b[1] = cur_mode == MODE_SHARED ? 1 : 0;
        answer(rdata, rdata_len, b, 2);
    } else if (msg->len == 4 && msg->data[1] == 1) {   /* set */
        if (msg->data[2] > 1 || msg->data[3] > 1 || (msg->data[2] == 0 && msg->data[3] != 0)) {
            reply(rdata, rdata_len, 0xcc);
            return;
        }
        if (msg->data[2] == 0)
            cur_mode = MODE_FAILOVER;
        else
            cur_mode = msg->data[3] ? MODE_SHARED : MODE_DEDICATED;
        log_line("set %d", cur_mode, 0);
        reply(rdata, rdata_len, 0);
    } else {
        reply(rdata, rdata_len, 0xc7);
    }
}

static void handle_sm(lmc_data_t *mc, msg_t *msg, unsigned char *rdata, unsigned int *rdata_len, void *cb_data)
{
    (void) cb_data;
    if (msg->len < 1 || msg->data[0] != SM_SUB_LAN_MODE) {
        handle_invalid_cmd(mc, rdata, rdata_len);
        return;
    }
    if (gen_x8)
        sm_x8(msg, rdata, rdata_len);
    else
        sm_x9(msg, rdata, rdata_len);
}

/* ------------------------------------------------------------------ Dell */
static int dell_11g(void)
{
    return imc == 0x0a || imc == 0x0b || imc == 0x0d || imc == 0x0e;
}

/* The 11G byte of the current selection: 0 shared, 1 failover lom2, 2 dedicated, 3 failover all loms. */
static unsigned char dell_11g_byte(void)
{
    if (dell_sel == 1)
        return 2;
    if (dell_fo == 6)
        return 3;
    if (dell_fo == 3)
        return 1;
    return 0;
}

static void handle_sysinfo(lmc_data_t *mc, msg_t *msg, unsigned char *rdata, unsigned int *rdata_len,
                           void *cb_data)
{
    unsigned char d[14];

    (void) mc;
    (void) cb_data;
    if (msg->len < 4) {
        reply(rdata, rdata_len, 0xc7);
        return;
    }
    if (msg->data[1] != DELL_VALIDATOR) {
        reply(rdata, rdata_len, 0x80);                  /* parameter not supported */
        return;
    }
    memset(d, 0, sizeof(d));
    d[0] = 0x11;                                         /* parameter revision */
    d[10] = (unsigned char) imc;
    answer(rdata, rdata_len, d, sizeof(d));
}

static void handle_dell(lmc_data_t *mc, msg_t *msg, unsigned char *rdata, unsigned int *rdata_len, void *cb_data)
{
    unsigned char b[2];
    int cmd = (int) (long) cb_data;

    if (cmd == DELL_GET_12G || cmd == DELL_SET_12G) {
        if (dell_11g()) {
            handle_invalid_cmd(mc, rdata, rdata_len);
            return;
        }
        if (cmd == DELL_GET_12G) {
            b[0] = (unsigned char) dell_sel;
            b[1] = (unsigned char) dell_fo;
            answer(rdata, rdata_len, b, 2);
            return;
        }
        if (msg->len != 2) {
            reply(rdata, rdata_len, 0xc7);
            return;
        }
        if (msg->data[0] < 1 || msg->data[0] > 5 || msg->data[1] == 1 || msg->data[1] > 6) {
            reply(rdata, rdata_len, 0xcc);
            return;
        }
        if (msg->data[0] == 1 && !dell_licence) {      /* ipmitool: "FM001 : A required license ..." */
            reply(rdata, rdata_len, CC_LICENSE);
            return;
        }
        dell_sel = msg->data[0];
        dell_fo = msg->data[1];
        log_line("dell %d %d", dell_sel, dell_fo);
        reply(rdata, rdata_len, 0);
        return;
    }
    if (imc >= 0x30) {                                  /* iDRAC9 and the 11G commands (ipmitool issue 18) */
        if (cmd == DELL_SET_11G) {
            reply(rdata, rdata_len, 0x80);
        } else {
            b[0] = (unsigned char) idrac9_25;
            answer(rdata, rdata_len, b, 1);
        }
        return;
    }
    if (!dell_11g()) {
        handle_invalid_cmd(mc, rdata, rdata_len);
        return;
    }
    if (cmd == DELL_GET_11G) {
        b[0] = dell_11g_byte();
        answer(rdata, rdata_len, b, 1);
        return;
    }
    if (msg->len != 1) {
        reply(rdata, rdata_len, 0xc7);
        return;
    }
    switch (msg->data[0]) {
    case 0: dell_sel = 2; dell_fo = 0; break;
    case 1: dell_sel = 2; dell_fo = 3; break;
    case 2: dell_sel = 1; dell_fo = 0; break;
    case 3: dell_sel = 2; dell_fo = 6; break;
    default:
        reply(rdata, rdata_len, 0xcc);
        return;
    }
    log_line("dell11 %d %d", msg->data[0], 0);
    reply(rdata, rdata_len, 0);
}

/* ------------------------------------------------------------------ LAN parameters (Lenovo, Intel) */
static channel_t *lan_channel(lmc_data_t *mc, msg_t *msg, unsigned char lchan)
{
    channel_t **chans;

    if (lchan == 0xe)
        lchan = msg->channel;
    if (lchan >= IPMI_MAX_CHANNELS || !nm_sys->mc_get_channelset)
        return NULL;
    chans = nm_sys->mc_get_channelset(mc);
    return chans ? chans[lchan] : NULL;
}

static void forward(lmc_data_t *mc, msg_t *msg, unsigned char *rdata, unsigned int *rdata_len, int set)
{
    channel_t *chan = lan_channel(mc, msg, msg->data[0]);

    if (!chan) {
        reply(rdata, rdata_len, 0xcb);                  /* requested data not present */
        return;
    }
    if (set ? !chan->set_lan_parms : !chan->get_lan_parms) {
        handle_invalid_cmd(mc, rdata, rdata_len);
        return;
    }
    if (set)
        chan->set_lan_parms(chan, msg, rdata, rdata_len);
    else
        chan->get_lan_parms(chan, msg, rdata, rdata_len);
}

static void handle_lanparm(lmc_data_t *mc, msg_t *msg, unsigned char *rdata, unsigned int *rdata_len,
                           void *cb_data)
{
    int set = cb_data != NULL;
    unsigned char ch, b[5];
    unsigned int i;

    if (msg->len < 2) {
        reply(rdata, rdata_len, 0xc7);
        return;
    }
    ch = msg->data[0] & 0x0f;
    if (profile == P_LENOVO && ch == 1 && msg->data[1] == LENOVO_PORT_PARM) {
        if (!set) {
            b[0] = 0x11;
            memcpy(b + 1, lenovo_port, lenovo_port_len);
            answer(rdata, rdata_len, b, 1 + lenovo_port_len);
            return;
        }
        if (msg->len < 3 || msg->len > 4 || msg->data[2] > 2) {
            reply(rdata, rdata_len, msg->len < 3 || msg->len > 4 ? 0xc7 : 0xcc);
            return;
        }
        lenovo_port_len = msg->len - 2;
        for (i = 0; i < lenovo_port_len; i++)
            lenovo_port[i] = msg->data[2 + i];
        log_line("lenovo %d %d", lenovo_port[0], lenovo_port_len > 1 ? lenovo_port[1] : -1);
        reply(rdata, rdata_len, 0);
        return;
    }
    if (profile == P_INTEL && !set && ch >= 1 && ch <= 3 && (ch > 1 || msg->data[1] == IP_ADDR_PARM)) {
        if (!intel_has[ch]) {
            reply(rdata, rdata_len, 0xcb);
            return;
        }
        if (msg->data[1] != IP_ADDR_PARM) {
            reply(rdata, rdata_len, 0x80);
            return;
        }
        b[0] = 0x11;
        memcpy(b + 1, intel_ip[ch], 4);
        answer(rdata, rdata_len, b, 5);
        return;
    }
    forward(mc, msg, rdata, rdata_len, set);
}

/* ------------------------------------------------------------------ options */
static void parse_ip(int ch, const char *text)
{
    unsigned int a, b, c, d;

    intel_has[ch] = 1;
    if (sscanf(text, "%u.%u.%u.%u", &a, &b, &c, &d) == 4) {
        intel_ip[ch][0] = (unsigned char) a;
        intel_ip[ch][1] = (unsigned char) b;
        intel_ip[ch][2] = (unsigned char) c;
        intel_ip[ch][3] = (unsigned char) d;
    }
}

static void option(const char *tok)
{
    if (strncmp(tok, "mode=", 5) == 0)
        cur_mode = atoi(tok + 5);
    else if (strcmp(tok, "gen=x8") == 0)
        gen_x8 = 1;
    else if (strcmp(tok, "profile=dell") == 0)
        profile = P_DELL;
    else if (strcmp(tok, "profile=lenovo") == 0)
        profile = P_LENOVO;
    else if (strcmp(tok, "profile=intel") == 0)
        profile = P_INTEL;
    else if (strncmp(tok, "imc=", 4) == 0)
        imc = (int) strtol(tok + 4, NULL, 0);
    else if (strncmp(tok, "sel=", 4) == 0)
        dell_sel = atoi(tok + 4);
    else if (strncmp(tok, "fo=", 3) == 0)
        dell_fo = atoi(tok + 3);
    else if (strcmp(tok, "licence=0") == 0)
        dell_licence = 0;
    else if (strncmp(tok, "idrac9_25=", 10) == 0)
        idrac9_25 = (int) strtol(tok + 10, NULL, 0);
    else if (strncmp(tok, "port=", 5) == 0)
        lenovo_port_len = sscanf(tok + 5, "%hhu,%hhu", &lenovo_port[0], &lenovo_port[1]) == 2 ? 2 : 1;
    else if (strncmp(tok, "ip", 2) == 0 && tok[2] >= '1' && tok[2] <= '3' && tok[3] == '=')
        parse_ip(tok[2] - '0', tok + 4);
    else if (strncmp(tok, "guid=", 5) == 0)
        parse_guid(tok + 5);
    else if (strncmp(tok, "log=", 4) == 0) {
        strncpy(log_path, tok + 4, sizeof(log_path) - 1);
        log_path[sizeof(log_path) - 1] = '\0';
    }
}

/* Options: space-separated key=value (see the top of this file). */
int ipmi_sim_module_init(sys_data_t *sys, const char *options)
{
    char buf[1024];
    char *tok, *save = NULL;
    int rv = 0;

    nm_sys = sys;
    if (options) {
        strncpy(buf, options, sizeof(buf) - 1);
        buf[sizeof(buf) - 1] = '\0';
        for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
            option(tok);
    }
    if (cur_mode < MODE_DEDICATED || cur_mode > MODE_FAILOVER)
        cur_mode = MODE_FAILOVER;
    if (has_guid)   /* not fatal: without it the in-band GUID is "Invalid command", as before */
        (void) ipmi_emu_register_cmd_handler(APP_NETFN, GET_SYSTEM_GUID, handle_guid, NULL);
    switch (profile) {
    case P_DELL:
        rv = ipmi_emu_register_cmd_handler(APP_NETFN, GET_SYS_INFO, handle_sysinfo, NULL);
        rv = rv ? rv : ipmi_emu_register_cmd_handler(DELL_NETFN, DELL_GET_11G, handle_dell, (void *) DELL_GET_11G);
        rv = rv ? rv : ipmi_emu_register_cmd_handler(DELL_NETFN, DELL_SET_11G, handle_dell, (void *) DELL_SET_11G);
        rv = rv ? rv : ipmi_emu_register_cmd_handler(DELL_NETFN, DELL_GET_12G, handle_dell, (void *) DELL_GET_12G);
        rv = rv ? rv : ipmi_emu_register_cmd_handler(DELL_NETFN, DELL_SET_12G, handle_dell, (void *) DELL_SET_12G);
        return rv;
    case P_LENOVO:
    case P_INTEL:
        rv = ipmi_emu_register_cmd_handler(TRANSPORT_NETFN, GET_LAN_PARMS, handle_lanparm, NULL);
        return rv ? rv : ipmi_emu_register_cmd_handler(TRANSPORT_NETFN, SET_LAN_PARMS, handle_lanparm, (void *) 1);
    default:
        return ipmi_emu_register_cmd_handler(SM_NETFN, SM_CMD, handle_sm, NULL);
    }
}
