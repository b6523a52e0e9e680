package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// mDNS announcements stay inside a network namespace made for the test,
// so that nothing reaches the real network.

// netns creates a network namespace whose loopback carries multicast.
func netns(t *testing.T) string {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("creating a network namespace needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip is not installed (apt-get install iproute2)")
	}
	ns := fmt.Sprintf("xroam-mdns-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "delete", ns).Run() })
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"link", "set", "lo", "multicast", "on"},
		{"route", "add", "224.0.0.0/4", "dev", "lo"},
	} {
		if out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v %s", args, err, out)
		}
	}
	return ns
}

// runIn runs xroam inside the namespace (or outside for ns "").
func (e *Env) runIn(ns string, args ...string) (string, int) {
	e.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	argv := append([]string{suite.Bin}, append(args, "--socket-dir="+e.SockDir)...)
	if ns != "" {
		argv = append([]string{"ip", "netns", "exec", ns}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = e.Environ()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.T.Fatalf("%v: %v", argv, err)
	}
	return out.String(), code
}

func TestMDNSInNetworkNamespace(t *testing.T) {
	e := suite.NewEnv(t)
	ns := netns(t)
	port := suite.FreePort(t)
	out, code := e.runIn(ns, "start", "--start=", "--mdns=yes", "--session-name=mdns-test", fmt.Sprintf("--bind-tcp=127.0.0.1:%d", port))
	m := regexp.MustCompile(`session :(\d+) started`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("start in the namespace: exit %d\n%s", code, out)
	}
	n, _ := strconv.Atoi(m[1])
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			e.Run("stop", fmt.Sprintf(":%d", n))
		}
	})
	uri := fmt.Sprintf("tcp://127.0.0.1:%d/", port)
	var list string
	WaitFor(t, "the session in list-mdns", func() bool {
		list, _ = e.runIn(ns, "list-mdns", "--wait=2")
		return strings.Contains(list, uri)
	})
	for _, want := range []string{fmt.Sprintf(":%d", n), "name=mdns-test", "type=seamless"} {
		if !strings.Contains(list, want) {
			t.Errorf("list-mdns lacks %q:\n%s", want, list)
		}
	}
	// What list-mdns prints is what attach, info… take.
	if out, code := e.runIn(ns, "info", uri); code != 0 || !strings.Contains(out, fmt.Sprintf("display.name=:%d", n)) {
		t.Errorf("info %s: exit %d\n%s", uri, code, Tail(out, 10))
	}
	// Nothing leaks out of the namespace.
	if out, _ := e.runIn("", "list-mdns", "--wait=2"); strings.Contains(out, uri) && strings.Contains(out, "mdns-test") {
		t.Errorf("the announcement left the namespace:\n%s", out)
	}
	if _, code := e.Run("stop", fmt.Sprintf(":%d", n)); code != 0 {
		t.Fatal("stop failed")
	}
	stopped = true
	if out, _ := e.runIn(ns, "list-mdns", "--wait=2"); strings.Contains(out, uri) {
		t.Errorf("the session is still announced after stop:\n%s", out)
	}
}
