package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startedPID reads the pid out of `control start`'s answer.
func startedPID(t *testing.T, out string) int {
	t.Helper()
	m := regexp.MustCompile(`with pid (\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no pid in %q", out)
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}

// procField returns a line's value from /proc/PID/status ("Uid", "Gid").
func procField(t *testing.T, pid int, field string) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// TestAuthResultsApplied: what a multifile line says beyond the password
// shapes the session: a user bound to another display is refused, one
// with env gets it in the commands it starts, ids the server cannot take
// on are refused (or, as root, the commands run as that user), and
// session options, which only a new session could take, are refused.
func TestAuthResultsApplied(t *testing.T) {
	t.Parallel()
	e := suite.NewEnv(t)
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	// No newline: xpra's clients send the file's every byte, and the
	// multifile lines hold the bare password.
	pw := filepath.Join(e.Home, "pw")
	if err := os.WriteFile(pw, []byte("pw"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.PasswordFile = pw
	users := filepath.Join(e.Home, "users")
	// The file is re-read at each login: it is written once the display
	// is known, with the local user in it so that the cleanup can stop.
	if err := os.WriteFile(users, []byte(me.Username+"|pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n := e.Start("--plugin-dir="+suite.PluginDir, "--auth=multifile:filename="+users)
	disp := fmt.Sprintf(":%d", n)
	lines := []string{
		me.Username + "|pw",
		fmt.Sprintf("elsewhere|pw|||:%d", n+1),
		fmt.Sprintf("here|pw|||%s,:%d|XROAM_AUTH_ENV=from auth;LANG=C.UTF-8", disp, n+1),
		"other|pw|65534|65534",
		"opts|pw|||||start=xterm",
	}
	if err := os.WriteFile(users, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(e.SockDir, fmt.Sprintf(":%d.log", n)))
			t.Logf("server log:\n%s", b)
		}
	})
	as := func(name string, args ...string) (string, int) {
		return e.Run(append(args, "--username="+name, "--password-file="+pw)...)
	}

	out, code := as("elsewhere", "info", disp)
	if code == 0 || !strings.Contains(out, fmt.Sprintf("may not access display %s", disp)) {
		t.Errorf("a user bound to :%d reached %s: exit %d\n%s", n+1, disp, code, out)
	}
	if _, err := exec.LookPath("xpra"); err == nil {
		// Debian's xpra client is refused too, and shown why.
		sock := "socket://" + e.Socket(n)
		out, err := e.xpra(30*time.Second, "info", sock, "--username=elsewhere", "--password-file="+pw)
		if err == nil || !strings.Contains(out, "may not access display") {
			t.Errorf("xpra info as a user bound to another display: %v\n%s", err, out)
		}
		out, err = e.xpra(30*time.Second, "info", sock, "--username=here", "--password-file="+pw)
		if err != nil || !strings.Contains(out, "server.type=xroam") {
			t.Errorf("xpra info as here: %v\n%s", err, out)
		}
	}
	out, code = as("elsewhere", "control", disp, "start-child", "sleep 60")
	if code == 0 || strings.Contains(out, "started") {
		t.Errorf("a user bound to another display started a command: %s", out)
	}

	out, code = as("here", "control", disp, "start-child", "exec sleep 60")
	if code != 0 {
		t.Fatalf("control start-child as here: exit %d\n%s", code, out)
	}
	pid := startedPID(t, out)
	t.Cleanup(func() { _ = killPid(pid) })
	WaitFor(t, "the child's environment", func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			return false
		}
		vars := strings.Split(string(b), "\x00")
		return slices.Contains(vars, "XROAM_AUTH_ENV=from auth") && slices.Contains(vars, "LANG=C.UTF-8") && slices.Contains(vars, "DISPLAY="+disp)
	})
	// A command started without the auth's env does not get it.
	out, code = as(me.Username, "control", disp, "start", "exec sleep 60")
	if code != 0 {
		t.Fatalf("control start: exit %d\n%s", code, out)
	}
	plain := startedPID(t, out)
	t.Cleanup(func() { _ = killPid(plain) })
	// Its environment is the one it was exec'd with: wait for the exec.
	WaitFor(t, "the command to run sleep", func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", plain))
		return err == nil && strings.HasPrefix(string(b), "sleep\x00")
	})
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", plain)); err != nil || strings.Contains(string(b), "XROAM_AUTH_ENV") {
		t.Errorf("another user's command got the env (%v)", err)
	}

	var userAuth string // uid 65534's copy of the X authority, when root
	out, code = as("other", "control", disp, "start-child", "exec sleep 60")
	if os.Geteuid() == 0 {
		// Root can honour the ids: the command runs as that user.
		if code != 0 {
			t.Fatalf("control start-child as other: exit %d\n%s", code, out)
		}
		opid := startedPID(t, out)
		t.Cleanup(func() { _ = killPid(opid) })
		WaitFor(t, "the child to run as uid 65534", func() bool {
			return strings.HasPrefix(procField(t, opid, "Uid"), "65534\t") && strings.HasPrefix(procField(t, opid, "Gid"), "65534\t")
		})
		// That user cannot read the session's authority (root's, in a
		// 0700 directory): it gets a 0600 copy of its own, and its X
		// clients open the display.
		// Not t.TempDir, whose parent is 0700.
		outDir, err := os.MkdirTemp("", "xroam-uid-test-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(outDir) })
		if err := os.Chmod(outDir, 0o777); err != nil {
			t.Fatal(err)
		}
		result := filepath.Join(outDir, "xdpyinfo")
		out, code = as("other", "control", disp, "start", fmt.Sprintf("xdpyinfo >/dev/null 2>&1; echo $? \"$XAUTHORITY\" > %s", result))
		if code != 0 {
			t.Fatalf("control start as other: exit %d\n%s", code, out)
		}
		var fields []string
		WaitFor(t, "xdpyinfo as uid 65534 to finish", func() bool {
			b, err := os.ReadFile(result)
			fields = strings.Fields(string(b))
			return err == nil && len(fields) >= 1
		})
		if len(fields) != 2 || fields[0] != "0" {
			t.Fatalf("xdpyinfo as uid 65534 on the session's display: exit status and XAUTHORITY %q", fields)
		}
		var st syscall.Stat_t
		if err := syscall.Stat(fields[1], &st); err != nil || st.Uid != 65534 || st.Mode&0o777 != 0o600 {
			t.Errorf("uid 65534's X authority %s: uid %d mode %o, %v", fields[1], st.Uid, st.Mode&0o777, err)
		}
		if strings.HasPrefix(fields[1], e.SockDir) {
			t.Errorf("uid 65534 was given the session's own X authority %s", fields[1])
		}
		userAuth = fields[1]
	} else if code == 0 || !strings.Contains(out, "cannot start commands as another user") {
		t.Errorf("ids the server cannot take on were accepted: exit %d\n%s", code, out)
	}

	out, code = as("opts", "info", disp)
	if code == 0 || !strings.Contains(out, "session options (start)") {
		t.Errorf("session options were accepted: exit %d\n%s", code, out)
	}
	// The session itself is still fine.
	if out, code := as("here", "info", disp); code != 0 || !strings.Contains(out, "server.type=xroam") {
		t.Errorf("info as here: exit %d\n%s", code, out)
	}
	if userAuth != "" {
		if out, code := as(me.Username, "stop", disp); code != 0 {
			t.Fatalf("stop: exit %d\n%s", code, out)
		}
		WaitFor(t, "the stopped session to remove uid 65534's X authority", func() bool {
			_, err := os.Lstat(userAuth)
			return errors.Is(err, os.ErrNotExist)
		})
	}
}

func killPid(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
