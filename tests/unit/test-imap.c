/* Tests of src/imap: mailbox name translation and UID sets (table-driven,
 * no server) and sessions
 * against a real, private Dovecot that each test starts on loopback in its
 * own temporary directory and always stops (teardown, atexit, and a signal
 * handler for crashes). Without /usr/sbin/dovecot those tests skip. */

#include "imap/imap.h"
#include "imap/mailbox-name.h"
#include "imap/tls-verify.h"
#include "imap/uid-set.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DOVECOT_BIN "/usr/sbin/dovecot"
#define TEST_USER "user@example.test"
#define TEST_PASSWORD "s3cret-pass"

/* ---- mailbox_name_to_server ---------------------------------------- */

static void test_mailbox_name_table(void)
{
	static const struct {
		const char *name;
		char delimiter;
		const char *prefix;
		const char *expected; /* NULL: an error */
	} cases[] = {
		{ "Clients/Acme", '.', "", "Clients.Acme" },
		{ "Clients/Acme", '/', "", "Clients/Acme" },
		{ "Clients/Acme", '.', "INBOX.", "INBOX.Clients.Acme" },
		{ "Archive", '.', "INBOX.", "INBOX.Archive" },
		{ "INBOX", '.', "INBOX.", "INBOX" },
		{ "inbox", '/', "", "INBOX" },
		{ "INBOX/Sub", '.', "INBOX.", "INBOX.Sub" },
		{ "Inbox/Sub", '/', "", "INBOX/Sub" },
		{ "INBOXES", '.', "INBOX.", "INBOX.INBOXES" },
		{ "Café", '.', "", "Caf&AOk-" },
		{ "Café/Thé", '/', "", "Caf&AOk-/Th&AOk-" },
		{ "Tom & Jerry", '.', "", "Tom &- Jerry" },
		{ "台北/日本語", '/', "", "&U,BTFw-/&ZeVnLIqe-" },
		{ "Ünï", '.', "INBOX.", "INBOX.&ANw-n&AO8-" },
		{ "Flat", '\0', "", "Flat" },
		/* Errors. */
		{ "", '.', "", NULL },
		{ "Clients.Acme", '.', "", NULL },
		{ "a//b", '/', "", NULL },
		{ "/a", '.', "", NULL },
		{ "a/", '.', "", NULL },
		{ "a/b", '\0', "", NULL },
		{ "tab\there", '.', "", NULL },
		{ "\xff\xfe", '.', "", NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *error = NULL;
		char *got = mailbox_name_to_server(cases[i].name,
						   cases[i].delimiter,
						   cases[i].prefix, &error);

		g_test_message("case %zu: \"%s\" '%c' \"%s\"", i, cases[i].name,
			       cases[i].delimiter ? cases[i].delimiter : '0',
			       cases[i].prefix);
		if (cases[i].expected != NULL) {
			g_assert_null(error);
			g_assert_cmpstr(got, ==, cases[i].expected);
		} else {
			g_assert_null(got);
			g_assert_nonnull(error);
			g_assert_cmpstr(error, !=, "");
		}
		g_free(got);
		g_free(error);
	}
}

/* Names built from mail keep their levels: what a level cannot hold is
 * replaced, never turned into a hierarchy. */
static void test_mailbox_name_clean(void)
{
	static const struct {
		const char *name;
		char delimiter;
		const char *refused;
		char replacement;
		const char *expected;
	} cases[] = {
		{ "Universities/bus.msu.edu", '.', NULL, '_', "Universities/bus_msu_edu" },
		{ "Universities/bus.msu.edu", '/', NULL, '_', "Universities/bus.msu.edu" },
		{ "Universities/bus.msu.edu", '/', ".", '-', "Universities/bus-msu-edu" },
		{ "Clients/Acme", '.', NULL, '_', "Clients/Acme" },
		{ "a\tb/c\x7f", '.', NULL, '_', "a_b/c_" },
		{ "~home/~x/a~b", '.', NULL, '_', "_home/_x/a~b" },
		{ "Café.Thé/x", '.', NULL, '_', "Café_Thé/x" },
		{ "Clients/", '.', NULL, '_', "Clients/" }, /* refused later */
		{ "a:b", ':', NULL, '_', "a_b" },
		{ "flat.name", '\0', NULL, '_', "flat.name" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = mailbox_name_clean(cases[i].name, cases[i].delimiter,
							  cases[i].refused, cases[i].replacement);

		g_test_message("case %zu: \"%s\"", i, cases[i].name);
		g_assert_cmpstr(got, ==, cases[i].expected);
	}
}

static void test_tls_verify_no_certificate(void)
{
	char *error = NULL;

	g_assert_cmpint(tls_verify_der_chain(NULL, 0, "mail.example", 993,
					     NULL, &error), ==, -1);
	g_assert_cmpstr(error, ==, "TLS certificate of mail.example:993 "
				   "rejected: server sent no certificate");
	g_free(error);
}

/* ---- private Dovecot ----------------------------------------------- */

#define MAX_DOVECOTS 32
/* Master pids for the crash handler: only kill() is used there. */
static volatile sig_atomic_t running_pids[MAX_DOVECOTS];

typedef struct {
	char *dir;
	int port;       /* imap (plaintext or STARTTLS) */
	int port_imaps; /* imaps, with tls */
	pid_t pid;
	int slot;
	char *ca_file;
} Dovecot;

typedef struct {
	gboolean tls;
	gboolean no_move; /* advertise neither MOVE: exercise COPY+EXPUNGE */
	gboolean quota;   /* a 4 KB storage quota: APPEND beyond it gets NO [OVERQUOTA] */
} DovecotOptions;

static gboolean have_dovecot(void)
{
	if (!g_file_test(DOVECOT_BIN, G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip(DOVECOT_BIN " is not installed (apt-get install "
			    "dovecot-imapd)");
		return FALSE;
	}
	if (geteuid() != 0) {
		g_test_skip("a private Dovecot needs root here (it drops to "
			    "dovecot/dovenull/nobody)");
		return FALSE;
	}
	return TRUE;
}

static int free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static gboolean port_open(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	gboolean ok;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* capture: FALSE for daemons, whose children would hold the pipes open
 * and make g_spawn_sync() wait for ever. */
static gboolean run_full(const char *const *argv, const char *cwd,
			 gboolean capture)
{
	GError *error = NULL;
	char *out = NULL;
	char *err = NULL;
	int status = 0;
	gboolean ok;

	ok = g_spawn_sync(cwd, (char **)argv, NULL,
			  G_SPAWN_SEARCH_PATH |
				  (capture ? 0
					   : G_SPAWN_STDOUT_TO_DEV_NULL |
						     G_SPAWN_STDERR_TO_DEV_NULL),
			  NULL, NULL, capture ? &out : NULL,
			  capture ? &err : NULL, &status, &error) &&
	     g_spawn_check_wait_status(status, &error);
	if (!ok) {
		g_test_message("%s failed: %s\n%s%s", argv[0],
			       error != NULL ? error->message : "?",
			       out != NULL ? out : "", err != NULL ? err : "");
		g_clear_error(&error);
	}
	g_free(out);
	g_free(err);
	return ok;
}

static gboolean run(const char *const *argv, const char *cwd)
{
	return run_full(argv, cwd, TRUE);
}

/* A private CA, a server certificate for 127.0.0.1 and one for
 * other.test, made with the openssl CLI. */
static gboolean make_certificates(const char *dir)
{
	static const char *const ca[] = {
		"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
		"ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key",
		"-out", "ca.pem", "-days", "2", "-subj", "/CN=vea test CA",
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext",
		"keyUsage=critical,keyCertSign,cRLSign", NULL
	};
	static const char *const names[][2] = {
		{ "server", "IP:127.0.0.1" },
		{ "other", "DNS:other.test" },
	};

	if (!run(ca, dir))
		return FALSE;
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		char *key = g_strdup_printf("%s.key", names[i][0]);
		char *csr = g_strdup_printf("%s.csr", names[i][0]);
		char *pem = g_strdup_printf("%s.pem", names[i][0]);
		char *ext = g_strdup_printf("%s/%s.ext", dir, names[i][0]);
		char *ext_text = g_strdup_printf(
			"subjectAltName=%s\nextendedKeyUsage=serverAuth\n"
			"basicConstraints=CA:FALSE\n",
			names[i][1]);
		char *subj = g_strdup_printf("/CN=%s", names[i][1] + 3);
		const char *req[] = { "openssl", "req", "-newkey", "ec",
				      "-pkeyopt", "ec_paramgen_curve:prime256v1",
				      "-nodes", "-keyout", key, "-out", csr,
				      "-subj", subj, NULL };
		const char *sign[] = { "openssl", "x509", "-req", "-in", csr,
				       "-CA", "ca.pem", "-CAkey", "ca.key",
				       "-CAcreateserial", "-out", pem, "-days",
				       "2", "-extfile", ext, NULL };
		gboolean ok = g_file_set_contents(ext, ext_text, -1, NULL) &&
			      run(req, dir) && run(sign, dir);

		g_free(key);
		g_free(csr);
		g_free(pem);
		g_free(ext);
		g_free(ext_text);
		g_free(subj);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

static void remove_tree(const char *dir)
{
	const char *argv[] = { "rm", "-rf", dir, NULL };

	if (dir != NULL)
		run(argv, NULL);
}

/* ---- tls_verify_der_chain: what each refusal says ------------------ */

/* Beside make_certificates(): cn-only (CN=mail.example, no subjectAltName)
 * and future (IP:127.0.0.1, valid only in 2099), both from the same CA;
 * openssl ca sets the dates, which openssl x509 of OpenSSL 3.0 cannot. */
static gboolean make_reason_certificates(const char *dir)
{
	static const char *const cn_req[] = {
		"openssl", "req", "-newkey", "ec", "-pkeyopt",
		"ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "cn.key",
		"-out", "cn.csr", "-subj", "/CN=mail.example", NULL
	};
	static const char *const cn_sign[] = {
		"openssl", "x509", "-req", "-in", "cn.csr", "-CA", "ca.pem",
		"-CAkey", "ca.key", "-CAcreateserial", "-out", "cn.pem",
		"-days", "2", "-extfile", "cn.ext", NULL
	};
	static const char *const future_req[] = {
		"openssl", "req", "-newkey", "ec", "-pkeyopt",
		"ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
		"future.key", "-out", "future.csr", "-subj", "/CN=127.0.0.1",
		NULL
	};
	static const char *const future_sign[] = {
		"openssl", "ca", "-batch", "-config", "ca.cnf", "-cert",
		"ca.pem", "-keyfile", "ca.key", "-in", "future.csr", "-out",
		"future.pem", "-notext", "-extfile", "future.ext",
		"-startdate", "20990101000000Z", "-enddate", "20990102000000Z",
		NULL
	};
	static const char *const files[][2] = {
		{ "cn.ext", "basicConstraints=CA:FALSE\n" },
		{ "future.ext", "subjectAltName=IP:127.0.0.1\n"
				"extendedKeyUsage=serverAuth\n"
				"basicConstraints=CA:FALSE\n" },
		{ "ca.cnf", "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\n"
			    "new_certs_dir = .\nserial = serial\n"
			    "default_md = sha256\npolicy = p\n"
			    "[p]\ncommonName = supplied\n" },
		{ "index.txt", "" },
		{ "serial", "1000\n" },
	};

	if (!make_certificates(dir))
		return FALSE;
	for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
		char *path = g_build_filename(dir, files[i][0], NULL);
		gboolean ok = g_file_set_contents(path, files[i][1], -1, NULL);

		g_free(path);
		if (!ok)
			return FALSE;
	}
	return run(cn_req, dir) && run(cn_sign, dir) && run(future_req, dir) &&
	       run(future_sign, dir);
}

/* The DER of the one certificate in dir/name.pem. */
static gboolean read_der(const char *dir, const char *name,
			 gnutls_datum_t *der_r)
{
	char *path = g_strdup_printf("%s/%s.pem", dir, name);
	char *pem = NULL;
	gsize len = 0;
	gnutls_datum_t in;
	gboolean ok = FALSE;

	if (g_file_get_contents(path, &pem, &len, NULL)) {
		in.data = (unsigned char *)pem;
		in.size = (unsigned int)len;
		ok = gnutls_pem_base64_decode2("CERTIFICATE", &in, der_r) == 0;
	}
	g_free(pem);
	g_free(path);
	return ok;
}

static void test_tls_verify_reasons(void)
{
	/* What a user reads for each certificate and host; "{now}" stands
	 * for the clock's reading. NULL: accepted. */
	static const struct {
		const char *cert;
		const char *host;
		const char *reason;
	} cases[] = {
		/* An IP address against other IP addresses: plain. */
		{ "server", "127.0.0.9",
		  "certificate is for 127.0.0.1, not 127.0.0.9" },
		{ "server", "mail.example",
		  "certificate is for 127.0.0.1, not mail.example" },
		/* Without subjectAltNames the CN stands for a DNS name... */
		{ "cn", "mail.example", NULL },
		{ "cn", "imap.example",
		  "certificate has no subjectAltName and its CN is "
		  "mail.example, not imap.example" },
		/* ...never for an IP address. */
		{ "cn", "127.0.0.1",
		  "certificate has no subjectAltName, only CN=mail.example, "
		  "and an IP address such as 127.0.0.1 must be listed as an "
		  "iPAddress subjectAltName: the CN does not count (RFC 2818 "
		  "section 3.1, RFC 5280 section 4.2.1.6); have the "
		  "certificate reissued with subjectAltName IP:127.0.0.1" },
		{ "future", "127.0.0.1",
		  "certificate is not valid before 2099-01-01 00:00:00 UTC (it "
		  "is now {now}): check this computer's clock" },
	};
	char *dir = g_dir_make_tmp("vea-test-tls-XXXXXX", NULL);
	char *ca_file;

	g_assert_nonnull(dir);
	ca_file = g_build_filename(dir, "ca.pem", NULL);
	if (!make_reason_certificates(dir)) {
		g_test_skip("openssl could not make the certificates");
		goto out;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		gnutls_datum_t der = { NULL, 0 };
		char *error = NULL;
		int r;

		g_assert_true(read_der(dir, cases[i].cert, &der));
		r = tls_verify_der_chain(&der, 1, cases[i].host, 993, ca_file,
					 &error);
		gnutls_free(der.data);
		if (cases[i].reason == NULL) {
			if (r != 0)
				g_test_message("%s for %s: %s", cases[i].cert,
					       cases[i].host, error);
			g_assert_cmpint(r, ==, 0);
		} else {
			char *want = g_strdup_printf(
				"TLS certificate of %s:993 rejected: %s",
				cases[i].host, cases[i].reason);
			const char *now = strstr(want, "{now}");

			g_assert_cmpint(r, ==, -1);
			if (now == NULL) {
				g_assert_cmpstr(error, ==, want);
			} else {
				/* Before and after the clock's reading. */
				size_t head = (size_t)(now - want);

				g_assert_cmpint(strncmp(error, want, head), ==,
						0);
				g_assert_true(g_str_has_suffix(
					error, now + strlen("{now}")));
			}
			g_free(want);
		}
		g_free(error);
	}
out:
	remove_tree(dir);
	g_free(ca_file);
	g_free(dir);
}

static gboolean pid_alive(pid_t pid)
{
	char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
	char *stat = NULL;
	gboolean alive = FALSE;

	/* A zombie (state Z) has exited already. */
	if (g_file_get_contents(path, &stat, NULL, NULL)) {
		const char *end = strrchr(stat, ')');

		alive = end != NULL && end[1] == ' ' && end[2] != 'Z';
	}
	g_free(stat);
	g_free(path);
	return alive;
}

/* Dovecot's master takes about a second to shut down, so teardown only
 * signals it; the exit handler waits for every instance and removes the
 * directories. */
static GPtrArray *stopping; /* Dovecot *, owned */

static void dovecot_stop(Dovecot *dc)
{
	Dovecot *copy;

	if (dc->pid > 0)
		kill(dc->pid, SIGTERM);
	if (stopping == NULL)
		stopping = g_ptr_array_new();
	copy = g_memdup2(dc, sizeof(*dc));
	g_ptr_array_add(stopping, copy);
	memset(dc, 0, sizeof(*dc));
}

static void dovecot_reap(Dovecot *dc)
{
	if (dc->pid > 0) {
		for (int i = 0; i < 250 && pid_alive(dc->pid); i++)
			g_usleep(20 * 1000);
		if (pid_alive(dc->pid))
			kill(dc->pid, SIGKILL);
		running_pids[dc->slot] = 0;
		dc->pid = 0;
	}
	if (dc->dir != NULL && g_getenv("VEA_TEST_KEEP") == NULL)
		remove_tree(dc->dir);
	g_clear_pointer(&dc->dir, g_free);
	g_clear_pointer(&dc->ca_file, g_free);
}

static void dovecot_reap_all(void)
{
	for (guint i = 0; stopping != NULL && i < stopping->len; i++) {
		dovecot_reap(stopping->pdata[i]);
		g_free(stopping->pdata[i]);
	}
	if (stopping != NULL)
		g_ptr_array_free(stopping, TRUE);
	stopping = NULL;
}

static void dovecot_kill_all(void)
{
	for (int i = 0; i < MAX_DOVECOTS; i++) {
		if (running_pids[i] > 0)
			kill((pid_t)running_pids[i], SIGTERM);
	}
}

static void on_fatal_signal(int sig)
{
	dovecot_kill_all();
	memset((void *)running_pids, 0, sizeof(running_pids));
	signal(sig, SIG_DFL);
	raise(sig);
}

static char *dovecot_config(const Dovecot *dc, const DovecotOptions *opt)
{
	GString *conf = g_string_new(NULL);
	const char *d = dc->dir;

	g_string_append_printf(conf,
		"base_dir = %s/run\n"
		"state_dir = %s/state\n"
		"log_path = %s/dovecot.log\n"
		"protocols = imap\n"
		"listen = 127.0.0.1\n"
		"disable_plaintext_auth = no\n"
		"auth_mechanisms = plain login\n"
		"auth_failure_delay = 0\n"
		"default_internal_user = dovecot\n"
		"default_internal_group = dovecot\n"
		"default_login_user = dovenull\n"
		"passdb {\n  driver = passwd-file\n"
		"  args = scheme=PLAIN username_format=%%u %s/users\n}\n"
		"userdb {\n  driver = static\n"
		"  args = uid=nobody gid=nogroup home=%s/home/%%u\n}\n"
		"mail_location = maildir:~/Maildir\n"
		"namespace inbox {\n  inbox = yes\n"
		"  mailbox Drafts {\n    special_use = \\Drafts\n"
		"    auto = subscribe\n  }\n}\n"
		"service anvil {\n  chroot =\n}\n",
		d, d, d, d, d);
	if (opt->quota)
		g_string_append(conf, "mail_plugins = $mail_plugins quota\n"
				      "plugin {\n  quota = count:User quota\n"
				      "  quota_vsizes = yes\n  quota_rule = *:storage=4K\n}\n");
	if (opt->no_move)
		g_string_append(conf, "imap_capability = IMAP4rev1 LITERAL+ "
				      "IDLE NAMESPACE UIDPLUS\n");
	if (opt->tls) {
		g_string_append_printf(conf,
			"ssl = required\n"
			"ssl_cert = <%s/server.pem\n"
			"ssl_key = <%s/server.key\n"
			"listen = 127.0.0.1, 127.0.0.2\n"
			"local 127.0.0.2 {\n"
			"  ssl_cert = <%s/other.pem\n"
			"  ssl_key = <%s/other.key\n"
			"}\n"
			"service imap-login {\n  chroot =\n"
			"  inet_listener imap {\n"
			"    address = 127.0.0.1, 127.0.0.2\n    port = %d\n  }\n"
			"  inet_listener imaps {\n"
			"    address = 127.0.0.1, 127.0.0.2\n    port = %d\n"
			"    ssl = yes\n  }\n}\n",
			d, d, d, d, dc->port, dc->port_imaps);
	} else {
		g_string_append_printf(conf,
			"ssl = no\n"
			"service imap-login {\n  chroot =\n"
			"  inet_listener imap {\n"
			"    address = 127.0.0.1\n    port = %d\n  }\n"
			"  inet_listener imaps {\n    port = 0\n  }\n}\n",
			dc->port);
	}
	return g_string_free(conf, FALSE);
}

static gboolean dovecot_start(Dovecot *dc, const DovecotOptions *opt)
{
	struct passwd *nobody = getpwnam("nobody");
	struct group *nogroup = getgrnam("nogroup");
	char *conf_path, *conf, *users, *home, *users_text, *pidfile;
	const char *argv[4];
	gboolean ok = FALSE;
	char *pid_text = NULL;

	memset(dc, 0, sizeof(*dc));
	dc->slot = -1;
	for (int i = 0; i < MAX_DOVECOTS; i++) {
		if (running_pids[i] == 0) {
			dc->slot = i;
			break;
		}
	}
	g_assert_cmpint(dc->slot, >=, 0);
	dc->dir = g_dir_make_tmp("vea-test-imap-XXXXXX", NULL);
	g_assert_nonnull(dc->dir);
	g_assert_nonnull(nobody);
	g_assert_nonnull(nogroup);
	if (dc->dir == NULL || nobody == NULL || nogroup == NULL)
		return FALSE;
	/* Dovecot's unprivileged processes must reach the files. */
	g_chmod(dc->dir, 0755);
	dc->port = free_port();
	dc->port_imaps = opt->tls ? free_port() : 0;

	conf_path = g_build_filename(dc->dir, "dovecot.conf", NULL);
	users = g_build_filename(dc->dir, "users", NULL);
	home = g_build_filename(dc->dir, "home", NULL);
	pidfile = g_build_filename(dc->dir, "run", "master.pid", NULL);
	users_text = g_strdup_printf("%s:{PLAIN}%s\n", TEST_USER,
				     TEST_PASSWORD);
	conf = dovecot_config(dc, opt);
	if (opt->tls) {
		if (!make_certificates(dc->dir))
			goto out;
		dc->ca_file = g_build_filename(dc->dir, "ca.pem", NULL);
	}
	if (!g_file_set_contents(conf_path, conf, -1, NULL) ||
	    !g_file_set_contents(users, users_text, -1, NULL) ||
	    g_mkdir(home, 0755) < 0 ||
	    chown(home, nobody->pw_uid, nogroup->gr_gid) < 0)
		goto out;

	argv[0] = DOVECOT_BIN;
	argv[1] = "-c";
	argv[2] = conf_path;
	argv[3] = NULL;
	if (!run_full(argv, NULL, FALSE))
		goto out;
	/* Up to 30 s: on a loaded two-core machine (CI runs everything at
	 * once) Dovecot can take several seconds to open its ports. */
	for (int i = 0; i < 1500; i++) {
		if (pid_text == NULL)
			g_file_get_contents(pidfile, &pid_text, NULL, NULL);
		if (pid_text != NULL && dc->pid == 0) {
			dc->pid = (pid_t)atoi(pid_text);
			running_pids[dc->slot] = dc->pid;
			/* Read while Dovecot was still writing it: read again. */
			if (dc->pid == 0)
				g_clear_pointer(&pid_text, g_free);
		}
		if (dc->pid > 0 && port_open(dc->port) &&
		    (!opt->tls || port_open(dc->port_imaps))) {
			ok = TRUE;
			break;
		}
		g_usleep(20 * 1000);
	}
	if (!ok) {
		char *log_path = g_build_filename(dc->dir, "dovecot.log", NULL);
		char *log = NULL;

		g_file_get_contents(log_path, &log, NULL, NULL);
		g_test_message("Dovecot did not start:\n%s", log ? log : "");
		g_free(log);
		g_free(log_path);
	}
out:
	g_free(pid_text);
	g_free(conf_path);
	g_free(conf);
	g_free(users);
	g_free(users_text);
	g_free(home);
	g_free(pidfile);
	return ok;
}

typedef struct {
	Dovecot dc;
	gboolean up;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data)
{
	const DovecotOptions *opt = data;

	memset(f, 0, sizeof(*f));
	if (!have_dovecot())
		return;
	f->up = dovecot_start(&f->dc, opt);
	g_assert_true(f->up);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
	dovecot_stop(&f->dc);
}

static char *url_for(const char *scheme, const char *host, int port)
{
	return g_strdup_printf("%s://%s:%d", scheme, host, port);
}

/* Connect and log in over plaintext; NULL (test failed) on error. */
static imap_session *login_plain(Fixture *f)
{
	char *url = url_for("imap", "127.0.0.1", f->dc.port);
	imap_connect_params params = { url, IMAP_TLS_NONE, NULL, 10 };
	imap_session *session = NULL;
	char *error = NULL;

	if (imap_session_connect(&params, &session, &error) < 0 ||
	    imap_session_login(session, TEST_USER, TEST_PASSWORD, &error) < 0) {
		g_test_message("%s", error);
		g_assert_null(error);
		g_free(error);
		imap_session_free(&session);
	}
	g_free(url);
	return session;
}

static const char *const messages[] = {
	"From: a@example.test\r\nTo: user@example.test\r\n"
	"Subject: one\r\nMessage-ID: <1@example.test>\r\n\r\nFirst body.\r\n",
	"From: b@example.test\r\nTo: user@example.test\r\n"
	"Subject: two\r\nMessage-ID: <2@example.test>\r\n\r\nSecond body.\r\n",
	"From: c@example.test\r\nTo: user@example.test\r\n"
	"Subject: three\r\nMessage-ID: <3@example.test>\r\n\r\nThird.\r\n",
};

/* Appends the three messages to INBOX, the second one \Seen, and selects
 * INBOX. */
static gboolean fill_inbox(imap_session *session)
{
	static const char *const seen[] = { "\\Seen", NULL };
	imap_mailbox_status status;
	char *error = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(messages); i++) {
		uint32_t uid = 0;

		if (imap_session_append(session, "INBOX", i == 1 ? seen : NULL,
					messages[i], strlen(messages[i]), NULL,
					&uid, &error) < 0) {
			g_test_message("%s", error);
			g_free(error);
			return FALSE;
		}
		/* Dovecot has UIDPLUS: APPENDUID gives the UID. */
		g_assert_cmpuint(uid, ==, i + 1);
	}
	if (imap_session_select(session, "INBOX", &status, &error) < 0) {
		g_test_message("%s", error);
		g_free(error);
		return FALSE;
	}
	g_assert_cmpuint(status.exists, ==, 3);
	g_assert_cmpuint(status.uidnext, ==, 4);
	g_assert_cmpuint(status.uidvalidity, !=, 0);
	return TRUE;
}

typedef struct {
	GArray *uids;
	GPtrArray *data;  /* char * */
	GPtrArray *flags; /* char *, joined by ' ' */
	GArray *sizes;
	int stop_after;   /* > 0: fail at this message */
	int pause_us;     /* > 0: take this long over each message */
} Collected;

static void collected_init(Collected *c)
{
	c->uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	c->sizes = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	c->data = g_ptr_array_new_with_free_func(g_free);
	c->flags = g_ptr_array_new_with_free_func(g_free);
	c->stop_after = 0;
	c->pause_us = 0;
}

static void collected_clear(Collected *c)
{
	g_array_free(c->uids, TRUE);
	g_array_free(c->sizes, TRUE);
	g_ptr_array_free(c->data, TRUE);
	g_ptr_array_free(c->flags, TRUE);
}

static int collect(const imap_fetched *msg, void *context, char **error_r)
{
	Collected *c = context;

	g_array_append_val(c->uids, msg->uid);
	g_array_append_val(c->sizes, msg->size);
	g_ptr_array_add(c->data, g_strndup(msg->data, msg->len));
	g_ptr_array_add(c->flags, g_strjoinv(" ", msg->flags));
	if (c->pause_us > 0)
		g_usleep(c->pause_us);
	if (c->stop_after > 0 && (int)c->uids->len == c->stop_after) {
		*error_r = g_strdup("stopped by the test");
		return -1;
	}
	return 0;
}

static GArray *uid_array(const uint32_t *uids, size_t n)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(uint32_t));

	g_array_append_vals(a, uids, (guint)n);
	return a;
}

/* ---- uid-set: sorting, ranges, batching, text (no server) ---------- */

static GArray *uids_of(const uint32_t *v, guint n)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(uint32_t));

	g_array_append_vals(a, v, n);
	return a;
}

