/* RFC 6120/6121 interop: libstrophe (C) as an IRSP client, with its defaults.
 *
 * irsp-strophe-client HOST PORT CAFILE JID PEER TEXT, password on stdin:
 * logs in over STARTTLS, trusting the node's certificate CAFILE, binds, sends
 * a chat message TEXT to PEER, and waits for a message from PEER. Prints
 * "bound JID" and "from PEER: BODY" on stdout; exits 0 once the reply came,
 * 1 on any failure or after 20 s. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <strophe.h>

struct exchange {
  const char *peer;
  const char *text;
  int replied;
  int failed;
};

static int bare_equals(const char *jid, const char *bare) {
  size_t n = strlen(bare);
  return jid != NULL && strncmp(jid, bare, n) == 0 && (jid[n] == '\0' || jid[n] == '/');
}

static int on_message(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *userdata) {
  struct exchange *ex = userdata;
  const char *from = xmpp_stanza_get_from(stanza);
  const char *type = xmpp_stanza_get_type(stanza);
  char *body = xmpp_message_get_body(stanza);
  if (bare_equals(from, ex->peer) && body != NULL
      && (type == NULL || strcmp(type, "error") != 0)) {
    printf("from %s: %s\n", ex->peer, body);
    fflush(stdout);
    ex->replied = 1;
    xmpp_disconnect(conn);
  }
  if (body != NULL)
    xmpp_free(xmpp_conn_get_context(conn), body);
  return 1;
}

static void on_connection(xmpp_conn_t *conn, xmpp_conn_event_t status, int error,
                          xmpp_stream_error_t *stream_error, void *userdata) {
  struct exchange *ex = userdata;
  xmpp_ctx_t *ctx = xmpp_conn_get_context(conn);
  (void)error;
  (void)stream_error;
  if (status == XMPP_CONN_CONNECT) {
    printf("bound %s\n", xmpp_conn_get_bound_jid(conn));
    fflush(stdout);
    xmpp_handler_add(conn, on_message, NULL, "message", NULL, ex);
    xmpp_stanza_t *msg = xmpp_message_new(ctx, "chat", ex->peer, "strophe-1");
    xmpp_message_set_body(msg, ex->text);
    xmpp_send(conn, msg);
    xmpp_stanza_release(msg);
    return;
  }
  if (!ex->replied)
    ex->failed = 1;
  xmpp_stop(ctx);
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s HOST PORT CAFILE JID PEER TEXT < password\n", argv[0]);
    return 2;
  }
  char password[1100];
  if (fgets(password, sizeof password, stdin) == NULL) {
    fprintf(stderr, "no password on stdin\n");
    return 2;
  }
  password[strcspn(password, "\r\n")] = '\0';

  /* A socket program's usual setting: a write to a connection the server
   * has closed (it answers our closing tag by closing) is an error to
   * handle, not a reason to die. */
  signal(SIGPIPE, SIG_IGN);
  struct exchange ex = {argv[5], argv[6], 0, 0};
  xmpp_initialize();
  xmpp_log_t *log = xmpp_get_default_logger(XMPP_LEVEL_WARN);
  xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, log);
  xmpp_conn_t *conn = xmpp_conn_new(ctx);
  xmpp_conn_set_jid(conn, argv[4]);
  xmpp_conn_set_pass(conn, password);
  xmpp_conn_set_cafile(conn, argv[3]);
  int rc = xmpp_connect_client(conn, argv[1], (unsigned short)atoi(argv[2]), on_connection, &ex);
  if (rc == XMPP_EOK) {
    time_t deadline = time(NULL) + 20;
    while (!ex.replied && !ex.failed && time(NULL) < deadline)
      xmpp_run_once(ctx, 100);
    if (!xmpp_conn_is_disconnected(conn)) {
      xmpp_disconnect(conn);
      for (int i = 0; i < 20 && !xmpp_conn_is_disconnected(conn); ++i)
        xmpp_run_once(ctx, 100);
    }
  }
  xmpp_conn_release(conn);
  xmpp_ctx_free(ctx);
  xmpp_shutdown();
  memset(password, 0, sizeof password);
  if (!ex.replied)
    fprintf(stderr, "no reply from %s\n", ex.peer);
  return ex.replied ? 0 : 1;
}
