package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	_ "modernc.org/sqlite"
)

// xpraEnv is e.xpra with extra environment variables.
func (e *Env) xpraEnv(timeout time.Duration, extra []string, args ...string) (string, error) {
	e.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xpra", args...)
	cmd.Env = append(append(e.Environ(), "XPRA_ALLOW_ROOT=1", "XDG_RUNTIME_DIR="+e.Home, "XPRA_SOCKET_HOSTNAME=testhost"), extra...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// usersDB writes a sqlite users table in the man page's layout: alice
// with a clear password, bob with a bcrypt hash.
func usersDB(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "users.db")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bc, err := bcrypt.GenerateFromPassword([]byte("bob-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE users (username TEXT, password TEXT, uid TEXT, gid TEXT, displays TEXT, env_options TEXT, session_options TEXT)",
		"INSERT INTO users (username, password) VALUES ('alice', 'alice-pw')",
		"INSERT INTO users (username, password) VALUES ('bob', '" + string(bc) + "')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// TestAuthModulesOverSockets runs the env, sqlite, peercred and hosts
// modules as plugin subprocesses behind real sockets (unix, tcp, ws, wss,
// ssl), each through --auth, --tcp-auth, --ws-auth, --wss-auth or
// --ssl-auth, and logs Debian's xpra 3.1.3 client in with the right
// credentials and is refused with wrong ones. The tcp logins give the
// password through XPRA_PASSWORD, with which the client sends the
// partial first hello, and through --password-file, with which it sends
// the complete one.
func TestAuthModulesOverSockets(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needXpra(t)
	certs := testCerts(t, e.Home)
	db := usersDB(t, e.Home)
	// The env module reads the server's environment, which the plugin
	// host passes on for the variable it names only.
	e.Vars = append(e.Vars, "XROAM_TEST_TCP_PASSWORD=env-pw")
	pw := func(name, v string) string {
		p := filepath.Join(e.Home, name)
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tcp, ws, wss, ssl := suite.FreePort(t), suite.FreePort(t), suite.FreePort(t), suite.FreePort(t)
	n := e.Start("--plugin-dir="+suite.PluginDir,
		fmt.Sprintf("--bind-tcp=127.0.0.1:%d", tcp), fmt.Sprintf("--bind-ws=127.0.0.1:%d", ws),
		fmt.Sprintf("--bind-wss=127.0.0.1:%d", wss), fmt.Sprintf("--bind-ssl=127.0.0.1:%d", ssl),
		"--ssl-cert="+certs.Cert, "--ssl-key="+certs.Key, "--ssl-client-verify-mode=none",
		"--auth=peercred", "--tcp-auth=env:name=XROAM_TEST_TCP_PASSWORD",
		"--ws-auth=sqlite:filename="+db, "--wss-auth=sqlite:filename="+db,
		"--ssl-auth=hosts:deny=127.0.0.0/8,default=allow")
	tls := []string{"--ssl-ca-certs=" + certs.CA}
	refused := func(out string) bool {
		return !strings.Contains(out, "server.type=xroam") && strings.Contains(out, "authentication failed")
	}
	for _, tc := range []struct {
		name  string
		args  []string
		env   []string
		allow bool
	}{
		{"peercred/own-uid", []string{"socket://" + e.Socket(n)}, nil, true},
		{"env/password-file", []string{fmt.Sprintf("tcp://127.0.0.1:%d/", tcp), "--password-file=" + pw("env", "env-pw")}, nil, true},
		{"env/wrong-file", []string{fmt.Sprintf("tcp://127.0.0.1:%d/", tcp), "--password-file=" + pw("nope", "nope")}, nil, false},
		{"env/XPRA_PASSWORD", []string{fmt.Sprintf("tcp://127.0.0.1:%d/", tcp)}, []string{"XPRA_PASSWORD=env-pw"}, true},
		{"env/wrong-XPRA_PASSWORD", []string{fmt.Sprintf("tcp://127.0.0.1:%d/", tcp)}, []string{"XPRA_PASSWORD=env-pw2"}, false},
		{"sqlite/ws", []string{fmt.Sprintf("ws://alice@127.0.0.1:%d/", ws), "--password-file=" + pw("alice", "alice-pw")}, nil, true},
		{"sqlite/ws-wrong", []string{fmt.Sprintf("ws://alice@127.0.0.1:%d/", ws), "--password-file=" + pw("bob", "bob-pw")}, nil, false},
		// A bcrypt hash needs the clear password: xpra sends it only over
		// an encrypted link such as wss.
		{"sqlite/wss-bcrypt", append([]string{fmt.Sprintf("wss://bob@127.0.0.1:%d/", wss), "--password-file=" + pw("bob", "bob-pw")}, tls...), nil, true},
		{"sqlite/wss-bcrypt-wrong", append([]string{fmt.Sprintf("wss://bob@127.0.0.1:%d/", wss), "--password-file=" + pw("alice", "alice-pw")}, tls...), nil, false},
		{"hosts/denied", append([]string{fmt.Sprintf("ssl://127.0.0.1:%d/", ssl)}, tls...), nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.xpraEnv(40*time.Second, tc.env, append([]string{"info"}, tc.args...)...)
			if tc.allow && (err != nil || !strings.Contains(out, "server.type=xroam")) {
				t.Errorf("refused: %v\n%s", err, Tail(out, 2000))
			}
			// xpra 3.1.3 exits 0 when a websocket closes cleanly, so only
			// its message tells.
			if !tc.allow && !refused(out) {
				t.Errorf("not refused: %v\n%s", err, Tail(out, 2000))
			}
		})
	}
	logb := e.LogOf(n)
	for _, module := range []string{`module="env:`, `module="sqlite:`, `module="hosts:`} {
		if !strings.Contains(logb, "authentication failed") || !strings.Contains(logb, module) {
			t.Errorf("no failed attempt logged for %s:\n%s", module, Tail(logb, 3000))
		}
	}
}

// TestAuthMoreModulesOverSockets: a uid list without the client's uid
// refuses it on the unix socket; on ssl, two chained modules (a hosts
// list with the client's address, then a password) let it in only with
// the right password; on wss the exec module's command decides from the
// user name and the password on its standard input; fail refuses on ws;
// and --tcp-auth=allow on an address beyond loopback starts the server
// with a loud warning and lets anyone in.
func TestAuthMoreModulesOverSockets(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needXpra(t)
	certs := testCerts(t, e.Home)
	script := filepath.Join(e.Home, "check.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\npw=$(cat)\n[ \"$XROAM_AUTH_USERNAME\" = carol ] && [ \"$pw\" = exec-pw ]\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tcp, ssl, ws, wss := suite.FreePort(t), suite.FreePort(t), suite.FreePort(t), suite.FreePort(t)
	n := e.Start("--plugin-dir="+suite.PluginDir,
		fmt.Sprintf("--bind-tcp=0.0.0.0:%d", tcp), fmt.Sprintf("--bind-ssl=127.0.0.1:%d", ssl),
		fmt.Sprintf("--bind-ws=127.0.0.1:%d", ws), fmt.Sprintf("--bind-wss=127.0.0.1:%d", wss),
		"--ssl-cert="+certs.Cert, "--ssl-key="+certs.Key, "--ssl-client-verify-mode=none",
		fmt.Sprintf("--auth=peercred:uid=%d", os.Getuid()+4242), "--tcp-auth=allow",
		"--ssl-auth=hosts:allow=127.0.0.1,deny=all", "--ssl-auth=password:value=chained-pw",
		"--ws-auth=fail", "--wss-auth=exec:command="+script+",password=true")
	out, _ := e.xpra(40*time.Second, "info", "socket://"+e.Socket(n))
	if strings.Contains(out, "server.type=xroam") || !strings.Contains(out, "authentication failed") {
		t.Errorf("peercred let in a uid it does not list:\n%s", Tail(out, 2000))
	}
	sslInfo := func(pw string) (string, error) {
		p := filepath.Join(e.Home, "ssl-pw")
		if err := os.WriteFile(p, []byte(pw), 0o600); err != nil {
			t.Fatal(err)
		}
		return e.xpra(40*time.Second, "info", fmt.Sprintf("ssl://127.0.0.1:%d/", ssl), "--ssl-ca-certs="+certs.CA, "--password-file="+p)
	}
	if out, err := sslInfo("chained-pw"); err != nil || !strings.Contains(out, "server.type=xroam") {
		t.Errorf("the hosts and password chain refused a listed address with the password: %v\n%s", err, Tail(out, 2000))
	}
	if out, _ := sslInfo("chained-pw2"); strings.Contains(out, "server.type=xroam") || !strings.Contains(out, "authentication failed") {
		t.Errorf("the chain let in a wrong password after hosts allowed the address:\n%s", Tail(out, 2000))
	}
	// exec's password is the clear one: xpra sends it over encrypted links only.
	execInfo := func(user, pw string) string {
		p := filepath.Join(e.Home, "exec-pw")
		if err := os.WriteFile(p, []byte(pw), 0o600); err != nil {
			t.Fatal(err)
		}
		out, _ := e.xpra(40*time.Second, "info", fmt.Sprintf("wss://%s@127.0.0.1:%d/", user, wss), "--ssl-ca-certs="+certs.CA, "--password-file="+p)
		return out
	}
	if out := execInfo("carol", "exec-pw"); !strings.Contains(out, "server.type=xroam") {
		t.Errorf("exec refused the user and password its command accepts:\n%s", Tail(out, 2000))
	}
	for _, c := range [][2]string{{"carol", "exec-pw2"}, {"dave", "exec-pw"}} {
		if out := execInfo(c[0], c[1]); strings.Contains(out, "server.type=xroam") || !strings.Contains(out, "authentication failed") {
			t.Errorf("exec let in user %s with password %s:\n%s", c[0], c[1], Tail(out, 2000))
		}
	}
	if out, _ := e.xpra(40*time.Second, "info", fmt.Sprintf("ws://127.0.0.1:%d/", ws)); strings.Contains(out, "server.type=xroam") || !strings.Contains(out, "authentication failed") {
		t.Errorf("fail let a client in:\n%s", Tail(out, 2000))
	}
	if out, err := e.xpra(40*time.Second, "info", fmt.Sprintf("tcp://127.0.0.1:%d/", tcp)); err != nil || !strings.Contains(out, "server.type=xroam") {
		t.Errorf("--tcp-auth=allow refused: %v\n%s", err, Tail(out, 2000))
	}
	if logb := e.LogOf(n); !strings.Contains(logb, "ANYONE WHO CAN REACH THIS ADDRESS CAN USE THE SESSION") {
		t.Errorf("no warning for allow beyond loopback:\n%s", Tail(logb, 3000))
	}
}