/* Every set imap_set_next() cuts from uids, as text, joined by " | ". */
static char *uid_sets_text(const GArray *uids)
{
	g_autoptr(GArray) sorted = imap_uids_sorted(uids);
	GString *out = g_string_new("");
	guint pos = 0;

	while (pos < sorted->len) {
		struct mailimap_set *set = imap_set_next(sorted, &pos);

		if (out->len > 0)
			g_string_append(out, " | ");
		imap_set_append_text(out, set);
		mailimap_set_free(set);
	}
	return g_string_free(out, FALSE);
}

static void test_uid_set_ranges(void)
{
	static const struct {
		uint32_t uids[16];
		guint n;
		const char *expected;
	} cases[] = {
		{ { 0 }, 0, "" },
		{ { 7 }, 1, "7" },
		{ { 0 }, 1, "" },			/* 0 is no UID */
		{ { 3, 1, 2 }, 3, "1:3" },
		{ { 9, 3, 3, 1, 2, 9, 2 }, 7, "1:3,9" }, /* duplicates once */
		{ { 10, 12, 11, 5, 0, 14, 5, 13 }, 8, "5,10:14" },
		{ { 1, 3, 5, 7 }, 4, "1,3,5,7" },
		{ { 4294967295u, 1, 4294967294u }, 3, "1,4294967294:4294967295" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GArray) uids = uids_of(cases[i].uids, cases[i].n);
		g_autofree char *text = uid_sets_text(uids);

		g_assert_cmpstr(text, ==, cases[i].expected);
	}
	{
		g_autoptr(GArray) sorted = imap_uids_sorted(NULL);

		g_assert_cmpuint(sorted->len, ==, 0);
	}
}

