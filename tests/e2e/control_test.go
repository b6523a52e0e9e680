package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestControl(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	n := e.Start()
	disp := fmt.Sprintf(":%d", n)
	// xpra's commands, each listed by help.
	help := e.MustRun("control", disp, "help")
	list := strings.TrimSpace(help[strings.Index(help, ":")+1:])
	for _, c := range []string{"start", "start-child", "name", "debug", "quality", "min-quality", "speed", "min-speed",
		"encoding", "auto-refresh", "clipboard-direction", "disconnect", "help"} {
		if !slices.Contains(strings.Split(list, ", "), c) {
			t.Errorf("control help does not list %s: %q", c, help)
		}
	}
	if out := e.MustRun("control", disp, "start", "xterm -T ctl-app"); !strings.Contains(out, "started") {
		t.Errorf("control start: %q", out)
	}
	WaitWindow(t, n, "ctl-app")
	e.MustRun("control", disp, "name", "renamed")
	if out := e.MustRun("info", disp); !strings.Contains(out, "server.session-name=renamed") {
		t.Errorf("name not applied:\n%s", out)
	}
	if out := e.MustRun("control", disp, "debug", "enable"); !strings.Contains(out, "DEBUG") {
		t.Errorf("debug enable: %q", out)
	}
	// Without a target, the only live session is used.
	if out := e.MustRun("control", "help", "name"); !strings.Contains(out, "NAME") {
		t.Errorf("control help name: %q", out)
	}
	out, code := e.Run("control", disp, "no-such-command")
	if code != 1 || !strings.Contains(out, `unknown command "no-such-command"`) {
		t.Errorf("unknown command: exit %d, %q", code, out)
	}
	out, code = e.Run("control", disp)
	if code != 2 {
		t.Errorf("missing command: exit %d, %q", code, out)
	}
}

func TestControlRefusesNewCommands(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	n := e.Start("--start-new-commands=no")
	out, code := e.Run("control", fmt.Sprintf(":%d", n), "start", "xeyes")
	if code != 1 || !strings.Contains(out, "disabled") {
		t.Errorf("control start with --start-new-commands=no: exit %d, %q", code, out)
	}
}

func TestXpraControlAgainstXroam(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	needXpra(t)
	n := e.Start()
	out, err := e.xpra(30*time.Second, "control", "socket://"+e.Socket(n), "start", "xterm -T xpra-ctl")
	if err != nil {
		t.Fatalf("xpra control: %v\n%s", err, out)
	}
	WaitWindow(t, n, "xpra-ctl")
}

func TestUpgradeKeepsApplications(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	n := e.Start("--start=xterm -T upgrade-app")
	disp := fmt.Sprintf(":%d", n)
	w := WaitWindow(t, n, "upgrade-app")
	info := e.MustRun("info", disp)
	m := regexp.MustCompile(`children\.0\.pid=(\d+)`).FindStringSubmatch(info)
	if m == nil {
		t.Fatalf("no child pid:\n%s", info)
	}
	appPid, _ := strconv.Atoi(m[1])
	oldServer := ReadPid(t, filepath.Join(e.SockDir, strconv.Itoa(n), "server.pid"))
	xvfbPid := ReadPid(t, filepath.Join(e.SockDir, strconv.Itoa(n), "xvfb.pid"))

	out := e.MustRun("upgrade", disp)
	if !strings.Contains(out, fmt.Sprintf("session :%d started", n)) {
		t.Fatalf("upgrade: %q", out)
	}
	WaitFor(t, "the old server to end", func() bool { return !PidAlive(oldServer) })
	newServer := ReadPid(t, filepath.Join(e.SockDir, strconv.Itoa(n), "server.pid"))
	if newServer == oldServer || !PidAlive(newServer) {
		t.Fatalf("no new server (old %d, new %d)", oldServer, newServer)
	}
	if !PidAlive(appPid) || !PidAlive(xvfbPid) {
		t.Fatal("the upgrade ended the application or the X server")
	}
	if got := WaitWindow(t, n, "upgrade-app"); got.ID != w.ID {
		t.Errorf("window %v became %v", w.ID, got.ID)
	}
	if out := e.MustRun("info", disp); !strings.Contains(out, "windows.0.title=upgrade-app") {
		t.Errorf("info after upgrade:\n%s", out)
	}
	e.MustRun("stop", disp)
	WaitFor(t, "stop after upgrade to end the X server", func() bool { return !PidAlive(xvfbPid) })
}
