package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xroam/xroam/core/dial"
	"github.com/xroam/xroam/core/rfb"
	"github.com/xroam/xroam/core/sockdir"
)

// TestLoopbackWithoutAuthIsOwnerOnly: a session of root's with loopback
// tcp and ws sockets and no --tcp-auth refuses another local user's
// control command ("authentication required", nothing runs, a log
// line), while root's own commands go through the same sockets.
func TestLoopbackWithoutAuthIsOwnerOnly(t *testing.T) {
	t.Parallel()
	uid, gid := suite.AddUser(t, "xroamnettest")
	e := suite.NewEnv(t)
	tcpAddr := fmt.Sprintf("127.0.0.1:%d", suite.FreePort(t))
	wsAddr := fmt.Sprintf("127.0.0.1:%d", suite.FreePort(t))
	n := e.Start("--plugin-dir="+suite.PluginDir, "--bind-tcp="+tcpAddr, "--bind-ws="+wsAddr)
	for _, uri := range []string{"tcp://" + tcpAddr + "/", "ws://" + wsAddr + "/"} {
		t.Run(strings.Split(uri, ":")[0], func(t *testing.T) {
			scheme := strings.Split(uri, ":")[0]
			theirs := filepath.Join(e.Home, scheme+"-by-other")
			out, code := e.RunAs(uid, gid, "control", uri, "start", "touch "+theirs)
			if code == 0 || !strings.Contains(out, "authentication required") {
				t.Errorf("another user's control over %s: exit %d, %q", uri, code, out)
			}
			if out, code := e.RunAs(uid, gid, "info", uri); code == 0 || !strings.Contains(out, "authentication required") {
				t.Errorf("another user's info over %s: exit %d, %q", uri, code, out)
			}
			ours := filepath.Join(e.Home, scheme+"-by-root")
			e.MustRun("control", uri, "start", "touch "+ours)
			// Commands start in order: once root's has run, the refused
			// one would have run too.
			WaitFor(t, "root's command to run", func() bool { _, err := os.Stat(ours); return err == nil })
			if _, err := os.Stat(theirs); err == nil {
				t.Errorf("another user's command ran over %s", uri)
			}
		})
	}
	logb, _ := os.ReadFile(filepath.Join(e.SockDir, fmt.Sprintf(":%d.log", n)))
	if !strings.Contains(string(logb), "the socket has no authentication") || !strings.Contains(string(logb), fmt.Sprintf("peer-uid=%d", uid)) {
		t.Errorf("the refusal is not logged with the peer's uid:\n%s", logb)
	}
	// An explicit --tcp-auth=allow keeps the socket open to all.
	openAddr := fmt.Sprintf("127.0.0.1:%d", suite.FreePort(t))
	e.Start("--plugin-dir="+suite.PluginDir, "--bind-tcp="+openAddr, "--tcp-auth=allow")
	if out, code := e.RunAs(uid, gid, "info", "tcp://"+openAddr+"/"); code != 0 || !strings.Contains(out, "server.type=xroam") {
		t.Errorf("--tcp-auth=allow: another user's info: exit %d, %q", code, out)
	}
}