static void test_uid_set_sorted(void)
{
	static const uint32_t in[] = { 50, 2, 0, 50, 7, 2, 1 };
	static const uint32_t want[] = { 1, 2, 7, 50 };
	g_autoptr(GArray) uids = uids_of(in, G_N_ELEMENTS(in));
	g_autoptr(GArray) sorted = imap_uids_sorted(uids);

	g_assert_cmpuint(sorted->len, ==, G_N_ELEMENTS(want));
	for (guint i = 0; i < sorted->len; i++)
		g_assert_cmpuint(g_array_index(sorted, uint32_t, i), ==, want[i]);
	/* The input is left as it was. */
	g_assert_cmpuint(g_array_index(uids, uint32_t, 0), ==, 50);
}

/* A set holds at most IMAP_SET_MAX_RANGES ranges; consecutive UIDs are one
 * range however many they are. */
static void test_uid_set_batching(void)
{
	g_autoptr(GArray) gaps = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	g_autoptr(GArray) run = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	g_autoptr(GArray) sorted = NULL;
	guint pos = 0, sets = 0, total = 0;

	/* 2 * MAX + 1 isolated UIDs, given backwards and twice each. */
	for (uint32_t i = 2 * IMAP_SET_MAX_RANGES + 1; i >= 1; i--) {
		uint32_t uid = 2 * i;

		g_array_append_val(gaps, uid);
		g_array_append_val(gaps, uid);
	}
	sorted = imap_uids_sorted(gaps);
	g_assert_cmpuint(sorted->len, ==, 2 * IMAP_SET_MAX_RANGES + 1);
	while (pos < sorted->len) {
		struct mailimap_set *set = imap_set_next(sorted, &pos);
		guint n = (guint)clist_count(set->set_list);

		g_assert_cmpuint(n, <=, IMAP_SET_MAX_RANGES);
		if (sets == 0) {
			const struct mailimap_set_item *first = clist_content(clist_begin(set->set_list));

			g_assert_cmpuint(first->set_first, ==, 2);
		}
		total += n;
		sets++;
		mailimap_set_free(set);
	}
	g_assert_cmpuint(sets, ==, 3);
	g_assert_cmpuint(total, ==, 2 * IMAP_SET_MAX_RANGES + 1);

	/* 100,000 consecutive UIDs: one set, one range. */
	for (uint32_t uid = 100000; uid >= 1; uid--)
		g_array_append_val(run, uid);
	{
		g_autofree char *text = uid_sets_text(run);

		g_assert_cmpstr(text, ==, "1:100000");
	}
}

