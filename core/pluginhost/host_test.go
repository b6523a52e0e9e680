package pluginhost_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	_ "modernc.org/sqlite"

	"github.com/xroam/xroam/core/config"
	"github.com/xroam/xroam/core/pluginhost"
	"github.com/xroam/xroam/plugins/builtin"
	"github.com/xroam/xroam/sdk/auth"
	"github.com/xroam/xroam/sdk/plugin"
)

func newHost(t testing.TB, mod func(*pluginhost.Options)) *pluginhost.Host {
	t.Helper()
	opts := pluginhost.Options{
		Dirs:           []string{pluginDir},
		Builtins:       builtin.Plugins(),
		PreferExternal: true,
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if testing.Verbose() {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if mod != nil {
		mod(&opts)
	}
	h := pluginhost.New(opts)
	t.Cleanup(func() { _ = h.Close() })
	return h
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// clientDigests is what Debian's xpra 3.1.3 client offers.
var clientDigests = []string{"xor", "hmac", "hmac+sha512", "hmac+sha384", "hmac+sha256", "hmac+sha224", "hmac+sha1", "hmac+md5"}

// attempt runs the challenge flow against a module: Prepare, then a
// challenge computed as the client would from password, then Authenticate.
func attempt(ctx context.Context, a auth.Authenticator, user, password string, peer auth.Peer) (*auth.Response, error) {
	prep, err := a.Prepare(ctx, &auth.PrepareRequest{Username: user, Peer: peer, ClientDigests: clientDigests})
	if err != nil {
		return nil, err
	}
	req := &auth.Request{Username: user, Peer: peer}
	if prep.Challenge {
		digest := auth.ChooseDigest(prep.Digests, clientDigests)
		if digest == "" {
			return nil, fmt.Errorf("no digest in common with %v", prep.Digests)
		}
		serverSalt, err := auth.NewServerSalt()
		if err != nil {
			return nil, err
		}
		c, err := auth.ClientResponse(digest, "hmac+sha256", serverSalt, []byte("client-salt-0123456789abcdef0123"), []byte(password))
		if err != nil {
			return nil, err
		}
		req.Challenge = c
	}
	return a.Authenticate(ctx, req)
}

func TestDescribeEveryPlugin(t *testing.T) {
	ctx := testCtx(t)
	for bin := range testPlugins {
		d, err := pluginhost.Describe(ctx, filepath.Join(pluginDir, bin), pluginhost.MinimalEnv())
		if err != nil {
			t.Fatal(err)
		}
		kind, name, _ := pluginhost.ParseBinaryName(bin)
		if d.Kind != kind || d.Name != name || len(d.APIVersions) == 0 || d.Version == "" {
			t.Errorf("%s describes itself as %+v", bin, d)
		}
	}
	found, err := pluginhost.Discover([]string{"/nonexistent", pluginDir})
	if err != nil || len(found) != len(testPlugins) {
		t.Fatalf("Discover found %d (%v), want %d", len(found), err, len(testPlugins))
	}
}

func TestPluginRefusesToServeWithoutHost(t *testing.T) {
	out, err := execOut(filepath.Join(pluginDir, "xroam-auth-allow"))
	if err == nil || !strings.Contains(out, "the xroam server starts it") {
		t.Fatalf("got %v: %s", err, out)
	}
}

func writeFile(t *testing.T, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAuthModulesThroughSubprocesses(t *testing.T) {
	t.Setenv("XROAM_PASSWORD", "envpw")
	pwFile := writeFile(t, "pw", "filepw\n", 0o600)
	multi := writeFile(t, "users", "# users\nalice|alicepw|1000|1001|:10,:11|A=1;B=2|share=yes\nbob|bobpw\n", 0o600)
	script := writeFile(t, "check.sh", "#!/bin/sh\npw=$(cat)\n[ \"$XROAM_AUTH_USERNAME\" = carol ] && [ \"$pw\" = execpw ]\n", 0o755)
	db := sqliteDB(t)
	unix := auth.Peer{Network: "unix", Addr: "/run/x.sock", HasCreds: true, UID: uint32(os.Getuid()), GID: uint32(os.Getgid())}
	other := auth.Peer{Network: "unix", Addr: "/run/x.sock", HasCreds: true, UID: 4242, GID: 4242}
	tcp := func(a string) auth.Peer { return auth.Peer{Network: "tcp", Addr: a} }

	type try struct {
		user, pw string
		peer     auth.Peer
		ok       bool
	}
	tests := []struct {
		spec  string
		tries []try
		check func(t *testing.T, r *auth.Response)
	}{
		{"allow", []try{{"x", "", unix, true}}, nil},
		{"fail", []try{{"x", "", unix, false}}, nil},
		{"env", []try{{"x", "envpw", unix, true}, {"x", "wrong", unix, false}}, nil},
		{"env:name=XROAM_NOT_SET_ANYWHERE", []try{{"x", "", unix, false}, {"x", "envpw", unix, false}}, nil},
		{"password:value=pwpw", []try{{"x", "pwpw", unix, true}, {"x", "pwp", unix, false}}, nil},
		// xpra clients send a password file with its newline; typed passwords have none.
		{"file:filename=" + pwFile, []try{{"x", "filepw", unix, true}, {"x", "filepw\n", unix, true}, {"x", "filepw2", unix, false}}, nil},
		{"multifile:filename=" + multi, []try{{"alice", "alicepw", unix, true}, {"alice", "bobpw", unix, false},
			{"bob", "bobpw", unix, true}, {"mallory", "alicepw", unix, false}}, nil},
		{"exec:command=" + script + ",password=true", []try{{"carol", "execpw", unix, true}, {"carol", "nope", unix, false},
			{"dave", "execpw", unix, false}}, nil},
		{"peercred", []try{{"", "", unix, true}, {"", "", other, false}, {"", "", tcp("127.0.0.1:1"), false}}, nil},
		{"peercred:uid=4242", []try{{"", "", other, true}, {"", "", unix, false}}, nil},
		{"peercred:gid=root:4242", []try{{"", "", other, true}}, nil},
		{"hosts:allow=10.0.0.0/8:local,deny=all", []try{{"", "", tcp("10.2.3.4:5000"), true}, {"", "", tcp("[::1]:5000"), true},
			{"", "", tcp("192.168.1.2:5000"), false}, {"", "", unix, true}}, nil},
		{"sqlite:filename=" + db, []try{{"alice", "alicepw", unix, true}, {"alice", "bobpw", unix, false},
			{"bob", "bobpw", unix, true}, {"bob", "alicepw", unix, false}, {"eve", "", unix, false}}, nil},
		{"hosts:deny=192.168.1.2,default=allow", []try{{"", "", tcp("192.168.1.2:1"), false}, {"", "", tcp("192.168.1.3:1"), true}}, nil},
	}
	ctx := testCtx(t)
	h := newHost(t, nil)
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			sp, err := pluginhost.AuthSpecFor(tt.spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			a, err := h.Auth(ctx, sp)
			if err != nil {
				t.Fatal(err)
			}
			for _, tr := range tt.tries {
				resp, err := attempt(ctx, a, tr.user, tr.pw, tr.peer)
				if got := auth.Allowed(resp, err); got != tr.ok {
					t.Errorf("user %q password %q peer %+v: allowed %v, want %v (%+v, %v)", tr.user, tr.pw, tr.peer, got, tr.ok, resp, err)
				}
			}
		})
	}
	for _, st := range h.Status() {
		if st.Builtin || st.PID == 0 || st.State != pluginhost.StateRunning {
			t.Errorf("status %+v: want a running subprocess", st)
		}
	}
}

func TestMultifileResponse(t *testing.T) {
	multi := writeFile(t, "users", "alice|alicepw|1000|1001|:10,:11|A=1;B=2|share=yes\n", 0o600)
	ctx := testCtx(t)
	a, err := newHost(t, nil).Auth(ctx, pluginhost.Spec{Name: "multifile", Options: map[string][]string{"filename": {multi}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := attempt(ctx, a, "alice", "alicepw", auth.Peer{Network: "tcp", Addr: "127.0.0.1:1"})
	if !auth.Allowed(r, err) {
		t.Fatal(r, err)
	}
	if !r.HasIDs || r.UID != 1000 || r.GID != 1001 || strings.Join(r.Displays, " ") != ":10 :11" || r.Env["B"] != "2" || r.SessionOptions["share"] != "yes" {
		t.Fatalf("response %+v", r)
	}
}

func TestClearPasswordWithoutChallenge(t *testing.T) {
	ctx := testCtx(t)
	a, err := newHost(t, nil).Auth(ctx, pluginhost.Spec{Name: "password", Options: map[string][]string{"value": {"pw"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		pw string
		ok bool
	}{{"pw", true}, {"pW", false}} {
		r, err := a.Authenticate(ctx, &auth.Request{HasPassword: true, Password: []byte(tt.pw)})
		if auth.Allowed(r, err) != tt.ok {
			t.Errorf("%q: %+v %v", tt.pw, r, err)
		}
	}
}

func TestBuiltinsShareTheInterface(t *testing.T) {
	ctx := testCtx(t)
	h := newHost(t, func(o *pluginhost.Options) { o.PreferExternal = false; o.Dirs = nil })
	for _, tt := range []struct {
		name string
		ok   bool
	}{{"allow", true}, {"fail", false}} {
		a, err := h.Auth(ctx, pluginhost.Spec{Name: tt.name})
		if err != nil {
			t.Fatal(err)
		}
		r, err := attempt(ctx, a, "u", "", auth.Peer{Network: "unix"})
		if auth.Allowed(r, err) != tt.ok {
			t.Errorf("%s: %+v %v", tt.name, r, err)
		}
	}
	if _, err := h.Auth(ctx, pluginhost.Spec{Name: "file"}); !errors.Is(err, pluginhost.ErrNotFound) {
		t.Fatalf("file without binary: %v", err)
	}
	for _, st := range h.Status() {
		if !st.Builtin {
			t.Errorf("%+v is not built in", st)
		}
	}
}

func TestAPIVersionMismatch(t *testing.T) {
	h := newHost(t, func(o *pluginhost.Options) { o.APIVersions = []int{7, 9} })
	_, err := h.Auth(testCtx(t), pluginhost.Spec{Name: "allow"})
	if err == nil || !strings.Contains(err.Error(), "xroam speaks [7 9], the plugin speaks [1 2]") {
		t.Fatalf("got %v", err)
	}
	if v, err := pluginhost.Negotiate([]int{1, 2, 3}, []int{2, 3, 4}); v != 3 || err != nil {
		t.Fatalf("Negotiate = %d, %v", v, err)
	}
}

func TestSHA256Pin(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(pluginDir, "xroam-auth-allow"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	tests := []struct {
		pin     string
		wantErr string
	}{
		{hex.EncodeToString(sum[:]), ""},
		{strings.Repeat("00", 32), "checksums did not match"},
		{"xyz", "not 64 hex digits"},
	}
	for _, tt := range tests {
		t.Run(tt.pin[:3], func(t *testing.T) {
			eff := config.New()
			if d := eff.LoadSource("pin.hcl", []byte(fmt.Sprintf("auth \"allow\" {\n  sha256 = %q\n}\n", tt.pin))); d.HasErrors() {
				t.Fatal(d)
			}
			sp, err := pluginhost.AuthSpecFor("allow", eff)
			if err != nil {
				t.Fatal(err)
			}
			_, err = newHost(t, nil).Auth(testCtx(t), sp)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("got %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestMinimalEnvironment(t *testing.T) {
	t.Setenv("XROAM_PASSWORD", "envpw")
	t.Setenv("XROAM_TEST_LEAK", "must-not-reach-plugins")
	h := newHost(t, nil)
	if _, err := h.Auth(testCtx(t), pluginhost.Spec{Name: "env"}); err != nil {
		t.Fatal(err)
	}
	st := h.Status()
	if len(st) != 1 || st[0].PID == 0 {
		t.Fatalf("status %+v", st)
	}
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", st[0].PID))
	if err != nil {
		t.Skipf("cannot read the plugin's environment: %v", err)
	}
	vars := strings.Split(string(env), "\x00")
	for _, v := range vars {
		if strings.HasPrefix(v, "XROAM_TEST_LEAK=") || strings.HasPrefix(v, "HOME=") {
			t.Errorf("plugin environment has %s", v)
		}
	}
	if !strings.Contains(string(env), "XROAM_PASSWORD=envpw") {
		t.Errorf("the variable the env module names was not passed: %q", vars)
	}
	// The server keeps it from the session's commands.
	if got := h.AuthEnv(); !slices.Equal(got, []string{"XROAM_PASSWORD"}) {
		t.Errorf("AuthEnv() = %q, want [XROAM_PASSWORD]", got)
	}
}

// TestRestartAfterCrash kills an auth plugin mid-use: calls while it is
// down deny, the host restarts it, and calls succeed again.
func TestRestartAfterCrash(t *testing.T) {
	ctx := testCtx(t)
	// The restart waits for the test's go-ahead, so that the outage is
	// certain to last while the test makes its calls.
	gate := make(chan struct{})
	h := newHost(t, func(o *pluginhost.Options) {
		o.Backoff = func(ctx context.Context, attempt int) error {
			select {
			case <-gate:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	})
	a, err := h.Auth(ctx, pluginhost.Spec{Name: "password", Options: map[string][]string{"value": {"pw"}}})
	if err != nil {
		t.Fatal(err)
	}
	peer := auth.Peer{Network: "tcp", Addr: "127.0.0.1:9"}
	if r, err := attempt(ctx, a, "u", "pw", peer); !auth.Allowed(r, err) {
		t.Fatalf("before the crash: %+v %v", r, err)
	}
	pid := h.Status()[0].PID
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		r, err := a.Authenticate(ctx, &auth.Request{HasPassword: true, Password: []byte("pw"), Peer: peer})
		if auth.Allowed(r, err) || err == nil {
			t.Fatalf("call %d during the outage: %+v %v, want a denial with an error", i, r, err)
		}
	}
	waitState(t, h, pluginhost.StateRestarting)
	close(gate)
	st := waitState(t, h, pluginhost.StateRunning)
	if st.PID == pid || st.Restarts != 1 {
		t.Fatalf("after restart: %+v (old pid %d)", st, pid)
	}
	if r, err := attempt(ctx, a, "u", "pw", peer); !auth.Allowed(r, err) {
		t.Fatalf("after the restart: %+v %v", r, err)
	}
	if r, err := attempt(ctx, a, "u", "bad", peer); auth.Allowed(r, err) {
		t.Fatal("wrong password allowed after the restart")
	}
}

func waitState(t *testing.T, h *pluginhost.Host, want pluginhost.State) pluginhost.Status {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		st := h.Status()
		if len(st) == 1 && st[0].State == want {
			return st[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("plugin never reached %s: %+v", want, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCloseStopsPlugins(t *testing.T) {
	h := newHost(t, nil)
	a, err := h.Auth(testCtx(t), pluginhost.Spec{Name: "allow"})
	if err != nil {
		t.Fatal(err)
	}
	pid := h.Status()[0].PID
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if r, err := a.Authenticate(context.Background(), &auth.Request{}); auth.Allowed(r, err) {
		t.Fatal("allowed after Close")
	}
	// The process is gone (reaped by go-plugin), so signal 0 fails.
	deadline := time.Now().Add(time.Minute)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("plugin %d still running after Close", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := h.Auth(testCtx(t), pluginhost.Spec{Name: "allow"}); err == nil {
		t.Fatal("Auth after Close")
	}
	_ = plugin.KindAuth
}

// sqliteDB writes a users table with a clear and a bcrypt password.
func sqliteDB(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "users.db")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bc, err := bcrypt.GenerateFromPassword([]byte("bobpw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE users (username TEXT, password TEXT, uid TEXT, gid TEXT, displays TEXT, env_options TEXT, session_options TEXT)",
		"INSERT INTO users VALUES ('alice', 'alicepw', '1000', '1000', '', '', '')",
		"INSERT INTO users (username, password) VALUES ('bob', '" + string(bc) + "')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return p
}
