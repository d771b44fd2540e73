/* net_relp.c — RELP (rsyslog's Reliable Event Logging Protocol) for net.c's sender, through
 * librelp: records the collector has not acknowledged are sent again after a reconnect. */
/*
 * Why RELP: syslog over TCP or TLS has no acknowledgement (RFC 6587, RFC 5425), so records
 * the kernel took before a collector died unread are lost without a trace (README,
 * "Delivery guarantees"; tests/netns/test_syslog_cut.sh measures it). RELP answers every
 * "syslog" frame with "rsp 200"; librelp keeps each frame it wrote in its session's unacked
 * list until that answer, and relpCltReconnect() writes the whole list again on the new
 * connection (librelp src/relpsess.c, relpSessTryReestablish; a frame joins the list only
 * once wholly written, relpSendbufSendAll in src/sendbuf.c, so a frame whose write failed
 * is ours to send again). rsyslog's omrelp drives it the same way: relpCltConnect() once,
 * relpCltReconnect() after the session broke.
 *
 * librelp is blocking: every call here may wait, bounded by NET_RELP_TIMEOUT_S (the answer
 * to a frame when the window is full, the answer to "open") and NET_RELP_CONNECT_TIMEOUT_S.
 * It runs on the outputs' writer thread (emit.c), never on the capture path: a stalled
 * collector fills the emit queue, whose drops are counted, as a slow disk would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <librelp.h>

#include "scanwatch/net.h"

/* How long librelp waits for an answer (a full window's oldest "rsp", the "open" reply)
 * before it declares the session broken: a collector frozen longer than this costs one
 * reconnect, and the writer thread waits at most this long per record. */
#define NET_RELP_TIMEOUT_S 5
/* How long a connection attempt may take (librelp's relpCltSetConnTimeout, seconds). */
#define NET_RELP_CONNECT_TIMEOUT_S 2
/* Frames written and not yet acknowledged, at most (RELP's window, RFC-less: librelp's
 * default is 128). Small, because it is also the most records a close that gets no answer
 * leaves unconfirmed at exit. */
#define NET_RELP_WINDOW 16

struct net_relp {
	relpEngine_t *engine;
	relpClt_t *clt;
	bool ever_connected; /* then relpCltReconnect(), which resends the unacked frames */
	bool error;          /* librelp reported an error since the flag was cleared */
	bool broken;         /* the session broke and is not re-established: frames may wait */
	char host[NET_HOST_MAX], port[NET_PORT_MAX];
	char why[256];
};

/* librelp's error report (session broken, connect failed...), kept for the next message. */
static void on_err(void *usr, char *objinfo, char *errmsg, relpRetVal code)
{
	struct net_relp *r = usr;

	if (r == NULL)
		return;
	r->error = true;
	snprintf(r->why, sizeof(r->why), "RELP: %s (%s, code %d)", errmsg ? errmsg : "error",
	         objinfo ? objinfo : "-", (int)code);
}

static void on_generic_err(char *objinfo, char *errmsg, relpRetVal code)
{
	(void)objinfo;
	(void)errmsg;
	(void)code; /* engine-level; the session's own report (on_err) says what failed */
}

struct net_relp *net_relp_new(const struct net_url *u, int family, char *err, size_t errlen)
{
	struct net_relp *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(r->host, sizeof(r->host), "%s", u->host);
	snprintf(r->port, sizeof(r->port), "%s", u->port);
	if (relpEngineConstruct(&r->engine) != RELP_RET_OK ||
	    relpEngineSetDbgprint(r->engine, NULL) != RELP_RET_OK ||
	    relpEngineSetFamily(r->engine, family) != RELP_RET_OK ||
	    relpEngineSetOnErr(r->engine, on_err) != RELP_RET_OK ||
	    relpEngineSetOnGenericErr(r->engine, on_generic_err) != RELP_RET_OK ||
	    relpEngineSetEnableCmd(r->engine, (unsigned char *)"syslog", eRelpCmdState_Required) !=
	        RELP_RET_OK ||
	    relpEngineCltConstruct(r->engine, &r->clt) != RELP_RET_OK ||
	    relpCltSetUsrPtr(r->clt, r) != RELP_RET_OK ||
	    relpCltSetTimeout(r->clt, NET_RELP_TIMEOUT_S) != RELP_RET_OK ||
	    relpCltSetConnTimeout(r->clt, NET_RELP_CONNECT_TIMEOUT_S) != RELP_RET_OK ||
	    relpCltSetWindowSize(r->clt, NET_RELP_WINDOW) != RELP_RET_OK) {
		snprintf(err, errlen, "cannot set up a RELP client (librelp)");
		net_relp_free(r);
		return NULL;
	}
	return r;
}

int net_relp_connect(struct net_relp *r, char *err, size_t errlen)
{
	relpRetVal rc;

	r->error = false;
	r->why[0] = '\0';
	if (!r->ever_connected)
		rc = relpCltConnect(r->clt, AF_UNSPEC, (unsigned char *)r->port,
		                    (unsigned char *)r->host);
	else
		rc = relpCltReconnect(r->clt);
	if (rc != RELP_RET_OK) {
		snprintf(err, errlen, "%s", r->why[0] ? r->why : "RELP: cannot open a session");
		r->broken = r->ever_connected;
		return -1;
	}
	r->ever_connected = true;
	r->broken = false;
	return 0;
}

int net_relp_send(struct net_relp *r, const char *msg, size_t len, char *err, size_t errlen)
{
	relpRetVal rc;

	r->why[0] = '\0';
	rc = relpCltSendSyslog(r->clt, (unsigned char *)msg, len);
	if (rc == RELP_RET_OK)
		return 0;
	r->broken = true;
	snprintf(err, errlen, "%s", r->why[0] ? r->why : "RELP: the session is broken");
	return -1;
}

int net_relp_window(void)
{
	return NET_RELP_WINDOW;
}

int net_relp_free(struct net_relp *r)
{
	bool clean;

	if (r == NULL)
		return 0;
	/* Destroying the client closes the session politely: "close" goes after every frame
	 * and is answered after every answer, so an error-free close means every record was
	 * acknowledged. librelp says nothing else, so its error report is the verdict; a
	 * session left broken is not closed at all and its unacked frames are freed. */
	r->error = false;
	if (r->clt != NULL)
		relpEngineCltDestruct(r->engine, &r->clt);
	clean = !r->error && !r->broken;
	if (r->engine != NULL)
		relpEngineDestruct(&r->engine);
	free(r);
	return clean ? 0 : -1;
}