/* ---- tests against Dovecot ----------------------------------------- */

static void test_login(Fixture *f, gconstpointer data)
{
	char *url;
	imap_connect_params params = { NULL, IMAP_TLS_NONE, NULL, 10 };
	imap_session *session = NULL;
	char *error = NULL;

	if (!f->up)
		return;
	session = login_plain(f);
	g_assert_nonnull(session);
	if (session == NULL)
		return;
	g_assert_true(imap_session_has_capability(session, "IMAP4rev1"));
	g_assert_true(imap_session_has_capability(session, "UIDPLUS"));
	g_assert_false(imap_session_has_capability(session, "NOSUCHTHING"));
	/* Dovecot's Maildir++: '.' and no prefix. */
	g_assert_cmpint(imap_session_get_delimiter(session), ==, '.');
	g_assert_cmpstr(imap_session_get_prefix(session), ==, "");
	/* A NO leaves the session usable: refused, not temporary. */
	g_assert_cmpint(imap_session_error_kind(session), ==, IMAP_ERROR_NONE);
	g_assert_cmpint(imap_session_select(session, "NoSuchMailbox", NULL, &error), ==, -1);
	g_assert_cmpint(imap_session_error_kind(session), ==, IMAP_ERROR_REFUSED);
	g_assert_true(imap_session_usable(session));
	g_clear_pointer(&error, g_free);
	/* Refused before anything is sent. */
	{
		static const char *const bad[] = { "bad flag", NULL };

		g_assert_cmpint(imap_session_select(session, "INBOX", NULL, &error), ==, 0);
		g_assert_cmpint(imap_session_error_kind(session), ==, IMAP_ERROR_NONE);
		g_assert_cmpint(imap_session_append(session, "INBOX", bad, "x", 1, NULL, NULL,
						    &error), ==, -1);
		g_assert_cmpint(imap_session_error_kind(session), ==, IMAP_ERROR_REFUSED);
		g_clear_pointer(&error, g_free);
	}
	imap_session_free(&session);
	g_assert_null(session);

	url = url_for("imap", "127.0.0.1", f->dc.port);
	params.url = url;
	g_assert_cmpint(imap_session_connect(&params, &session, &error), ==, 0);
	g_assert_cmpint(imap_session_login(session, TEST_USER, "wrong-password",
					   &error), ==, -1);
	g_assert_nonnull(error);
	g_test_message("wrong password: %s", error);
	g_assert_nonnull(strstr(error, "LOGIN as " TEST_USER));
	g_assert_nonnull(strstr(error, "uthentication failed"));
	g_assert_null(strstr(error, "wrong-password"));
	g_free(error);
	error = NULL;
	imap_session_free(&session);

	/* Nobody listens on a fresh port. */
	g_free(url);
	url = url_for("imap", "127.0.0.1", free_port());
	params.url = url;
	g_assert_cmpint(imap_session_connect(&params, &session, &error), ==, -1);
	g_assert_null(session);
	g_assert_nonnull(strstr(error, "cannot connect to 127.0.0.1"));
	g_free(error);
	error = NULL;

	params.url = "imap://user:pw@127.0.0.1:143";
	g_assert_cmpint(imap_session_connect(&params, &session, &error), ==, -1);
	g_assert_null(strstr(error, "pw"));
	g_free(error);
	error = NULL;
	params.url = "pop3://127.0.0.1";
	g_assert_cmpint(imap_session_connect(&params, &session, &error), ==, -1);
	g_free(error);
	g_free(url);
}