// TestRFBUpgradeAppliesTCPAuth: on a --tcp-auth=password socket, a
// connection upgraded to RFB is offered VNC authentication only, with
// the module's secret as the password; and --rfb-upgrade=2 greets it
// after about 2 s, not after the tcp transport's 15 s handshake timeout.
func TestRFBUpgradeAppliesTCPAuth(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	addr := fmt.Sprintf("127.0.0.1:%d", suite.FreePort(t))
	rfbAddr := fmt.Sprintf("127.0.0.1:%d", suite.FreePort(t))
	e.PasswordFile = writePassword(t, e.Home, "pw", "upgr4de")
	e.StartVerb("start-desktop", smallXvfb, "--plugin-dir="+suite.PluginDir, "--bind-tcp="+addr,
		"--tcp-auth=password:value=upgr4de", "--rfb-upgrade=2", "--bind-rfb="+rfbAddr)
	// The --bind-rfb socket has no --rfb-auth: another local user gets
	// no greeting, the owner does.
	if os.Geteuid() == 0 {
		uid, gid := suite.AddUser(t, "xroamrfbtest")
		probe := exec.Command("/bin/bash", "-c", "exec 3<>/dev/tcp/"+strings.Replace(rfbAddr, ":", "/", 1)+" && timeout 20 head -c 12 <&3")
		probe.Dir = "/"
		probe.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid, NoSetGroups: true}}
		if out, err := probe.CombinedOutput(); err != nil || strings.Contains(string(out), "RFB") {
			t.Errorf("another user on the --bind-rfb socket without --rfb-auth: %v %s", err, out)
		}
		if _, err := dialRFB(t, rfbAddr, ""); err != nil {
			t.Errorf("the owner on the --bind-rfb socket: %v", err)
		}
	}
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// Well before the 15 s the transport would wait for a first byte.
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	greeting := make([]byte, 12)
	if _, err := io.ReadFull(nc, greeting); err != nil {
		t.Fatalf("no RFB greeting within 10 s of --rfb-upgrade=2: %v", err)
	}
	if !bytes.HasPrefix(greeting, []byte("RFB 003.")) {
		t.Fatalf("greeting %q", greeting)
	}
	nc.Write([]byte("RFB 003.008\n"))
	cnt := make([]byte, 1)
	if _, err := io.ReadFull(nc, cnt); err != nil {
		t.Fatal(err)
	}
	types := make([]byte, cnt[0])
	if _, err := io.ReadFull(nc, types); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(types, []byte{rfb.SecVNC}) {
		t.Fatalf("security types %v, want only VNC authentication (2)", types)
	}
	// Choosing None anyway does not get a ServerInit.
	nc.Write([]byte{1})
	res := make([]byte, 4)
	if _, err := io.ReadFull(nc, res); err == nil && bytes.Equal(res, []byte{0, 0, 0, 0}) {
		t.Error("security type None was accepted")
	}
	if _, err := dialRFB(t, addr, "wrong"); !errors.Is(err, rfb.ErrAuthFailed) {
		t.Errorf("a wrong password: %v", err)
	}
	if _, err := dialRFB(t, addr, "upgr4de"); err != nil {
		t.Errorf("the socket's password: %v", err)
	}
}

// TestBruteForceIsThrottled: many parallel wrong passwords over TCP are
// mostly refused unchecked (the socket's rate of failed logins and the
// peer's back-off), and the log says so; the right password gets in
// once the back-off has passed.
func TestBruteForceIsThrottled(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	addr := fmt.Sprintf("127.0.0.1:%d", suite.FreePort(t))
	n := e.Start("--plugin-dir="+suite.PluginDir, "--bind-tcp="+addr, "--tcp-auth=password:value=r1ght-pw")
	target, err := dial.ParseTarget("tcp://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	try := func(pw string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		rc, err := dial.RequestWithPassword(ctx, sockdir.Paths{}, target, "info", nil, []byte(pw))
		if err == nil {
			rc.Close()
		}
		return err
	}
	// Parallel, but fewer at once than the cap on connections of one
	// peer that are logging in (8), which would refuse the rest as
	// "session busy" before any password is checked.
	const attempts, atOnce = 100, 4
	var mu sync.Mutex
	var checked, throttled int
	var wg sync.WaitGroup
	slots := make(chan struct{}, atOnce)
	start := time.Now()
	for range attempts {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			err := try("wrong")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				t.Error("a wrong password got in")
			case strings.Contains(err.Error(), "too many failed logins"):
				throttled++
			case strings.Contains(err.Error(), "authentication failed"):
				checked++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("%d attempts in %v: %d checked, %d refused unchecked", attempts, elapsed, checked, throttled)
	// The socket's bucket: a burst of 20 checks, then 1 a second.
	if limit := 20 + int(elapsed.Seconds()) + 1; checked > limit {
		t.Errorf("%d wrong passwords were checked in %v, the limit is %d", checked, elapsed, limit)
	}
	if throttled == 0 {
		t.Error("no attempt was refused unchecked")
	}
	logb, _ := os.ReadFile(filepath.Join(e.SockDir, fmt.Sprintf(":%d.log", n)))
	if !strings.Contains(string(logb), "login rate limit engaged") && !strings.Contains(string(logb), "login back-off engaged") {
		t.Errorf("the throttling is not logged:\n%s", logb)
	}
	WaitFor(t, "the right password to get in after the back-off", func() bool {
		err := try("r1ght-pw")
		if err != nil && !strings.Contains(err.Error(), "too many failed logins") {
			t.Fatalf("the right password: %v", err)
		}
		if err != nil {
			time.Sleep(time.Second)
		}
		return err == nil
	})
}