/* A draft is written where the executive's client looks (RFC 6154 \Drafts),
 * and vea learns where it landed (APPENDUID, RFC 4315 3) to find it again. */
static void test_special_use_append(Fixture *f, gconstpointer data)
{
	static const char draft[] = "From: dana@example.test\r\nSubject: Re: lunch\r\n"
				    "Message-ID: <draft.1@example.test>\r\n\r\nYes.\r\n";
	const char *const flags[] = { "\\Draft", "\\Seen", NULL };
	imap_session *session;
	imap_mailbox_status status;
	GArray *uids = NULL;
	char *error = NULL, *name = NULL;
	uint32_t uidvalidity = 0, uid = 0;

	(void)data;
	if (!f->up)
		return;
	session = login_plain(f);
	g_assert_nonnull(session);
	if (session == NULL)
		return;
	g_assert_cmpint(imap_session_find_special_use(session, "\\Drafts", &name, &error), ==, 1);
	g_assert_cmpstr(name, ==, "Drafts");
	g_assert_cmpint(imap_session_find_special_use(session, "\\Sent", &name, &error), ==, 0);
	g_assert_null(name);
	g_assert_cmpint(imap_session_append(session, "Drafts", flags, draft, strlen(draft),
					    &uidvalidity, &uid, &error), ==, 0);
	g_assert_cmpuint(uid, ==, 1);
	g_assert_cmpint(imap_session_select(session, "Drafts", &status, &error), ==, 0);
	g_assert_cmpuint(uidvalidity, ==, status.uidvalidity);
	g_assert_cmpint(imap_session_search_message_id(session, "draft.1@example.test", &uids,
						       &error), ==, 0);
	g_assert_cmpuint(uids->len, ==, 1);
	g_assert_cmpuint(g_array_index(uids, uint32_t, 0), ==, uid);
	g_array_unref(uids);
	imap_session_free(&session);
}

static void test_select_append_fetch(Fixture *f, gconstpointer data)
{
	imap_session *session;
	imap_mailbox_status status;
	Collected c;
	char *error = NULL;

	if (!f->up)
		return;
	session = login_plain(f);
	g_assert_nonnull(session);
	if (session == NULL)
		return;

	g_assert_cmpint(imap_session_select(session, "NoSuchBox", &status,
					    &error), ==, -1);
	g_assert_nonnull(strstr(error, "SELECT \"NoSuchBox\""));
	g_assert_nonnull(strstr(error, "server said:"));
	g_clear_pointer(&error, g_free);
	/* Nothing selected now. */
	collected_init(&c);
	g_assert_cmpint(imap_session_fetch_from(session, 1, FALSE, 0, collect,
						&c, &error), ==, -1);
	g_assert_nonnull(strstr(error, "no mailbox selected"));
	g_clear_pointer(&error, g_free);

	g_assert_true(fill_inbox(session));

	/* Full messages, batches of 2 so that two batches run. */
	g_assert_cmpint(imap_session_fetch_from(session, 1, FALSE, 2, collect,
						&c, &error), ==, 0);
	g_assert_null(error);
	g_assert_cmpuint(c.uids->len, ==, 3);
	for (guint i = 0; i < c.uids->len && i < 3; i++) {
		g_assert_cmpuint(g_array_index(c.uids, uint32_t, i), ==, i + 1);
		g_assert_cmpstr(c.data->pdata[i], ==, messages[i]);
		g_assert_cmpuint(g_array_index(c.sizes, uint32_t, i), ==,
				 strlen(messages[i]));
	}
	g_assert_cmpstr(c.flags->pdata[0], ==, "");
	g_assert_cmpstr(c.flags->pdata[1], ==, "\\Seen");
	collected_clear(&c);

	/* Headers only, from UID 2: the size is still the full size, and
	 * BODY.PEEK left \Seen alone. */
	collected_init(&c);
	g_assert_cmpint(imap_session_fetch_from(session, 2, TRUE, 0, collect,
						&c, &error), ==, 0);
	g_assert_cmpuint(c.uids->len, ==, 2);
	if (c.uids->len == 2) {
		g_assert_cmpuint(g_array_index(c.uids, uint32_t, 0), ==, 2);
		g_assert_true(g_str_has_suffix(c.data->pdata[0], "\r\n\r\n"));
		g_assert_null(strstr(c.data->pdata[0], "Second body"));
		g_assert_nonnull(strstr(c.data->pdata[0], "Subject: two"));
		g_assert_cmpuint(g_array_index(c.sizes, uint32_t, 0), ==,
				 strlen(messages[1]));
		g_assert_cmpstr(c.flags->pdata[1], ==, "");
	}
	collected_clear(&c);

	/* "UID 4:*" matches the last message on the wire; not here. */
	collected_init(&c);
	g_assert_cmpint(imap_session_fetch_from(session, 4, FALSE, 0, collect,
						&c, &error), ==, 0);
	g_assert_cmpuint(c.uids->len, ==, 0);
	collected_clear(&c);

	/* A callback error stops the fetch and is passed on. */
	collected_init(&c);
	c.stop_after = 1;
	g_assert_cmpint(imap_session_fetch_from(session, 1, FALSE, 1, collect,
						&c, &error), ==, -1);
	g_assert_cmpstr(error, ==, "stopped by the test");
	g_assert_cmpuint(c.uids->len, ==, 1);
	g_clear_pointer(&error, g_free);
	collected_clear(&c);

	imap_session_free(&session);
}

/* Headers fetched pipelined, many batches: every message once, in UID
 * order, with its own header. With a slow reader Dovecot answers the next
 * batch while this one is still being sent (its messages come before this
 * batch's tagged OK), which is what this puts to the test. A
 * callback that fails with a batch still on its way leaves a session
 * that says it is closed rather than one out of step. */
static void test_fetch_pipelined(Fixture *f, gconstpointer data)
{
	enum { N = 1200, BATCH = 300 };
	imap_mailbox_status status;
	imap_session *session;
	g_autofree char *pad = g_strnfill(3000, 'x');
	char *error = NULL;
	Collected c;

	(void)data;
	if (!f->up)
		return;
	session = login_plain(f);
	g_assert_nonnull(session);
	if (session == NULL)
		return;
	/* 100 appended, then copied onto themselves up to N. */
	for (int i = 1; i <= 100; i++) {
		g_autofree char *msg = g_strdup_printf(
			"From: a@example.test\r\nSubject: message %d\r\n"
			"Message-ID: <p%d@example.test>\r\nX-Pad: %s\r\n\r\nbody %d\r\n",
			i, i, pad, i);

		g_assert_cmpint(imap_session_append(session, "INBOX", NULL, msg, strlen(msg),
						    NULL, NULL, &error), ==, 0);
	}
	g_assert_cmpint(imap_session_select(session, "INBOX", &status, &error), ==, 0);
	for (guint have = 100; have < N; have *= 2) {
		g_autoptr(GArray) uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));

		for (uint32_t uid = 1; uid <= MIN(have, N - have); uid++)
			g_array_append_val(uids, uid);
		g_assert_cmpint(imap_session_copy(session, uids, "INBOX", &error), ==, 0);
	}
	g_assert_cmpint(imap_session_select(session, "INBOX", &status, &error), ==, 0);
	for (int round = 0; round < 4; round++) {
		collected_init(&c);
		/* A slow reader: the server's output backs up and it works on
		 * the next command meanwhile. */
		c.pause_us = round == 0 ? 0 : 400;
		g_assert_cmpint(imap_session_fetch_from(session, 1, TRUE, BATCH, collect, &c,
							&error), ==, 0);
		g_assert_null(error);
		g_assert_cmpuint(c.uids->len, ==, N);
		for (guint i = 0; i < c.uids->len; i++) {
			g_autofree char *want = g_strdup_printf("Subject: message %u\r\n",
								i % 100 + 1);

			g_assert_cmpuint(g_array_index(c.uids, uint32_t, i), ==, i + 1);
			g_assert_nonnull(strstr(c.data->pdata[i], want));
			g_assert_null(strstr(c.data->pdata[i], "body"));
		}
		collected_clear(&c);
	}

	collected_init(&c);
	c.stop_after = BATCH + 5;
	g_assert_cmpint(imap_session_fetch_from(session, 1, TRUE, BATCH, collect, &c, &error),
			==, -1);
	g_assert_cmpstr(error, ==, "stopped by the test");
	g_clear_pointer(&error, g_free);
	collected_clear(&c);
	g_assert_cmpint(imap_session_select(session, "INBOX", &status, &error), ==, -1);
	g_assert_nonnull(strstr(error, "closed after an earlier failure"));
	g_free(error);
	imap_session_free(&session);
}

static gboolean expect_ok(int r, char *error)
{
	if (r < 0)
		g_test_message("%s", error);
	g_assert_null(error);
	g_free(error);
	return r >= 0;
}

static void select_count(imap_session *session, const char *name,
			 uint32_t expected)
{
	imap_mailbox_status status = { 0, 0, 0, FALSE };
	char *error = NULL;

	g_assert_true(expect_ok(imap_session_select(session, name, &status,
						    &error), error));
	g_assert_cmpuint(status.exists, ==, expected);
}

static void check_flags(imap_session *session, uint32_t uid,
			const char *expected)
{
	Collected c;
	char *error = NULL;

	collected_init(&c);
	g_assert_true(expect_ok(imap_session_fetch_from(session, uid, TRUE, 0,
							collect, &c, &error),
				error));
	g_assert_cmpuint(c.uids->len, >=, 1);
	if (c.uids->len >= 1)
		g_assert_cmpstr(c.flags->pdata[0], ==, expected);
	collected_clear(&c);
}

static void test_flags_copy_move(Fixture *f, gconstpointer data)
{
	static const char *const flags[] = { "\\Flagged", "$Label1", NULL };
	static const char *const bad_flags[] = { "bad flag", NULL };
	static const uint32_t one[] = { 1 };
	static const uint32_t two[] = { 2, 2 };
	imap_session *session;
	char *error = NULL;
	GArray *uids;

	if (!f->up)
		return;
	session = login_plain(f);
	g_assert_nonnull(session);
	if (session == NULL || !fill_inbox(session)) {
		imap_session_free(&session);
		return;
	}

	g_assert_cmpint(imap_session_mailbox_exists(session, "Archive", &error),
			==, 0);
	g_assert_true(expect_ok(imap_session_create(session, "Archive", &error),
				error));
	error = NULL;
	/* Again: it already exists, which is fine. */
	g_assert_true(expect_ok(imap_session_create(session, "Archive", &error),
				error));
	error = NULL;
	g_assert_cmpint(imap_session_mailbox_exists(session, "Archive", &error),
			==, 1);
	g_assert_cmpint(imap_session_mailbox_exists(session, "Arch%", &error),
			==, 0);
	g_assert_cmpint(imap_session_mailbox_exists(session, "inbox", &error),
			==, 1);
	g_assert_null(error);

	uids = uid_array(one, G_N_ELEMENTS(one));
	g_assert_true(expect_ok(imap_session_add_flags(session, uids, flags,
						       &error), error));
	error = NULL;
	check_flags(session, 1, "\\Flagged $Label1");
	g_assert_cmpint(imap_session_add_flags(session, uids, bad_flags,
					       &error), ==, -1);
	g_assert_nonnull(strstr(error, "invalid IMAP flag"));
	g_clear_pointer(&error, g_free);

	g_assert_true(expect_ok(imap_session_copy(session, uids, "Archive",
						  &error), error));
	error = NULL;
	g_assert_cmpint(imap_session_copy(session, uids, "NoSuchBox", &error),
			==, -1);
	g_assert_nonnull(strstr(error, "UID COPY from \"INBOX\" to "
				       "\"NoSuchBox\""));
	g_clear_pointer(&error, g_free);
	g_array_free(uids, TRUE);

	uids = uid_array(two, G_N_ELEMENTS(two));
	g_assert_true(expect_ok(imap_session_move(session, uids, "Archive",
						  &error), error));
	error = NULL;
	/* Moving a UID that is gone is not an error. */
	g_assert_true(expect_ok(imap_session_move(session, uids, "Archive",
						  &error), error));
	error = NULL;
	g_array_free(uids, TRUE);
	select_count(session, "INBOX", 2);
	/* \Flagged survived; 1 and 3 remain. */
	check_flags(session, 3, "");
	select_count(session, "Archive", 2);
	imap_session_free(&session);
}

static void test_utf7_mailbox(Fixture *f, gconstpointer data)
{
	imap_session *session;
	char *error = NULL;
	char *name;

	if (!f->up)
		return;
	session = login_plain(f);
	g_assert_nonnull(session);
	if (session == NULL)
		return;
	name = mailbox_name_to_server("Clients/Café & Co",
				      imap_session_get_delimiter(session),
				      imap_session_get_prefix(session), &error);
	g_assert_cmpstr(name, ==, "Clients.Caf&AOk- &- Co");
	g_assert_true(expect_ok(imap_session_create(session, name, &error),
				error));
	error = NULL;
	g_assert_cmpint(imap_session_mailbox_exists(session, name, &error), ==,
			1);
	/* The parent level exists too (possibly \Noselect: then 0). */
	g_assert_cmpint(imap_session_mailbox_exists(session, "Clients.Caf",
						    &error), ==, 0);
	select_count(session, name, 0);
	g_free(name);
	imap_session_free(&session);
}

typedef struct {
	int port;
} Deliverer;

static gpointer deliver_later(gpointer data)
{
	Deliverer *d = data;
	char *url = url_for("imap", "127.0.0.1", d->port);
	imap_connect_params params = { url, IMAP_TLS_NONE, NULL, 10 };
	imap_session *session = NULL;
	char *error = NULL;
	uint32_t uid = 0;

	g_usleep(300 * 1000);
	if (imap_session_connect(&params, &session, &error) == 0 &&
	    imap_session_login(session, TEST_USER, TEST_PASSWORD, &error) == 0)
		imap_session_append(session, "INBOX", NULL, messages[0],
				    strlen(messages[0]), NULL, &uid, &error);
	g_free(error);
	imap_session_free(&session);
	g_free(url);
	return NULL;
}

static void test_idle(Fixture *f, gconstpointer data)
{
	imap_session *session;
	gboolean changed = TRUE;
	char *error = NULL;
	Deliverer d;
	GThread *thread;
	gint64 start;

	if (!f->up)
		return;
	session = login_plain(f);
	g_assert_nonnull(session);
	if (session == NULL)
		return;
	select_count(session, "INBOX", 0);

	/* Nothing happens: back after the timeout, unchanged. */
	start = g_get_monotonic_time();
	g_assert_true(expect_ok(imap_session_idle_wait(session, 1, &changed,
						       &error), error));
	error = NULL;
	g_assert_false(changed);
	g_assert_cmpint(g_get_monotonic_time() - start, >=, 900 * 1000);

	/* New mail arrives during IDLE: back early, changed. */
	d.port = f->dc.port;
	thread = g_thread_new("deliver", deliver_later, &d);
	start = g_get_monotonic_time();
	g_assert_true(expect_ok(imap_session_idle_wait(session, 10, &changed,
						       &error), error));
	error = NULL;
	g_thread_join(thread);
	g_assert_true(changed);
	g_assert_cmpint(g_get_monotonic_time() - start, <, 8 * G_USEC_PER_SEC);
	/* The session is still usable. */
	select_count(session, "INBOX", 1);
	imap_session_free(&session);
}

/* RFC 5530 [OVERQUOTA]: a temporary refusal; the session stays usable and
 * the same APPEND succeeds once there is room. */
static void test_error_kind_temporary(Fixture *f, gconstpointer data)
{
	imap_session *session;
	GString *big = g_string_new("From: a@example.test\r\nSubject: big\r\n\r\n");
	char *error = NULL;
	GArray *uids = NULL;

	(void)data;
	if (!f->up)
		return;
	session = login_plain(f);
	g_assert_nonnull(session);
	while (big->len < 8192)
		g_string_append(big, "0123456789012345678901234567890123456789012345678901234567890123456789\r\n");
	g_assert_cmpint(imap_session_append(session, "INBOX", NULL, big->str, big->len, NULL, NULL,
					    &error), ==, -1);
	g_test_message("over quota: %s", error);
	g_assert_cmpint(imap_session_error_kind(session), ==, IMAP_ERROR_TEMPORARY);
	g_assert_true(imap_session_usable(session));
	g_assert_nonnull(strstr(error, "[OVERQUOTA]"));
	g_clear_pointer(&error, g_free);
	/* A small one fits: the session was not lost. */
	g_assert_cmpint(imap_session_append(session, "INBOX", NULL, messages[0], strlen(messages[0]),
					    NULL, NULL, &error), ==, 0);
	g_assert_cmpint(imap_session_error_kind(session), ==, IMAP_ERROR_NONE);
	g_assert_cmpint(imap_session_select(session, "INBOX", NULL, &error), ==, 0);
	g_assert_cmpint(imap_session_search_message_id(session, "1@example.test", &uids, &error),
			==, 0);
	g_assert_cmpuint(uids->len, ==, 1);
	g_array_free(uids, TRUE);
	g_string_free(big, TRUE);
	imap_session_free(&session);
}

static void test_no_starttls_refused(Fixture *f, gconstpointer data)
{
	char *url;
	imap_connect_params params = { NULL, IMAP_TLS_REQUIRED, NULL, 10 };
	imap_session *session = NULL;
	char *error = NULL;

	if (!f->up)
		return;
	url = url_for("imap", "127.0.0.1", f->dc.port);
	params.url = url;
	g_assert_cmpint(imap_session_connect(&params, &session, &error), ==, -1);
	g_assert_null(session);
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error, "does not offer STARTTLS; set tls = "
				       "none to allow plaintext"));
	g_free(error);
	g_free(url);
}

static void test_move_without_move(Fixture *f, gconstpointer data)
{
	static const uint32_t uids_in[] = { 1, 3 };
	imap_session *session;
	char *error = NULL;
	GArray *uids;

	if (!f->up)
		return;
	session = login_plain(f);
	g_assert_nonnull(session);
	if (session == NULL || !fill_inbox(session)) {
		imap_session_free(&session);
		return;
	}
	g_assert_false(imap_session_has_capability(session, "MOVE"));
	g_assert_true(expect_ok(imap_session_create(session, "Archive", &error),
				error));
	error = NULL;
	uids = uid_array(uids_in, G_N_ELEMENTS(uids_in));
	g_assert_true(expect_ok(imap_session_move(session, uids, "Archive",
						  &error), error));
	error = NULL;
	g_assert_true(expect_ok(imap_session_move(session, uids, "Archive",
						  &error), error));
	error = NULL;
	g_array_free(uids, TRUE);
	/* UID EXPUNGE removed exactly 1 and 3. */
	select_count(session, "INBOX", 1);
	check_flags(session, 2, "\\Seen");
	select_count(session, "Archive", 2);
	imap_session_free(&session);
}

/* ---- TLS ----------------------------------------------------------- */

static int tls_connect(Fixture *f, const char *scheme, const char *host,
		       int port, const char *ca_file, char **error_r)
{
	char *url = url_for(scheme, host, port);
	imap_connect_params params = { url, IMAP_TLS_REQUIRED, ca_file, 10 };
	imap_session *session = NULL;
	int r;

	r = imap_session_connect(&params, &session, error_r);
	if (r == 0) {
		r = imap_session_login(session, TEST_USER, TEST_PASSWORD,
				       error_r);
		if (r == 0)
			g_assert_true(imap_session_has_capability(session,
								  "IMAP4rev1"));
	} else {
		g_assert_null(session);
	}
	imap_session_free(&session);
	g_free(url);
	return r;
}

static void test_tls_trusted(Fixture *f, gconstpointer data)
{
	char *error = NULL;

	if (!f->up)
		return;
	g_assert_true(expect_ok(tls_connect(f, "imaps", "127.0.0.1",
					    f->dc.port_imaps, f->dc.ca_file,
					    &error), error));
	error = NULL;
	/* imap:// under IMAP_TLS_REQUIRED: STARTTLS, then the same checks. */
	g_assert_true(expect_ok(tls_connect(f, "imap", "127.0.0.1", f->dc.port,
					    f->dc.ca_file, &error), error));
}

static void test_tls_unknown_authority(Fixture *f, gconstpointer data)
{
	char *error = NULL;

	if (!f->up)
		return;
	/* The system store does not know the test's CA. */
	g_assert_cmpint(tls_connect(f, "imaps", "127.0.0.1", f->dc.port_imaps,
				    NULL, &error), ==, -1);
	g_test_message("%s", error);
	g_assert_nonnull(strstr(error, "certificate signed by an unknown "
				       "authority"));
	g_clear_pointer(&error, g_free);
	g_assert_cmpint(tls_connect(f, "imap", "127.0.0.1", f->dc.port, NULL,
				    &error), ==, -1);
	g_assert_nonnull(strstr(error, "unknown authority"));
	g_clear_pointer(&error, g_free);
}

static void test_tls_wrong_host(Fixture *f, gconstpointer data)
{
	char *error = NULL;

	if (!f->up)
		return;
	/* Dovecot shows the other.test certificate on 127.0.0.2. */
	g_assert_cmpint(tls_connect(f, "imaps", "127.0.0.2", f->dc.port_imaps,
				    f->dc.ca_file, &error), ==, -1);
	g_test_message("%s", error);
	g_assert_nonnull(strstr(error, "certificate is for other.test, not "
				       "127.0.0.2"));
	g_clear_pointer(&error, g_free);
}

int main(int argc, char **argv)
{
	static const DovecotOptions plain = { FALSE, FALSE, FALSE };
	static const DovecotOptions no_move = { FALSE, TRUE, FALSE };
	static const DovecotOptions tls = { TRUE, FALSE, FALSE };
	static const DovecotOptions quota = { FALSE, FALSE, TRUE };

	g_test_init(&argc, &argv, NULL);
	/* Failed checks must not abort: teardown then stops Dovecot. */
	g_test_set_nonfatal_assertions();
	atexit(dovecot_reap_all);
	atexit(dovecot_kill_all); /* runs first */
	signal(SIGABRT, on_fatal_signal);
	signal(SIGSEGV, on_fatal_signal);
	signal(SIGBUS, on_fatal_signal);
	signal(SIGINT, on_fatal_signal);
	signal(SIGTERM, on_fatal_signal);
	signal(SIGPIPE, SIG_IGN);

	g_test_add_func("/imap/mailbox-name/table", test_mailbox_name_table);
	g_test_add_func("/imap/mailbox-name/clean", test_mailbox_name_clean);
	g_test_add_func("/imap/tls-verify/no-certificate",
			test_tls_verify_no_certificate);
	g_test_add_func("/imap/tls-verify/reasons", test_tls_verify_reasons);
	g_test_add_func("/imap/uid-set/ranges", test_uid_set_ranges);
	g_test_add_func("/imap/uid-set/sorted", test_uid_set_sorted);
	g_test_add_func("/imap/uid-set/batching", test_uid_set_batching);
#define ADD(path, opt, fn) \
	g_test_add(path, Fixture, opt, fixture_setup, fn, fixture_teardown)
	ADD("/imap/dovecot/login", &plain, test_login);
	ADD("/imap/dovecot/select-append-fetch", &plain,
	    test_select_append_fetch);
	ADD("/imap/dovecot/special-use-append", &plain, test_special_use_append);
	ADD("/imap/dovecot/fetch-pipelined", &plain, test_fetch_pipelined);
	ADD("/imap/dovecot/flags-copy-move", &plain, test_flags_copy_move);
	ADD("/imap/dovecot/move-without-move", &no_move,
	    test_move_without_move);
	ADD("/imap/dovecot/utf7-mailbox", &plain, test_utf7_mailbox);
	ADD("/imap/dovecot/idle", &plain, test_idle);
	ADD("/imap/dovecot/error-kind-temporary", &quota, test_error_kind_temporary);
	ADD("/imap/tls/no-starttls-refused", &plain, test_no_starttls_refused);
	ADD("/imap/tls/trusted-ca-file", &tls, test_tls_trusted);
	ADD("/imap/tls/unknown-authority", &tls, test_tls_unknown_authority);
	ADD("/imap/tls/wrong-host", &tls, test_tls_wrong_host);
#undef ADD
	return g_test_run();
}
